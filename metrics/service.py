"""Run metrics against the database and shape the answers pages display.

The engine is passed in explicitly and results are not cached here (the ui layer caches; only the
small area dimension is memoised, guarded by a fingerprint query). Each call
issues few queries: areas are resolved once, then one compiled statement per distinct
(weight series, population group) fetches every input series for every requested area, and
the aggregation rules are applied on that small grouped result:

* counts (aggregation `sum`) and ratio parts: an aggregate's own source row if there is one
  (basis 'source'), else the exact sum over member municipalities (basis 'computed');
* rates (`weighted_mean`): own source row ('source'), else weighted by the weight series when
  every member has a weight ('weighted'), else the plain mean ('unweighted');
* `source_only`: own source rows only;
* ratios: sum of numerators / sum of denominators x scale (never an average of rates);
* derived: the expression over the component metrics' values (basis: the weakest component's).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection

from datamodel.areas import normalise_area_code
from datamodel.schema import area, area_version, load_batch, series, series_coverage
from kuntamittari.i18n import t
from kuntamittari.settings import get_settings
from metrics.catalog import Catalog
from metrics.compiler import AreaTarget, compile_inputs, metric_inputs
from metrics.errors import AreaNotFound
from metrics.expr import parse_expression
from metrics.model import (
    Aggregation,
    AnyMetric,
    CodeList,
    DerivedMetric,
    Direction,
    RatioMetric,
    Selection,
    SimpleMetric,
    SumMetric,
    Target,
)

logger = logging.getLogger(__name__)

RESULT_COLUMNS = [
    "metric_id", "area_code", "area_type", "area_name_fi", "area_name_sv", "period", "year",
    "gender", "age_band", "value", "numerator", "denominator", "status", "basis", "batch_id",
]
BASIS_ORDER = {"source": 0, "computed": 1, "weighted": 2, "unweighted": 3}
MUNICIPALITY = "kunta"
GROUP_TYPE = "ryhmä"
PILOT = "pilot"
SIMILAR = "similar"
TREND_YEARS = 5
SPARKLINE_POINTS = 10


# ---------------------------------------------------------------------------------------------
# Areas


AREA_COLUMNS = [
    "area_id", "code", "area_type", "name_fi", "name_sv", "name_en", "region_code", "subregion_code",
    "county_code", "size_class", "valid_from", "valid_to",
]


_AREA_MEMO: dict[str, tuple[tuple, list[dict]]] = {}


def _length_sum(column: Any) -> Any:
    return func.coalesce(func.sum(func.length(func.coalesce(column, ""))), 0)


# A one-row aggregate that changes whenever a dim_area row is added, removed or edited in a column
# the metric layer reads (codes, types, validity, parent codes, names). Built once.
_AREA_FINGERPRINT = select(
    func.count(), func.max(area.c.area_id), func.coalesce(func.sum(area.c.valid_from), 0),
    func.coalesce(func.sum(area.c.valid_to), 0),
    *(_length_sum(area.c[name]) for name in ("code", "area_type", "name_fi", "name_sv", "name_en", "region_code",
                                             "subregion_code", "county_code", "size_class")),
)


_AREA_VERSION = select(area_version.c.version).where(area_version.c.id == 1)


def _area_fingerprint(conn: Connection) -> tuple:
    """What tells a memoised copy of dim_area from a changed one: the change counter that the
    database's triggers keep (`DimAreaVersion`, one-row read), or where the database has no such
    triggers (no counter row: DuckDB) the checksum above, which reads every area row."""
    version = conn.execute(_AREA_VERSION).scalar_one_or_none()
    if version is not None:
        return ("version", int(version))
    return tuple(conn.execute(_AREA_FINGERPRINT).one())


def _area_rows(conn: Connection) -> list[dict]:
    """Every dim_area row as a plain dict, oldest version first (a few hundred rows).

    Reading and converting the rows costs ~5 ms, more than many metric queries themselves, and
    the dimension almost never changes: the rows are kept per database and re-read only when the
    cheap fingerprint query above changes. Callers must not mutate the returned dicts.
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
    rows = [dict(zip(AREA_COLUMNS, row)) for row in conn.execute(stmt)]
    _AREA_MEMO[key] = (fingerprint, rows)
    return rows


def _areas_frame(conn: Connection) -> pd.DataFrame:
    return pd.DataFrame(_area_rows(conn), columns=AREA_COLUMNS)


def _named_group(code: str, ids: Sequence[int]) -> AreaTarget:
    key = "pilot" if code == PILOT else "similar"
    return AreaTarget(
        code=code,
        area_type=GROUP_TYPE,
        name_fi=t(f"metrics.area.{key}", "fi"),
        name_sv=t(f"metrics.area.{key}", "sv"),
        name_en=t(f"metrics.area.{key}", "en"),
        direct_ids=(),
        member_ids=tuple(int(i) for i in ids),
    )


_RESOLVE_MEMO: dict[tuple[int, tuple[str, ...], tuple[str, ...]], tuple[list[dict], list[AreaTarget]]] = {}
_RESOLVE_MEMO_SIZE = 256


def _resolve(codes: Iterable[str], records: list[dict]) -> list[AreaTarget]:
    """Selection codes to targets, memoised for the (memoised, immutable) area rows of `_area_rows`:
    resolving all 320 municipalities costs several milliseconds, as much as their query."""
    wanted = tuple(str(c) for c in codes)
    key = (id(records), wanted, tuple(get_settings().pilot_group))
    hit = _RESOLVE_MEMO.get(key)
    if hit is not None and hit[0] is records:
        return list(hit[1])
    targets = _resolve_uncached(wanted, records)
    if len(_RESOLVE_MEMO) >= _RESOLVE_MEMO_SIZE:
        _RESOLVE_MEMO.clear()
    _RESOLVE_MEMO[key] = (records, targets)
    return list(targets)


def _resolve_uncached(codes: Iterable[str], records: list[dict]) -> list[AreaTarget]:
    """Selection codes to targets: own rows and, for aggregates, member municipalities."""
    by_code: dict[str, list[dict]] = {}
    for rec in records:
        by_code.setdefault(str(rec["code"]), []).append(rec)
    munis = [rec for rec in records if rec["area_type"] == MUNICIPALITY]

    def text_or_none(value: object) -> str | None:
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)

    def members_where(column: str, value: str) -> tuple[int, ...]:
        return tuple(int(r["area_id"]) for r in munis if r[column] == value)

    out: list[AreaTarget] = []
    for raw in codes:
        text = str(raw).strip()
        if text.lower() == PILOT:
            pilot = set(get_settings().pilot_group)
            out.append(_named_group(PILOT, [r["area_id"] for r in munis if r["code"] in pilot]))
            continue
        if text.lower().startswith(SIMILAR + ":"):
            ref = normalise_area_code(text.split(":", 1)[1])
            ref_rows = [r for r in by_code.get(ref, []) if r["area_type"] == MUNICIPALITY]
            if not ref_rows:
                raise AreaNotFound(f"unknown municipality '{ref}' in '{text}'")
            group = _named_group(SIMILAR, members_where("size_class", ref_rows[-1]["size_class"]))
            out.append(AreaTarget(f"{SIMILAR}:{ref}", GROUP_TYPE, group.name_fi, group.name_sv, group.name_en, (), group.member_ids))
            continue
        code = normalise_area_code(text)
        own = by_code.get(code, [])
        if code == "SSS":
            members = tuple(int(r["area_id"]) for r in munis)
        elif code.startswith("MK"):
            members = members_where("region_code", code)
        elif code.startswith("HVA"):
            members = members_where("county_code", code)
        elif code.startswith("SK"):
            members = members_where("subregion_code", code)
        else:
            members = ()
        if not own and not members:
            raise AreaNotFound(f"unknown area code '{raw}'")
        if not own:
            kind = "maa" if code == "SSS" else {"MK": "maakunta", "HV": "hyvinvointialue", "SK": "seutukunta"}[code[:2]]
            out.append(AreaTarget(code, kind, code, code, code, (), members))
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
                member_ids=members,
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


# ---------------------------------------------------------------------------------------------
# Evaluation (plain Python over the small grouped result: per-operation pandas overhead would
# dominate at this size; one DataFrame is built per metric at the end)


@dataclass
class _Rec:
    """One value of one metric or series for one target and period."""

    year: int
    value: float | None
    basis: str
    numerator: float | None
    denominator: float | None
    min_num: float | None
    status: str
    batch_id: int | None
    n: int = 1  # how many area rows the value is made of


Key = tuple[str, str]  # (target code, period code)
Values = dict[Key, _Rec]


def _group_of(metric: AnyMetric, selection: Selection) -> tuple[str, str]:
    return (metric.filters.gender or selection.gender, metric.filters.age_band or selection.age_band)


def leaf_metrics(metric: AnyMetric, catalog: Catalog, seen: set[str] | None = None) -> list[AnyMetric]:
    """The non-derived metrics a metric is computed from (itself when not derived).

    Follows a derived metric's references recursively, each metric once (a reference cycle ends
    there); the order is that of the expression. Used by the query layer to fetch the inputs and
    by `kuntamittari explain` to print the SQL of each input.
    """
    seen = seen if seen is not None else set()
    if metric.id in seen:
        return []
    seen.add(metric.id)
    if not isinstance(metric, DerivedMetric):
        return [metric]
    out: list[AnyMetric] = []
    for ref in metric.references():
        out.extend(leaf_metrics(catalog.get(ref), catalog, seen))
    return out


RawRows = dict[str, list[tuple]]  # series code -> rows in RAW_COLUMNS order


@lru_cache(maxsize=512)
def _compiled(codes: tuple[str, ...], weight: str | None, targets: tuple[AreaTarget, ...],
              periods: tuple[str, ...] | None, gender: str, age_band: str) -> Any:
    """`compile_inputs`, memoised: building the statement for 320 areas costs milliseconds, and
    the same selections come back on every rerun. Statements are immutable, so sharing is safe."""
    return compile_inputs(list(codes), weight, targets, periods, gender, age_band)


def _fetch(conn: Connection, metrics: Sequence[AnyMetric], targets: Sequence[AreaTarget], selection: Selection) -> dict[tuple[str | None, str, str], RawRows]:
    """Raw grouped rows for all inputs of `metrics`, one statement per (weight, gender, age band)."""
    plan: dict[tuple[str | None, str, str], set[str]] = {}
    for metric in metrics:
        inputs, weight = metric_inputs(metric)
        gender, age_band = _group_of(metric, selection)
        plan.setdefault((weight, gender, age_band), set()).update(inputs)
    out: dict[tuple[str | None, str, str], RawRows] = {}
    for key, codes in plan.items():
        weight, gender, age_band = key
        periods = tuple(sorted(set(selection.periods))) if selection.periods is not None else None
        stmt = _compiled(tuple(sorted(codes)), weight, tuple(targets), periods, gender, age_band)
        rows: RawRows = {}
        for row in conn.execute(stmt).tuples().all():  # one fetchall: row by row cost ~1 ms per 300 rows
            rows.setdefault(row[4], []).append(row)
        out[key] = rows
    return out


def _num(value: object) -> float | None:
    """A database number as a float; NULL and NaN (PostgreSQL floats can hold it) as None."""
    if value is None or value != value:  # NaN is the one value unequal to itself
        return None
    return float(value)  # type: ignore[arg-type]


def _series_values(rows: list[tuple], rule: Aggregation) -> Values:
    """One series per (target, period) after the aggregation rule (see the module docstring)."""
    direct: Values = {}
    members: Values = {}
    for (target, mode, per, year, _code, sum_value, n_value, sum_wv, sum_w, n_w, sum_num, sum_den,
         min_num, n_not_ok, status, batch_id) in rows:
        key = (target, per)
        if mode == "direct":
            direct[key] = _Rec(int(year), _num(sum_value), "source", _num(sum_num), _num(sum_den), _num(min_num), str(status), batch_id)
            continue
        sum_value, sum_wv, sum_w = _num(sum_value), _num(sum_wv), _num(sum_w)
        n_value, n_w = int(n_value or 0), int(n_w or 0)
        if n_value == 0 or rule is Aggregation.SOURCE_ONLY:
            continue
        part_status = "partial" if int(n_not_ok or 0) > 0 else "ok"
        if rule is Aggregation.SUM:
            members[key] = _Rec(int(year), sum_value, "computed", _num(sum_num), _num(sum_den), _num(min_num), part_status, batch_id, n_value)
        elif n_w == n_value and sum_w and sum_w > 0 and sum_wv is not None:
            members[key] = _Rec(int(year), sum_wv / sum_w, "weighted", None, None, None, part_status, batch_id)
        else:
            members[key] = _Rec(int(year), (sum_value or 0.0) / n_value, "unweighted", None, None, None, part_status, batch_id)
    # Preference: own row with a value, then members, then own row without a value (status only).
    out = dict(members)
    for key, rec in direct.items():
        if rec.value is not None or key not in out:
            out[key] = rec
    return out


def _weakest(bases: Iterable[str]) -> str:
    return max(bases, key=lambda b: BASIS_ORDER.get(b, 9))


def _evaluate(metric: AnyMetric, raw: dict, catalog: Catalog, selection: Selection, memo: dict[str, Values]) -> Values:
    """Values of `metric` per (target, period) from fetched rows (derived: recursively)."""
    if metric.id in memo:
        return memo[metric.id]
    out: Values = {}
    if isinstance(metric, DerivedMetric):
        expr = parse_expression(metric.expression)
        parts = {name: _evaluate(catalog.get(name), raw, catalog, selection, memo) for name in expr.names()}
        keys = set.intersection(*(set(p) for p in parts.values())) if parts else set()
        for key in keys:
            recs = [parts[n][key] for n in parts]
            if any(r.value is None for r in recs):
                value = None
            else:
                try:
                    value = float(expr.evaluate({n: parts[n][key].value for n in parts}))
                except (ZeroDivisionError, OverflowError):
                    value = None
                if value is not None and (math.isnan(value) or math.isinf(value)):
                    value = None
            out[key] = _Rec(recs[0].year, value, _weakest(r.basis for r in recs), None, None, None,
                            "ok" if all(r.status == "ok" for r in recs) else "partial",
                            max((r.batch_id for r in recs if r.batch_id is not None), default=None))
        memo[metric.id] = out
        return out

    _inputs, weight = metric_inputs(metric)
    rows = raw[(weight, *_group_of(metric, selection))]
    if isinstance(metric, SimpleMetric):
        out = _series_values(rows.get(metric.series, []), metric.aggregation)
        if metric.aggregation is Aggregation.SUM:  # a count is its own numerator
            for rec in out.values():
                rec.numerator = rec.value
                if rec.basis == "source":
                    rec.min_num = rec.value
    elif isinstance(metric, RatioMetric):
        num = _series_values(rows.get(metric.numerator, []), Aggregation.SUM)
        den = _series_values(rows.get(metric.denominator, []), Aggregation.SUM)
        for key in num.keys() & den.keys():
            n, d = num[key], den[key]
            # Exactness: an aggregate made of different sets of members would be wrong, not rough.
            complete = n.n == d.n
            value = n.value / d.value * metric.scale if complete and n.value is not None and d.value else None
            status = "incomplete" if not complete else "ok" if n.status == d.status == "ok" else "partial"
            out[key] = _Rec(
                n.year, value, "source" if n.basis == d.basis == "source" else "computed", n.value, d.value,
                n.value if n.basis == "source" else n.min_num,
                status,
                max((b for b in (n.batch_id, d.batch_id) if b is not None), default=None),
            )
    elif isinstance(metric, SumMetric):
        parts = [_series_values(rows.get(code, []), metric.aggregation) for code in metric.series]
        for key in set.intersection(*(set(p) for p in parts)):
            recs = [p[key] for p in parts]
            value = None if any(r.value is None for r in recs) else sum(r.value for r in recs)  # type: ignore[misc]
            counts = metric.aggregation is Aggregation.SUM
            out[key] = _Rec(recs[0].year, value, _weakest(r.basis for r in recs), value if counts else None, None,
                            value if counts else None, "ok" if all(r.status == "ok" for r in recs) else "partial",
                            max((r.batch_id for r in recs if r.batch_id is not None), default=None))
    else:  # pragma: no cover - the union is exhaustive
        raise TypeError(f"unknown metric kind {type(metric).__name__}")
    memo[metric.id] = out
    return out


_STR_DTYPE = pd.Series(["x"]).dtype  # what pandas infers for a column of Python strings ("str")


def _strings(values: list[Any]) -> Any:
    """A text column of exactly the dtype pandas would infer, built straight through pyarrow.

    pandas 3 infers and converts every list of strings on its own (~0.19 ms for 300 rows); the
    tidy frame has ten such columns, which made building it cost more than the SQL query behind
    it. Through `pa.array` the same column costs ~0.02 ms. An empty or all-missing list is left to
    pandas, which infers another dtype for it (float64 / object), as before; so is every list
    when the inferred dtype is not Arrow-backed (pandas without pyarrow strings)."""
    arrow = isinstance(_STR_DTYPE, pd.StringDtype) and _STR_DTYPE.storage == "pyarrow"
    if not arrow or values.count(None) == len(values):
        return values
    return _STR_DTYPE.__from_arrow__(pa.array(values, type=pa.large_string()))


def _frame(metric: AnyMetric, values: Values, targets: Sequence[AreaTarget], selection: Selection) -> pd.DataFrame:
    """Tidy, labelled rows in target order then period order (built column-wise: it is faster)."""
    gender, age_band = _group_of(metric, selection)
    info: dict[str, tuple[int, AreaTarget]] = {}
    for i, tg in enumerate(targets):
        info.setdefault(tg.code, (i, tg))
    keys = sorted((k for k in values if k[0] in info), key=lambda k: (info[k[0]][0], values[k].year, k[1]))
    recs = [values[k] for k in keys]
    tgs = [info[k[0]][1] for k in keys]

    def floats(attr: str) -> np.ndarray:
        return np.array([getattr(r, attr) for r in recs], dtype="float64")  # None becomes NaN

    n = len(keys)
    data = {
        "metric_id": _strings([metric.id] * n),
        "area_code": _strings([k[0] for k in keys]),
        "area_type": _strings([tg.area_type for tg in tgs]),
        "area_name_fi": _strings([tg.name_fi for tg in tgs]),
        "area_name_sv": _strings([tg.name_sv for tg in tgs]),
        "period": _strings([k[1] for k in keys]),
        "year": np.array([r.year for r in recs], dtype="int64"),
        "gender": _strings([gender] * n),
        "age_band": _strings([age_band] * n),
        "value": floats("value"),
        "numerator": floats("numerator"),
        "denominator": floats("denominator"),
        "status": _strings([r.status for r in recs]),
        "basis": _strings([r.basis for r in recs]),
        "batch_id": pd.array([r.batch_id for r in recs], dtype="Int64"),
    }
    return pd.DataFrame(data)  # keys in RESULT_COLUMNS order (a `columns=` argument re-selects: slower)


def _query_values(conn: Connection, catalog: Catalog, metrics: Sequence[AnyMetric], targets: Sequence[AreaTarget], selection: Selection) -> dict[str, Values]:
    leaves: dict[str, AnyMetric] = {}
    for metric in metrics:
        for leaf in leaf_metrics(metric, catalog):
            leaves[leaf.id] = leaf
    raw = _fetch(conn, list(leaves.values()), targets, selection)
    memo: dict[str, Values] = {}
    return {m.id: _evaluate(m, raw, catalog, selection, memo) for m in metrics}


def query_metric(engine: Engine, catalog: Catalog, metric_id: str, selection: Selection) -> pd.DataFrame:
    """Tidy values of one metric for the selection's areas (aggregates computed and labelled)."""
    metric = catalog.get(metric_id)
    with engine.connect() as conn:
        targets = _resolve(selection.areas, _area_rows(conn))
        if not targets:
            return pd.DataFrame(columns=RESULT_COLUMNS)
        values = _query_values(conn, catalog, [metric], targets, selection)[metric.id]
    return _frame(metric, values, targets, selection)


def metric_values_all_municipalities(engine: Engine, catalog: Catalog, metric_id: str, period: str | None = None) -> pd.DataFrame:
    """Every municipality's value for one period (the latest with data when None): rankings and maps."""
    metric = catalog.get(metric_id)
    with engine.connect() as conn:
        rows = _area_rows(conn)
        codes = sorted({r["code"] for r in rows if r["area_type"] == MUNICIPALITY})
        targets = _resolve(codes, rows)
        selection = Selection(areas=tuple(codes), periods=(period,) if period else None)
        values = _query_values(conn, catalog, [metric], targets, selection)[metric.id]
    if period is None:
        with_value = [(rec.year, key[1]) for key, rec in values.items() if rec.value is not None]
        if with_value:
            latest = max(with_value)[1]
            values = {k: v for k, v in values.items() if k[1] == latest}
    return _frame(metric, values, targets, selection)


# ---------------------------------------------------------------------------------------------
# Cards


@dataclass(frozen=True)
class MetricCard:
    """Everything an overview card shows, decided here so pages only display it.

    `note` is a message key under `metrics.note.*` (translate with t()), or None.
    """

    metric_id: str
    area_code: str
    latest_period: str | None
    latest_value: float | None
    previous_value: float | None
    change_1: float | None
    change_5: float | None
    comparison_code: str | None
    comparison_value: float | None
    comparison_basis: str | None
    relative: str
    target_value: float | None
    target_status: str
    trend: str
    sparkline: tuple[tuple[str, float | None], ...]
    min_numerator: float | None
    note: str | None
    basis: str | None = None
    band: str | None = None  # 'good' | 'watch' | 'poor' from thresholds, None without thresholds
    trend_direction: str | None = None  # 'up' | 'down' | 'flat' (also for neutral metrics)
    comparison_name_fi: str | None = None
    comparison_name_sv: str | None = None


def _better(metric: AnyMetric, a: float, b: float) -> str:
    """'better'/'worse'/'same' of a against b, 'same' within half of the shown precision."""
    if abs(a - b) < 0.5 * 10 ** (-metric.decimals):
        return "same"
    if metric.direction is Direction.NEUTRAL:
        return "unknown"
    higher = a > b
    return "better" if higher == (metric.direction is Direction.HIGHER_IS_BETTER) else "worse"


def _pick_target(metric: AnyMetric, area_code: str, year: int) -> Target | None:
    """The area's own target, else the general one: the first at or after `year`, else the last."""
    own = [tg for tg in metric.targets if tg.area == area_code]
    pool = own or [tg for tg in metric.targets if tg.area is None]
    if not pool:
        return None
    future = sorted((tg for tg in pool if tg.year >= year), key=lambda tg: tg.year)
    return future[0] if future else max(pool, key=lambda tg: tg.year)


def _trend(metric: AnyMetric, points: list[tuple[int, float]]) -> tuple[str, str | None]:
    """Least-squares change over the window; 'stable' within 2 % of the level or the shown precision."""
    if len(points) < 3:
        return "unknown", None
    x = np.array([p[0] for p in points], dtype="float64")
    y = np.array([p[1] for p in points], dtype="float64")
    slope = float(np.polyfit(x, y, 1)[0])
    change = slope * (x.max() - x.min())
    tolerance = max(0.02 * float(np.mean(np.abs(y))), 0.5 * 10 ** (-metric.decimals))
    if abs(change) <= tolerance:
        return "stable", "flat"
    up = change > 0
    if metric.direction is Direction.NEUTRAL:
        return "unknown", "up" if up else "down"
    good = up == (metric.direction is Direction.HIGHER_IS_BETTER)
    return ("improving" if good else "worsening"), ("up" if up else "down")


def _band(metric: AnyMetric, value: float) -> str | None:
    if metric.thresholds is None:
        return None
    sign = -1.0 if metric.direction is Direction.LOWER_IS_BETTER else 1.0
    if sign * value >= sign * metric.thresholds.good:
        return "good"
    if sign * value <= sign * metric.thresholds.poor:
        return "poor"
    return "watch"


def _card(metric: AnyMetric, values: Values, area: AreaTarget, comparison: AreaTarget | None) -> MetricCard:
    area_code = area.code
    comparison_code = comparison.code if comparison else None
    comp_names = (comparison.name_fi, comparison.name_sv) if comparison else (None, None)
    own = sorted(((rec.year, per, rec) for (code, per), rec in values.items() if code == area_code), key=lambda r: (r[0], r[1]))
    with_value = [r for r in own if r[2].value is not None]
    if not with_value:
        return MetricCard(metric.id, area_code, None, None, None, None, None, comparison_code, None, None,
                          "unknown", None, "no_target", "unknown", (), None, "no_data",
                          comparison_name_fi=comp_names[0], comparison_name_sv=comp_names[1])
    year, latest_period, last = with_value[-1]
    latest = float(last.value)  # type: ignore[arg-type]
    by_year = {y: float(r.value) for y, _p, r in with_value}  # type: ignore[arg-type]
    previous = float(with_value[-2][2].value) if len(with_value) > 1 else None  # type: ignore[arg-type]
    change_1 = latest - by_year[year - 1] if (year - 1) in by_year else None
    change_5 = latest - by_year[year - 5] if (year - 5) in by_year else None
    comp = values.get((comparison_code, latest_period)) if comparison_code else None
    comp_value = comp.value if comp is not None else None
    comp_basis = comp.basis if comp is not None and comp.value is not None else None
    relative = _better(metric, latest, comp_value) if comp_value is not None else "unknown"
    target = _pick_target(metric, area_code, year)
    target_value = target.value if target else None
    band = _band(metric, latest)
    if target_value is not None:
        target_status = "on_target" if _better(metric, latest, target_value) in ("better", "same") else "off_target"
    elif band is not None:
        target_status = "on_target" if band == "good" else "off_target"
    else:
        target_status = "no_target"
    trend, trend_dir = _trend(metric, [(y, by_year[y]) for y in sorted(by_year) if y >= year - TREND_YEARS])
    spark = [(y, p, r) for y, p, r in own if year - SPARKLINE_POINTS < y <= year]
    nums = [r.min_num for _y, _p, r in spark if r.min_num is not None]
    note = None
    if comparison_code and comp_value is None:
        note = "no_comparison"
    elif comp_basis in ("weighted", "unweighted", "computed"):
        note = f"comparison_{comp_basis}"
    return MetricCard(
        metric_id=metric.id, area_code=area_code, latest_period=latest_period, latest_value=latest,
        previous_value=previous, change_1=change_1, change_5=change_5, comparison_code=comparison_code,
        comparison_value=comp_value, comparison_basis=comp_basis, relative=relative,
        target_value=target_value, target_status=target_status, trend=trend,
        sparkline=tuple((p, r.value) for _y, p, r in spark), min_numerator=min(nums) if nums else None,
        note=note, basis=last.basis, band=band, trend_direction=trend_dir,
        comparison_name_fi=comp_names[0], comparison_name_sv=comp_names[1],
    )


def _cards(engine: Engine, catalog: Catalog, metrics: Sequence[AnyMetric], area_code: str, compare_with: str) -> list[MetricCard]:
    code = PILOT if area_code.strip().lower() == PILOT else normalise_area_code(area_code)
    with engine.connect() as conn:
        rows = _area_rows(conn)
        comparison = _comparison_target(rows, code, compare_with)
        codes = [code] + ([comparison] if comparison and comparison != code else [])
        targets = _resolve(codes, rows)
        values = _query_values(conn, catalog, metrics, targets, Selection(areas=tuple(codes)))
    comp_target = targets[1] if len(targets) > 1 else None
    return [_card(m, values[m.id], targets[0], comp_target) for m in metrics]


def metric_card(engine: Engine, catalog: Catalog, metric_id: str, area_code: str, compare_with: str = "region") -> MetricCard:
    """The card of one metric for one area, compared with its region (or county, finland, ...)."""
    return _cards(engine, catalog, [catalog.get(metric_id)], area_code, compare_with)[0]


def overview_cards(engine: Engine, catalog: Catalog, area_code: str, compare_with: str = "region", include_drafts: bool = False) -> list[MetricCard]:
    """Cards of all approved (and optionally draft) metrics in theme order, in a few batch queries."""
    metrics = [m for ms in catalog.by_theme(include_drafts=include_drafts).values() for m in ms]
    if not metrics:
        return []
    return _cards(engine, catalog, metrics, area_code, compare_with)

# ---------------------------------------------------------------------------------------------
# Metadata


def _all_series_codes(metric: AnyMetric, catalog: Catalog) -> list[str]:
    codes: list[str] = []
    for leaf in leaf_metrics(metric, catalog):
        for code in leaf.input_series():
            if code not in codes:
                codes.append(code)
    return codes


def metric_provenance(engine: Engine, catalog: Catalog, metric_id: str) -> pd.DataFrame:
    """Per series behind the metric: titles, source, licence, attribution and its latest load.

    The latest load is `series_coverage.last_batch_id` (max batch over the series' facts, kept by
    the loaders), so this reads O(series) rows instead of aggregating the fact table.
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
        )
        .select_from(series.outerjoin(cov, cov.c.series_id == series.c.series_id).outerjoin(load_batch, load_batch.c.batch_id == cov.c.last_batch_id))
        .where(series.c.code.in_(codes))
    )
    with engine.connect() as conn:
        df = pd.DataFrame(conn.execute(stmt).mappings().all())
    if df.empty:
        df = pd.DataFrame(columns=["series_code", "title_fi", "title_sv", "title_en", "source", "licence", "attribution", "source_url", "is_synthetic", "batch_id", "loaded_at", "fetched_at", "location"])
    df.insert(0, "metric_id", metric.id)
    df["series_code"] = pd.Categorical(df["series_code"], categories=codes, ordered=True)
    df = df.sort_values("series_code")
    df["series_code"] = df["series_code"].astype(str)
    missing = [c for c in codes if c not in set(df["series_code"])]
    if missing:
        extra = pd.DataFrame({"metric_id": metric.id, "series_code": missing})
        df = pd.concat([df, extra], ignore_index=True)
    return df.reset_index(drop=True)


def list_areas(engine: Engine, area_type: str | None = None) -> pd.DataFrame:
    """Areas of the database (optionally of one type), sorted by type and code."""
    with engine.connect() as conn:
        df = _areas_frame(conn)
    if area_type:
        df = df[df["area_type"] == area_type]
    return df.drop(columns=["area_id"]).sort_values(["area_type", "code", "valid_from"]).reset_index(drop=True)


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


def default_comparison(metric: AnyMetric) -> str:
    """The metric's first `compare_with` entry as the string `metric_card` takes ('region', '244,425')."""
    if not metric.compare_with:
        return "region"
    first = metric.compare_with[0]
    if isinstance(first, CodeList):
        return ",".join(first.codes)
    return first.value
