"""Prophet behind the `Forecaster` protocol, imported lazily and kept quiet.

Importing Prophet costs about a second and cmdstan writes to the console on every fit, so the
import happens on first use (`load_prophet`), silences `prophet.plot` ("Importing plotly failed")
and calls `cmdstanpy.disable_logging()` (setting the logger's level is not enough: cmdstanpy
resets it on the first fit).

Settings for short municipal series are made explicit in `prophet_params`: no weekly/daily
seasonality ever, yearly seasonality only for monthly/quarterly data with two full years, a
handful of changepoints, logistic growth when the value is bounded (a rate in 0-100 %).

The optimiser: Prophet's own default for fewer than 100 points is Newton. It never failed on the
real pilot series (BFGS and L-BFGS "terminated abnormally" on a quarter to half of them and fell
back to Newton anyway, see docs/forecasting.md), but on an exactly linear or constant series it
can take about 7 s. `algorithm="auto"` therefore keeps Prophet's default and switches to BFGS
(same optimum, ~30 ms) only when the series is exactly linear (`is_degenerate`). Results are deterministic: the Stan optimiser gets `seed`, and the
uncertainty simulation runs on a seeded global NumPy state that is restored afterwards.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np
import pandas as pd

from forecasting.base import (
    PERIODS_PER_YEAR,
    ForecastError,
    ForecastSettings,
    Grain,
    NotEnoughDataError,
    grain_of,
    make_forecast,
    period_timestamp,
    prepare_history,
)

logger = logging.getLogger(__name__)

_PROPHET: Any = None


class ProphetUnavailableError(ForecastError):
    """Prophet (or its cmdstan backend) cannot be imported on this machine."""


def load_prophet() -> Any:
    """The `prophet.Prophet` class, imported once, with its console noise switched off."""
    global _PROPHET
    if _PROPHET is not None:
        return _PROPHET
    logging.getLogger("prophet.plot").setLevel(logging.CRITICAL)
    try:
        with _quiet():
            import cmdstanpy
            from prophet import Prophet
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise ProphetUnavailableError(f"Prophet cannot be imported: {exc}") from exc
    cmdstanpy.disable_logging()
    # Prophet sets its own logger to INFO on import: quieten it afterwards, not before
    logging.getLogger("prophet").setLevel(logging.ERROR)  # "falling back to Newton" is not news
    _PROPHET = Prophet
    return Prophet


_FAST: Any = None


def _model_class() -> Any:
    """Prophet with one memo: the component matrix of a model with no seasonality, holidays or
    regressors is always the same small table, but Prophet rebuilds it with `pd.crosstab` on
    every fit (~15 ms of a ~100 ms fit). The memo returns copies of what Prophet itself built the
    first time, so results are identical (a test compares with a plain `Prophet` call)."""
    global _FAST
    if _FAST is not None:
        return _FAST
    base = load_prophet()
    memo: dict[tuple[Any, ...], tuple[pd.DataFrame, dict[str, list[str]]]] = {}

    class _MemoProphet(base):  # type: ignore[misc, valid-type]
        def regressor_column_matrix(self, seasonal_features: pd.DataFrame, modes: Any) -> Any:
            trivial = (list(seasonal_features.columns) == ["zeros"] and not self.extra_regressors
                       and self.train_holiday_names is None and not any(modes.values()))
            if not trivial:
                return super().regressor_column_matrix(seasonal_features, modes)
            trained = self.train_component_cols
            key = (self.holidays_mode, None if trained is None else tuple(trained.columns))
            if key not in memo:
                cols, new_modes = super().regressor_column_matrix(seasonal_features, modes)
                memo[key] = (cols.copy(), {k: list(v) for k, v in new_modes.items()})
            cols, new_modes = memo[key]
            return cols.copy(), {k: list(v) for k, v in new_modes.items()}

    _FAST = _MemoProphet
    return _FAST


@contextmanager
def _quiet() -> Iterator[None]:
    """Hide pandas' future-deprecation warnings raised inside Prophet (not ours to fix)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            from pandas.errors import Pandas4Warning  # type: ignore[attr-defined]

            warnings.simplefilter("ignore", Pandas4Warning)
        except ImportError:  # pragma: no cover - older pandas
            pass
        yield


_OBJECT_STRINGS = False


def use_object_strings() -> bool:
    """Let Prophet's own frames use plain object strings instead of pandas 3's pyarrow-backed ones.

    Only for worker processes (`pool.process_worker_init`): the pandas option is
    process-wide, so in the app process (where threads share it) it is never touched. Prophet
    builds dozens of small frames per fit and every column look-up converts their arrow-backed
    column index to objects; without that, the Python side of a fit is about a quarter faster
    (3.1 -> 2.3 s of Python CPU for the ten pilot series). Only Prophet's calls run with the
    option (`_prophet_strings`), so the frames this module returns have the same dtypes as in
    the app process, and the numbers are the same. Returns False when pandas no longer has the
    option (pandas 4).
    """
    global _OBJECT_STRINGS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            pd.get_option("future.infer_string")
        except (KeyError, ValueError, pd.errors.OptionError):  # pragma: no cover - pandas 4
            return False
    _OBJECT_STRINGS = True
    return True


@contextmanager
def _prophet_strings() -> Iterator[None]:
    """Run Prophet's frame work with object strings when `use_object_strings()` was called."""
    if not _OBJECT_STRINGS:
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pd.option_context("future.infer_string", False):
            yield


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Run with NumPy's global generator seeded (Prophet samples from it), then restore it."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def prophet_params(settings: ForecastSettings, grain: Grain, n_points: int) -> dict[str, Any]:
    """The exact keyword arguments given to `Prophet(...)` for a series of this grain and length."""
    per_year = PERIODS_PER_YEAR[grain]
    seasonal = per_year > 1 and n_points > 2 * per_year  # Prophet wants more than 730 days
    n_changepoints = max(0, min(settings.max_changepoints, int(n_points * settings.changepoint_range) - 1))
    return {
        "growth": "logistic" if settings.logistic else "linear",
        "yearly_seasonality": seasonal,
        "weekly_seasonality": False,
        "daily_seasonality": False,
        "n_changepoints": n_changepoints,
        "changepoint_range": settings.changepoint_range,
        "changepoint_prior_scale": settings.changepoint_prior_scale,
        "interval_width": settings.interval_width,
        "uncertainty_samples": settings.uncertainty_samples,
    }


def is_degenerate(values: Sequence[float]) -> bool:
    """Whether the values lie exactly on a straight line (or are constant): Newton's slow case."""
    y = np.asarray(values, dtype="float64")
    if len(y) < 3:
        return True
    x = np.arange(len(y), dtype="float64")
    slope, intercept = np.polyfit(x, y, 1)
    residual = np.abs(y - (slope * x + intercept)).max()
    return bool(residual <= 1e-9 * max(1.0, float(np.abs(y).max())))


def fit_kwargs(settings: ForecastSettings, values: Sequence[float] = ()) -> dict[str, Any]:
    """The keyword arguments given to `Prophet.fit`: the seed, and the optimiser when not Prophet's own."""
    kwargs: dict[str, Any] = {"seed": settings.seed}
    if settings.algorithm != "auto":
        kwargs["algorithm"] = settings.algorithm
    elif len(values) and is_degenerate(values):
        kwargs["algorithm"] = "BFGS"
    return kwargs


class ProphetForecaster:
    """Prophet as a `Forecaster`; optional extra regressors (columns of the history frame)."""

    name = "prophet"

    def __init__(self, settings: ForecastSettings | None = None, regressors: Sequence[str] = ()) -> None:
        self.settings = settings or ForecastSettings()
        self.regressors = tuple(regressors)
        self.model: Any = None
        self._grain: Grain = "year"

    def _frame(self, periods: Sequence[str], y: np.ndarray | None = None) -> pd.DataFrame:
        """Prophet's input frame (ds, floor and cap when bounded, y when given), built in one
        call: adding columns one by one cost ~1 ms per fit."""
        columns: dict[str, Any] = {"ds": [period_timestamp(p) for p in periods]}
        if self.settings.logistic and self.settings.bounds is not None:
            columns["floor"] = np.full(len(periods), float(self.settings.bounds[0]))
            columns["cap"] = np.full(len(periods), float(self.settings.bounds[1]))
        if y is not None:
            columns["y"] = y
        return pd.DataFrame(columns)

    def fit(self, history: pd.DataFrame) -> ProphetForecaster:
        clean = prepare_history(history)
        if len(clean) < 3:
            raise NotEnoughDataError(f"prophet: needs at least 3 observed periods, got {len(clean)}")
        periods = clean["period"].tolist()
        self._grain = grain_of(periods)
        y = clean["value"].to_numpy()
        if self.settings.logistic and self.settings.bounds is not None:
            floor, cap = self.settings.bounds
            if (y < floor).any() or (y > cap).any():
                raise ForecastError(f"prophet: values must lie between {floor} and {cap} for bounded growth")
        with _prophet_strings():
            self.model = self._fit_model(history, clean, periods, y)
        return self

    def _fit_model(self, history: pd.DataFrame, clean: pd.DataFrame, periods: list[str], y: np.ndarray) -> Any:
        df = self._frame(periods, y)
        if self.regressors:
            indexed = history.assign(period=history["period"].astype(str)).set_index("period")
            for name in self.regressors:
                if name not in indexed.columns:
                    raise ForecastError(f"prophet: regressor column {name!r} not in history")
                values = pd.to_numeric(indexed.loc[clean["period"], name], errors="coerce").to_numpy()
                if np.isnan(values).any():
                    raise NotEnoughDataError(f"prophet: regressor {name!r} is missing for some history periods")
                df[name] = values
        model = _model_class()(**prophet_params(self.settings, self._grain, len(df)))
        for name in self.regressors:
            model.add_regressor(name, standardize=True)
        try:
            with _quiet():
                model.fit(df, **fit_kwargs(self.settings, y))
        except RuntimeError as exc:  # cmdstan could not optimise (Newton failed too)
            raise ForecastError(f"prophet: the model could not be fitted ({exc})") from None
        return model

    def predict(self, periods: Sequence[str], regressors: Mapping[str, Sequence[float]] | None = None) -> pd.DataFrame:
        if self.model is None:
            raise RuntimeError("prophet: predict() called before fit()")
        with _prophet_strings():
            yhat, lower, upper = self._predict_arrays(periods, regressors)
        return make_forecast(list(periods), yhat, lower, upper, self.name)

    def _predict_arrays(self, periods: Sequence[str], regressors: Mapping[str, Sequence[float]] | None,
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        future = self._frame(periods)
        for name in self.regressors:
            if regressors is None or name not in regressors:
                raise ForecastError(f"prophet: future values of regressor {name!r} are needed")
            values = list(regressors[name])
            if len(values) != len(future):
                raise ForecastError(f"prophet: regressor {name!r} has {len(values)} values for {len(future)} periods")
            future[name] = np.asarray(values, dtype="float64")
        if self._trend_only():
            # Point forecast of a model with no seasonality, regressors or sampling: yhat is the
            # trend. Prophet's predict() would spend ~35 ms building empty seasonal matrices.
            with _quiet():
                trend = self.model.predict_trend(self.model.setup_dataframe(future.copy()))
            yhat = np.asarray(trend, dtype="float64")
            nan = np.full(len(yhat), np.nan)
            return yhat, nan, nan
        with _quiet(), _seeded(self.settings.seed):
            out = self.model.predict(future)
        yhat = out["yhat"].to_numpy()
        lower = out["yhat_lower"].to_numpy() if "yhat_lower" in out.columns else np.full(len(out), np.nan)
        upper = out["yhat_upper"].to_numpy() if "yhat_upper" in out.columns else np.full(len(out), np.nan)
        return yhat, lower, upper

    def _trend_only(self) -> bool:
        model = self.model
        return (self.settings.uncertainty_samples == 0 and not self.regressors and not model.seasonalities
                and not model.extra_regressors and model.holidays is None)

    def regressor_effect(self, name: str) -> float:
        """Change in the forecast per one unit of regressor `name` (Prophet's additive coefficient)."""
        if self.model is None:
            raise RuntimeError("prophet: regressor_effect() called before fit()")
        from prophet.utilities import regressor_coefficients

        coefs = regressor_coefficients(self.model)
        row = coefs[coefs["regressor"] == name]
        if row.empty:
            raise ForecastError(f"prophet: no regressor {name!r} in the model")
        return float(row["coef"].iloc[0])
