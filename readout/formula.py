"""Plain-language formulas ("Tulomuuttajat / Väestö 31.12. × 1 000") for pages and reviews.

A council member should see what a number is made of without reading YAML. Series titles come
from the database when the caller passes them (`series_titles`: code -> {fi, sv, en}), else from
the bundled Sotkanet indicator list (Finnish only), else the series code is shown. A title that
exists only in Finnish is shown in Finnish with a visible marker ("(in Finnish)"), never passed
off as a translation.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from kuntamittari.i18n import t
from metrics.expr import parse_expression
from readout.formatting import format_number
from metrics.model import Aggregation, AnyMetric, DerivedMetric, RatioMetric, SimpleMetric, SumMetric

logger = logging.getLogger(__name__)

_BUNDLED_INDICATORS = Path(__file__).resolve().parent.parent / "datamodel" / "data" / "sotkanet-2013" / "indicators.csv"


@lru_cache(maxsize=1)
def _bundled_titles() -> dict[str, str]:
    """Finnish titles of the bundled Sotkanet indicators (empty when the file is absent)."""
    try:
        with _BUNDLED_INDICATORS.open(encoding="utf-8", newline="") as handle:
            return {f"sotkanet:{row['indicator']}": row["title_fi"] for row in csv.DictReader(handle)}
    except (OSError, KeyError) as exc:
        logger.debug("no bundled indicator titles: %s", exc)
        return {}


def _scale_text(value: float, lang: str) -> str:
    """1000 -> '1 000' (fi, sv) or '1,000' (en); a fractional scale keeps its decimals."""
    decimals = 0 if float(value).is_integer() else len(repr(float(value)).split(".")[1])
    return format_number(value, lang, decimals)


def series_label(code: str, lang: str, titles: Mapping[str, Mapping[str, str]]) -> str:
    """A series' title in `lang`; the Finnish one with a marker when there is no other; the code."""
    known = {k: v for k, v in (titles.get(code) or {}).items() if isinstance(v, str) and v}
    if known.get(lang):
        return known[lang]
    if known.get("fi"):
        return f"{known['fi']} {t('readout.fallback_marker', lang)}"
    return code


def describe_formula(
    metric: AnyMetric,
    lang: str,
    series_titles: Mapping[str, Mapping[str, str]] | None = None,
    metric_names: Mapping[str, str] | None = None,
) -> str:
    """The metric's formula in words of `lang` (titles of series, names of metrics)."""
    titles = {code: {"fi": title} for code, title in _bundled_titles().items()}
    titles.update(series_titles or {})

    def label(code: str) -> str:
        return series_label(code, lang, titles)

    times = t("metrics.formula.times", lang)
    if isinstance(metric, SimpleMetric):
        return label(metric.series)
    if isinstance(metric, RatioMetric):
        text = f"{label(metric.numerator)} / {label(metric.denominator)}"
        if metric.scale != 1:
            text += f" {times} {_scale_text(metric.scale, lang)}"
        return text
    if isinstance(metric, SumMetric):
        return " + ".join(label(code) for code in metric.series)
    if isinstance(metric, DerivedMetric):
        names = metric_names or {}
        return parse_expression(metric.expression).render(
            lambda name: names.get(name, name),
            lambda text, year: t("change.formula_in_year", lang, name=text, year=year),
        ).replace("*", times)
    raise TypeError(f"unknown metric kind {type(metric).__name__}")  # pragma: no cover


def describe_aggregation(metric: AnyMetric, lang: str) -> str:
    """How the metric is rolled up over areas, in words (for the indicator page)."""
    agg = getattr(metric, "aggregation", None)
    if isinstance(metric, RatioMetric):
        return t("metrics.aggregation.ratio", lang)
    if isinstance(metric, DerivedMetric):
        return t("metrics.aggregation.derived", lang)
    if agg is Aggregation.SUM:
        return t("metrics.aggregation.sum", lang)
    if agg is Aggregation.SOURCE_ONLY:
        return t("metrics.aggregation.source_only", lang)
    return t("metrics.aggregation.weighted_mean", lang)