"""Compile a metric's inputs for a set of resolved areas into one SQLAlchemy Core query.

Pure: no engine, no I/O. Every value from YAML or the user becomes a bound parameter; the
structure of the query comes from code only. The query returns, per input series, area target
and period, the pieces the service needs to apply the aggregation rules exactly:

* mode 'direct': the area's own source row (a municipality, or a region that has rows of its own);
* mode 'members': sums over the member municipalities of an aggregate (region, county, Finland,
  the pilot group), including value x weight sums for weighted means.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Float, Integer, String, and_, case, cast, func, literal, null, select, union_all
from sqlalchemy.sql import Select

from datamodel.schema import area, fact, group, period, series
from metrics.model import AnyMetric, DerivedMetric


@dataclass(frozen=True)
class AreaTarget:
    """An area code of a selection resolved against dim_area."""

    code: str
    area_type: str
    name_fi: str
    name_sv: str | None
    name_en: str | None
    direct_ids: tuple[int, ...]  # dim_area rows carrying this code (own source rows)
    member_ids: tuple[int, ...] = ()  # municipalities of an aggregate; () for a municipality

    @property
    def is_aggregate(self) -> bool:
        return bool(self.member_ids)


# Aliases built once: constructing them per call costs more than running a small query.
_F, _P, _S, _G = fact.alias("f"), period.alias("p"), series.alias("s"), group.alias("g")
_W, _WS, _A = fact.alias("w"), series.alias("ws"), area.alias("a")

RAW_COLUMNS = (
    "target_code", "mode", "period", "year", "series_code", "sum_value", "n_value", "sum_wv",
    "sum_w", "n_w", "sum_num", "sum_den", "min_num", "n_not_ok", "status", "batch_id",
)


def compile_inputs(
    series_codes: Sequence[str],
    weight_code: str | None,
    targets: Sequence[AreaTarget],
    periods: Iterable[str] | None,
    gender: str,
    age_band: str,
) -> Select:
    """One statement for all `series_codes` and `targets` (a UNION ALL of direct and member parts)."""
    codes = sorted(set(series_codes))
    period_list = sorted(set(periods)) if periods is not None else None
    direct_ids = sorted({i for t in targets for i in t.direct_ids})
    parts: list[Select] = []

    def base(weighted: bool):  # type: ignore[no-untyped-def]
        f, p, s, g = _F, _P, _S, _G
        frm = (
            f.join(p, p.c.period_id == f.c.period_id)
            .join(s, s.c.series_id == f.c.series_id)
            .join(g, g.c.group_id == f.c.group_id)
        )
        w = None
        if weighted:
            w, ws = _W, _WS
            frm = frm.outerjoin(
                ws, ws.c.code == literal(weight_code, String)
            ).outerjoin(
                w,
                and_(
                    w.c.area_id == f.c.area_id,
                    w.c.period_id == f.c.period_id,
                    w.c.group_id == f.c.group_id,
                    w.c.series_id == ws.c.series_id,
                ),
            )
        conds = [s.c.code.in_(codes), g.c.gender == gender, g.c.age_band == age_band]
        if period_list is not None:
            conds.append(p.c.code.in_(period_list))
        return f, p, s, w, frm, conds

    weighted = weight_code is not None
    if direct_ids:
        # An area's own row is used as it is: no weight needed, so no self-join.
        f, p, s, w, frm, conds = base(False)
        a = _A
        frm = frm.join(a, a.c.area_id == f.c.area_id)
        wv = w.c.value if w is not None else cast(null(), Float)
        parts.append(
            select(
                a.c.code.label("target_code"),
                literal("direct", String).label("mode"),
                p.c.code.label("period"),
                p.c.year.label("year"),
                s.c.code.label("series_code"),
                cast(f.c.value, Float).label("sum_value"),
                case((f.c.value.is_(None), 0), else_=1).label("n_value"),
                cast(f.c.value * wv, Float).label("sum_wv"),
                cast(case((f.c.value.is_(None), None), else_=wv), Float).label("sum_w"),
                case((and_(f.c.value.is_not(None), wv.is_not(None)), 1), else_=0).label("n_w"),
                cast(f.c.numerator, Float).label("sum_num"),
                cast(f.c.denominator, Float).label("sum_den"),
                cast(f.c.numerator, Float).label("min_num"),
                case((f.c.status == "ok", 0), else_=1).label("n_not_ok"),
                f.c.status.label("status"),
                f.c.batch_id.label("batch_id"),
            )
            .select_from(frm)
            .where(*conds, f.c.area_id.in_(direct_ids))
        )
    for target in targets:
        if not target.member_ids:
            continue
        f, p, s, w, frm, conds = base(weighted)
        wv = w.c.value if w is not None else cast(null(), Float)
        parts.append(
            select(
                literal(target.code, String).label("target_code"),
                literal("members", String).label("mode"),
                p.c.code.label("period"),
                p.c.year.label("year"),
                s.c.code.label("series_code"),
                cast(func.sum(f.c.value), Float).label("sum_value"),
                func.count(f.c.value).label("n_value"),
                cast(func.sum(f.c.value * wv), Float).label("sum_wv"),
                cast(func.sum(case((f.c.value.is_(None), None), else_=wv)), Float).label("sum_w"),
                func.sum(case((and_(f.c.value.is_not(None), wv.is_not(None)), 1), else_=0)).label("n_w"),
                cast(func.sum(f.c.numerator), Float).label("sum_num"),
                cast(func.sum(f.c.denominator), Float).label("sum_den"),
                cast(func.min(f.c.numerator), Float).label("min_num"),
                func.sum(case((f.c.status == "ok", 0), else_=1)).label("n_not_ok"),
                literal("ok", String).label("status"),
                cast(func.max(f.c.batch_id), Integer).label("batch_id"),
            )
            .select_from(frm)
            .where(*conds, f.c.area_id.in_(sorted(target.member_ids)))
            .group_by(p.c.code, p.c.year, s.c.code)
        )
    if not parts:
        raise ValueError("nothing to compile: no areas")
    return parts[0] if len(parts) == 1 else union_all(*parts)  # type: ignore[return-value]


def metric_inputs(metric: AnyMetric) -> tuple[list[str], str | None]:
    """(series to read, weight series) of a non-derived metric."""
    if isinstance(metric, DerivedMetric):
        return [], None
    weight = getattr(metric, "weight", None)
    inputs = [c for c in metric.input_series() if c != weight]
    return inputs, weight


def explain(statement: Select, dialect_name: str = "sqlite") -> str:
    """The statement as SQL text for reading (parameters inlined for display only)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql.dialect() if dialect_name.startswith("postgres") else sqlite.dialect()
    try:
        compiled = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    except Exception:  # noqa: BLE001 - fall back to the parametrised form for display
        compiled = statement.compile(dialect=dialect)
    return str(compiled)
