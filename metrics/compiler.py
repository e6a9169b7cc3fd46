"""Compile a metric's inputs for a set of resolved areas into one SQLAlchemy Core query.

Pure: no engine, no I/O. Every value from YAML or the user becomes a bound parameter; the
structure of the query comes from code only. The query returns, per input series, area target
and period, the pieces the service needs to apply the aggregation rules exactly:

* mode 'direct': the area's own source row (a municipality, or a region that has rows of its own);
* mode 'members': sums over the member municipalities of an aggregate (region, county, Finland,
  the pilot group) that exist on the query's municipal division, including value x weight sums
  for weighted means and, for every aggregate, the weight series' own member sums (the weight
  the members should have: the denominator of coverage).

Division alignment: rows of a series on an older municipal division than the query's are left
out where the borders differ (a successor and the municipalities merged into it, in the years
up to the merger), so a value never mixes borders; see `metrics.areas.exclusions`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Integer, String, and_, case, cast, func, literal, not_, null, or_, select, union_all
from sqlalchemy.sql import ColumnElement, Select

from datamodel.schema import area, fact, group, period, series
from kuntamittari.settings import get_settings
from metrics.model import AnyMetric, Aggregation, DerivedMetric, RatioMetric


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
    # Last year of existence of each member (None: still exists), parallel to member_ids; empty
    # = every member exists on every division.
    member_valid_to: tuple[int | None, ...] = ()

    @property
    def is_aggregate(self) -> bool:
        return bool(self.member_ids)

    def members_on(self, division: int | None) -> tuple[int, ...]:
        """Members that exist on a municipal division (all of them when `division` is None)."""
        if division is None or not self.member_valid_to:
            return self.member_ids
        return tuple(i for i, v in zip(self.member_ids, self.member_valid_to, strict=True) if v is None or v >= division)

    def expected(self, division: int | None, year: int) -> int:
        """Members the aggregate has in `year` on `division`: those existing on the division that
        had not merged away by that year (a merged municipality has no rows after its merger)."""
        if not self.member_valid_to:
            return len(self.member_ids)
        floor = year if division is None else max(division, year)
        return sum(1 for v in self.member_valid_to if v is None or v >= floor)


@dataclass(frozen=True)
class Exclusion:
    """Rows of `series_codes` for `area_ids` up to `last_year` are on other borders than the query's."""

    series_codes: tuple[str, ...]
    area_ids: tuple[int, ...]
    last_year: int


# Aliases built once: constructing them per call costs more than running a small query.
_F, _P, _S, _G = fact.alias("f"), period.alias("p"), series.alias("s"), group.alias("g")
_W, _WS, _A = fact.alias("w"), series.alias("ws"), area.alias("a")

RAW_COLUMNS = (
    "target_code", "mode", "period", "year", "series_code", "sum_value", "n_value", "sum_wv",
    "sum_w", "n_w", "sum_num", "sum_den", "min_num", "n_not_ok", "status", "batch_id", "sum_vw",
)


def _excluded(exclusions: Sequence[Exclusion], code_col: ColumnElement | None, area_col: ColumnElement,
              year_col: ColumnElement, weight_code: str | None = None) -> ColumnElement | None:
    """A condition true for rows on other borders than the query's (None when there are none).

    For the fact rows `code_col` is the series code; for the weight join (`code_col` None) only
    exclusions of the weight series apply."""
    conds = []
    for ex in exclusions:
        if code_col is None:
            if weight_code not in ex.series_codes:
                continue
            conds.append(and_(area_col.in_(ex.area_ids), year_col <= ex.last_year))
        else:
            conds.append(and_(code_col.in_(ex.series_codes), area_col.in_(ex.area_ids), year_col <= ex.last_year))
    return or_(*conds) if conds else None


def _member_part(code: str, f: Any, p: Any, s: Any, wv: Any, frm: Any, conds: list, members: Sequence[int]) -> Select:
    """Sums over an aggregate's member municipalities, per period and series (`wv`: the weight)."""
    return (
        select(
            literal(code, String).label("target_code"),
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
            func.sum(case((and_(f.c.value.is_not(None), f.c.status != "ok"), 1), else_=0)).label("n_not_ok"),
            literal("ok", String).label("status"),
            cast(func.max(f.c.batch_id), Integer).label("batch_id"),
            cast(func.sum(case((wv.is_(None), None), else_=f.c.value)), Float).label("sum_vw"),
        )
        .select_from(frm)
        .where(*conds, f.c.area_id.in_(sorted(members)))
        .group_by(p.c.code, p.c.year, s.c.code)
    )


def compile_inputs(
    series_codes: Sequence[str],
    weight_code: str | None,
    targets: Sequence[AreaTarget],
    periods: Iterable[str] | None,
    gender: str,
    age_band: str,
    division: int | None = None,
    exclusions: Sequence[Exclusion] = (),
    weight_totals: bool = True,
) -> Select:
    """One statement for all `series_codes` and `targets` (a UNION ALL of direct and member parts).

    With `weight_totals` member parts also read `weight_code` as a series of its own (the weight
    the members should have: needed only where some member has no value, so the caller may ask
    for it in a second, smaller statement); a weight that is also an input is always read.
    `division` picks the members that exist on that municipal division; `exclusions` leave out
    rows on other borders (see `Exclusion`)."""
    codes = sorted(set(series_codes))
    period_list = sorted(set(periods)) if periods is not None else None
    direct_ids = sorted({i for t in targets for i in t.direct_ids})
    parts: list[Select] = []

    def base(weighted: bool, wanted: list[str]):  # type: ignore[no-untyped-def]
        f, p, s, g = _F, _P, _S, _G
        frm = (
            f.join(p, p.c.period_id == f.c.period_id)
            .join(s, s.c.series_id == f.c.series_id)
            .join(g, g.c.group_id == f.c.group_id)
        )
        w = None
        if weighted:
            w, ws = _W, _WS
            on = [w.c.area_id == f.c.area_id, w.c.period_id == f.c.period_id, w.c.group_id == f.c.group_id,
                  w.c.series_id == ws.c.series_id]
            off_weight = _excluded(exclusions, None, w.c.area_id, p.c.year, weight_code)
            if off_weight is not None:
                on.append(not_(off_weight))
            frm = frm.outerjoin(ws, ws.c.code == literal(weight_code, String)).outerjoin(w, and_(*on))
        conds = [s.c.code.in_(wanted), g.c.gender == gender, g.c.age_band == age_band]
        if period_list is not None:
            conds.append(p.c.code.in_(period_list))
        off = _excluded(exclusions, s.c.code, f.c.area_id, p.c.year)
        if off is not None:
            conds.append(not_(off))
        return f, p, s, w, frm, conds

    weighted = weight_code is not None
    if direct_ids and codes:
        # An area's own row is used as it is: no weight needed, so no self-join.
        f, p, s, w, frm, conds = base(False, codes)
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
                cast(null(), Float).label("sum_vw"),
            )
            .select_from(frm)
            .where(*conds, f.c.area_id.in_(direct_ids))
        )
    value_codes = [c for c in codes if c != weight_code]
    for target in targets:
        members = target.members_on(division)
        if not members:
            continue
        if value_codes:
            f, p, s, w, frm, conds = base(weighted, value_codes)
            parts.append(_member_part(target.code, f, p, s, w.c.value if w is not None else cast(null(), Float),
                                      frm, conds, members))
        if weight_code is not None and (weight_totals or weight_code in codes):
            # The weight series' own member sums (the weight the members should have), read
            # without the self-join: joined to itself a row's weight is its own value.
            f, p, s, _w, frm, conds = base(False, [weight_code])
            parts.append(_member_part(target.code, f, p, s, f.c.value, frm, conds, members))
    if not parts:
        raise ValueError("nothing to compile: no areas")
    return parts[0] if len(parts) == 1 else union_all(*parts)  # type: ignore[return-value]


def metric_inputs(metric: AnyMetric) -> tuple[list[str], str | None]:
    """(series to read, aggregation weight series) of a non-derived metric.

    The weight is what an aggregate's coverage is measured in: a rate's own base (`weight`), a
    ratio's denominator, and for counts the metric's `weight` or else the population series of
    the settings (`coverage_weight_series`); `source_only` metrics have none. A ratio's
    denominator is both an input and the weight."""
    if isinstance(metric, DerivedMetric):
        return [], None
    if isinstance(metric, RatioMetric):
        return [metric.numerator, metric.denominator], metric.denominator
    rule = getattr(metric, "aggregation", None)
    declared = getattr(metric, "weight", None)
    inputs = [c for c in metric.input_series() if c != declared]
    if rule is Aggregation.SOURCE_ONLY:
        return inputs, None
    if rule is Aggregation.SUM and declared is None:
        return inputs, get_settings().coverage_weight_series
    return inputs, declared


def explain(statement: Select, dialect_name: str = "sqlite") -> str:
    """The statement as SQL text for reading (parameters inlined for display only)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql.dialect() if dialect_name.startswith("postgres") else sqlite.dialect()
    try:
        compiled = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    except Exception:  # noqa: BLE001 - fall back to the parametrised form for display
        compiled = statement.compile(dialect=dialect)
    return str(compiled)
