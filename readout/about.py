"""The transparency page's content: what data the service uses, for what, and which rules touch it.

Generated, never hand-written, so it cannot go stale: the sources and their load dates come from
the warehouse's load batches and series, the metrics and what they are used for from the
catalogue, the thresholds from the settings and the code that applies them (disclosure control,
aggregation coverage, the readout's rules, the forecast models' defaults), and the models' measured
accuracy from the newest stored summary (`forecasting.accuracy_store`), None until one is stored. `build_about` makes a
language-independent model; `readout.about_words.about_text` words it in fi/sv/en, so the
Streamlit page and a static site render the same content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine

from forecasting.accuracy import AccuracySummary, newest_of
from forecasting.accuracy_store import load_summary
from forecasting.base import ForecastSettings
from kuntamittari.settings import get_settings
from metrics import service
from metrics.catalog import Catalog
from metrics.disclosure import DEFAULT_MIN_COUNT
from metrics.model import AnyMetric
from readout import rules
from readout.model import Texts, texts
from readout.sources import source_of_batch

#: How many series titles name what a source contains (the rest are counted).
EXAMPLE_TITLES = 4


@dataclass(frozen=True)
class SourceInfo:
    """One data source as the warehouse knows it."""

    key: str  # the loader's source code: sotkanet, statfin, own...
    name: str
    licence: str | None
    series: int
    titles: tuple[Texts, ...]  # a few series titles, per language
    metrics: tuple[str, ...]  # ids of the published metrics that use it
    first_year: int | None
    last_year: int | None
    last_loaded: datetime | None
    retrieved: datetime | None
    loads: int
    frequencies: tuple[str, ...]  # the catalogue's update frequencies of its metrics
    synthetic: bool = False


@dataclass(frozen=True)
class MetricUse:
    metric_id: str
    theme: str
    name: Texts
    use: Texts  # why it matters (else its description)
    sources: tuple[str, ...]
    min_count: int
    aggregation: str


@dataclass(frozen=True)
class AboutModel:
    """Everything the transparency page says, as data."""

    sources: tuple[SourceInfo, ...]
    metrics: tuple[MetricUse, ...]
    min_counts: tuple[int, ...]
    default_min_count: int
    min_coverage: float
    coverage_overrides: tuple[tuple[str, float], ...]
    weight_series: str
    trend_span: int
    trend_tolerance: float
    comparison_tolerance: float
    per_residents: int
    forecast_models: tuple[str, ...]
    forecast_interval: float
    backtest_folds: int
    refresh_interval_days: int
    maintainer: str
    owners: tuple[str, ...]
    feedback_url: str
    feedback_email: str
    forecast_accuracy: AccuracySummary | None = None  # the newest measured summary, None before one is stored
    data_batch: int | None = None  # the warehouse's newest load batch now (is the summary older than the data?)


def _aggregation(metric: AnyMetric) -> str:
    value = getattr(metric, "aggregation", None)
    return value.value if value is not None else metric.kind


def _metric_sources(metric: AnyMetric, status: pd.DataFrame, source_of: dict[str, str]) -> tuple[str, ...]:
    """The sources of a metric's series (`status`: `metrics.service.data_status` by metric id)."""
    codes = status.loc[metric.id, "series"] if metric.id in status.index else ()
    return tuple(sorted({source_of[c] for c in codes if c in source_of}))


def _source_rows(batches: pd.DataFrame, catalog: Catalog, metrics: Sequence[AnyMetric], series: pd.DataFrame,
                 status: pd.DataFrame, source_of: dict[str, str]) -> tuple[SourceInfo, ...]:
    uses: dict[str, set[str]] = {}
    for metric in metrics:
        for key in _metric_sources(metric, status, source_of):
            uses.setdefault(key, set()).add(metric.id)
    out = []
    for key, rows in batches.groupby("source", sort=False):
        latest = rows.sort_values("batch_id").iloc[-1].to_dict()
        source = source_of_batch(latest)
        own = series[series["source"].astype(str) == str(key)]
        used = sorted(uses.get(str(key), set()))
        years = [status.loc[m, "latest_year"] for m in used if pd.notna(status.loc[m, "latest_year"])]
        frequencies = sorted({catalog.get(m).update_frequency.value for m in used})
        titles = tuple(texts({"fi": r["title_fi"], "sv": r["title_sv"], "en": r["title_en"]})
                       for r in own.head(EXAMPLE_TITLES).to_dict("records"))
        out.append(SourceInfo(
            key=str(key), name=source.name, licence=source.licence, series=len(own), titles=titles, metrics=tuple(used),
            first_year=None, last_year=int(max(years)) if years else None,
            last_loaded=pd.to_datetime(rows["loaded_at"], utc=True).max().to_pydatetime(),
            retrieved=source.retrieved, loads=len(rows), frequencies=tuple(frequencies),
            synthetic=bool(rows.get("is_synthetic", pd.Series([False])).fillna(False).astype(bool).any()),
        ))
    return tuple(sorted(out, key=lambda s: (-len(s.metrics), s.name)))


def build_about(engine: Engine, catalog: Catalog) -> AboutModel:
    """The transparency page's model from the warehouse, the catalogue and the settings."""
    settings = get_settings()
    metrics = [m for ms in catalog.by_theme(include_drafts=False).values() for m in ms]
    # read once for both the sources' rows and the metrics' (each is a query over the warehouse)
    status = service.data_status(engine, catalog).set_index("metric_id")
    series = service.list_series(engine)
    source_of = dict(zip(series["code"].astype(str), series["source"].astype(str), strict=True))
    batches = service.load_batches(engine)  # the sources' rows and the data version of the accuracy summary
    uses = tuple(
        MetricUse(m.id, m.theme.value, texts(m.name.as_dict()), texts((m.why_it_matters or m.description).as_dict()),
                  _metric_sources(m, status, source_of), int(m.min_count), _aggregation(m))
        for m in metrics
    )
    forecast = ForecastSettings()
    return AboutModel(
        sources=_source_rows(batches, catalog, metrics, series, status, source_of), metrics=uses,
        min_counts=tuple(sorted({int(m.min_count) for m in metrics})), default_min_count=DEFAULT_MIN_COUNT,
        min_coverage=settings.min_coverage,
        coverage_overrides=tuple(sorted((m.id, float(m.min_coverage)) for m in metrics if m.min_coverage is not None)),
        weight_series=settings.coverage_weight_series, trend_span=rules.TREND_SPAN,
        trend_tolerance=rules.TREND_TOLERANCE, comparison_tolerance=rules.COMPARISON_TOLERANCE,
        per_residents=rules.PER_RESIDENTS, forecast_models=tuple(forecast.models),
        forecast_interval=forecast.interval_width, backtest_folds=forecast.backtest_folds,
        refresh_interval_days=settings.refresh_interval_days, maintainer=settings.catalogue_maintainer,
        owners=tuple(sorted({m.owner for m in metrics if m.owner})), feedback_url=settings.feedback_url,
        feedback_email=settings.feedback_email, forecast_accuracy=load_summary(engine), data_batch=newest_of(batches),
    )
