"""Areas and groups: the area dimension held in memory and selection codes resolved to targets.

The metric layer keeps `dim_area` (a few hundred rows) in memory per database and re-reads it
only when the change counter kept by database triggers moves (`DimAreaVersion`), because reading
and converting the rows costs more than many metric queries. Selection codes ('208', 'MK17',
'SSS', 'pilot', 'similar:208') resolve to `AreaTarget`s: an area's own source rows and, for an
aggregate, its member municipalities.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any

import pandas as pd
from cachetools import LRUCache, cached
from cachetools.keys import hashkey
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection

from datamodel.areas import normalise_area_code
from datamodel.divisions import BASE_DIVISION, Merge, merges_of
from datamodel.schema import area, area_version, series
from kuntamittari.i18n import t
from kuntamittari.settings import LANGUAGES, get_settings
from metrics.compiler import AreaTarget, Exclusion
from metrics.errors import AreaNotFound

logger = logging.getLogger(__name__)

MUNICIPALITY = "kunta"
GROUP_TYPE = "ryhmä"
PILOT = "pilot"
SIMILAR = "similar"

# ---------------------------------------------------------------------------------------------
# Areas


AREA_COLUMNS = [
    "area_id", "code", "area_type", "name_fi", "name_sv", "name_en", "region_code", "subregion_code",
    "county_code", "size_class", "valid_from", "valid_to", "successor_code",
]


class AreaRows(tuple):  # type: ignore[type-arg]
    """The memoised `dim_area` rows of one database (immutable) and `token`: which database and
    which version of its area dimension they are, so results computed from them can be cached
    by value (never by object identity)."""

    token: tuple = ()


@dataclass(frozen=True)
class AreaContext:
    """The area dimension as the metric layer needs it, memoised per database (see `_area_context`).

    `divisions` holds the municipal division each series' history is on (series without one are
    on `BASE_DIVISION`); `merges` the mergers recorded in `dim_area`."""

    rows: AreaRows
    divisions: Mapping[str, int]
    merges: tuple[Merge, ...]

    def division_of(self, code: str) -> int:
        return self.divisions.get(code, BASE_DIVISION)

    def exclusions(self, codes: Iterable[str], division: int) -> tuple[Exclusion, ...]:
        """What a query on `division` must leave out of `codes`: rows of a series on an older
        division for a successor and the municipalities merged into it, up to the merger year
        (their borders differ from the query's). Never an estimate: left out is left out, and
        the coverage of an aggregate shows it."""
        by_division: dict[int, list[str]] = {}
        for code in sorted(set(codes)):
            d = self.division_of(code)
            if d < division:
                by_division.setdefault(d, []).append(code)
        if not by_division:
            return ()
        ids: dict[str, list[int]] = {}
        for row in self.rows:
            ids.setdefault(str(row["code"]), []).append(int(row["area_id"]))
        out = []
        for d, series_codes in sorted(by_division.items()):
            for m in self.merges:
                if d <= m.last_year < division:
                    area_ids = tuple(sorted(ids.get(m.merged, []) + ids.get(m.successor, [])))
                    out.append(Exclusion(tuple(series_codes), area_ids, m.last_year))
        return tuple(out)


_AREA_MEMO: dict[str, tuple[tuple, AreaContext]] = {}


def _length_sum(column: Any) -> Any:
    return func.coalesce(func.sum(func.length(func.coalesce(column, ""))), 0)


# A one-row aggregate that changes whenever a dim_area row is added, removed or edited in a column
# the metric layer reads (codes, types, validity, parent codes, names). Built once.
_AREA_FINGERPRINT = select(
    func.count(), func.max(area.c.area_id), func.coalesce(func.sum(area.c.valid_from), 0),
    func.coalesce(func.sum(area.c.valid_to), 0),
    *(_length_sum(area.c[name]) for name in ("code", "area_type", "name_fi", "name_sv", "name_en", "region_code",
                                             "subregion_code", "county_code", "size_class", "successor_code")),
)


# One round trip: the area change counter and a checksum of the series' recorded divisions
# (divisions only move forward, so their count and sum change whenever one is recorded).
_AREA_VERSION = select(
    select(area_version.c.version).where(area_version.c.id == 1).scalar_subquery(),
    select(func.count(series.c.division)).scalar_subquery(),
    select(func.coalesce(func.sum(series.c.division), 0)).scalar_subquery(),
)


def _area_fingerprint(conn: Connection) -> tuple:
    """What tells a memoised copy of dim_area from a changed one: the change counter that the
    database's triggers keep (`DimAreaVersion`, one-row read), or where the database has no such
    triggers (no counter row: DuckDB) the checksum above, which reads every area row; plus the
    series divisions' checksum."""
    version, n_divisions, sum_divisions = conn.execute(_AREA_VERSION).one()
    divisions = (int(n_divisions or 0), int(sum_divisions or 0))
    if version is not None:
        return ("version", int(version), *divisions)
    return (*conn.execute(_AREA_FINGERPRINT).one(), *divisions)


def _area_context(conn: Connection) -> AreaContext:
    """Every dim_area row as a plain dict (oldest version first), series divisions and mergers.

    Reading and converting the rows costs ~5 ms, more than many metric queries themselves, and
    the dimension almost never changes: the rows are kept per database and re-read only when the
    cheap fingerprint query above changes. Callers must not mutate what is returned.
    """
    url = conn.engine.url
    key = url.render_as_string(hide_password=False)
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        key += f"#{id(conn.engine)}"  # every in-memory database is a different one
    fingerprint = _area_fingerprint(conn)
    cached = _AREA_MEMO.get(key)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    stmt = select(*(area.c[name] for name in AREA_COLUMNS)).order_by(area.c.valid_from, area.c.area_id)
    rows = AreaRows(dict(zip(AREA_COLUMNS, row)) for row in conn.execute(stmt))
    rows.token = (key, fingerprint)
    divisions = dict(conn.execute(select(series.c.code, series.c.division).where(series.c.division.is_not(None))).tuples().all())
    context = AreaContext(rows, {str(k): int(v) for k, v in divisions.items()}, tuple(merges_of(rows)))
    _AREA_MEMO[key] = (fingerprint, context)
    return context


def _area_rows(conn: Connection) -> AreaRows:
    """Every dim_area row as a plain dict, oldest version first (memoised, see `_area_context`)."""
    return _area_context(conn).rows


def _areas_frame(conn: Connection) -> pd.DataFrame:
    return pd.DataFrame(_area_rows(conn), columns=AREA_COLUMNS)


Members = tuple[tuple[int, ...], tuple[int | None, ...]]  # member ids, their last years (None: exists)


def _members(rows: Iterable[dict]) -> Members:
    chosen = list(rows)
    return (tuple(int(r["area_id"]) for r in chosen),
            tuple(None if r["valid_to"] is None else int(r["valid_to"]) for r in chosen))


def _named_group(code: str, members: Members) -> AreaTarget:
    key = "pilot" if code == PILOT else "similar"
    return AreaTarget(
        code=code,
        area_type=GROUP_TYPE,
        name_fi=t(f"metrics.area.{key}", "fi"),
        name_sv=t(f"metrics.area.{key}", "sv"),
        name_en=t(f"metrics.area.{key}", "en"),
        direct_ids=(),
        member_ids=members[0],
        member_valid_to=members[1],
    )


@cached(LRUCache(maxsize=256), key=lambda wanted, records, pilot: hashkey(records.token, wanted, pilot), lock=Lock())
def _resolve_memo(wanted: tuple[str, ...], records: AreaRows, pilot: tuple[str, ...]) -> tuple[AreaTarget, ...]:
    return tuple(_resolve_uncached(wanted, records))


def _resolve(codes: Iterable[str], records: Sequence[dict]) -> list[AreaTarget]:
    """Selection codes to targets, cached by value (the area rows' database and version, the codes,
    the pilot group): resolving all 320 municipalities costs several milliseconds, as much as
    their query. Rows without a version token (hand-made ones) are resolved afresh."""
    wanted = tuple(str(c) for c in codes)
    if not getattr(records, "token", None):
        return _resolve_uncached(wanted, records)
    return list(_resolve_memo(wanted, records, tuple(get_settings().pilot_group)))


def _resolve_uncached(codes: Iterable[str], records: Sequence[dict]) -> list[AreaTarget]:
    """Selection codes to targets: own rows and, for aggregates, member municipalities."""
    by_code: dict[str, list[dict]] = {}
    for rec in records:
        by_code.setdefault(str(rec["code"]), []).append(rec)
    munis = [rec for rec in records if rec["area_type"] == MUNICIPALITY]

    def text_or_none(value: object) -> str | None:
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)

    def members_where(column: str, value: str) -> Members:
        return _members(r for r in munis if r[column] == value)

    out: list[AreaTarget] = []
    for raw in codes:
        text = str(raw).strip()
        if text.lower() == PILOT:
            pilot = set(get_settings().pilot_group)
            out.append(_named_group(PILOT, _members(r for r in munis if r["code"] in pilot)))
            continue
        if text.lower().startswith(SIMILAR + ":"):
            ref = normalise_area_code(text.split(":", 1)[1])
            ref_rows = [r for r in by_code.get(ref, []) if r["area_type"] == MUNICIPALITY]
            if not ref_rows:
                raise AreaNotFound(f"unknown municipality '{ref}' in '{text}'")
            group = _named_group(SIMILAR, members_where("size_class", ref_rows[-1]["size_class"]))
            out.append(AreaTarget(f"{SIMILAR}:{ref}", GROUP_TYPE, group.name_fi, group.name_sv, group.name_en, (),
                                  group.member_ids, group.member_valid_to))
            continue
        code = normalise_area_code(text)
        own = by_code.get(code, [])
        members: Members = ((), ())
        if code == "SSS":
            members = _members(munis)
        elif code.startswith("MK"):
            members = members_where("region_code", code)
        elif code.startswith("HVA"):
            members = members_where("county_code", code)
        elif code.startswith("SK"):
            members = members_where("subregion_code", code)
        if not own and not members[0]:
            raise AreaNotFound(f"unknown area code '{raw}'")
        if not own:
            kind = "maa" if code == "SSS" else {"MK": "maakunta", "HV": "hyvinvointialue", "SK": "seutukunta"}[code[:2]]
            out.append(AreaTarget(code, kind, code, code, code, (), *members))
            continue
        last = own[-1]
        out.append(
            AreaTarget(
                code=code,
                area_type=str(last["area_type"]),
                name_fi=str(last["name_fi"]),
                name_sv=text_or_none(last["name_sv"]),
                name_en=text_or_none(last["name_en"]),
                direct_ids=tuple(int(r["area_id"]) for r in own),
                member_ids=members[0],
                member_valid_to=members[1],
            )
        )
    return out


def comparison_areas(engine: Engine, area_code: str, compare_with: str) -> list[str]:
    """Codes to compare `area_code` with: 'region' -> ['MK17'], 'county' -> ['HVA19'],
    'finland' -> ['SSS'], 'pilot'/'similar' -> the member municipality codes (without the area),
    anything else is taken as an area code or a comma-separated list of codes."""
    with engine.connect() as conn:
        rows = _area_rows(conn)
    return _comparison_codes(rows, area_code, compare_with)


def _comparison_codes(rows: list[dict], area_code: str, compare_with: str) -> list[str]:
    code = normalise_area_code(area_code)
    own = [r for r in rows if r["code"] == code]
    row = own[-1] if own else None
    kind = (compare_with or "").strip()
    if kind in ("region", "county"):
        value = None if row is None else row["region_code" if kind == "region" else "county_code"]
        return [str(value)] if value else []
    if kind == "finland":
        return ["SSS"]
    if kind == PILOT:
        return [c for c in get_settings().pilot_group if c != code]
    if kind == SIMILAR:
        if row is None or not row["size_class"]:
            return []
        return sorted({r["code"] for r in rows if r["area_type"] == MUNICIPALITY and r["size_class"] == row["size_class"] and r["code"] != code})
    return [normalise_area_code(c) for c in kind.split(",") if c.strip()]


def _comparison_target(rows: list[dict], area_code: str, compare_with: str) -> str | None:
    """The one aggregate code a card compares with ('MK17', 'pilot', 'similar:208', ...)."""
    if compare_with == PILOT:
        return PILOT
    if compare_with == SIMILAR:
        return f"{SIMILAR}:{normalise_area_code(area_code)}"
    codes = _comparison_codes(rows, area_code, compare_with)
    return codes[0] if len(codes) == 1 else None


def list_areas(engine: Engine, area_type: str | None = None) -> pd.DataFrame:
    """Areas of the database (optionally of one type), sorted by type and code."""
    with engine.connect() as conn:
        df = _areas_frame(conn)
    if area_type:
        df = df[df["area_type"] == area_type]
    return df.drop(columns=["area_id"]).sort_values(["area_type", "code", "valid_from"]).reset_index(drop=True)



def official_name(row: Mapping[str, Any], lang: str) -> str:
    """An area row's official name in `lang`, Finnish where that language has none."""
    local = row.get(f"name_{lang}")
    return local if isinstance(local, str) and local else str(row["name_fi"])


def official_names(areas: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Language -> area code -> official name (`official_name`) of each area's newest version,
    from `list_areas` rows (sorted by validity, so the last row of a code is its newest)."""
    latest = areas.drop_duplicates("code", keep="last").to_dict("records")
    return {lang: {str(row["code"]): official_name(row, lang) for row in latest} for lang in LANGUAGES}


def validity_year(value: Any) -> int | None:
    """A `valid_from`/`valid_to` cell of `list_areas` as a year (None when open or empty: pandas
    reads a column with gaps as floats with NaN)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else int(number)
