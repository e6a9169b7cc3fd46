"""The forecast models' measured accuracy over many series: one summary the transparency page shows.

Every forecast already carries its own backtest (rolling origin) and the measured coverage of its
calibrated band; this module runs that same product path (`forecast_many`, disclosure-controlled
published histories) for a set of areas x approved metrics and sums it up per model:

- **relative MAE**: each series' backtest MAE divided by the naive forecast's ("same as last
  year") on the same folds, then the *geometric mean* over series (a ratio's natural average: a
  model twice as good on one series and twice as bad on another averages to 1). Below 1 = better
  than naive. Series where either MAE is 0 are left out of the ratio (counted in `ratio_series`);
- **coverage**: held-out values inside the calibrated nominal-80 % band (`hits`/`checked`, the
  honest nested check of `calibration.coverage_check`) added over series;
- the model's own interval scored on the same backtest, the median MAPE and folds, and on how
  many series the model is the one drawn (what `benchmarks/bench_forecasting.py` prints).

`measure_accuracy(engine, catalog, areas)` reads, forecasts and sums up; `summarise(results)`
is the pure part, tested on hand-built series. The summary is plain data with `to_dict` /
`from_dict`, so `forecasting.accuracy_store` keeps it in the warehouse as JSON.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from forecasting.base import ForecastSettings, period_year
from forecasting.cache import clear_cache
from forecasting.metric_adapter import published_history, settings_for_metric
from forecasting.pool import ExecutorKind
from forecasting.results import SeriesForecast
from forecasting.horizon import default_until
from forecasting.planning import MIN_POINTS
from forecasting.service import forecast_many


Histories = dict[str, dict[str, pd.DataFrame]]  # metric -> area -> published history
Results = Mapping[str, Mapping[str, SeriesForecast]]  # metric -> area -> forecast


@dataclass(frozen=True)
class ModelAccuracy:
    """One model's backtest over every series it could be scored on."""

    model: str
    series: int  # series with at least one backtest fold
    relative_mae: float | None  # geometric mean over series of MAE / naive's MAE
    ratio_series: int  # series in that mean (both MAEs above 0)
    hits: int  # held-out values inside the calibrated band
    checked: int  # held-out values checked
    own_hits: int = 0  # the same for the model's own interval (where it gives one)
    own_checked: int = 0
    median_mape: float | None = None
    median_folds: int = 0
    shown: int = 0  # series where this model is the one drawn

    @property
    def coverage(self) -> float | None:
        return self.hits / self.checked if self.checked else None


@dataclass(frozen=True)
class AccuracySummary:
    """The measured accuracy of every model, and what it was measured on."""

    measured_at: datetime
    areas: tuple[str, ...]
    metrics: tuple[str, ...]
    series: int  # series with a backtest
    newest_year: int | None  # the newest year in the data measured
    data_batch: int | None  # the newest load batch of the warehouse at the time
    interval: float  # the nominal coverage of the band (0.8)
    models: tuple[ModelAccuracy, ...]

    def get(self, model: str) -> ModelAccuracy | None:
        return next((m for m in self.models if m.model == model), None)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["measured_at"] = self.measured_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AccuracySummary:
        measured = datetime.fromisoformat(str(data["measured_at"]))
        return cls(
            measured_at=measured if measured.tzinfo else measured.replace(tzinfo=UTC),
            areas=tuple(data["areas"]), metrics=tuple(data["metrics"]), series=int(data["series"]),
            newest_year=data.get("newest_year"), data_batch=data.get("data_batch"),
            interval=float(data["interval"]), models=tuple(ModelAccuracy(**m) for m in data["models"]),
        )


def _own_inside(result: SeriesForecast, model: str) -> tuple[int, int]:
    own = [e for e in result.backtest.errors_of(model) if e.lower is not None and e.upper is not None]
    return sum(1 for e in own if e.lower <= e.actual <= e.upper), len(own)


def model_accuracy(model: str, results: Sequence[SeriesForecast]) -> ModelAccuracy:
    """`model`'s backtest summed up over `results` (series without a fold for it are skipped)."""
    ratios, mapes, folds, hits, checked, own_hits, own_checked, shown = [], [], [], 0, 0, 0, 0, 0
    for r in results:
        m = r.get_model(model)
        if r.backtest is None or m is None or m.score is None or not m.score.folds:
            continue
        folds.append(m.score.folds)
        naive = r.backtest.score("naive")
        if naive is not None and naive.folds and naive.mae > 0 and m.score.mae > 0:
            ratios.append(m.score.mae / naive.mae)
        if m.score.mape is not None:
            mapes.append(m.score.mape)
        if m.calibration is not None:
            hits, checked = hits + m.calibration.hits, checked + m.calibration.checked
        oi, on = _own_inside(r, model)
        own_hits, own_checked = own_hits + oi, own_checked + on
        shown += r.model == model
    return ModelAccuracy(
        model=model, series=len(folds),
        relative_mae=float(np.exp(np.mean(np.log(ratios)))) if ratios else None, ratio_series=len(ratios),
        hits=hits, checked=checked, own_hits=own_hits, own_checked=own_checked,
        median_mape=float(statistics.median(mapes)) if mapes else None,
        median_folds=int(statistics.median(folds)) if folds else 0, shown=shown,
    )


def summarise(results: Results, models: Sequence[str], *, areas: Sequence[str] = (), data_batch: int | None = None,
              interval: float | None = None, measured_at: datetime | None = None) -> AccuracySummary:
    """The summary of forecast `results` (metric -> area -> forecast) for `models`."""
    flat = [r for by_area in results.values() for r in by_area.values() if r.backtest is not None]
    years = [period_year(str(r.history["period"].iloc[-1])) for r in flat if len(r.history)]
    return AccuracySummary(
        measured_at=measured_at or datetime.now(UTC), areas=tuple(areas),
        metrics=tuple(m for m, by_area in results.items() if by_area), series=len(flat),
        newest_year=max(years) if years else None, data_batch=data_batch,
        interval=interval if interval is not None else ForecastSettings().interval_width,
        models=tuple(model_accuracy(m, flat) for m in models),
    )


def load_histories(engine: Engine, catalog: Any, areas: Sequence[str],
                   metric_ids: Sequence[str] | None = None) -> Histories:
    """Published (disclosure-controlled) histories of approved metrics for `areas`, as the page gets them."""
    from metrics.model import Selection
    from metrics.service import query_metric

    wanted = set(metric_ids) if metric_ids else None
    out: Histories = {}
    for metric in sorted(catalog.approved(), key=lambda m: m.id):
        if wanted is not None and metric.id not in wanted:
            continue
        frame = query_metric(engine, catalog, metric.id, Selection(areas=tuple(areas)))
        histories, _ = published_history(frame, metric.min_count)
        usable = {a: h for a, h in histories.items() if len(h) >= MIN_POINTS}  # as few as the page forecasts
        if usable:
            out[metric.id] = usable
    return out


def until_year(histories: Mapping[str, pd.DataFrame]) -> int:
    """The forecast horizon of a metric's histories: the page's default horizon past its newest value."""
    return default_until(max(period_year(str(h["period"].iloc[-1])) for h in histories.values()))


def run_backtests(histories: Histories, catalog: Any, settings: ForecastSettings | None = None,
                  executor: ExecutorKind = "process") -> dict[str, dict[str, SeriesForecast]]:
    """Every metric's histories through the product (cold cache): forecasts with their backtests."""
    clear_cache()
    results: dict[str, dict[str, SeriesForecast]] = {}
    for metric_id, by_area in histories.items():
        metric_settings = settings_for_metric(catalog.get(metric_id), settings or ForecastSettings())
        results[metric_id], _ = forecast_many(by_area, until_year(by_area), metric_settings, executor=executor)
    return results


def newest_batch(engine: Engine) -> int | None:
    """The warehouse's newest load batch: which data version a summary was measured on."""
    from metrics.service import load_batches

    return newest_of(load_batches(engine))


def newest_of(batches: pd.DataFrame) -> int | None:
    """The newest batch id of a `metrics.service.load_batches` frame (None when it is empty)."""
    ids = batches["batch_id"]
    return int(ids.max()) if len(ids) and not math.isnan(float(ids.max())) else None


def measure_accuracy(engine: Engine, catalog: Any, areas: Sequence[str], metric_ids: Sequence[str] | None = None,
                     settings: ForecastSettings | None = None, executor: ExecutorKind = "process") -> AccuracySummary:
    """Backtest every approved metric (or `metric_ids`) for `areas` and sum it up per model."""
    settings = settings or ForecastSettings()
    results = run_backtests(load_histories(engine, catalog, areas, metric_ids), catalog, settings, executor)
    return summarise(results, settings.models, areas=areas, data_batch=newest_batch(engine),
                     interval=settings.interval_width)
