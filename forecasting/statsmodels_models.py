"""Exponential smoothing (ETS, with the trend and damping chosen by AICc) and Theta, from statsmodels.

For short yearly series these are the forecasting literature's anchors (in the M3 and M4
competitions' yearly data, automatic ETS and Theta beat naive forecasts and ARIMA), and they fit
in milliseconds. statsmodels is imported on first use (`load_statsmodels`, about 1 s), like
Prophet.

- `ETSForecaster` fits additive-error ETS models without trend, with a trend, and with a damped
  trend (`ETSModel`), and keeps the one with the lowest AICc: the automatic choice of
  Hyndman's `forecast::ets` restricted to what yearly municipal data needs (no seasonality; a
  multiplicative error would fail on the zeros some rates have).
- `ThetaForecaster` is `ThetaModel(period=1, deseasonalize=False)` (the standard Theta method:
  simple exponential smoothing plus half the long-run linear trend).

Both need a regular series (one value per period): they fit the most recent stretch without a
gap, and raise `NotEnoughDataError` when it is shorter than `MIN_POINTS` (a suppressed year is
never guessed). Their own intervals come from statsmodels; the page shows the calibrated ones
(`calibration.py`).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from forecasting.base import (
    ForecastError,
    ForecastSettings,
    NotEnoughDataError,
    make_forecast,
    ordinals,
    period_ordinal,
    prepare_history,
)

logger = logging.getLogger(__name__)

MIN_POINTS = 4
#: (trend, damped) candidates of the automatic ETS choice; a trend needs a few more points
ETS_CANDIDATES: tuple[tuple[str | None, bool], ...] = ((None, False), ("add", False), ("add", True))
MIN_POINTS_TREND = 6

_MODULES: dict[str, Any] = {}


def load_statsmodels() -> tuple[Any, Any]:
    """(`ETSModel`, `ThetaModel`), imported once, with scipy's BLAS on one thread."""
    if not _MODULES:
        with _quiet():
            from statsmodels.tsa.exponential_smoothing.ets import ETSModel
            from statsmodels.tsa.forecasting.theta import ThetaModel
        from forecasting.models import limit_blas_threads

        limit_blas_threads()  # scipy's own OpenBLAS is loaded only now
        _MODULES["ets"], _MODULES["theta"] = ETSModel, ThetaModel
    return _MODULES["ets"], _MODULES["theta"]


@contextmanager
def _quiet() -> Iterator[None]:
    """statsmodels warns about convergence and start parameters on many short series; the
    backtest, not the optimiser's mood, says how good a fit is."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            yield


def regular_tail(history: pd.DataFrame) -> pd.DataFrame:
    """The most recent stretch of a history without a missing period."""
    x = ordinals(history)
    if len(x) < 2:
        return history
    breaks = np.flatnonzero(np.diff(x) != 1)
    start = int(breaks[-1]) + 1 if len(breaks) else 0
    return history.iloc[start:].reset_index(drop=True)


class _StatsmodelsForecaster:
    """Shared fit/predict bookkeeping: a regular series in, steps ahead out."""

    name = "statsmodels"

    def __init__(self, settings: ForecastSettings | None = None) -> None:
        self.settings = settings or ForecastSettings()
        self._last: int | None = None
        self._result: Any = None

    def fit(self, history: pd.DataFrame) -> _StatsmodelsForecaster:
        clean = regular_tail(prepare_history(history))
        if len(clean) < MIN_POINTS:
            raise NotEnoughDataError(f"{self.name}: needs {MIN_POINTS} consecutive observed periods, got {len(clean)}")
        y = pd.Series(clean["value"].to_numpy(dtype="float64"))
        self._last = period_ordinal(str(clean["period"].iloc[-1]))
        try:
            with _quiet():
                self._result = self._fit(y)
        except (ValueError, np.linalg.LinAlgError) as exc:
            raise ForecastError(f"{self.name}: the model could not be fitted ({exc})") from None
        return self

    def predict(self, periods: Sequence[str]) -> pd.DataFrame:
        if self._result is None or self._last is None:
            raise RuntimeError(f"{self.name}: predict() called before fit()")
        if not periods:
            return make_forecast([], [], [], [], self.name)
        steps = np.array([period_ordinal(p) - self._last for p in periods], dtype="int64")
        if (steps < 1).any():
            raise ForecastError(f"{self.name}: can only forecast periods after the history")
        alpha = 1 - self.settings.interval_width
        with _quiet():
            mean, lower, upper = self._predict(int(steps.max()), alpha)
        pick = steps - 1
        return make_forecast(list(periods), mean[pick], lower[pick], upper[pick], self.name)

    def _fit(self, y: pd.Series) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict(self, steps: int, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
        raise NotImplementedError


class ETSForecaster(_StatsmodelsForecaster):
    """Additive-error ETS with no, linear or damped trend, whichever has the lowest AICc."""

    name = "ets"

    def _fit(self, y: pd.Series) -> Any:
        ets_model, _ = load_statsmodels()
        best: Any = None
        for trend, damped in ETS_CANDIDATES:
            if trend is not None and len(y) < MIN_POINTS_TREND:
                continue
            result = ets_model(y, error="add", trend=trend, damped_trend=damped).fit(disp=False)
            if best is None or _aicc(result) < _aicc(best):
                best = result
        self.chosen = (best.model.trend, bool(best.model.damped_trend))
        return best

    def _predict(self, steps: int, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = int(self._result.model.nobs)
        frame = self._result.get_prediction(start=n, end=n + steps - 1).summary_frame(alpha=alpha)
        return (frame["mean"].to_numpy(dtype="float64"), frame["pi_lower"].to_numpy(dtype="float64"),
                frame["pi_upper"].to_numpy(dtype="float64"))


def _aicc(result: Any) -> float:
    """AICc, with NaN (too many parameters for the points) counting as worst."""
    value = float(result.aicc)
    return value if np.isfinite(value) else float("inf")


class ThetaForecaster(_StatsmodelsForecaster):
    """The Theta method (statsmodels `ThetaModel`, no seasonality)."""

    name = "theta"

    def _fit(self, y: pd.Series) -> Any:
        _, theta_model = load_statsmodels()
        return theta_model(y, period=1, deseasonalize=False).fit()

    def _predict(self, steps: int, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mean = self._result.forecast(steps).to_numpy(dtype="float64")
        bands = self._result.prediction_intervals(steps, alpha=alpha)
        return mean, bands["lower"].to_numpy(dtype="float64"), bands["upper"].to_numpy(dtype="float64")
