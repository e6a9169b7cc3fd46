"""Evaluation: fetch a metric's inputs in few statements and apply the aggregation rules.

Areas are resolved once (`metrics.areas`), then one compiled statement per distinct
(weight series, population group, municipal division) fetches every input series for every
requested area, and the aggregation rules are applied on that small grouped result in plain
Python (per-operation pandas overhead would dominate at this size; one DataFrame is built per
metric at the end):

* an area's own source row always wins (basis 'source'); otherwise an aggregate is computed
  from its member municipalities on the query's division:
* counts (aggregation `sum`): the sum over members with a value ('computed');
* rates (`weighted_mean`): Σ value x weight / Σ weight over members with both, the weight being
  the rate's own base ('weighted') or a declared stand-in for it ('approximation');
* `source_only`: own source rows only;
* ratios: Σ numerators / Σ denominators x scale over members with both (never a mean of rates);
* derived: the expression over the component metrics' values (the weakest component's basis,
  lowest coverage and worst status).

Every computed value carries its coverage: the share of the aggregation weight (the rate's base,
the ratio's denominator, a count's population) held by the members with a value, or where the
weight of some member is unknown, the share of members. Below the metric's threshold
(`min_coverage`, default `settings.min_coverage`; 100 % for a municipality's own `own:` series)
the value is withheld with status 'insufficient'; between the threshold and 100 % it is shown
with status 'partial'. See docs/metrics.md.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy.engine import Connection

from kuntamittari.settings import get_settings
from metrics.areas import AreaContext, _area_context
from metrics.base_years import base_years, fetch_periods
from metrics.catalog import Catalog
from metrics.compiler import AreaTarget, Exclusion, compile_inputs, metric_inputs
from metrics.expr import Expression, base_period, parse_expression
from metrics.model import (
    Aggregation,
    AnyMetric,
    DerivedMetric,
    RatioMetric,
    Selection,
    SimpleMetric,
    SumMetric,
    WeightBasis,
)

logger = logging.getLogger(__name__)

COVERAGE_COLUMNS = ["coverage", "members_present", "members_expected"]
RESULT_COLUMNS = [
    "metric_id", "area_code", "area_type", "area_name_fi", "area_name_sv", "period", "year",
    "gender", "age_band", "value", "numerator", "denominator", "status", "basis", "batch_id",
    *COVERAGE_COLUMNS,
]
BASIS_ORDER = {"source": 0, "computed": 1, "weighted": 2, "approximation": 3}
# Worst wins when values are combined (a derived metric, a sum of series).
STATUS_ORDER = {"ok": 0, "provisional": 1, "partial": 2, "insufficient": 3, "suppressed": 4, "missing": 5}
FULL = 1.0 - 1e-12

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
    coverage: float | None = None  # computed values only: share of the weight the members cover
    present: int | None = None  # members with a value (computed values only)
    expected: int | None = None  # members the aggregate has that year on the division used


Key = tuple[str, str]  # (target code, period code)
Values = dict[Key, _Rec]


@dataclass(frozen=True)
class _Scope:
    """What evaluating one metric needs besides the rows: targets by code and the division."""

    targets: Mapping[str, AreaTarget]
    division: int


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


def metric_division(metric: AnyMetric, catalog: Catalog, context: AreaContext) -> int:
    """The municipal division a metric's values are on: the newest among the series its values
    are made of (a count's coverage-only population weight does not count). Series on older
    divisions are aligned by leaving out rows whose borders differ (`AreaContext.exclusions`)."""
    codes = {c for leaf in leaf_metrics(metric, catalog) for c in leaf.input_series()}
    return max((context.division_of(c) for c in codes), default=context.division_of(""))


RawRows = dict[str, list[tuple]]  # series code -> rows in RAW_COLUMNS order
PlanKey = tuple[str | None, str, str, int]  # (weight, gender, age band, division)


@lru_cache(maxsize=512)
def _compiled(codes: tuple[str, ...], weight: str | None, targets: tuple[AreaTarget, ...],
              periods: tuple[str, ...] | None, gender: str, age_band: str, division: int,
              exclusions: tuple[Exclusion, ...], weight_totals: bool = False) -> Any:
    """`compile_inputs`, memoised: building the statement for 320 areas costs milliseconds, and
    the same selections come back on every rerun. Statements are immutable, so sharing is safe."""
    return compile_inputs(list(codes), weight, targets, periods, gender, age_band, division, exclusions, weight_totals)


def _short(rows: RawRows, weight: str | None, targets: Mapping[str, AreaTarget], division: int) -> set[Key]:
    """Aggregate values some member has no value (or no weight) for: only their coverage needs
    the weight the members should have."""
    out: set[Key] = set()
    for code, code_rows in rows.items():
        if code == weight:
            continue
        for row in code_rows:
            if row[1] == "members" and row[0] in targets:
                expected = targets[row[0]].expected(division, int(row[3]))
                if int(row[6] or 0) < expected or (weight is not None and int(row[9] or 0) < expected):
                    out.add((row[0], row[2]))
    return out


def _fetch(conn: Connection, leaves: Sequence[tuple[AnyMetric, int]], targets: Sequence[AreaTarget],
           selection: Selection, context: AreaContext) -> dict[PlanKey, RawRows]:
    """Raw grouped rows for all inputs of `leaves`, one statement per (weight, group, division),
    and a second, small one for the weight totals of aggregates with members missing."""
    plan: dict[PlanKey, set[str]] = {}
    for metric, division in leaves:
        inputs, weight = metric_inputs(metric)
        gender, age_band = _group_of(metric, selection)
        plan.setdefault((weight, gender, age_band, division), set()).update(inputs)
    out: dict[PlanKey, RawRows] = {}
    periods = tuple(sorted(set(selection.periods))) if selection.periods is not None else None
    by_code = {t.code: t for t in targets}
    for key, codes in plan.items():
        weight, gender, age_band, division = key
        exclusions = context.exclusions(codes | ({weight} if weight else set()), division)
        stmt = _compiled(tuple(sorted(codes)), weight, tuple(targets), periods, gender, age_band, division, exclusions)
        rows: RawRows = {}
        for row in conn.execute(stmt).tuples().all():  # one fetchall: row by row cost ~1 ms per 300 rows
            rows.setdefault(row[4], []).append(row)
        short = _short(rows, weight, by_code, division) if weight is not None and weight not in codes else set()
        if short:
            wanted = tuple(t for t in targets if t.code in {k[0] for k in short})
            short_periods = tuple(sorted({k[1] for k in short}))
            stmt = _compiled((), weight, wanted, short_periods, gender, age_band, division, exclusions, True)
            for row in conn.execute(stmt).tuples().all():
                if (row[0], row[2]) in short:
                    rows.setdefault(row[4], []).append(row)
        out[key] = rows
    return out


def _num(value: object) -> float | None:
    """A database number as a float; NULL and NaN (PostgreSQL floats can hold it) as None."""
    if value is None or value != value:  # NaN is the one value unequal to itself
        return None
    return float(value)  # type: ignore[arg-type]


def _threshold(metric: AnyMetric) -> float:
    """The coverage a computed value needs to be shown. A municipality's own figures (`own:`)
    never make a region or Finland value unless every member reported."""
    if any(code.startswith("own:") for code in metric.input_series()):
        return 1.0
    return metric.min_coverage if metric.min_coverage is not None else get_settings().min_coverage


def _coverage(present_weight: float | None, present: int, total: tuple[float | None, int] | None, expected: int) -> float:
    """Share of the aggregation weight held by the present members: by weight when the weight of
    every expected member is known, else by the number of members."""
    if expected <= 0 or present >= expected:
        return 1.0 if present > 0 else 0.0
    if total is not None and present_weight is not None:
        total_weight, n_weight = total
        if n_weight >= expected and total_weight and total_weight > 0:
            return max(0.0, min(1.0, present_weight / total_weight))
    return present / expected


def _status(coverage: float, threshold: float, not_ok: int) -> str:
    if coverage < threshold - 1e-12:
        return "insufficient"
    if coverage < FULL:
        return "partial"
    return "provisional" if not_ok else "ok"


def _split(rows: Iterable[tuple]) -> tuple[dict[Key, tuple], dict[Key, tuple]]:
    """Raw rows by key: (own source rows, member sums)."""
    direct: dict[Key, tuple] = {}
    members: dict[Key, tuple] = {}
    for row in rows:
        (direct if row[1] == "direct" else members)[(row[0], row[2])] = row
    return direct, members


def _direct_rec(row: tuple) -> _Rec:
    (_t, _m, _p, year, _c, value, _n, _wv, _w, _nw, num, den, min_num, _nok, status, batch_id, _vw) = row
    return _Rec(int(year), _num(value), "source", _num(num), _num(den), _num(min_num), str(status), batch_id)


def _prefer(direct: Values, members: Values) -> Values:
    """Own row with a value, then the computed value, then own row without a value (its status)."""
    out = dict(members)
    for key, rec in direct.items():
        if rec.value is not None or key not in out:
            out[key] = rec
    return out


def _member_rec(row: tuple, rule: Aggregation, total: tuple[float | None, int] | None, expected: int,
                threshold: float, weighted_basis: str) -> _Rec:
    """A computed aggregate of one series from its member sums (see the module docstring)."""
    (_t, _m, _p, year, _c, sum_value, n_value, sum_wv, sum_w, n_w, sum_num, sum_den, min_num, not_ok,
     _s, batch_id, _vw) = row
    sum_value, sum_wv, sum_w = _num(sum_value), _num(sum_wv), _num(sum_w)
    n_value, n_w = int(n_value or 0), int(n_w or 0)
    if rule is Aggregation.SUM:
        present, value, basis = n_value, (sum_value if n_value else None), "computed"
        coverage = _coverage(sum_w if n_w == n_value else None, present, total, expected)
        numerator = value
    else:
        present, basis = n_w, weighted_basis
        value = sum_wv / sum_w if n_w and sum_w and sum_w > 0 and sum_wv is not None else None
        coverage = _coverage(sum_w, present, total, expected)
        numerator, min_num = None, None
    status = _status(coverage, threshold, int(not_ok or 0))
    if status == "insufficient":
        value = numerator = None
    return _Rec(int(year), value, basis, numerator, _num(sum_den) if rule is Aggregation.SUM else None,
                _num(min_num), status, batch_id, coverage, present, expected)


def _series_values(rows: list[tuple], rule: Aggregation, weight_rows: list[tuple], scope: _Scope,
                   threshold: float, weighted_basis: str = "weighted") -> Values:
    """One series per (target, period) after the aggregation rule (see the module docstring)."""
    direct, members = _split(rows)
    out_direct = {key: _direct_rec(row) for key, row in direct.items()}
    if rule is Aggregation.SOURCE_ONLY:
        return out_direct
    _wd, weight_members = _split(weight_rows)
    totals = {key: (_num(row[5]), int(row[6] or 0)) for key, row in weight_members.items()}
    out_members: Values = {}
    for key, row in members.items():
        target = scope.targets.get(key[0])
        if target is None:
            continue
        expected = target.expected(scope.division, int(row[3]))
        out_members[key] = _member_rec(row, rule, totals.get(key), expected, threshold, weighted_basis)
    return _prefer(out_direct, out_members)


def _ratio_values(metric: RatioMetric, rows: RawRows, scope: _Scope) -> Values:
    """Σ numerators / Σ denominators x scale: an area's own rows of both when it has them, else
    over the members with both (the numerator rows carry the denominator as their weight)."""
    num_direct, num_members = _split(rows.get(metric.numerator, []))
    den_direct, den_members = _split(rows.get(metric.denominator, []))
    threshold = _threshold(metric)
    out: Values = {}
    for key in num_direct.keys() & den_direct.keys():
        n, d = _direct_rec(num_direct[key]), _direct_rec(den_direct[key])
        value = n.value / d.value * metric.scale if n.value is not None and d.value else None
        status = max((n.status, d.status), key=lambda st: STATUS_ORDER.get(st, 9))
        out[key] = _Rec(n.year, value, "source", n.value, d.value, n.value, status,
                        max((b for b in (n.batch_id, d.batch_id) if b is not None), default=None))
    for key, row in num_members.items():
        if key in out and out[key].value is not None:
            continue  # the area's own rows win
        target = scope.targets.get(key[0])
        if target is None:
            continue
        year, n_w, not_ok = int(row[3]), int(row[9] or 0), int(row[13] or 0)
        num, den = _num(row[16]), _num(row[8])
        den_row = den_members.get(key)
        total = (_num(den_row[5]), int(den_row[6] or 0)) if den_row is not None else None
        expected = target.expected(scope.division, year)
        coverage = _coverage(den, n_w, total, expected)
        status = _status(coverage, threshold, not_ok)
        shown = status != "insufficient" and n_w > 0 and num is not None and bool(den)
        out[key] = _Rec(year, num / den * metric.scale if shown else None, "computed",  # type: ignore[operator]
                        num if shown else None, den if shown else None, _num(row[12]), status, row[15],
                        coverage, n_w, expected)
    return out


def _weakest(bases: Iterable[str]) -> str:
    return max(bases, key=lambda b: BASIS_ORDER.get(b, 9))


def _combined(recs: Sequence[_Rec], value: float | None, counts: bool = False) -> _Rec:
    """One value made of several (a sum of series, a derived metric): the weakest basis, the
    lowest coverage with its member counts, the worst status."""
    computed = [r for r in recs if r.coverage is not None]
    least = min(computed, key=lambda r: r.coverage) if computed else None  # type: ignore[arg-type, return-value]
    status = max((r.status for r in recs), key=lambda st: STATUS_ORDER.get(st, 9))
    if status == "insufficient":
        value = None
    return _Rec(recs[0].year, value, _weakest(r.basis for r in recs), value if counts else None, None,
                value if counts else None, status,
                max((r.batch_id for r in recs if r.batch_id is not None), default=None),
                least.coverage if least else None, least.present if least else None, least.expected if least else None)


def _derived_values(expr: Expression, parts: Mapping[str, Values]) -> Values:
    """A formula per (target, period) over its metrics' values; `name[year]` reads the value of
    the same target in the base year's period (`base_period`). Keys are those every plain
    operand has (a formula of base-year operands only: those its first operand has)."""
    operands = expr.operands()
    out: Values = {}
    if not operands:  # numbers only: no area or period to give a value to
        return out
    now = [name for name, year in operands if year is None] or [operands[0][0]]
    keys = set.intersection(*(set(parts[name]) for name in now))
    for key in keys:
        found = {(name, year): parts[name].get(key if year is None else (key[0], base_period(key[1], year)))
                 for name, year in operands}
        if any(rec is None for rec in found.values()):
            continue  # no base-year row at all: no value, as for a missing component
        recs = [rec for rec in found.values() if rec is not None]
        value: float | None = None
        if all(r.value is not None for r in recs):
            try:
                value = float(expr.evaluate({(n if y is None else (n, y)): r.value for (n, y), r in found.items()}))
            except (ZeroDivisionError, OverflowError):
                value = None
            if value is not None and (math.isnan(value) or math.isinf(value)):
                value = None
        combined = _combined(recs, value)
        combined.year = parts[now[0]][key].year  # the period's own year, not a base year's
        out[key] = combined
    return out


def _evaluate(metric: AnyMetric, raw: dict[PlanKey, RawRows], catalog: Catalog, selection: Selection,
              memo: dict[tuple[str, int], Values], scope: _Scope) -> Values:
    """Values of `metric` per (target, period) from fetched rows (derived: recursively)."""
    memo_key = (metric.id, scope.division)
    if memo_key in memo:
        return memo[memo_key]
    out: Values = {}
    if isinstance(metric, DerivedMetric):
        expr = parse_expression(metric.expression)
        parts = {name: _evaluate(catalog.get(name), raw, catalog, selection, memo, scope) for name in expr.names()}
        out = _derived_values(expr, parts)
        memo[memo_key] = out
        return out

    _inputs, weight = metric_inputs(metric)
    rows = raw[(weight, *_group_of(metric, selection), scope.division)]
    weight_rows = rows.get(weight, []) if weight else []
    threshold = _threshold(metric)
    basis = "approximation" if getattr(metric, "weight_basis", None) is WeightBasis.APPROXIMATION else "weighted"
    if isinstance(metric, SimpleMetric):
        out = _series_values(rows.get(metric.series, []), metric.aggregation, weight_rows, scope, threshold, basis)
        if metric.aggregation is Aggregation.SUM:  # a count is its own numerator
            for rec in out.values():
                rec.numerator = rec.value
                if rec.basis == "source":
                    rec.min_num = rec.value
    elif isinstance(metric, RatioMetric):
        out = _ratio_values(metric, rows, scope)
    elif isinstance(metric, SumMetric):
        parts = [_series_values(rows.get(code, []), metric.aggregation, weight_rows, scope, threshold, basis)
                 for code in metric.series]
        counts = metric.aggregation is Aggregation.SUM
        for key in set.intersection(*(set(p) for p in parts)):
            recs = [p[key] for p in parts]
            total = None if any(r.value is None for r in recs) else sum(r.value for r in recs)  # type: ignore[misc]
            out[key] = _combined(recs, total, counts)
    else:  # pragma: no cover - the union is exhaustive
        raise TypeError(f"unknown metric kind {type(metric).__name__}")
    memo[memo_key] = out
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
        "coverage": floats("coverage"),
        "members_present": pd.array([r.present for r in recs], dtype="Int64"),
        "members_expected": pd.array([r.expected for r in recs], dtype="Int64"),
    }
    return pd.DataFrame(data)  # keys in RESULT_COLUMNS order (a `columns=` argument re-selects: slower)


def _query_values(conn: Connection, catalog: Catalog, metrics: Sequence[AnyMetric], targets: Sequence[AreaTarget],
                  selection: Selection, context: AreaContext | None = None) -> dict[str, Values]:
    """Values of each metric for the targets. Each metric (with its components) is evaluated on
    one municipal division (`metric_division`); `context` is the memoised area context (read
    here when not given)."""
    context = context if context is not None else _area_context(conn)
    divisions = {m.id: metric_division(m, catalog, context) for m in metrics}
    leaves: dict[tuple[str, int], tuple[AnyMetric, int]] = {}
    for metric in metrics:
        for leaf in leaf_metrics(metric, catalog):
            leaves[(leaf.id, divisions[metric.id])] = (leaf, divisions[metric.id])
    # Formulas with a base year (`x[2010]`) also need the base years' periods; only the selected
    # periods are returned.
    fetched = fetch_periods(selection.periods, base_years(metrics, catalog))
    raw = _fetch(conn, list(leaves.values()), targets, replace(selection, periods=fetched), context)
    by_code = {t.code: t for t in targets}
    memo: dict[tuple[str, int], Values] = {}
    out = {m.id: _evaluate(m, raw, catalog, selection, memo, _Scope(by_code, divisions[m.id])) for m in metrics}
    if fetched != selection.periods:
        wanted = set(selection.periods or ())
        out = {mid: {key: rec for key, rec in values.items() if key[1] in wanted} for mid, values in out.items()}
    return out
