"""The readout of a municipality: the metric layer's values with the judgements of `readout.rules`.

`build_area_readout(engine, catalog, area)` is the one entry point every surface uses; it asks
the metric layer (`readout.collect`) and then `readout_from_collected` turns the rows into typed,
language-independent `readout.model` objects. The second step is pure, so tests build readouts
from hand-made frames (coverage columns included) without a database.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, get_args

import pandas as pd
from sqlalchemy import Engine

from kuntamittari.settings import get_settings
from metrics.catalog import Catalog
from metrics.model import AnyMetric
from readout import rules
from readout.collect import Collected, ReadoutError, collect, is_count
from readout.model import (
    AreaReadout,
    AreaRef,
    Audience,
    HIDDEN_STATUSES,
    Comparison,
    MetricInfo,
    MetricReadout,
    Point,
    SeriesRef,
    Source,
    TargetStatus,
    Trend,
    ValueStatus,
    texts,
)
from readout.sources import merge_sources, readout_sources, source_of_batch

logger = logging.getLogger(__name__)

__all__ = [
    "PUBLIC_COMPARISONS", "ReadoutError", "build_area_readout", "build_public_readout", "collect_public", "metric_info",
    "readout_from_collected", "value_standing",
]

#: What every public surface (page, print view, PDF, API, static site) compares a municipality with.
PUBLIC_COMPARISONS: tuple[str, ...] = ("region", "county", "finland")

#: The statuses a row may carry (the metric layer's, and the published table's `too_few`); an
#: unknown one reads as a plain value.
_STATUSES = frozenset(get_args(ValueStatus))


def build_area_readout(engine: Engine, catalog: Catalog, area_code: str, *,
                       compare_with: Sequence[str] = ("region",), audience: Audience = "internal",
                       include_drafts: bool = False, with_parts: bool = False,
                       metric_ids: Sequence[str] | None = None) -> AreaReadout:
    """The readout of `area_code`: every approved metric (and drafts when asked, never for the
    public) in theme order, compared with the areas of `compare_with` ('region', 'county',
    'finland', 'pilot', 'similar' or area codes). A public readout is disclosure-controlled.
    Raises `ReadoutError` for an unknown area."""
    drafts = include_drafts and audience == "internal"
    metrics = [m for ms in catalog.by_theme(include_drafts=drafts).values() for m in ms]
    if metric_ids is not None:
        wanted = set(metric_ids)
        metrics = [m for m in metrics if m.id in wanted] or [catalog.get(i) for i in metric_ids]
    data = collect(engine, catalog, metrics, area_code, compare_with=compare_with, audience=audience,
                   with_parts=with_parts)
    return readout_from_collected(data, metrics)


def _public_metrics(catalog: Catalog) -> list[AnyMetric]:
    return [m for ms in catalog.by_theme(include_drafts=False).values() for m in ms]


def collect_public(engine: Engine, catalog: Catalog, area_code: str) -> Collected:
    """The disclosure-controlled cells of a municipality's public readout, before any judgement:
    exactly what its public page, CSV, PDF and API answer may show together."""
    return collect(engine, catalog, _public_metrics(catalog), area_code, compare_with=PUBLIC_COMPARISONS,
                   audience="public", with_parts=True)


def build_public_readout(engine: Engine, catalog: Catalog, area_code: str) -> AreaReadout:
    """The public readout of a municipality: approved metrics only, compared with its region,
    county and Finland, with male/female parts, disclosure-controlled. Every public surface reads this."""
    return readout_from_collected(collect_public(engine, catalog, area_code), _public_metrics(catalog))


def metric_info(metric: AnyMetric) -> MetricInfo:
    """The catalogue's description of a metric as plain readout data."""
    return MetricInfo(
        metric_id=metric.id, theme=metric.theme.value, name=texts(metric.name.as_dict()),
        unit=texts(metric.unit.as_dict()), description=texts(metric.description.as_dict()),
        why=texts(metric.why_it_matters.as_dict() if metric.why_it_matters else None),
        caveats=texts(metric.caveats.as_dict() if metric.caveats else None),
        approximation_note=texts(note.as_dict() if (note := getattr(metric, "approximation_note", None)) else None),
        direction=metric.direction.value, decimals=int(metric.decimals), is_count=is_count(metric),
        status=metric.status.value, min_count=int(metric.min_count), declared_source=metric.source,
        update_frequency=metric.update_frequency.value,
    )


def _area_ref(data: Collected, role: str, code: str) -> AreaRef:
    rows = data.areas[data.areas["code"] == code]
    if rows.empty:
        return AreaRef(code, role)
    row = rows.iloc[-1]
    names = {lang: row.get(f"name_{lang}") for lang in ("fi", "sv", "en")}
    clean = {k: str(v) for k, v in names.items() if isinstance(v, str) and v}
    return AreaRef(code, role, texts(clean), str(row.get("area_type") or "") or None)


def _num(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _int(value: Any) -> int | None:
    number = _num(value)
    return None if number is None else int(number)


def point_from_row(row: dict[str, Any]) -> Point:
    """One tidy row as a `Point`; a value that must not be shown becomes None with its reason."""
    value = _num(row.get("value"))
    status = str(row.get("status") or "ok")
    status = status if status in _STATUSES else "ok"
    if bool(row.get("suppressed", False)):
        status = "too_few"
    if status in HIDDEN_STATUSES:
        value = None
    elif value is None:
        status = "missing"
    coverage = _num(row.get("coverage"))
    return Point(
        period=str(row["period"]), year=int(row["year"]), value=value, status=status,  # type: ignore[arg-type]
        basis=str(row["basis"]) if isinstance(row.get("basis"), str) else None, coverage=coverage,
        members_present=_int(row.get("members_present")), members_expected=_int(row.get("members_expected")),
    )


_COLUMNS = ("role", "gender", "period", "year", "value", "status", "basis", "suppressed", "coverage",
            "members_present", "members_expected", "batch_id")
Grouped = dict[tuple[str, str], list[Point]]


def _grouped(frame: pd.DataFrame) -> Grouped:
    """The frame's rows as Points by (role, gender), oldest first: one pass over plain lists (per-row
    pandas filtering for every metric and area cost more than the queries behind them)."""
    columns = {c: frame[c].tolist() for c in _COLUMNS if c in frame.columns}
    out: Grouped = {}
    for i in range(len(frame)):
        row = {c: values[i] for c, values in columns.items()}
        out.setdefault((str(row["role"]), str(row.get("gender") or "total")), []).append(point_from_row(row))
    for points in out.values():
        points.sort(key=lambda p: (p.year, p.period))
    return out


def _series(grouped: Grouped, role: str, gender: str | None = None) -> tuple[Point, ...]:
    """One area's points: of one gender, or (a metric fixed to one gender) all of the role's rows."""
    if gender is not None:
        return tuple(grouped.get((role, gender), ()))
    return tuple(sorted((p for (r, _g), ps in grouped.items() if r == role for p in ps), key=lambda p: (p.year, p.period)))


def _latest(points: Sequence[Point]) -> Point | None:
    """The newest period that has a value or a reason for having none."""
    for point in reversed(points):
        if point.value is not None or point.status in HIDDEN_STATUSES:
            return point
    return None


def _value_at(points: Sequence[Point], year: int) -> float | None:
    return next((p.value for p in points if p.year == year and p.value is not None), None)


def _trend(info: MetricInfo, points: Sequence[Point], latest: Point | None) -> Trend:
    if latest is None or latest.value is None:
        return Trend()
    valued = [p for p in points if p.value is not None and p.year <= latest.year]
    fit = rules.judge_trend([(p.year, p.value) for p in valued], info.direction, info.decimals)  # type: ignore[misc]
    if fit.verdict == "unknown":
        return Trend(first_year=fit.first_year, last_year=fit.last_year)
    start = next(p for p in valued if p.year >= (fit.first_year or latest.year))
    return Trend(fit.verdict, fit.direction, fit.change, fit.first_year, fit.last_year, start, latest)


Population = dict[tuple[str, str], float]  # (area code, period) -> residents


def _population(frame: pd.DataFrame | None) -> Population:
    if frame is None or frame.empty:
        return {}
    rows = frame[frame["gender"].astype(str) == "total"] if "gender" in frame else frame
    return {(str(c), str(p)): float(v) for c, p, v in zip(rows["area_code"], rows["period"], rows["value"], strict=True)
            if _num(v) is not None}


def _compare(info: MetricInfo, latest: Point | None, area: AreaRef, other: Point | None, own_code: str,
             population: Population) -> Comparison:
    """The latest value against one comparison area (see `readout.rules` for the rule)."""
    if other is None or other.value is None:
        reason = "no_data" if other is None or other.status == "missing" else other.status
        return Comparison(area, "unknown", other, reason=reason)
    if latest is None or latest.value is None:
        return Comparison(area, "unknown", other)
    if not info.is_count:
        return Comparison(area, rules.judge_difference(latest.value, other.value, info.direction, info.decimals),
                          other, basis="value")
    own_rate = rules.per_residents(latest.value, population.get((own_code, latest.period)))
    other_rate = rules.per_residents(other.value, population.get((area.code, other.period)))
    if info.metric_id == get_settings().population_metric or own_rate is None or other_rate is None:
        return Comparison(area, "not_comparable", other, reason="different_size")
    verdict = rules.judge_difference(own_rate, other_rate, info.direction, 1)
    return Comparison(area, verdict, other, "per_1000_residents", own_rate, other_rate)


def value_standing(metric: AnyMetric, area_code: str, year: int, value: float) -> tuple[str | None, TargetStatus]:
    """A value's threshold band (None without thresholds) and target status: the one rule for
    both, used by the readout and by the change digest ("a threshold or target was crossed")."""
    direction = metric_info(metric).direction
    band = None
    if metric.thresholds is not None:
        band = rules.judge_band(value, metric.thresholds.good, metric.thresholds.poor, direction)
    picked = rules.pick_target([(tg.year, tg.value, tg.area) for tg in metric.targets], area_code, year)
    target = picked[1] if picked else None
    verdict = rules.judge_target(value, target, band, direction, metric.decimals)
    return band, TargetStatus(verdict, target, picked[0] if picked else None)


def _target(metric: AnyMetric, info: MetricInfo, code: str, latest: Point | None) -> tuple[str | None, TargetStatus]:
    if latest is None or latest.value is None:
        return None, TargetStatus()
    return value_standing(metric, code, latest.year, latest.value)


@dataclass(frozen=True)
class _Shared:
    """What every metric of one readout shares, worked out once."""

    data: Collected
    refs: tuple[AreaRef, ...]
    population: Population
    sources: dict[int, Source]


def metric_readout(metric: AnyMetric, frame: pd.DataFrame, shared: _Shared) -> MetricReadout:
    """Everything said about one metric for the collected area (pure: no database)."""
    info = metric_info(metric)
    refs, grouped = shared.refs, _grouped(frame)
    own = _series(grouped, "area", _gender(metric))
    series = [SeriesRef(refs[0], own)] + [SeriesRef(ref, _series(grouped, ref.role, _gender(metric))) for ref in refs[1:]]
    parts = tuple(SeriesRef(refs[0], pts, g) for g in ("male", "female")
                  if metric.filters.gender is None and (pts := _series(grouped, "area", g)))
    latest = _latest(own)
    valued = [p for p in own if p.value is not None and latest is not None and p.year <= latest.year]
    previous = valued[-2] if latest is not None and latest.value is not None and len(valued) > 1 else None
    change_1 = change_5 = None
    if latest is not None and latest.value is not None:
        before_1, before_5 = _value_at(own, latest.year - 1), _value_at(own, latest.year - 5)
        change_1 = latest.value - before_1 if before_1 is not None else None
        change_5 = latest.value - before_5 if before_5 is not None else None
    comparisons = []
    for ref, other in zip(refs[1:], series[1:], strict=True):
        at = next((p for p in other.points if latest is not None and p.period == latest.period), None)
        comparisons.append(_compare(info, latest, ref, at, shared.data.area_code, shared.population))
    band, target = _target(metric, info, shared.data.area_code, latest)
    trend = _trend(info, own, latest)
    first = comparisons[0].verdict if comparisons else "unknown"
    batch_ids = {int(b) for b in frame["batch_id"].dropna()} if "batch_id" in frame else set()
    return MetricReadout(
        info=info, latest=latest, previous=previous, change_1=change_1, change_5=change_5, trend=trend,
        comparisons=tuple(comparisons), band=band, target=target,  # type: ignore[arg-type]
        attention=rules.attention(trend.verdict, target.verdict, band, first),  # type: ignore[arg-type]
        series=tuple(series), parts=parts,
        sources=merge_sources(shared.sources[b] for b in sorted(batch_ids) if b in shared.sources),
    )


def _gender(metric: AnyMetric) -> str | None:
    return "total" if metric.filters.gender is None else None


def readout_from_collected(data: Collected, metrics: Sequence[AnyMetric]) -> AreaReadout:
    """The area's readout from what `collect` returned (metrics without rows are left out)."""
    refs = tuple(_area_ref(data, role, code) for role, code in data.roles)
    sources = {} if data.batches.empty else {int(r["batch_id"]): source_of_batch(r) for r in data.batches.to_dict("records")}
    shared = _Shared(data, refs, _population(data.population), sources)
    items = [metric_readout(m, data.frames[m.id], shared) for m in metrics if m.id in data.frames]
    batch_ids = sorted({int(b) for m in items if m.metric_id in data.frames and "batch_id" in data.frames[m.metric_id]
                        for b in data.frames[m.metric_id]["batch_id"].dropna()})
    return AreaReadout(refs[0], data.audience, refs[1:], tuple(items), readout_sources(items), tuple(batch_ids))
