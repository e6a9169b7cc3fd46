"""Tables of metric values for programs (the HTTP API, bulk downloads): public or internal.

A public table is a slice of the **published table**: for each family of linked metrics (the
groups whose cells interact in disclosure control, `metrics.disclosure_links.families`), every
cell of every municipality and public aggregate (regions, wellbeing services counties, Finland),
all periods, totals and the municipalities' male/female parts, disclosure-controlled once with
the publication-wide context (`metrics.disclosure_publication.publication_context`). Because
the decision is taken on the whole family table before any slicing, every answer (one area,
fifty areas, a bulk download of all municipalities, any period range) shows exactly the same
cells as hidden, and no answer can show a cell another hides; where the publication decided a
cell (every cell the public pages can show), the table follows that decision, so the pages and
the API agree. Only approved metrics are public, and only the areas the public pages show.

An internal table (a signed-in program with a role) is the metric layer's answer for the asked
selection as it is: unsuppressed, any area kind, drafts when the role may author.

Family tables are memoised per database, catalogue content and data version (the latest load
batch and the area dimension), like the publication context: identical in every replica, so a
replica's cache only saves time and never changes an answer.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence

import pandas as pd
from cachetools import LRUCache
from sqlalchemy import Engine

from metrics import service
from metrics.catalog import Catalog, catalogue_key
from metrics.disclosure_links import families
from metrics.disclosure_publication import (
    COUNTRY,
    MUNICIPALITY,
    PARTS,
    PUBLIC_AGGREGATES,
    _data_version,
    publication_cells,
    publication_context,
)
from metrics.disclosure_table import disclose_table
from metrics.model import AnyMetric, Selection
from readout.model import HIDDEN_STATUSES

logger = logging.getLogger(__name__)

GENDERS: tuple[str, ...] = ("total", *PARTS)
#: The columns every table has (the metric layer's, then the disclosure flag).
COLUMNS: tuple[str, ...] = (
    "metric_id", "area_code", "area_type", "period", "year", "gender", "value", "status", "basis", "batch_id", "suppressed",
)

_lock = threading.Lock()
_tables: LRUCache = LRUCache(maxsize=64)


class PublicationError(ValueError):
    """A request the published table cannot answer (names the parameter)."""

    def __init__(self, parameter: str, message: str, value: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.value = value


def data_version(engine: Engine, catalog: Catalog) -> str:
    """A short stable token for 'the data and catalogue as they are now' (cache keys, ETags)."""
    parts = "|".join(str(p) for p in _data_version(engine))
    return hashlib.sha256(f"{parts}|{catalogue_key(catalog)}".encode()).hexdigest()[:20]


def public_area_codes(areas: pd.DataFrame) -> set[str]:
    """The areas the public pages show: municipalities, regions, wellbeing services counties, Finland."""
    codes = set(areas.loc[areas["area_type"] == MUNICIPALITY, "code"].astype(str))
    codes |= {c for c in areas["code"].astype(str) if c == COUNTRY or any(c.startswith(p) for p, _ in PUBLIC_AGGREGATES)}
    return codes


def public_metrics(catalog: Catalog) -> list[AnyMetric]:
    """The approved metrics, in theme order (drafts are never public)."""
    return [m for ms in catalog.by_theme(include_drafts=False).values() for m in ms]


def _family_of(catalog: Catalog, metric_id: str) -> frozenset[str]:
    approved = {m.id: m for m in catalog.approved()}
    for family in families(approved):
        if metric_id in family:
            return family
    raise PublicationError("metric", f"metric '{metric_id}' is not public", metric_id)


def _family_table(engine: Engine, catalog: Catalog, family: frozenset[str]) -> tuple[pd.DataFrame, dict]:
    """Every public cell of one family, disclosed together with the publication's decisions."""
    key = (engine.url.render_as_string(hide_password=True), data_version(engine, catalog), family)
    with _lock:
        hit = _tables.get(key)
    if hit is not None:
        return hit
    metrics = [catalog.get(m) for m in sorted(family)]
    cells = publication_cells(engine, catalog, metrics, service.list_areas(engine))
    if cells.empty:
        table = pd.DataFrame(columns=[*COLUMNS, "suppression_reason"])
    else:
        table = disclose_table(cells, catalog, context=publication_context(engine, catalog))
        table["gender"] = table["gender"].fillna("total").astype(str)
        if "age_band" in table:
            table = table[table["age_band"].fillna("all").astype(str) == "all"]
    # Plain object columns and row positions per (metric, area): an answer picks its rows
    # without scanning the whole family table.
    table = table.reindex(columns=list(COLUMNS)).astype({c: object for c in ("metric_id", "area_code", "area_type",
                                                                             "period", "gender", "status", "basis")})
    table = table.reset_index(drop=True)
    rows = {key: positions for key, positions in table.groupby(["metric_id", "area_code"], sort=False).indices.items()}
    published = (table, rows)
    with _lock:
        _tables[key] = published
    return published


def _select(published: tuple[pd.DataFrame, dict], metric_ids: Sequence[str], areas: Sequence[str] | None,
            periods: Sequence[str] | None, genders: Sequence[str]) -> pd.DataFrame:
    table, rows = published
    wanted = [k for k in rows if k[0] in set(metric_ids) and (areas is None or k[1] in set(areas))]
    if not wanted:
        return table.iloc[0:0]
    picked = table.iloc[sorted(int(i) for k in wanted for i in rows[k])]
    mask = picked["gender"].isin(list(genders))
    if periods is not None:
        mask &= picked["period"].isin(list(periods))
    return picked[mask]


def public_table(engine: Engine, catalog: Catalog, metric_ids: Sequence[str], areas: Sequence[str] | None = None,
                 periods: Sequence[str] | None = None, genders: Sequence[str] = ("total",)) -> pd.DataFrame:
    """The published cells of `metric_ids` for `areas` (None: every public area), `periods`
    (None: all) and `genders`; hidden cells have no value and `suppressed` True."""
    public = {m.id for m in public_metrics(catalog)}
    for metric_id in metric_ids:
        if metric_id not in public:
            raise PublicationError("metric", f"metric '{metric_id}' is not public", metric_id)
    frames = []
    done: set[frozenset[str]] = set()
    for metric_id in metric_ids:
        family = _family_of(catalog, metric_id)
        if family in done:
            continue
        done.add(family)
        frames.append(_select(_family_table(engine, catalog, family), metric_ids, areas, periods, genders))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=list(COLUMNS))
    return _tidy(pd.concat(frames, ignore_index=True), metric_ids)


def internal_table(engine: Engine, catalog: Catalog, metric_ids: Sequence[str], areas: Sequence[str],
                   periods: Sequence[str] | None = None, genders: Sequence[str] = ("total",)) -> pd.DataFrame:
    """The metric layer's values as they are (no disclosure control): for signed-in programs."""
    frames = []
    for gender in genders:
        found = service.query_metrics(engine, catalog, list(metric_ids), Selection(areas=tuple(areas),
                                      periods=tuple(periods) if periods else None, gender=gender))
        frames += [f for f in found.values() if not f.empty]
    if not frames:
        return pd.DataFrame(columns=list(COLUMNS))
    table = pd.concat(frames, ignore_index=True)
    table["suppressed"] = False
    table["gender"] = table["gender"].fillna("total").astype(str)
    return _tidy(table, metric_ids)


def _tidy(table: pd.DataFrame, metric_ids: Sequence[str]) -> pd.DataFrame:
    """The common columns, sorted by the asked metric order, area, period and gender."""
    out = table.reindex(columns=list(COLUMNS)).copy()
    out["suppressed"] = out["suppressed"].fillna(False).astype(bool)
    out.loc[out["suppressed"], "status"] = "too_few"
    out["status"] = out["status"].fillna("ok").astype(str).replace({"incomplete": "insufficient"})
    # What the pages never show as a number is never a number here either (docs/readout.md, statuses).
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype("float64")
    out.loc[out["status"].isin(HIDDEN_STATUSES), "value"] = float("nan")
    order = {m: i for i, m in enumerate(metric_ids)}
    genders = {g: i for i, g in enumerate(GENDERS)}
    out = out.assign(_m=out["metric_id"].map(order), _g=out["gender"].map(genders).fillna(9))
    out = out.sort_values(["_m", "area_code", "period", "_g"], kind="stable").drop(columns=["_m", "_g"])
    return out.drop_duplicates(["metric_id", "area_code", "period", "gender"]).reset_index(drop=True)
