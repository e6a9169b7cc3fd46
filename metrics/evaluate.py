"""Evaluation: fetch a metric's inputs in few statements and apply the aggregation rules.

Areas are resolved once (`metrics.areas`), then one compiled statement per distinct
(weight series, population group) fetches every input series for every requested area, and
the aggregation rules are applied on that small grouped result in plain Python (per-operation
pandas overhead would dominate at this size; one DataFrame is built per metric at the end):

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

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy.engine import Connection

from metrics.catalog import Catalog
from metrics.compiler import AreaTarget, compile_inputs, metric_inputs
from metrics.expr import parse_expression
from metrics.model import (
    Aggregation,
    AnyMetric,
    DerivedMetric,
    RatioMetric,
    Selection,
    SimpleMetric,
    SumMetric,
)

logger = logging.getLogger(__name__)

RESULT_COLUMNS = [
    "metric_id", "area_code", "area_type", "area_name_fi", "area_name_sv", "period", "year",
    "gender", "age_band", "value", "numerator", "denominator", "status", "basis", "batch_id",
]
BASIS_ORDER = {"source": 0, "computed": 1, "weighted": 2, "unweighted": 3}

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
