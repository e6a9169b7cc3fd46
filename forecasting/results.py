"""What a forecast returns: per model its forecast, calibrated interval, coverage and backtest errors.

`SeriesForecast.to_dict()` is one area in the JSON of `kuntamittari forecast --json`;
`MetricForecast.to_frame()` is the CSV the page offers for download; both carry, for every
model, the forecast with its calibrated interval, the measured coverage, the backtest errors and
the number of folds. Frames are shared with the cache: never mutate them.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecasting.backtest import BacktestResult, ModelScore
from forecasting.base import ForecastSettings, clip_to_bounds
from forecasting.calibration import Calibration
from forecasting.choice import Recommendation

logger = logging.getLogger(__name__)

CSV_COLUMNS: tuple[str, ...] = ("area", "kind", "model", "period", "value", "lower", "upper", "recommended",
                                "coverage_inside", "coverage_checked", "backtest_mae", "backtest_mape", "backtest_folds",
                                "status", "data_coverage")


def num(value: Any) -> float | None:
    """A JSON-ready number: rounded to 6 places, None for missing or infinite."""
    if value is None:
        return None
    number = float(value)
    return None if not np.isfinite(number) else round(number, 6)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Forecast rows as `{period, value, lower, upper}`."""
    return [
        {"period": str(r.period), "value": num(r.yhat), "lower": num(r.lower), "upper": num(r.upper)}
        for r in frame.itertuples(index=False)
    ]


@dataclass(frozen=True)
class ScenarioOutcome:
    """The facts of one scenario that the table and the explanation need."""

    key: str
    kind: str
    params: dict[str, Any]
    end_period: str | None
    end_value: float | None
    baseline_end_value: float | None
    required_change_per_year: float | None = None
    effect_per_unit: float | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.key, "kind": self.kind, "params": self.params, "end_period": self.end_period,
            "end_value": num(self.end_value), "baseline_end_value": num(self.baseline_end_value),
            "required_change_per_year": num(self.required_change_per_year),
            "effect_per_unit": num(self.effect_per_unit), "error": self.error,
        }


@dataclass(frozen=True)
class HistoryNote:
    """A history value that is not a plain figure: `partial` (computed from part of an area's
    members, used in the fit and marked) or `insufficient` (too little coverage: never fitted,
    never shown as the area's value). `coverage` is the share (0-1) of the aggregation weight."""

    period: str
    status: str
    coverage: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "status": self.status, "coverage": num(self.coverage)}


@dataclass(frozen=True)
class ModelForecast:
    """One model's forecast for one area: the shown band (calibrated when the backtest allows),
    the model's own band, and how the model did in the backtest."""

    name: str
    forecast: pd.DataFrame  # period, yhat, lower, upper, model: the band shown (clipped to the range)
    raw: pd.DataFrame  # the model's output as it came, own interval included (not clipped)
    bounds: tuple[float, float] | None  # the metric's range for this area
    calibration: Calibration | None  # None while the backtest is pending
    score: ModelScore | None

    @functools.cached_property
    def own(self) -> pd.DataFrame:
        """The model's own interval, clipped to the metric's range (built when first asked for)."""
        return clip_to_bounds(self.raw, self.bounds)

    def to_dict(self) -> dict[str, Any]:
        return {
            "forecast": records(self.forecast),
            "own_interval": [{"period": r["period"], "lower": r["lower"], "upper": r["upper"]} for r in records(self.own)],
            "interval": None if self.calibration is None else self.calibration.to_dict(),
            "backtest": None if self.score is None else self.score.to_dict(),
        }


@dataclass(frozen=True)
class SeriesForecast:
    """Everything shown for one area. `backtest` is None while it is still being computed (the
    page's first draw): the bands are then the models' own, unchecked."""

    area_code: str
    history: pd.DataFrame  # period, value (published values only)
    models: tuple[ModelForecast, ...]
    backtest: BacktestResult | None
    recommendation: Recommendation
    scenarios: pd.DataFrame  # scenario, period, yhat, lower, upper
    outcomes: tuple[ScenarioOutcome, ...]
    settings: ForecastSettings
    dropped: int = 0  # values hidden by disclosure control (not used, not shown)
    gaps: tuple[str, ...] = ()  # periods missing inside the history
    breaks: tuple[str, ...] = ()  # periods with an unusually large jump from the previous one
    fit_seconds: dict[str, float] = field(default_factory=dict)
    notes: tuple[HistoryNote, ...] = ()  # partial values in the history, insufficient ones left out of it

    @property
    def partial(self) -> tuple[HistoryNote, ...]:
        """History values computed from part of the members (fitted, and marked wherever shown)."""
        return tuple(n for n in self.notes if n.status == "partial")

    @property
    def withheld(self) -> tuple[HistoryNote, ...]:
        """Periods whose value had too little coverage to be the area's figure: not in the history."""
        return tuple(n for n in self.notes if n.status == "insufficient")

    @property
    def model(self) -> str:
        """The model drawn on the chart (the recommendation's)."""
        return self.recommendation.shown

    @property
    def pending(self) -> bool:
        return self.backtest is None

    def get_model(self, name: str) -> ModelForecast | None:
        return next((m for m in self.models if m.name == name), None)

    @property
    def shown(self) -> ModelForecast:
        found = self.get_model(self.model)
        assert found is not None, f"shown model {self.model} has no forecast"
        return found

    @property
    def forecast(self) -> pd.DataFrame:
        """The shown model's forecast with its shown band."""
        return self.shown.forecast

    @property
    def last_period(self) -> str | None:
        return None if self.history.empty else str(self.history["period"].iloc[-1])

    @property
    def last_value(self) -> float | None:
        return None if self.history.empty else float(self.history["value"].iloc[-1])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: history, every model (forecast, interval, coverage, backtest), scenarios."""
        return {
            "area": self.area_code,
            "model": self.model,
            "recommendation": self.recommendation.to_dict(),
            "history": self._history_records(),
            "withheld": [n.to_dict() for n in self.withheld],
            "forecast": records(self.forecast),
            "models": {m.name: m.to_dict() for m in self.models},
            "backtest": [] if self.backtest is None else self.backtest.to_records(),
            "backtest_folds": 0 if self.backtest is None else self.backtest.n_folds,
            "backtest_years": self.settings.backtest_years,
            "scenarios": self.scenario_records(),
            "dropped_suppressed": self.dropped,
            "gaps": list(self.gaps),
            "breaks": list(self.breaks),
        }

    def _history_records(self) -> list[dict[str, Any]]:
        """The fitted history; a partial value carries its status and coverage."""
        partial = {n.period: n for n in self.partial}
        out = []
        for p, v in zip(self.history["period"], self.history["value"], strict=True):
            record: dict[str, Any] = {"period": p, "value": num(v)}
            if p in partial:
                record.update(status="partial", coverage=num(partial[p].coverage))
            out.append(record)
        return out

    def scenario_records(self) -> list[dict[str, Any]]:
        out = []
        for outcome in self.outcomes:
            rows = self.scenarios[self.scenarios["scenario"] == outcome.key]
            item = outcome.to_dict()
            item["values"] = records(rows)
            out.append(item)
        return out

    def to_frame(self) -> pd.DataFrame:
        """Long table: history, every model's forecast (with coverage and backtest errors), scenarios."""
        notes = {n.period: n for n in self.notes}
        history = pd.DataFrame({"area": self.area_code, "kind": "history", "model": "", "period": self.history["period"],
                                "value": self.history["value"]})
        withheld = pd.DataFrame({"area": self.area_code, "kind": "history", "model": "",
                                 "period": [n.period for n in self.withheld], "value": np.nan})
        history = pd.concat([h for h in (history, withheld) if not h.empty] or [history], ignore_index=True)
        history = history.sort_values("period", kind="stable", ignore_index=True)
        history["status"] = [notes[p].status if p in notes else "ok" for p in history["period"]]
        history["data_coverage"] = [notes[p].coverage if p in notes else None for p in history["period"]]
        parts = [history]
        for m in self.models:
            cal, score = m.calibration, m.score
            parts.append(pd.DataFrame({
                "area": self.area_code, "kind": "forecast", "model": m.name, "period": m.forecast["period"],
                "value": m.forecast["yhat"], "lower": m.forecast["lower"], "upper": m.forecast["upper"],
                "recommended": m.name == self.model,
                "coverage_inside": cal.hits if cal and cal.checked else None,
                "coverage_checked": cal.checked if cal and cal.checked else None,
                "backtest_mae": score.mae if score and score.folds else None,
                "backtest_mape": score.mape if score and score.folds else None,
                "backtest_folds": score.folds if score else 0,
            }))
        parts.append(pd.DataFrame({"area": self.area_code, "kind": "scenario", "model": self.scenarios["scenario"],
                                   "period": self.scenarios["period"], "value": self.scenarios["yhat"],
                                   "lower": self.scenarios["lower"], "upper": self.scenarios["upper"]}))
        parts = [p for p in parts if not p.empty]
        if not parts:
            return pd.DataFrame(columns=list(CSV_COLUMNS))
        return pd.concat(parts, ignore_index=True).reindex(columns=list(CSV_COLUMNS))


@dataclass(frozen=True)
class MetricForecast:
    """One metric's forecasts for several areas, plus what failed and why."""

    metric_id: str
    until: int
    areas: tuple[SeriesForecast, ...]
    failures: dict[str, str] = field(default_factory=dict)

    def get(self, area_code: str) -> SeriesForecast | None:
        return next((a for a in self.areas if a.area_code == area_code), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric_id,
            "until": self.until,
            "areas": {a.area_code: a.to_dict() for a in self.areas},
            "failures": dict(self.failures),
        }

    def to_frame(self) -> pd.DataFrame:
        """Long table for CSV (`CSV_COLUMNS`): per area its history, models and scenarios."""
        frames = [a.to_frame() for a in self.areas]
        frames = [f for f in frames if not f.empty]
        if not frames:
            return pd.DataFrame(columns=list(CSV_COLUMNS))
        return pd.concat(frames, ignore_index=True)
