"""Overview cards: one metric's latest value, change, comparison, target, band and trend for an area."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine

from datamodel.areas import normalise_area_code
from metrics.areas import PILOT, _area_rows, _comparison_target, _resolve
from metrics.catalog import Catalog
from metrics.compiler import AreaTarget
from metrics.evaluate import Values, _query_values
from metrics.model import AnyMetric, Direction, Selection, Target

logger = logging.getLogger(__name__)

TREND_YEARS = 5
SPARKLINE_POINTS = 10

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
