"""Which series a refresh fetches, and what the warehouse already knows about each of them.

Every series read by an approved or draft metric (through derived metrics too) is refreshed,
grouped by source; own data (`own:`) and synthetic series have no remote source.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from datamodel.schema import refresh_series_state, series, series_coverage
from metrics.catalog import Catalog
from metrics.model import MetricStatus
from metrics.service import leaf_metrics

REMOTE_SOURCES = ("sotkanet", "statfin")


def catalogue_series(catalog: Catalog) -> dict[str, list[str]]:
    """Source -> sorted series codes used by approved and draft metrics."""
    codes: set[str] = set()
    for metric in catalog.metrics.values():
        if metric.status not in (MetricStatus.APPROVED, MetricStatus.DRAFT):
            continue
        for leaf in leaf_metrics(metric, catalog):
            codes.update(leaf.input_series())
    out: dict[str, list[str]] = {source: [] for source in REMOTE_SOURCES}
    for code in sorted(codes):
        source = code.split(":", 1)[0]
        if source in out:
            out[source].append(code)
    return out


@dataclass(frozen=True)
class Known:
    """The warehouse's view of one series: newest year with a value and the last source stamp."""

    last_year: int | None
    source_updated: str | None


def known_series(engine: Engine, codes: list[str]) -> dict[str, Known]:
    """`Known` per series code (codes the warehouse has never seen are absent)."""
    if not codes:
        return {}
    out: dict[str, Known] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(series.c.code, series_coverage.c.last_year)
            .select_from(series.join(series_coverage, series_coverage.c.series_id == series.c.series_id))
            .where(series.c.code.in_(codes))
        ).all()
        stamps = dict(conn.execute(
            select(refresh_series_state.c.series_code, refresh_series_state.c.source_updated)
            .where(refresh_series_state.c.series_code.in_(codes))
        ).all())
    for code, last_year in rows:
        out[code] = Known(last_year, stamps.get(code))
    for code, stamp in stamps.items():
        out.setdefault(code, Known(None, stamp))
    return out


def first_year(known: Known | None, revision_years: int) -> int | None:
    """The first year to fetch again: None (all) for a series without data."""
    if known is None or known.last_year is None:
        return None
    return known.last_year - revision_years
