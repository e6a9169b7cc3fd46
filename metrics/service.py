"""Run metrics against the database and shape the answers pages display: the metric layer's entry points.

The engine is passed in explicitly and results are not cached here (the ui layer caches; only the
small area dimension is memoised, see `metrics.areas`). How values are fetched and aggregated is
`metrics.evaluate`. What is said about the values (trends, comparisons, words) is the
readout's (`readout/`), above this layer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timezone

import pandas as pd
from sqlalchemy import Engine, case, func, select

from datamodel.areas import normalise_area_code
from datamodel.schema import load_batch, series, series_coverage
from kuntamittari.settings import LANGUAGES
from metrics.areas import (
    MUNICIPALITY,
    _area_context,
    _area_rows,
    _comparison_target,
    _resolve,
    comparison_areas,
    list_areas,
    official_name,
)
from metrics.catalog import Catalog
from metrics.evaluate import RESULT_COLUMNS, _frame, _query_values, leaf_metrics
from metrics.model import AnyMetric, CodeList, Selection

logger = logging.getLogger(__name__)

__all__ = [
    "RESULT_COLUMNS", "comparison_areas", "comparison_target", "data_quality", "data_status", "default_comparison",
    "leaf_metrics", "list_areas", "list_series", "load_batches", "metric_provenance", "metric_values_all_municipalities",
    "normalise_area_code", "query_metric", "query_metrics",
]

def query_metric(engine: Engine, catalog: Catalog, metric_id: str, selection: Selection) -> pd.DataFrame:
    """Tidy values of one metric for the selection's areas (aggregates computed and labelled)."""
    metric = catalog.get(metric_id)
    with engine.connect() as conn:
        context = _area_context(conn)
        targets = _resolve(selection.areas, context.rows)
        if not targets:
            return pd.DataFrame(columns=RESULT_COLUMNS)
        values = _query_values(conn, catalog, [metric], targets, selection, context)[metric.id]
    return _frame(metric, values, targets, selection)


def query_metrics(engine: Engine, catalog: Catalog, metric_ids: Sequence[str], selection: Selection) -> dict[str, pd.DataFrame]:
    """Tidy values of several metrics for the same selection, fetched together in a few statements
    (one per weight series and population group): what `query_metric` gives for each, at the
    cost of one call. Unknown ids raise `MetricNotFound`."""
    metrics = [catalog.get(metric_id) for metric_id in dict.fromkeys(metric_ids)]
    with engine.connect() as conn:
        context = _area_context(conn)
        targets = _resolve(selection.areas, context.rows)
        if not targets or not metrics:
            return {m.id: pd.DataFrame(columns=RESULT_COLUMNS) for m in metrics}
        values = _query_values(conn, catalog, metrics, targets, selection, context)
    return {m.id: _frame(m, values[m.id], targets, selection) for m in metrics}


def comparison_target(engine: Engine, area_code: str, compare_with: str) -> str | None:
    """The one code an area is compared with for a comparison kind: 'region' -> 'MK17', 'county'
    -> 'HVA19', 'finland' -> 'SSS', 'pilot' -> 'pilot', 'similar' -> 'similar:208', a single
    area code -> itself; None when there is none (a municipality without a county)."""
    with engine.connect() as conn:
        return _comparison_target(_area_rows(conn), area_code, compare_with)


def metric_values_all_municipalities(engine: Engine, catalog: Catalog, metric_id: str, period: str | None = None) -> pd.DataFrame:
    """Every municipality's value for one period (the latest with data when None): rankings and maps."""
    metric = catalog.get(metric_id)
    with engine.connect() as conn:
        context = _area_context(conn)
        rows = context.rows
        codes = sorted({r["code"] for r in rows if r["area_type"] == MUNICIPALITY})
        targets = _resolve(codes, rows)
        selection = Selection(areas=tuple(codes), periods=(period,) if period else None)
        values = _query_values(conn, catalog, [metric], targets, selection, context)[metric.id]
    if period is None:
        with_value = [(rec.year, key[1]) for key, rec in values.items() if rec.value is not None]
        if with_value:
            latest = max(with_value)[1]
            values = {k: v for k, v in values.items() if k[1] == latest}
    return _frame(metric, values, targets, selection)


# ---------------------------------------------------------------------------------------------
# Metadata


def _all_series_codes(metric: AnyMetric, catalog: Catalog) -> list[str]:
    codes: list[str] = []
    for leaf in leaf_metrics(metric, catalog):
        for code in leaf.input_series():
            if code not in codes:
                codes.append(code)
    return codes


def metric_years(engine: Engine, catalog: Catalog, metric_id: str) -> tuple[int, ...]:
    """Years in which every series the metric is computed from has data, newest first (the span
    `series_coverage` records; a year inside it may still lack a value for some area). Empty when
    a series has no data at all. For choosing a base year (the authoring page's "change since")."""
    codes = _all_series_codes(catalog.get(metric_id), catalog)
    if not codes:
        return ()
    stmt = (
        select(series.c.code, series_coverage.c.first_year, series_coverage.c.last_year)
        .select_from(series_coverage.join(series, series.c.series_id == series_coverage.c.series_id))
        .where(series.c.code.in_(codes))
    )
    with engine.connect() as conn:
        spans = {r.code: (r.first_year, r.last_year) for r in conn.execute(stmt)}
    if set(spans) != set(codes) or any(a is None or b is None for a, b in spans.values()):
        return ()
    first, last = max(a for a, _b in spans.values()), min(b for _a, b in spans.values())
    return tuple(range(last, first - 1, -1))


PROVENANCE_COLUMNS = [
    "series_code", "title_fi", "title_sv", "title_en", "source", "licence", "attribution", "source_url",
    "is_synthetic", "batch_id", "loaded_at", "fetched_at", "location", "source_name", "uploaded_by", "uploaded_at",
]


def metric_provenance(engine: Engine, catalog: Catalog, metric_id: str) -> pd.DataFrame:
    """Per series behind the metric: titles, source, licence, attribution and its latest load.

    The latest load is `series_coverage.last_batch_id` (max batch over the series' facts, kept by
    the loaders), so this reads O(series) rows instead of aggregating the fact table.

    Each series carries its own provenance, so a page shows the right one per series instead of
    one footer for all: `source_name` (the publisher in words; for an own upload as the uploader
    gave it), `licence`, `attribution`; `fetched_at` is the retrieval date from the source (empty
    for an upload, so an upload never moves another source's date); for an upload `uploaded_at`
    (= the batch's `loaded_at`) and `uploaded_by`.
    """
    metric = catalog.get(metric_id)
    codes = _all_series_codes(metric, catalog)
    cov = series_coverage
    stmt = (
        select(
            series.c.code.label("series_code"), series.c.title_fi, series.c.title_sv, series.c.title_en,
            series.c.source, series.c.licence, series.c.attribution, series.c.source_url,
            series.c.is_synthetic, cov.c.last_batch_id.label("batch_id"), load_batch.c.loaded_at,
            load_batch.c.fetched_at, load_batch.c.location,
            func.coalesce(series.c.source_name, load_batch.c.source_name).label("source_name"),
            load_batch.c.uploaded_by, case((series.c.source == "own", load_batch.c.loaded_at)).label("uploaded_at"),
        )
        .select_from(series.outerjoin(cov, cov.c.series_id == series.c.series_id).outerjoin(load_batch, load_batch.c.batch_id == cov.c.last_batch_id))
        .where(series.c.code.in_(codes))
    )
    with engine.connect() as conn:
        df = pd.DataFrame(conn.execute(stmt).mappings().all())
    if df.empty:
        df = pd.DataFrame(columns=PROVENANCE_COLUMNS)
    df.insert(0, "metric_id", metric.id)
    df["series_code"] = pd.Categorical(df["series_code"], categories=codes, ordered=True)
    df = df.sort_values("series_code")
    df["series_code"] = df["series_code"].astype(str)
    missing = [c for c in codes if c not in set(df["series_code"])]
    if missing:
        extra = pd.DataFrame({"metric_id": metric.id, "series_code": missing})
        df = pd.concat([df, extra], ignore_index=True)
    return df.reset_index(drop=True)



def list_series(engine: Engine, search: str | None = None) -> pd.DataFrame:
    """Series for the authoring page's picker; `search` matches code or title (any language)."""
    stmt = select(
        series.c.code, series.c.title_fi, series.c.title_sv, series.c.title_en, series.c.source,
        series.c.unit, series.c.is_count, series.c.category, series.c.licence, series.c.is_synthetic,
    ).order_by(series.c.source, series.c.series_id)
    if search:
        like = f"%{search.strip().lower()}%"
        stmt = stmt.where(
            func.lower(series.c.code).like(like)
            | func.lower(series.c.title_fi).like(like)
            | func.lower(func.coalesce(series.c.title_sv, "")).like(like)
            | func.lower(func.coalesce(series.c.title_en, "")).like(like)
        )
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    return pd.DataFrame(rows, columns=["code", "title_fi", "title_sv", "title_en", "source", "unit", "is_count", "category", "licence", "is_synthetic"])


def load_batches(engine: Engine) -> pd.DataFrame:
    """Every load batch, newest first (provenance page)."""
    cols = [c.name for c in load_batch.columns]
    with engine.connect() as conn:
        rows = conn.execute(select(load_batch).order_by(load_batch.c.batch_id.desc())).all()
    return pd.DataFrame(rows, columns=cols)


def data_status(engine: Engine, catalog: Catalog) -> pd.DataFrame:
    """Per metric: latest period with data for any of its series, whether that is stale, missing series.

    Per series: latest year and greatest period code among facts with a value, read from
    `series_coverage` (kept by the loaders) rather than aggregated over the fact table.
    """
    latest = (
        select(series.c.code, series_coverage.c.last_year.label("year"), series_coverage.c.last_period.label("period"))
        .select_from(series_coverage.join(series, series.c.series_id == series_coverage.c.series_id))
        .where(series_coverage.c.last_year.is_not(None))
    )
    with engine.connect() as conn:
        known = {r.code: r for r in conn.execute(latest)}
        all_codes = set(conn.execute(select(series.c.code)).scalars())
    this_year = datetime.now(timezone.utc).year
    rows = []
    for metric in sorted(catalog.metrics.values(), key=lambda m: m.id):
        codes = _all_series_codes(metric, catalog)
        missing = [c for c in codes if c not in all_codes]
        years = [known[c].year for c in codes if c in known]
        periods = [known[c].period for c in codes if c in known]
        latest_year = min(years) if years and len(years) == len(codes) else None
        rows.append({
            "metric_id": metric.id,
            "status": metric.status.value,
            "latest_period": min(periods) if latest_year is not None else None,
            "latest_year": latest_year,
            "stale": latest_year is None or latest_year < this_year - 2,
            "missing_series": tuple(missing),
            "series": tuple(codes),
        })
    return pd.DataFrame(rows, columns=["metric_id", "status", "latest_period", "latest_year", "stale", "missing_series", "series"])


def data_quality(engine: Engine, catalog: Catalog | None = None) -> pd.DataFrame:
    """What the data status page lists about the trustworthiness of the data, newest load first:
    implausible zeros stored as missing, municipalities merged / revised / with a break in series
    after a release on newer borders (`datamodel.quality.quality_notes`), and with a catalogue,
    metrics whose series sit on different municipal divisions (kind 'division_mix': their values
    leave out the areas whose borders differ, up to the merger years).

    Columns: `kind, batch_id, loaded_at, series_code, area_codes, periods, count, detail`,
    `metric_id` (division_mix only) and `area_names_fi/_sv/_en` (tuples in `area_codes` order).
    """
    from datamodel.quality import NOTE_COLUMNS, quality_notes

    notes = quality_notes(engine)
    rows = []
    with engine.connect() as conn:
        context = _area_context(conn)
    if catalog is not None:
        for metric in sorted(catalog.metrics.values(), key=lambda m: m.id):
            codes = _all_series_codes(metric, catalog)
            divisions = {c: context.division_of(c) for c in codes}
            if len(set(divisions.values())) < 2:
                continue
            newest = max(divisions.values())
            older = sorted(c for c, d in divisions.items() if d < newest)
            affected = sorted({m.successor for m in context.merges if min(divisions.values()) <= m.last_year < newest})
            rows.append({"metric_id": metric.id, "kind": "division_mix", "batch_id": None, "loaded_at": None, "series_code": ", ".join(older),
                         "area_codes": tuple(affected), "periods": (), "count": len(affected),
                         "detail": f"{metric.id}: series on divisions {sorted(set(divisions.values()))}"})
    notes = notes.assign(metric_id=None)
    if rows:
        extra = pd.DataFrame(rows, columns=[*NOTE_COLUMNS, "metric_id"])
        notes = pd.concat([notes, extra], ignore_index=True) if not notes.empty else extra
    names = {str(r["code"]): r for r in context.rows}
    for lang in LANGUAGES:
        notes[f"area_names_{lang}"] = [
            tuple(official_name(names[c], lang) if c in names else c for c in codes)
            for codes in notes["area_codes"]
        ]
    return notes.reset_index(drop=True)


def default_comparison(metric: AnyMetric) -> str:
    """The metric's first `compare_with` entry as the string `metric_card` takes ('region', '244,425')."""
    if not metric.compare_with:
        return "region"
    first = metric.compare_with[0]
    if isinstance(first, CodeList):
        return ",".join(first.codes)
    return first.value
