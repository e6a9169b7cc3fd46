"""Baselines every forecast is judged against: naive (last value), drift, seasonal naive.

They need no library and fit in microseconds. A model that cannot beat "same as last year" on a
rolling-origin backtest is not worth showing as if it knew better, so these always run.
Intervals follow the textbook normal approximations (Hyndman & Athanasopoulos, *Forecasting:
Principles and Practice*, 5.5): the residual standard deviation widened with the horizon.
Horizons are counted on the period axis (`base.period_ordinal`), so a gap of a suppressed year
counts as a step.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecasting.base import (
    PERIODS_PER_YEAR,
    ForecastSettings,
    NotEnoughDataError,
    grain_of,
    make_forecast,
    ordinals,
    period_ordinal,
    prepare_history,
)

logger = logging.getLogger(__name__)


class _Baseline:
    """Shared fit: keep the history on its ordinal axis."""

    name = "baseline"

    def __init__(self, settings: ForecastSettings | None = None) -> None:
        self.settings = settings or ForecastSettings()
        self._x: np.ndarray | None = None
        self._y: np.ndarray | None = None

    def fit(self, history: pd.DataFrame) -> _Baseline:
        history = prepare_history(history)
        if len(history) < 2:
            raise NotEnoughDataError(f"{self.name}: needs at least 2 observed periods, got {len(history)}")
        self._x = ordinals(history).astype("float64")
        self._y = history["value"].to_numpy(dtype="float64")
        self._grain = grain_of(history["period"].tolist())
        return self

    def _xy(self) -> tuple[np.ndarray, np.ndarray]:
        if self._x is None or self._y is None:
            raise RuntimeError(f"{self.name}: predict() called before fit()")
        return self._x, self._y

    def _steps(self, periods: Sequence[str]) -> np.ndarray:
        x, _ = self._xy()
        return np.array([period_ordinal(p) for p in periods], dtype="float64") - x[-1]


class NaiveForecaster(_Baseline):
    """Every future period equals the last observed value ("same as last year")."""

    name = "naive"

    def predict(self, periods: Sequence[str]) -> pd.DataFrame:
        x, y = self._xy()
        h = self._steps(periods)
        gaps = np.diff(x)
        residuals = np.diff(y) / np.sqrt(gaps)
        sigma = float(np.sqrt(np.mean(residuals**2))) if len(residuals) else 0.0
        yhat = np.full(len(h), y[-1])
        half = self.settings.z * sigma * np.sqrt(np.maximum(h, 0))
        return make_forecast(list(periods), yhat, yhat - half, yhat + half, self.name)


class DriftForecaster(_Baseline):
    """The line from the first to the last observation, extended ("the average change goes on")."""

    name = "drift"

    @property
    def slope(self) -> float:
        """The average change per period between the first and the last observation."""
        x, y = self._xy()
        return float((y[-1] - y[0]) / (x[-1] - x[0]))

    def predict(self, periods: Sequence[str]) -> pd.DataFrame:
        x, y = self._xy()
        h = self._steps(periods)
        slope = self.slope
        gaps = np.diff(x)
        residuals = (np.diff(y) - slope * gaps) / np.sqrt(gaps)
        dof = len(residuals) - 1
        sigma = float(np.sqrt(np.sum(residuals**2) / dof)) if dof > 0 else 0.0
        span = x[-1] - x[0]
        yhat = y[-1] + slope * h
        hp = np.maximum(h, 0)
        half = self.settings.z * sigma * np.sqrt(hp * (1 + hp / span))
        return make_forecast(list(periods), yhat, yhat - half, yhat + half, self.name)


class SeasonalNaiveForecaster(_Baseline):
    """Each month (quarter) equals the same month a year earlier; plain naive for yearly data."""

    name = "seasonal_naive"

    def predict(self, periods: Sequence[str]) -> pd.DataFrame:
        x, y = self._xy()
        m = PERIODS_PER_YEAR[self._grain]
        if m == 1:
            frame = NaiveForecaster(self.settings).fit(
                pd.DataFrame({"period": [str(int(v)) for v in x], "value": y})).predict(periods)
            frame["model"] = self.name
            return frame
        by_ordinal = dict(zip(x.astype("int64").tolist(), y.tolist(), strict=True))
        seasonal_diffs = [y_ - by_ordinal[o - m] for o, y_ in by_ordinal.items() if o - m in by_ordinal]
        sigma = float(np.sqrt(np.mean(np.square(seasonal_diffs)))) if seasonal_diffs else 0.0
        yhat, half = [], []
        last = int(x[-1])
        for p in periods:
            o = period_ordinal(p)
            k = max(1, math.ceil((o - last) / m))
            value = by_ordinal.get(o - k * m, y[-1])
            yhat.append(value)
            half.append(self.settings.z * sigma * math.sqrt(k))
        yh = np.array(yhat)
        hf = np.array(half)
        return make_forecast(list(periods), yh, yh - hf, yh + hf, self.name)
