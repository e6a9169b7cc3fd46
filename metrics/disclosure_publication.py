"""The whole public publication's disclosure decisions, shared by every page that shows a part of it.

Each municipality's public page shows its own cells and its region's, county's and Finland's,
and any visitor can open every page. A region's total minus its other municipalities' values is
therefore an attack across pages, and a cell one page hides must be hidden on every page. So
the decisions are made once for the publication: every municipality and every public aggregate
(region, wellbeing services county, Finland), every period, the male/female parts of
municipalities, for the metrics that can be hidden at all (families of linked metrics holding a
count: a count series, a ratio's numerator, a series whose source gives numerators) and the
public series their denominators and weights come from. A page then runs `disclose_table` on
its own cells with these decisions in its `DisclosureContext`, which it follows.

Deciding costs a few seconds of queries on a full database, so the context is memoised per
database, catalogue and data version (the latest load batch and the area dimension): a new load
or a changed catalogue gives a new context on the next call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from datamodel.schema import fact, group, series
from metrics.areas import validity_year
from metrics.catalog import catalogue_key
from metrics.disclosure_forms import AreaHierarchy
from metrics.disclosure_links import families, is_count, metric_terms
from metrics.disclosure_table import DisclosureContext, decisions, disclose_table
from metrics.freshness import data_version
from metrics.model import AnyMetric, RatioMetric, Selection

logger = logging.getLogger(__name__)

MUNICIPALITY = "kunta"
COUNTRY = "SSS"
#: Code prefixes of the aggregates public pages show (regions, wellbeing services counties) and
#: the column of a municipality's row naming its aggregate.
PUBLIC_AGGREGATES: tuple[tuple[str, str], ...] = (("MK", "region_code"), ("HVA", "county_code"))
PARTS: tuple[str, ...] = ("male", "female")
_MEMO_SIZE = 4

_memo: dict[tuple, DisclosureContext] = {}
_lock = threading.Lock()


def area_hierarchy(areas: pd.DataFrame) -> AreaHierarchy:
    """Finland, regions and counties with their municipalities (validity years kept), from `list_areas`."""
    members: dict[str, list[tuple[str, int | None, int | None]]] = {}
    towns = areas[areas["area_type"] == MUNICIPALITY]
    for row in towns.itertuples(index=False):
        entry = (str(row.code), validity_year(row.valid_from), validity_year(row.valid_to))
        members.setdefault(COUNTRY, []).append(entry)
        for prefix, column in PUBLIC_AGGREGATES:
            code = getattr(row, column, None)
            if isinstance(code, str) and code.startswith(prefix):
                members.setdefault(code, []).append(entry)
    return AreaHierarchy({code: tuple(sorted(set(entries), key=str)) for code, entries in members.items()})


def _counted_series(engine: Engine) -> set[str]:
    """Series that are counts or whose source gives numerators: the ones primary suppression can hit."""
    with_numerators = select(fact.c.series_id).where(fact.c.numerator.is_not(None)).distinct()
    stmt = select(series.c.code).where(series.c.is_count.is_(True) | series.c.series_id.in_(with_numerators))
    with engine.connect() as conn:
        return set(conn.execute(stmt).scalars())


def publication_metrics(catalog: Any, counted: set[str]) -> list[AnyMetric]:
    """Approved metrics whose cells can be hidden (their whole family) and the plain series their forms divide by."""
    approved = {m.id: m for m in catalog.approved()}
    chosen: set[str] = set()
    for family in families(approved):
        for mid in family:
            metric = approved[mid]
            terms = metric_terms(metric, catalog.metrics) or {}
            hideable = metric.min_count > 0 and (
                is_count(metric) or isinstance(metric, RatioMetric) or any(k.series in counted for k in terms)
            )
            if hideable:
                chosen |= family
                break
    needed = {k.per for mid in chosen for k in (metric_terms(approved[mid], catalog.metrics) or {}) if k.per}
    needed |= {k.weight for mid in chosen for k in (metric_terms(approved[mid], catalog.metrics) or {}) if k.weight}
    for metric in approved.values():
        terms = metric_terms(metric, catalog.metrics) or {}
        if len(terms) == 1 and next(iter(terms)).series in needed and next(iter(terms)).per is None:
            chosen.add(metric.id)
    return [approved[mid] for mid in sorted(chosen)]


def publication_cells(engine: Engine, catalog: Any, metrics: Iterable[AnyMetric], areas: pd.DataFrame) -> pd.DataFrame:
    """Every public cell of `metrics`: all municipalities and public aggregates, totals and parts."""
    from metrics.errors import MetricsError
    from metrics.service import query_metric

    towns = tuple(sorted(set(areas.loc[areas["area_type"] == MUNICIPALITY, "code"].astype(str))))
    aggregates = tuple(sorted(
        code for code in set(areas["code"].astype(str))
        if code == COUNTRY or any(code.startswith(prefix) for prefix, _ in PUBLIC_AGGREGATES)
    ))
    with engine.connect() as conn:
        genders = set(conn.execute(select(group.c.gender).distinct()).scalars())
    frames: list[pd.DataFrame] = []
    for metric in metrics:
        try:
            frames.append(query_metric(engine, catalog, metric.id, Selection(areas=towns + aggregates)))
            if metric.filters.gender is None:
                for part in PARTS:
                    if part in genders:
                        frames.append(query_metric(engine, catalog, metric.id, Selection(areas=towns, gender=part)))
        except MetricsError as exc:
            logger.warning("disclosure: metric %s left out of the publication: %s", metric.id, exc)
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=["metric_id", "area_code", "period", "gender", "age_band", "value"])
    return pd.concat(frames, ignore_index=True)


def present_areas(cells: pd.DataFrame) -> dict[tuple[str, str, str, str], frozenset[str]]:
    """Per (metric, period, gender, age band): the areas with a value (an aggregate's computed members)."""
    shown = cells[pd.to_numeric(cells["value"], errors="coerce").notna()]
    grouped = shown.groupby(["metric_id", "period", "gender", "age_band"], sort=False)["area_code"]
    return {tuple(str(k) for k in key): frozenset(codes.astype(str)) for key, codes in grouped}  # type: ignore[misc]


def _data_version(engine: Engine) -> str:
    """The warehouse's data version (`metrics.freshness`): a new load or area edit is a new key."""
    return data_version(engine)


def build_publication_context(engine: Engine, catalog: Any) -> DisclosureContext:
    """Decide the publication's hidden cells now (no memo): see the module docstring."""
    from metrics.service import list_areas

    started = time.perf_counter()
    areas = list_areas(engine)
    hierarchy = area_hierarchy(areas)
    metrics = publication_metrics(catalog, _counted_series(engine))
    cells = publication_cells(engine, catalog, metrics, areas)
    if cells.empty:
        return DisclosureContext(hierarchy=hierarchy, pattern={}, present={})
    present = present_areas(cells)
    disclosed = disclose_table(cells, catalog, context=DisclosureContext(hierarchy=hierarchy, present=present))
    pattern = decisions(disclosed)
    logger.info("disclosure: publication of %d metrics, %d cells, %d hidden, %.2f s", len(metrics), len(cells),
                sum(d.suppressed for d in pattern.values()), time.perf_counter() - started)
    return DisclosureContext(hierarchy=hierarchy, pattern=pattern, present=present)


def publication_context(engine: Engine, catalog: Any) -> DisclosureContext:
    """The publication's context for `disclose_table`, memoised per database, catalogue and data version."""
    key = (engine.url.render_as_string(hide_password=True), catalogue_key(catalog, drafts=False), _data_version(engine))
    with _lock:
        hit = _memo.get(key)
        if hit is not None:
            return hit
        context = build_publication_context(engine, catalog)
        if len(_memo) >= _MEMO_SIZE:
            _memo.pop(next(iter(_memo)))
        _memo[key] = context
        return context
