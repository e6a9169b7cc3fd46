"""How far computed area values are from the source's own: the check behind every declared weight.

THL Sotkanet publishes region (maakunta) rows of its own. Recomputing each region from its
member municipalities with the metric layer's rules and comparing with the published row tells
whether a metric's weight is right: a rate weighted by its real base lands within rounding of
the published value, a stand-in base (population for the labour force) is off by however much
the two bases differ between municipalities. `kuntamittari aggregation-report` prints this per
metric; a shipped approximation must stay within `APPROXIMATION_LIMIT` (a test checks the
bundled data), else the metric is `source_only`.

Error measure: relative to the published value, after the part that rounding alone explains
(a published 0 counts only when the difference is more than rounding).
Sotkanet rounds both the region value and every member value to the series' decimals (one
unit `u` in the last decimal: ±u/2 each), so a difference up to `u` is no evidence of a wrong
weight: `beyond_rounding = max(0, |computed - published| - u) / |published|`. For derived
metrics `u` is the sum over their components; counts and ratios of counts are exact (u = 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import replace

import pandas as pd
from sqlalchemy import Engine

from metrics.areas import _area_context, _resolve
from metrics.catalog import Catalog
from metrics.evaluate import Values, _query_values, leaf_metrics
from metrics.model import Aggregation, AnyMetric, DerivedMetric, RatioMetric, Selection, WeightBasis

APPROXIMATION_LIMIT = 0.02
REGION = "maakunta"
REPORT_COLUMNS = [
    "metric_id", "weighting", "min_coverage", "compared", "partial", "insufficient", "max_error",
    "max_beyond_rounding", "worst", "rounding_unit",
]


def weighting(metric: AnyMetric) -> str:
    """How the metric's area values are computed, in one word for the report."""
    if isinstance(metric, DerivedMetric):
        return "derived"
    if isinstance(metric, RatioMetric):
        return "ratio"
    rule = getattr(metric, "aggregation", None)
    if rule is Aggregation.SOURCE_ONLY:
        return "source_only"
    if rule is Aggregation.SUM:
        return "sum"
    basis = getattr(metric, "weight_basis", None)
    return "approximation" if basis is WeightBasis.APPROXIMATION else "denominator" if basis else "undeclared"


def _decimals(values: Iterable[float], cap: int = 6) -> int:
    """The number of decimals the values are published with (the most any of them needs)."""
    most = 0
    for value in values:
        for d in range(cap + 1):
            scaled = value * 10**d
            if abs(scaled - round(scaled)) < 1e-6 * max(1.0, abs(scaled)):
                most = max(most, d)
                break
        else:
            return cap
    return most


def _unit(metric: AnyMetric, catalog: Catalog, published: dict[str, Values]) -> float:
    """One unit in the last published decimal of each rounded component, summed (0 for counts)."""
    total = 0.0
    for leaf in leaf_metrics(metric, catalog):
        if isinstance(leaf, RatioMetric) or getattr(leaf, "aggregation", None) is Aggregation.SUM:
            continue
        values = [r.value for r in published.get(leaf.id, {}).values() if r.value is not None]
        if values:
            total += 10.0 ** -_decimals(values)
    return total


def region_comparison(engine: Engine, catalog: Catalog, metrics: Sequence[AnyMetric] | None = None) -> tuple[dict[str, Values], dict[str, Values]]:
    """(published, computed) values per metric for every region: the region's own rows only, and
    the same regions computed from their member municipalities only."""
    chosen = list(metrics) if metrics is not None else sorted(catalog.metrics.values(), key=lambda m: m.id)
    needed = {leaf.id: leaf for m in chosen for leaf in leaf_metrics(m, catalog)}
    with engine.connect() as conn:
        context = _area_context(conn)
        codes = sorted({str(r["code"]) for r in context.rows if r["area_type"] == REGION})
        targets = _resolve(codes, context.rows)
        own = [replace(t, member_ids=(), member_valid_to=()) for t in targets]
        members = [replace(t, direct_ids=()) for t in targets]
        selection = Selection(areas=tuple(codes))
        published = _query_values(conn, catalog, [*chosen, *needed.values()], own, selection, context)
        computed = _query_values(conn, catalog, chosen, members, selection, context)
    return published, computed


def aggregation_report(engine: Engine, catalog: Catalog, metrics: Sequence[AnyMetric] | None = None) -> pd.DataFrame:
    """Per metric: how many region-years could be compared, and the largest relative errors of the
    computed values against the published ones (columns `REPORT_COLUMNS`; errors as fractions)."""
    from kuntamittari.settings import get_settings

    chosen = list(metrics) if metrics is not None else sorted(catalog.metrics.values(), key=lambda m: m.id)
    published, computed = region_comparison(engine, catalog, chosen)
    rows = []
    for metric in chosen:
        unit = _unit(metric, catalog, published)
        pub = published.get(metric.id, {})
        worst_error, worst_beyond, worst = 0.0, 0.0, ""
        compared = partial = insufficient = 0
        for key, rec in sorted(computed.get(metric.id, {}).items()):
            ref = pub.get(key)
            if ref is None or ref.value is None or rec.basis == "source":
                continue
            if rec.value is None:
                insufficient += rec.status == "insufficient"
                continue
            compared += 1
            partial += rec.status == "partial"
            diff = abs(rec.value - ref.value)
            if not ref.value:  # a relative error of a published 0 is undefined: only rounding can excuse it
                error, beyond = 0.0, (0.0 if diff <= unit + 1e-9 else math.inf)
            else:
                error, beyond = diff / abs(ref.value), max(0.0, diff - unit) / abs(ref.value)
            if beyond > worst_beyond or (beyond == worst_beyond and error > worst_error):
                worst = f"{key[0]} {key[1]}: {rec.value:.{max(metric.decimals, 1) + 1}f} vs {ref.value:g}"
            worst_error, worst_beyond = max(worst_error, error), max(worst_beyond, beyond)
        threshold = metric.min_coverage if metric.min_coverage is not None else get_settings().min_coverage
        rows.append({
            "metric_id": metric.id, "weighting": weighting(metric), "min_coverage": threshold,
            "compared": compared, "partial": partial, "insufficient": insufficient,
            "max_error": worst_error if compared else None, "max_beyond_rounding": worst_beyond if compared else None,
            "worst": worst, "rounding_unit": unit,
        })
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)


def report_markdown(report: pd.DataFrame, headers: Sequence[str]) -> str:
    """The report as a Markdown table (the CLI prints it; docs/metrics.md quotes it)."""
    def pct(value: object) -> str:
        return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{float(value) * 100:.2f} %"

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for r in report.itertuples():
        lines.append("| " + " | ".join([
            r.metric_id, r.weighting, f"{r.min_coverage * 100:.0f} %", str(r.compared), str(r.partial),
            str(r.insufficient), pct(r.max_error), pct(r.max_beyond_rounding), r.worst or "–",
        ]) + " |")
    return "\n".join(lines)
