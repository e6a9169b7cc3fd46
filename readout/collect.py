"""What the readout asks the metric layer: one municipality's metrics, areas, parts and sources.

Kept apart from the judgements (`readout.build`) so that the rules can be tested on hand-built
frames and the surfaces can cache this step. Everything public passes `disclose_table` here: every
cell the area's page shows (all metrics, levels, years, totals and their male/female parts) is
judged together and as part of the whole publication, before any value is judged or worded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine

from kuntamittari.settings import get_settings
from metrics import service
from metrics.catalog import Catalog
from metrics.disclosure_publication import publication_context
from metrics.disclosure_table import disclose_table
from metrics.errors import MetricsError
from metrics.model import Aggregation, AnyMetric, Selection, SimpleMetric, SumMetric
from readout.model import Audience

logger = logging.getLogger(__name__)

GENDERS: tuple[str, ...] = ("male", "female")


class ReadoutError(RuntimeError):
    """The readout cannot be built: an unknown area, or the metric layer is unavailable."""


@dataclass(frozen=True)
class Collected:
    """The metric layer's answers for one area, before any judgement.

    `frames` maps metric id -> tidy rows of the area and its comparison areas (with a `role`
    column: 'area' or the comparison kind) and, when asked, the area's male/female parts;
    disclosed (`suppressed` column) when the audience is public. `population` holds the
    population metric's rows of the same areas (for comparing counts per resident).
    """

    area_code: str
    audience: Audience
    roles: tuple[tuple[str, str], ...]  # (role, area code), the area first
    areas: pd.DataFrame
    frames: dict[str, pd.DataFrame]
    population: pd.DataFrame | None
    batches: pd.DataFrame = field(default_factory=pd.DataFrame)


def is_count(metric: AnyMetric) -> bool:
    """Whether the metric's values are counts (sums over areas): their level depends on the size
    of the area, so they are compared with other areas only per resident."""
    return isinstance(metric, (SimpleMetric, SumMetric)) and metric.aggregation is Aggregation.SUM


def _batch(engine: Engine, catalog: Catalog, metrics: Sequence[AnyMetric], selection: Selection) -> dict[str, pd.DataFrame]:
    """`query_metrics`, and where the batch fails, metric by metric (a broken one is left out)."""
    try:
        return service.query_metrics(engine, catalog, [m.id for m in metrics], selection)
    except MetricsError:
        out: dict[str, pd.DataFrame] = {}
        for metric in metrics:
            try:
                out[metric.id] = service.query_metric(engine, catalog, metric.id, selection)
            except MetricsError as exc:
                logger.warning("readout: metric %s left out: %s", metric.id, exc)
        return out


_KINDS = ("region", "county", "finland", "pilot", "similar")


def _roles(engine: Engine, code: str, compare_with: Sequence[str]) -> tuple[tuple[str, str], ...]:
    roles: list[tuple[str, str]] = [("area", code)]
    for kind in compare_with:
        other = service.comparison_target(engine, code, kind)
        if other and other != code and all(other != c for _r, c in roles):
            roles.append(("finland" if other == "SSS" else kind if kind in _KINDS else "codes", other))
    return tuple(roles)


def collect(engine: Engine, catalog: Catalog, metrics: Sequence[AnyMetric], area_code: str, *,
            compare_with: Sequence[str], audience: Audience, with_parts: bool) -> Collected:
    """Ask the metric layer for `metrics` of `area_code` and its comparison areas."""
    areas = service.list_areas(engine)
    code = str(area_code).strip()
    code = code.lower() if code.lower() == "pilot" else service.normalise_area_code(code)
    known = set(areas["code"])
    if code not in known and code != "pilot":
        raise ReadoutError(f"unknown area '{area_code}'")
    roles = _roles(engine, code, compare_with)
    role_of = {c: r for r, c in roles}
    selection = Selection(areas=tuple(c for _r, c in roles))
    totals = _batch(engine, catalog, metrics, selection)
    parts: dict[str, list[pd.DataFrame]] = {m.id: [] for m in metrics}
    if with_parts:
        splittable = [m for m in metrics if m.filters.gender is None]
        for gender in GENDERS:
            found = _batch(engine, catalog, splittable, Selection(areas=(code,), gender=gender))
            for metric_id, frame in found.items():
                if not frame.dropna(subset=["value"]).empty:
                    parts[metric_id].append(frame)
    frames: dict[str, pd.DataFrame] = {}
    for metric_id, frame in totals.items():
        combined = pd.concat([f for f in (frame, *parts[metric_id]) if not f.empty], ignore_index=True) \
            if not frame.empty or parts[metric_id] else frame
        combined = combined[combined["area_code"].isin(role_of)].copy()
        combined["role"] = combined["area_code"].map(role_of)
        frames[metric_id] = combined
    if audience == "public":
        frames = _disclosed(engine, catalog, frames)
    population = _population(engine, catalog, metrics, selection)
    batch_ids = {int(b) for f in frames.values() for b in f["batch_id"].dropna()} if frames else set()
    batches = service.load_batches(engine) if batch_ids else pd.DataFrame()
    if not batches.empty:
        batches = batches[batches["batch_id"].isin(batch_ids)].reset_index(drop=True)
    names = areas.drop_duplicates("code", keep="last")
    return Collected(code, audience, roles, names.reset_index(drop=True), frames, population, batches)


def _disclosed(engine: Engine, catalog: Catalog, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """All cells of the page disclosure-controlled together (`disclose_table`), split back per metric."""
    shown = [f for f in frames.values() if not f.empty]
    if not shown:
        return frames
    table = pd.concat(shown, ignore_index=True)
    disclosed = disclose_table(table, catalog, context=publication_context(engine, catalog))
    out = {metric_id: frame for metric_id, frame in frames.items() if frame.empty}
    for metric_id, rows in disclosed.groupby("metric_id", sort=False):
        out[str(metric_id)] = rows.reset_index(drop=True)
    return out


def _population(engine: Engine, catalog: Catalog, metrics: Sequence[AnyMetric], selection: Selection) -> pd.DataFrame | None:
    """The population metric's rows of the same areas, when some metric is a count."""
    metric_id = get_settings().population_metric
    if not any(is_count(m) for m in metrics) or metric_id not in catalog.metrics:
        return None
    try:
        return service.query_metric(engine, catalog, metric_id, selection)
    except MetricsError as exc:
        logger.warning("readout: no population for per-resident comparisons: %s", exc)
        return None
