"""The judgements: one rule each for trend, comparison, threshold band, target and attention.

Every surface (overview cards, the public summary and its print view, exports, the CLI and
later reports and the API) reads these verdicts through `readout.build`, so the same number gets
the same words everywhere. The rules work on plain numbers, know nothing of languages or pages,
and are documented for readers in docs/readout.md; change a rule here and there together.

* **Trend** ("improving"): the least-squares line through the area's yearly values of the last
  `TREND_SPAN` years before the latest one (up to six values, at least `TREND_MIN_POINTS`). Its
  change over the window counts only when it exceeds `TREND_TOLERANCE` of the mean level (and half
  the shown precision). A line, not the two end points, because a small municipality's single
  year jumps: one unusual first or last year must not decide the verdict.
* **Comparison**: the latest value against the comparison area's value of the same period;
  "about the same" within `COMPARISON_TOLERANCE` of the comparison value (or half the shown
  precision). Counts are never compared as they are with an area of another size: per
  1 000 residents when both populations are known, otherwise not at all.
* **Band**: thresholds from the metric (`good`, `poor`), read in the metric's direction.
* **Target**: the area's own target, else the general one (first at or after the latest year,
  else the last); met when the value is at least as good as the target.
* **Attention** ("worth a closer look"): worsening, off target or in the poor band, or worse than
  the comparison area; the reasons in that order of weight.
* **Freshness** (is the newest figure as new as it should be?): a period is *expected* once its
  last month plus the source's usual publication lag (`PUBLICATION_LAG_MONTHS`) has passed.
  The data is **stale** when a period newer than the newest one shown is already expected, in
  the grain of the metric's `update_frequency`: yearly Sotkanet data (lag 12 months) for 2024
  is expected from January 2026, so in 2026 a newest year of 2023 or older is stale, i.e. more
  than one year behind the current year plus the lag. Irregular metrics are not judged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np

logger = logging.getLogger(__name__)

Direction = Literal["higher_is_better", "lower_is_better", "neutral"]
TrendVerdict = Literal["improving", "worsening", "rising", "falling", "stable", "unknown"]
ComparisonVerdict = Literal["better", "worse", "higher", "lower", "same", "unknown", "not_comparable"]
BandVerdict = Literal["good", "watch", "poor"]
TargetVerdict = Literal["on_target", "off_target", "no_target"]
AttentionReason = Literal["worsening", "off_target", "worse_than_comparison"]
FreshnessVerdict = Literal["current", "stale", "not_judged", "no_data"]

#: How many years before the latest one the trend looks back (the window is span + 1 years).
TREND_SPAN = 5
#: Fewest values in the window for any trend verdict.
TREND_MIN_POINTS = 3
#: A fitted change smaller than this share of the mean level is "stable".
TREND_TOLERANCE = 0.03
#: A difference smaller than this share of the comparison value is "about the same".
COMPARISON_TOLERANCE = 0.05
#: Counts are compared per this many residents.
PER_RESIDENTS = 1000
#: Months a period lasts, per `update_frequency` (irregular metrics have no due date).
FREQUENCY_MONTHS = {"yearly": 12, "quarterly": 3, "monthly": 1}
#: How long after a period ends its figures usually appear, per source (the batch's `source`).
#: THL Sotkanet publishes most municipal yearly indicators during the following year; Statistics
#: Finland publishes its tables within weeks to a few months; own data is due when it ends.
PUBLICATION_LAG_MONTHS = {"sotkanet": 12, "statfin": 3, "own": 0}
#: The lag of a source not listed above.
DEFAULT_LAG_MONTHS = 12


@dataclass(frozen=True)
class TrendFit:
    """The verdict and what it rests on: the fitted change over the window and its years."""

    verdict: TrendVerdict
    direction: Literal["up", "down", "flat"] | None
    change: float | None
    first_year: int | None
    last_year: int | None
    points: int


def precision_floor(decimals: int) -> float:
    """Half of the last shown digit: a difference the reader cannot see is no difference."""
    return 0.5 * 10 ** (-max(0, int(decimals)))


def _moved(direction: Direction, up: bool, good: str, bad: str, rising: str, falling: str) -> str:
    if direction == "neutral":
        return rising if up else falling
    return good if up == (direction == "higher_is_better") else bad


def judge_trend(points: Sequence[tuple[int, float]], direction: Direction, decimals: int) -> TrendFit:
    """The trend of yearly `(year, value)` points (any order) ending at the latest year."""
    if not points:
        return TrendFit("unknown", None, None, None, None, 0)
    last = max(year for year, _ in points)
    window = sorted((y, v) for y, v in points if last - TREND_SPAN <= y <= last)
    if len(window) < TREND_MIN_POINTS:
        return TrendFit("unknown", None, None, window[0][0] if window else None, last, len(window))
    x = np.array([p[0] for p in window], dtype="float64")
    y = np.array([p[1] for p in window], dtype="float64")
    slope = float(np.polyfit(x, y, 1)[0])
    change = slope * float(x.max() - x.min())
    tolerance = max(TREND_TOLERANCE * float(np.mean(np.abs(y))), precision_floor(decimals))
    first = int(x.min())
    if abs(change) <= tolerance:
        return TrendFit("stable", "flat", change, first, last, len(window))
    up = change > 0
    verdict = _moved(direction, up, "improving", "worsening", "rising", "falling")
    return TrendFit(verdict, "up" if up else "down", change, first, last, len(window))  # type: ignore[arg-type]


def judge_difference(value: float, other: float, direction: Direction, decimals: int) -> ComparisonVerdict:
    """`value` against `other` (comparison area or target): better/worse, or higher/lower if neutral."""
    tolerance = max(COMPARISON_TOLERANCE * abs(other), precision_floor(decimals))
    if abs(value - other) <= tolerance:
        return "same"
    return _moved(direction, value > other, "better", "worse", "higher", "lower")  # type: ignore[return-value]


def per_residents(value: float | None, population: float | None) -> float | None:
    """A count per `PER_RESIDENTS` residents; None when either is unknown or the population is 0."""
    if value is None or population is None or population <= 0:
        return None
    return value / population * PER_RESIDENTS


def judge_band(value: float, good: float, poor: float, direction: Direction) -> BandVerdict:
    """Good at or beyond `good`, poor at or beyond `poor`, else watch (in the metric's direction)."""
    sign = -1.0 if direction == "lower_is_better" else 1.0
    if sign * value >= sign * good:
        return "good"
    if sign * value <= sign * poor:
        return "poor"
    return "watch"


def pick_target(targets: Sequence[tuple[int, float, str | None]], area_code: str, year: int) -> tuple[int, float] | None:
    """`(year, value, area)` targets: the area's own, else the general ones; first at or after
    `year`, else the last one."""
    own = [(y, v) for y, v, a in targets if a == area_code]
    pool = own or [(y, v) for y, v, a in targets if a is None]
    if not pool:
        return None
    future = sorted(tg for tg in pool if tg[0] >= year)
    return future[0] if future else max(pool)


def judge_target(value: float, target: float | None, band: BandVerdict | None, direction: Direction,
                 decimals: int) -> TargetVerdict:
    """On target when at least as good as the target (equal within the shown precision counts);
    without a target the band decides (good = on target); without either there is no target."""
    if target is not None:
        if abs(value - target) < precision_floor(decimals):
            return "on_target"
        better = _moved(direction, value > target, "better", "worse", "better", "worse")
        return "on_target" if better == "better" else "off_target"
    if band is not None:
        return "on_target" if band == "good" else "off_target"
    return "no_target"


def attention(trend: TrendVerdict, target: TargetVerdict, band: BandVerdict | None,
              comparison: ComparisonVerdict) -> tuple[AttentionReason, ...]:
    """Why a metric is worth a closer look (empty when it is not), most serious first."""
    reasons: list[AttentionReason] = []
    if trend == "worsening":
        reasons.append("worsening")
    if target == "off_target" or band == "poor":
        reasons.append("off_target")
    if comparison == "worse":
        reasons.append("worse_than_comparison")
    return tuple(reasons)


_TREND_RANK = {"worsening": 0, "stable": 2, "improving": 3}


def attention_rank(trend: TrendVerdict, target: TargetVerdict, comparison: ComparisonVerdict) -> tuple[int, int, int]:
    """Sort key, most worth a look first: trend (worsening, unknown, stable, improving), then off
    target, then worse than the comparison area."""
    return (_TREND_RANK.get(trend, 1), 0 if target == "off_target" else 1, 0 if comparison == "worse" else 1)


@dataclass(frozen=True)
class Freshness:
    """Whether the newest period is as new as it should be, and the newest period expected by now
    (None for irregular metrics and when there is no data)."""

    verdict: FreshnessVerdict
    expected: str | None = None


def publication_lag(origins: Sequence[str]) -> int:
    """The publication lag in months of data from these sources: the longest one (the metric is
    not due before its slowest input)."""
    return max((PUBLICATION_LAG_MONTHS.get(o, DEFAULT_LAG_MONTHS) for o in origins), default=DEFAULT_LAG_MONTHS)


def period_end_month(period: str) -> int | None:
    """The last month of a period code as a month count (year * 12 + month - 1); None if unreadable."""
    code = str(period).strip().upper()
    if len(code) == 4 and code.isdigit():
        return int(code) * 12 + 11
    if len(code) == 6 and code[4] == "Q" and code[:4].isdigit() and code[5] in "1234":
        return int(code[:4]) * 12 + 3 * int(code[5]) - 1
    if len(code) in (6, 7) and code[4] == "M" and code[:4].isdigit() and code[5:].isdigit() and 1 <= int(code[5:]) <= 12:
        return int(code[:4]) * 12 + int(code[5:]) - 1
    return None


def _period_code(start_month: int, months: int) -> str:
    year, month = divmod(start_month, 12)
    if months == 12:
        return str(year)
    if months == 3:
        return f"{year}Q{month // 3 + 1}"
    return f"{year}M{month + 1:02d}"


def expected_period(frequency: str, lag_months: int, today: date) -> str | None:
    """The newest period of `frequency` whose figures should be published by `today`: its last
    month plus `lag_months` lies wholly before today's month."""
    months = FREQUENCY_MONTHS.get(frequency)
    if months is None:
        return None
    last_allowed = today.year * 12 + today.month - 1 - lag_months - 1
    start = (last_allowed - months + 1) // months * months
    return _period_code(start, months)


def judge_freshness(period: str | None, frequency: str, lag_months: int, today: date) -> Freshness:
    """The freshness of a metric whose newest figure is for `period` (see the module docstring)."""
    if not period or period_end_month(period) is None:
        return Freshness("no_data", expected_period(frequency, lag_months, today))
    expected = expected_period(frequency, lag_months, today)
    if expected is None:
        return Freshness("not_judged")
    stale = period_end_month(period) < period_end_month(expected)  # type: ignore[operator]
    return Freshness("stale" if stale else "current", expected)
