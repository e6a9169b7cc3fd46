"""The rules one metric file must meet beyond its schema: one set for every way a metric is written.

`kuntamittari validate`, the catalogue loader, the authoring form (which builds the same YAML
document and validates it the same way) and the training material's snippets all run these,
after the model (`metrics.model`) has accepted the file's shape. Each rule reports through `add`
(code, line, field, message key, parameters, hint, level); messages are `validation.*` keys.

The authoring form adds a few nudges of its own that are advice, not validity (no owner named, no
comparison area, texts not yet translated): a file without them is still a valid metric.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from metrics.expr import parse_expression
from metrics.issues import hint
from metrics.model import AnyMetric, DerivedMetric, Direction, SumMetric

Add = Callable[..., None]
MAX_NAME_LENGTH = 120
USUAL_MIN_COUNT = 5
TARGET_AREA = re.compile(r"^(\d{3}|SK\d+|MK\d{2}|HVA\d{2}|SSS)$")
TEXT_FIELDS = ("name", "description", "unit", "caveats", "why_it_matters", "approximation_note")


def file_checks(metric: AnyMetric, parsed: Any, add: Add) -> None:
    """Every per-file rule, in the order a reader meets the fields."""
    line = parsed.line_of
    _translations(metric, line, add)
    if len(metric.name.fi) > MAX_NAME_LENGTH:
        add("name-too-long", line("name.fi"), "name.fi", "name_too_long", {"max": MAX_NAME_LENGTH, "length": len(metric.name.fi)})
    _inputs(metric, line, add)
    _units(metric, line, add)
    band = metric.filters.age_band
    if band and band != "all":
        low, _, high = band.partition("-")
        if high and int(high) < int(low):
            add("age-band-order", line("filters.age_band"), "filters.age_band", "age_band_order", {"value": band})
    _targets(metric, line, add)
    _thresholds(metric, line, add)
    if 0 < metric.min_count < USUAL_MIN_COUNT:  # 0 = deliberately no limit (e.g. the population itself)
        add("min-count-low", line("min_count"), "min_count", "min_count_low", {"value": metric.min_count}, level="warning")


def _translations(metric: AnyMetric, line: Callable[[str], int | None], add: Add) -> None:
    """An approved metric needs every text in sv and en (a draft may still lack them)."""
    if metric.status.value != "approved":
        return
    for name in TEXT_FIELDS:
        texts = getattr(metric, name, None)  # approximation_note exists on weighted kinds only
        for lang in ("sv", "en") if texts is not None else ():
            if not getattr(texts, lang):
                add("missing-translation", line(name), f"{name}.{lang}", "missing_translation", {"name": name, "lang": lang},
                    hint("add_translation"))


def _inputs(metric: AnyMetric, line: Callable[[str], int | None], add: Add) -> None:
    if isinstance(metric, SumMetric) and len(set(metric.series)) != len(metric.series):
        add("sum-duplicate", line("series"), "series", "sum_duplicate")
    if isinstance(metric, DerivedMetric):
        names = parse_expression(metric.expression).names()
        if metric.id in names:
            add("expression-self", line("expression"), "expression", "expression_self", {"id": metric.id})
        elif not names:
            add("expression-no-metric", line("expression"), "expression", "expression_no_metric")


def _units(metric: AnyMetric, line: Callable[[str], int | None], add: Add) -> None:
    """Ratio scale and unit must agree: per cent is x100, 'per 1 000' is x1000."""
    if metric.kind != "ratio":
        return
    scale = metric.scale  # type: ignore[union-attr]
    unit = metric.unit.fi.replace(" ", "").replace("\u00a0", "")
    shown = f"{scale:g}"
    if "%" in unit and scale != 100:
        add("unit-mismatch", line("scale"), "scale", "unit_percent_scale", {"scale": shown}, hint("use_scale_100"))
    elif "1000" in unit and scale != 1000:
        add("unit-mismatch", line("scale"), "scale", "unit_per_1000_scale", {"scale": shown}, hint("use_scale_1000"))
    elif scale == 100 and "%" not in unit:
        add("unit-mismatch", line("unit"), "unit", "scale_100_not_percent", None, hint("write_percent"), level="warning")


def _targets(metric: AnyMetric, line: Callable[[str], int | None], add: Add) -> None:
    seen: set[tuple[int, str | None]] = set()
    for i, target in enumerate(metric.targets):
        if target.area is not None and not TARGET_AREA.match(target.area):
            add("target-area", line(f"targets.{i}.area"), f"targets.{i}.area", "target_area_bad", {"area": target.area})
        if (target.year, target.area) in seen:
            add("target-duplicate", line(f"targets.{i}"), f"targets.{i}", "target_duplicate", {"year": target.year})
        seen.add((target.year, target.area))


def _thresholds(metric: AnyMetric, line: Callable[[str], int | None], add: Add) -> None:
    """The good threshold lies on the good side of the poor one, in the metric's direction."""
    bands = metric.thresholds
    if bands is None:
        return
    params = {"good": f"{bands.good:g}", "poor": f"{bands.poor:g}"}
    if bands.good == bands.poor:
        add("threshold-order", line("thresholds"), "thresholds", "threshold_equal")
    elif metric.direction is Direction.HIGHER_IS_BETTER and bands.good < bands.poor:
        add("threshold-order", line("thresholds"), "thresholds", "threshold_order_higher", params, hint("swap_thresholds"))
    elif metric.direction is Direction.LOWER_IS_BETTER and bands.good > bands.poor:
        add("threshold-order", line("thresholds"), "thresholds", "threshold_order_lower", params, hint("swap_thresholds"))



def context_checks(metric: AnyMetric, line: Callable[[str], int | None], add: Add, *, metric_ids: set[str],
                   is_new: bool) -> None:
    """A single document against the catalogue it joins (the authoring form): its id is free and
    the metrics its formula uses exist. The same codes and messages as the catalogue's rules
    (`metrics.rules`: duplicate-id, unknown-metric), which check a whole directory at once."""
    import difflib

    if is_new and metric.id in metric_ids:
        add("duplicate-id", line("id"), "id", "id_taken", {"id": metric.id, "other": f"{metric.id}.yaml"}, hint("unique_id"))
    if isinstance(metric, DerivedMetric):
        for ref in metric.references():
            if ref != metric.id and ref not in metric_ids:
                close = difflib.get_close_matches(ref, sorted(metric_ids), n=1)
                add("unknown-metric", line("expression"), "expression", "unknown_metric", {"ref": ref},
                    hint("did_you_mean", suggestion=close[0]) if close else hint("refer_valid"))


__all__ = ["MAX_NAME_LENGTH", "context_checks", "file_checks"]
