"""Forecast planning: from a request for one area to what every part of its forecast starts from.

`SeriesRequest` is what the caller asks (history, horizon, settings, scenarios, drivers);
`plan_series` checks the history once and returns a `SeriesPlan`: the published history, the
settings that apply to it (the metric's range loosened where a value lies outside it), its
grain, the periods to forecast, the models and the backtest folds. Every task of the worker
pool and every cache key is derived from a plan, so the forecast, the backtest folds and the
scenarios all see the same history.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecasting.backtest import Predictor, fold_sizes
from forecasting.base import (
    PERIODS_PER_YEAR,
    ForecastSettings,
    Grain,
    NotEnoughDataError,
    future_periods,
    grain_of,
    history_arrays,
    history_frame,
    period_ordinal,
)
from forecasting.cache import request_key, values_digest
from forecasting.models import model_names, predict_models
from forecasting.scenarios import Scenario

logger = logging.getLogger(__name__)

MIN_POINTS = 3  # fewer than this and not even drift is meaningful


@dataclass(frozen=True, eq=False)
class SeriesRequest:
    """One area's forecast as asked: published history (suppressed values already dropped),
    last forecast year, settings, scenarios and the driver series they need."""

    area_code: str
    history: pd.DataFrame
    until: int
    settings: ForecastSettings
    scenarios: tuple[Scenario, ...] = ()
    drivers: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    dropped: int = 0

    @functools.cached_property
    def key(self) -> str:
        """The cache key of the whole result."""
        return request_key(self.area_code, self.history, self.until, self.settings, self.scenarios,
                           self.drivers, self.dropped)


@dataclass(frozen=True, eq=False)
class SeriesPlan:
    """What every part of one area's forecast starts from."""

    request: SeriesRequest
    clean: pd.DataFrame
    settings: ForecastSettings
    grain: Grain
    periods: tuple[str, ...]
    digest: str
    names: tuple[str, ...]
    codes: tuple[str, ...]  # `clean`'s periods and values (float64) as checked: every fold, band
    values: np.ndarray  # and cache key works on these, never reading them back out of the frame

    def __getstate__(self) -> dict[str, Any]:
        """The fields only, read key by key: a process pool's feeder thread pickles a plan while
        this thread may be filling its cached properties (a worker recomputes what it needs)."""
        return {f.name: self.__dict__[f.name] for f in dataclasses.fields(self)}

    @property
    def area_code(self) -> str:
        return self.request.area_code

    @property
    def last_period(self) -> str:
        return self.codes[-1]

    @functools.cached_property
    def axis(self) -> np.ndarray:
        """The history's periods as ordinals (each backtest fold needs them)."""
        return np.array([period_ordinal(p) for p in self.codes], dtype="int64")

    @functools.cached_property
    def actuals(self) -> tuple[float, ...]:
        """The history's values as floats (each backtest fold scores against them)."""
        return tuple(self.values.tolist())

    @property
    def horizon(self) -> int:
        """How many periods ahead the backtest scores (its years on this grain's axis)."""
        return self.settings.backtest_years * PERIODS_PER_YEAR[self.grain]

    @property
    def min_train(self) -> int:
        return max(self.settings.min_train, 2 * PERIODS_PER_YEAR[self.grain])

    @property
    def fold_sizes(self) -> list[int]:
        return fold_sizes(len(self.clean), self.settings.backtest_folds, self.min_train)

    @functools.cached_property
    def backtest_settings(self) -> ForecastSettings:
        """Backtest fits skip Prophet's sampling: the band comes from the backtest's own errors."""
        return dataclasses.replace(self.settings, uncertainty_samples=0)

    @functools.cached_property
    def forecasts_key(self) -> tuple[Any, ...]:
        return ("forecasts", self.digest, repr(self.settings), self.periods)

    @functools.cached_property
    def backtest_key(self) -> tuple[Any, ...]:
        return ("backtest", self.digest, repr(self.backtest_settings))

    def predictor(self, *, for_backtest: bool) -> Predictor:
        """The models of this plan as a backtest predictor."""
        settings = self.backtest_settings if for_backtest else self.settings
        return functools.partial(predict_models, settings=settings, names=self.names,
                                 context=f"area {self.area_code}: ")


def range_for_values(bounds: tuple[float, float] | None, values: pd.Series | np.ndarray) -> tuple[float, float] | None:
    """The metric's range, loosened on the side a published value lies outside of (a share
    above 100 % is not a share; the forecast does not pretend it is)."""
    array = np.asarray(values, dtype="float64")
    if bounds is None or not len(array):
        return bounds
    floor, cap = bounds
    if (array < floor).any():
        floor = -math.inf
    if (array > cap).any():
        cap = math.inf
    if math.isinf(floor) and math.isinf(cap):
        return None
    return (floor, cap)


def plan_series(request: SeriesRequest, *, log: bool = True) -> SeriesPlan:
    """Check the history and fix what the forecast of this area starts from."""
    # `prepare_history` in two steps, so the periods and values that every fold, band and cache
    # key works on are kept as they were checked instead of being read back out of the frame
    checked, values = history_arrays(request.history, name=f"area {request.area_code}")
    if len(checked) < MIN_POINTS:
        raise NotEnoughDataError(
            f"area {request.area_code}: {len(checked)} published values, at least {MIN_POINTS} needed for a forecast")
    clean, codes = history_frame(checked, values), tuple(checked)
    settings = request.settings
    bounds = range_for_values(settings.bounds, values)
    if bounds != settings.bounds:
        if log:
            logger.info("area %s: values outside %s, range loosened to %s", request.area_code, settings.bounds, bounds)
        settings = dataclasses.replace(settings, bounds=bounds)
    grain = grain_of(codes)
    periods = tuple(future_periods(codes[-1], request.until))
    return SeriesPlan(request, clean, settings, grain, periods, values_digest(codes, values),
                      model_names(settings, grain), codes, values)
