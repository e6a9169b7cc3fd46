"""Base years in formulas (`population[2010]`): which periods a query must also read.

A derived metric may name another metric's value in a base year (`metrics.expr`). Its value for a
period then needs the base year's period too, which the selection may not include ("2011 only");
the query layer reads these extra periods and returns only the selected ones.
"""

from __future__ import annotations

from collections.abc import Iterable

from metrics.catalog import Catalog
from metrics.expr import base_period, parse_expression
from metrics.model import AnyMetric, DerivedMetric


def base_years(metrics: Iterable[AnyMetric], catalog: Catalog) -> set[int]:
    """Base years named by the formulas of `metrics` and of the derived metrics they use."""
    years: set[int] = set()
    seen: set[str] = set()
    stack = list(metrics)
    while stack:
        metric = stack.pop()
        if metric.id in seen or not isinstance(metric, DerivedMetric):
            continue
        seen.add(metric.id)
        expr = parse_expression(metric.expression)
        years.update(expr.base_years())
        stack.extend(catalog.get(name) for name in expr.names())
    return years


def fetch_periods(periods: tuple[str, ...] | None, years: set[int]) -> tuple[str, ...] | None:
    """The selected periods and their base-year periods (a base year of a base year is one of
    `years` again, so one step is the whole closure); None (every period) stays None."""
    if periods is None or not years:
        return periods
    return tuple(sorted(set(periods) | {base_period(p, y) for p in periods for y in years}))
