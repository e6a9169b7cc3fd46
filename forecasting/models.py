"""The models a forecast fits, by name, and the combination (the mean of ETS and Theta).

One place knows every model: the service, the backtest and the benchmark ask here for a fitted
model's predictions (`predict_models`), so the combination is computed the same way in the
forecast and in every backtest fold, from its members' predictions without refitting them.

Why ETS and Theta make the combination: on the pilot backtest (ten municipalities, every approved
metric, 10 folds, 1-5 years ahead) the mean of the two had a lower error than either alone and
than adding drift or naive to it (docs/forecasting.md). Prophet stays out of it: it is the
slowest and, on these series, the least accurate model.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd

from forecasting.base import Forecaster, ForecastError, ForecastSettings, empty_forecast, make_forecast

logger = logging.getLogger(__name__)

COMBINATION = "combination"
COMBINATION_MEMBERS: tuple[str, ...] = ("ets", "theta")
KNOWN_MODELS: tuple[str, ...] = ("ets", "theta", COMBINATION, "prophet", "drift", "naive", "seasonal_naive")
#: shown before this series' backtest is in: the best model on average over the pilot backtest
PROVISIONAL_MODEL = COMBINATION

ModelFactory = Callable[[], Forecaster]


def factory(name: str, settings: ForecastSettings) -> ModelFactory:
    """A factory of a fresh, unfitted forecaster for `name` (not the combination)."""
    if name == "prophet":
        from forecasting.prophet_model import ProphetForecaster

        return lambda: ProphetForecaster(settings)
    if name in ("ets", "theta"):
        from forecasting.statsmodels_models import ETSForecaster, ThetaForecaster

        cls = ETSForecaster if name == "ets" else ThetaForecaster
        return lambda: cls(settings)
    from forecasting.naive import DriftForecaster, NaiveForecaster, SeasonalNaiveForecaster

    simple: dict[str, type] = {"naive": NaiveForecaster, "drift": DriftForecaster, "seasonal_naive": SeasonalNaiveForecaster}
    if name not in simple:
        raise ForecastError(f"unknown model {name!r} (known: {', '.join(KNOWN_MODELS)})")
    baseline = simple[name]
    return lambda: baseline(settings)


def model_names(settings: ForecastSettings, grain: str) -> tuple[str, ...]:
    """The models to fit for a series of this grain, in display order; unknown names are an error.

    The combination brings its members along; monthly and quarterly data add seasonal naive.
    """
    names = list(settings.models)
    unknown = [n for n in names if n not in KNOWN_MODELS]
    if unknown:
        raise ForecastError(f"unknown model {unknown[0]!r} (known: {', '.join(KNOWN_MODELS)})")
    if COMBINATION in names:
        names += [m for m in COMBINATION_MEMBERS if m not in names]
    if grain != "year" and "naive" in names and "seasonal_naive" not in names:
        names.append("seasonal_naive")
    return tuple(names)


_BLAS_LIMITED: list[bool] = []
_BLAS_LOCK = threading.Lock()


def limit_blas_threads() -> None:
    """Put every BLAS library loaded so far in this process on one thread (`threadpoolctl`).

    The models multiply tiny matrices, where BLAS threads only get in the way: on a busy 2-core
    machine (load 10) a Theta fit took 0.9-4.5 s with OpenBLAS' default threads and 0.06-0.13 s
    with one. The limit is set for good, not set and restored around each fit (pool threads
    fitting at the same time would restore each other's values), and nothing else in the app
    multiplies large matrices. It covers only libraries already loaded, so `load_statsmodels`
    calls it again after importing scipy, which brings its own OpenBLAS.
    """
    from threadpoolctl import threadpool_limits

    with _BLAS_LOCK:
        threadpool_limits(limits=1, user_api="blas")


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Fit with one BLAS thread (`limit_blas_threads`, applied on the first use in a process)."""
    if not _BLAS_LIMITED:
        limit_blas_threads()
        _BLAS_LIMITED.append(True)
    yield


def predict_models(history: pd.DataFrame, periods: Sequence[str], settings: ForecastSettings,
                   names: Sequence[str], *, times: dict[str, float] | None = None,
                   context: str = "") -> dict[str, pd.DataFrame]:
    """Every model in `names` fitted on `history` and asked for `periods` (forecast frames).

    A model that cannot be fitted (too few points, the optimiser failed) is left out and logged;
    the combination is the mean of its members' point forecasts and intervals, present only when
    every member is. `times` collects each model's fit+predict seconds.
    """
    out: dict[str, pd.DataFrame] = {}
    with single_threaded_blas():
        for name in names:
            if name == COMBINATION:
                continue
            start = time.perf_counter()
            try:
                out[name] = factory(name, settings)().fit(history).predict(periods) if periods else empty_forecast()
            except ForecastError as exc:
                logger.debug("%s%s not fitted: %s", context, name, exc)
            finally:
                if times is not None:
                    times[name] = times.get(name, 0.0) + time.perf_counter() - start
    if COMBINATION in names:
        combined = combine(out)
        if combined is not None:
            out[COMBINATION] = combined
    return {name: out[name] for name in names if name in out}


def combine(forecasts: Mapping[str, pd.DataFrame]) -> pd.DataFrame | None:
    """The mean of the members' forecast frames (None when a member is missing)."""
    members = [forecasts.get(m) for m in COMBINATION_MEMBERS]
    if any(m is None for m in members):
        return None
    frames = [m for m in members if m is not None]
    periods = frames[0]["period"].tolist()

    def mean(column: str) -> np.ndarray:
        return np.mean([f[column].to_numpy(dtype="float64") for f in frames], axis=0)

    return make_forecast(periods, mean("yhat"), mean("lower"), mean("upper"), COMBINATION)
