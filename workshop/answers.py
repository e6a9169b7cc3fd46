"""Checking the training material: metric snippets through the metric layer's validator, and
exercise answers against the values the metric layer computes from the bundled data.

No Streamlit here (see `workshop.content` for the material itself).
"""

from __future__ import annotations

import logging
import math
import re
import statistics
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kuntamittari.settings import get_settings
from workshop.content import _HEADING, _SPACES, DATA_DIR, Exercise, Expected, Module, YamlBlock, _outside_fences

logger = logging.getLogger(__name__)

def snippet_issues(block: YamlBlock, module: Module) -> list[str]:
    """Problems of one yaml block: metric definitions through the metric layer's validator,
    governance cards by shape; anything else is reported."""
    where = f"{module.path.name}:{block.line}"
    if block.data is None:
        return [f"{where}: not valid YAML"]
    if block.is_governance_card:
        card = block.data["governance_card"]
        needed = {"metric", "owner", "maintainer", "sources", "update_cycle", "quality_checks", "disclosure"}
        missing = needed - set(card or {})
        return [f"{where}: governance card lacks {', '.join(sorted(missing))}"] if missing else []
    if not block.is_metric:
        return [f"{where}: a yaml block must be a metric definition (kind: ...) or a governance_card"]
    from metrics.yaml_io import load_metric_text

    metric_id = str(block.data.get("id", "metric"))
    metric, issues = load_metric_text(block.text, f"{metric_id}.yaml")
    errors = []
    for i in issues:
        if i.level != "error":
            continue
        line = block.line + i.line - 1 if i.line else block.line
        text = f"{module.path.name}:{line}: [{i.code}] " + (f"{i.field}: " if i.field else "") + i.message
        errors.append(text + (f"; {i.hint}" if i.hint else ""))
    if metric is None and not errors:
        errors.append(f"{where}: metric did not validate")
    return errors


def snippet_metrics(modules: list[Module]) -> dict[str, Any]:
    """The valid metric definitions found in the material's yaml blocks, by id."""
    from metrics.yaml_io import load_metric_text

    found: dict[str, Any] = {}
    for module in modules:
        for block in module.yaml_blocks():
            if block.is_metric:
                metric, _ = load_metric_text(block.text, f"{block.data.get('id')}.yaml")
                if metric is not None:
                    found.setdefault(metric.id, metric)
    return found


def normalise_answer(text: str) -> str:
    """Compare answers as the eye does: NFC, any kind of space as a plain space, trimmed."""
    return re.sub(r" +", " ", unicodedata.normalize("NFC", str(text)).translate(_SPACES)).strip()


def own_data_path(expected: Expected) -> Path | None:
    return DATA_DIR / expected.own_data if expected.own_data else None


def group_areas(area: str) -> tuple[str, ...] | None:
    """The municipalities of a named group, or None for a plain area code."""
    if area == "pilot":
        return tuple(get_settings().pilot_group)
    return None


# --------------------------------------------------------------------------- expected answers


def catalogue_with_snippets(catalog: Any, modules: list[Module]) -> Any:
    """The catalogue plus the metrics defined in the material (catalogue ids win on a clash)."""
    from metrics.catalog import Catalog

    metrics = {**snippet_metrics(modules), **catalog.metrics}
    return Catalog(metrics=metrics, issues=list(catalog.issues), files=dict(catalog.files), directory=catalog.directory)


def expected_value(engine: Any, catalog: Any, expected: Expected) -> float | None:
    """The value an exercise's answer is computed from, by the same metric layer as the app.

    `aggregate: metric` asks the metric layer for the area or group as it is (a group is rolled up
    the way the metric says, e.g. sum/sum for a ratio); `aggregate: mean` takes the plain average
    of the group's municipalities' own values (every member must have a value)."""
    from metrics.model import Selection
    from metrics.service import query_metric

    periods = (expected.period,)
    if expected.aggregate == "mean":
        members = group_areas(expected.area) or (expected.area,)
        frame = query_metric(engine, catalog, expected.metric, Selection(areas=members, periods=periods))
        values = [float(v) for v in frame["value"] if v is not None and not _is_nan(v)]
        if len(values) != len(members):
            return None
        return statistics.fmean(values)
    frame = query_metric(engine, catalog, expected.metric, Selection(areas=(expected.area,), periods=periods))
    frame = frame[frame["period"].astype(str) == expected.period]
    if len(frame) != 1:
        return None
    value = frame["value"].iloc[0]
    return None if value is None or _is_nan(value) else float(value)


def _is_nan(value: Any) -> bool:
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def format_answer(value: float | None, metric: Any, lang: str) -> str:
    """`value` as the app shows it in its tables and cards: `readout.formatting.format_number`
    with the metric's decimals ('8,0' and '12 616' in fi/sv, '8.0' and '12,616' in en); the unit is
    shown beside the figure (column heading, card label), not in it."""
    from readout.formatting import format_number

    return format_number(value, lang, getattr(metric, "decimals", 1))


@dataclass(frozen=True)
class AnswerCheck:
    exercise: Exercise
    value: float | None
    shown: str

    @property
    def ok(self) -> bool:
        return self.value is not None and normalise_answer(self.shown) == normalise_answer(self.exercise.answer)


def check_answer(engine: Any, catalog: Any, exercise: Exercise, lang: str) -> AnswerCheck:
    """Compute an exercise's expected value and format it; `.ok` says whether the material agrees."""
    if exercise.expected is None:
        return AnswerCheck(exercise, None, "")
    value = expected_value(engine, catalog, exercise.expected)
    metric = catalog.get(exercise.expected.metric)
    return AnswerCheck(exercise, value, format_answer(value, metric, lang))


def demote_headings(markdown: str, by: int = 1) -> str:
    """Push every heading outside code fences `by` levels down (the page's own title is the h1)."""
    out = []
    for _, line, fenced in _outside_fences(markdown):
        match = None if fenced else _HEADING.match(line)
        if match:
            level = min(6, len(match.group(1)) + by)
            line = f"{'#' * level} {match.group(2)}"
        out.append(line)
    return "\n".join(out)


def data_files(module: Module) -> list[Path]:
    """Example files the module's exercises use (offered for download on the page)."""
    paths = []
    for exercise in module.exercises:
        path = own_data_path(exercise.expected) if exercise.expected else None
        if path is not None and path.is_file() and path not in paths:
            paths.append(path)
    return paths
