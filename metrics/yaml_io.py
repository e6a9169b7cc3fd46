"""Reading and writing one metric file, with line numbers for every problem.

Phase 1 of validation: a line-tracking YAML parse (PyYAML/libyaml compose nodes), then the
pydantic model of the file's `kind`. Each pydantic error is translated into a plain-language
`Issue` that names the file, the line and the field, with a did-you-mean hint where it helps.
Writing is canonical (fixed key order, block style) so files written by the authoring page
round-trip byte for byte and diffs stay reviewable.
"""

from __future__ import annotations

import difflib
import logging
import re
import typing
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.error import MarkedYAMLError, YAMLError
from yaml.nodes import MappingNode, Node, SequenceNode

from metrics.issues import Issue
from metrics.model import METRIC_CLASSES, SCHEMA_VERSION, AnyMetric, MetricBase, Texts

logger = logging.getLogger(__name__)

SCHEMA_HEADER = "# yaml-language-server: $schema=../../schema/metric.schema.json"

# Canonical key order of a metric file (the order a reviewer reads it in).
KEY_ORDER: tuple[str, ...] = (
    "schema_version", "id", "status", "theme", "tags", "name", "description", "why_it_matters",
    "kind", "series", "numerator", "denominator", "scale", "expression", "aggregation", "weight",
    "weight_basis", "approximation_note", "min_coverage",
    "filters", "unit", "decimals", "direction", "targets", "thresholds", "compare_with",
    "source", "licence", "attribution", "owner", "update_frequency", "min_count", "caveats",
)
# Which field a model-level rule is about (for its line number).
_RULE_FIELDS = {"weight-required": "aggregation", "same-series": "denominator", "bad-expression": "expression"}


@dataclass
class ParsedFile:
    """A metric file after phase 1: the model (or None), its issues and key -> line numbers."""

    metric: AnyMetric | None
    issues: list[Issue]
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, path: str) -> int | None:
        """Line of `path` ('name.sv'), else of its nearest parent, else 1."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path.rsplit(".", 1)[0] if "." in path else ""
        return min(self.lines.values()) if self.lines else 1


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~15x faster


class DuplicateKey(Exception):
    """A key appears twice in one mapping (YAML loaders silently keep the last one)."""

    def __init__(self, key: str, line: int) -> None:
        super().__init__(key)
        self.key = key
        self.line = line


def _compose(text: str) -> tuple[Node | None, Any]:
    """One parse: the node tree (with line marks) and the plain data built from it."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check_duplicates(node)
        return node, loader.construct_document(node)
    finally:
        loader.dispose()


class AliasUsed(Exception):
    """YAML anchors/aliases (&a, *a): not needed in metric files and a way to blow up memory."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


#: A metric file is a page of text (the shipped ones are under 3 000 characters): anything far
#: larger, or with a line no reviewer can read, is refused before the YAML parser sees it.
MAX_FILE_CHARS = 64_000
MAX_LINE_CHARS = 4_000


def _check_duplicates(node: Node, visited: set[int] | None = None) -> None:
    visited = visited if visited is not None else set()
    if isinstance(node, (MappingNode, SequenceNode)):
        if id(node) in visited:  # the composer returns the anchored node again for an alias
            raise AliasUsed(node.start_mark.line + 1)
        visited.add(id(node))
    if isinstance(node, MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                raise DuplicateKey(name, key.start_mark.line + 1)
            seen.add(name)
            _check_duplicates(value, visited)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            _check_duplicates(item, visited)


def _plain(node: Any) -> Any:
    """Plain dicts/lists with string keys (pydantic wants plain data)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _collect_lines(node: Node, prefix: str, out: dict[str, int]) -> None:
    """Field path ('name.sv', 'targets.0.value') -> 1-based line of its key or item."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            path = f"{prefix}.{key.value}" if prefix else str(key.value)
            out.setdefault(path, key.start_mark.line + 1)
            _collect_lines(value, path, out)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            path = f"{prefix}.{i}"
            out[path] = item.start_mark.line + 1
            _collect_lines(item, path, out)


def _model_at(cls: Any, loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that owns the field at `loc` (to list its allowed keys)."""
    current: Any = cls
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(str(part))
        if info is None:
            return None
        current = _unwrap_model(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _unwrap_model(arg)
        if found is not None:
            return found
    return None


def _suggest(word: str, choices: typing.Iterable[str]) -> str | None:
    match = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else None


def _clean_loc(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop pydantic's union-member labels ('CodeList', 'function-after[...]') from a location."""
    out: list[Any] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(part, str) and (part[:1].isupper() or "[" in part):
            continue  # union member tag
        else:
            out.append(part)
            node = None
    return tuple(out)


def _translate(err: dict[str, Any], cls: type[BaseModel], data: dict[str, Any]) -> tuple[str, tuple[Any, ...], str, str | None]:
    """(code, loc, message, hint) in plain language for one pydantic error."""
    etype = err["type"]
    loc = _clean_loc(tuple(err["loc"]), data)
    value = err.get("input")
    ctx = err.get("ctx") or {}
    last = str(loc[-1]) if loc else ""
    if etype == "missing":
        return "missing-field", loc, "required field is missing", None
    if etype == "extra_forbidden":
        owner = _model_at(cls, loc[:-1])
        allowed = list(owner.model_fields) if owner else []
        return "unknown-field", loc, f"unknown field '{last}'", _suggest(last, allowed)
    if etype in ("enum", "literal_error"):
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", ""))) or re.findall(r"\b\w+\b", str(ctx.get("expected", "")))
        if last == "schema_version":
            return "schema-version", loc, f"{value!r} is not a supported schema version (use {SCHEMA_VERSION})", None
        return (
            "invalid-value",
            loc,
            f"{value!r} is not one of {', '.join(allowed)}",
            _suggest(str(value), allowed),
        )
    if etype == "string_pattern_mismatch":
        if last == "id":
            return "invalid-value", loc, f"{value!r} is not a valid id", "use lower-case letters, digits and _ (e.g. youth_unemployment)"
        if last in ("series", "numerator", "denominator", "weight") or (len(loc) > 1 and loc[0] == "series"):
            return "invalid-value", loc, f"{value!r} is not a series code", "write e.g. sotkanet:181, statfin:11re:vaesto or own:208:kotihoito"
        return "invalid-value", loc, f"{value!r} does not have the expected form", None
    if etype in ("int_parsing", "int_type", "int_from_float"):
        return "invalid-type", loc, f"{value!r} is not a whole number", None
    if etype in ("float_parsing", "float_type"):
        return "invalid-type", loc, f"{value!r} is not a number", None
    if etype in ("string_type",):
        return "invalid-type", loc, f"{value!r} is not text", None
    if etype in ("bool_type", "bool_parsing"):
        return "invalid-type", loc, f"{value!r} is not true or false", None
    if etype in ("model_type", "dict_type", "model_attributes_type"):
        return "invalid-type", loc, "expected a mapping (indented 'key: value' lines)", None
    if etype in ("tuple_type", "list_type"):
        return "invalid-type", loc, "expected a list ('- item' lines or [a, b])", None
    if etype in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        words = {"greater_than_equal": "at least", "greater_than": "more than", "less_than_equal": "at most", "less_than": "less than"}
        bound = next(iter(ctx.values()), "")
        return "invalid-value", loc, f"{value!r} must be {words[etype]} {bound}", None
    if etype in ("too_short", "string_too_short"):
        return "invalid-value", loc, "is empty or too short", None
    if etype == "value_error":
        message = str(ctx.get("error", err.get("msg", "")))
        match = re.match(r"^([a-z\-]+): (.*)$", message)
        if match:
            code, text = match.group(1), match.group(2)
            if not loc and code in _RULE_FIELDS:
                loc = (_RULE_FIELDS[code],)
            return code, loc, text, None
        return "invalid-value", loc, message, None
    return "invalid-value", loc, str(err.get("msg", etype)), None


def _loc_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def parse_metric_text(text: str, filename: str) -> ParsedFile:
    """Phase 1 for one file: YAML, kind, model, and the file-level rules (id = stem, languages, units)."""
    issues: list[Issue] = []

    def issue(code: str, line: int | None, fld: str | None, message: str, hint: str | None = None, level: str = "error") -> None:
        issues.append(Issue(level, code, filename, line, fld, message, hint))  # type: ignore[arg-type]

    if len(text) > MAX_FILE_CHARS:
        issue("yaml-too-large", None, None, f"the file has {len(text)} characters, at most {MAX_FILE_CHARS} are allowed",
              "a metric file is a page of text; build long formulas from smaller derived metrics")
        return ParsedFile(None, issues)
    long_line = next((n for n, line in enumerate(text.splitlines(), 1) if len(line) > MAX_LINE_CHARS), None)
    if long_line is not None:
        issue("line-too-long", long_line, None, f"line {long_line} is over {MAX_LINE_CHARS} characters long",
              "break long texts over several lines (a '>' block)")
        return ParsedFile(None, issues)
    try:
        node, raw = _compose(text)
    except AliasUsed as exc:
        issue("yaml-alias", exc.line, None, "anchors and aliases (& and *) are not allowed in metric files", "write the value out")
        return ParsedFile(None, issues)
    except DuplicateKey as exc:
        issue("duplicate-key", exc.line, exc.key, "the same key appears twice in this mapping")
        return ParsedFile(None, issues)
    except MarkedYAMLError as exc:
        # An unclosed quote or bracket is found only at the end of the file: point at its start.
        problem = str(exc.problem or "")
        pm = exc.problem_mark
        at_end = "end of stream" in problem or "stream end" in problem or (pm is not None and pm.index >= len(text.rstrip()))
        mark = (exc.context_mark if at_end and exc.context_mark else None) or exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        issue("yaml-syntax", line, None, f"not valid YAML: {exc.problem or exc.context}", "check indentation and quotes")
        return ParsedFile(None, issues)
    except YAMLError as exc:
        issue("yaml-syntax", None, None, f"not valid YAML: {exc}")
        return ParsedFile(None, issues)

    if node is None or raw is None:
        issue("empty-file", 1, None, "the file is empty")
        return ParsedFile(None, issues)
    if not isinstance(node, MappingNode) or not isinstance(raw, dict):
        issue("not-a-mapping", node.start_mark.line + 1, None, "a metric file must be a mapping of 'key: value' lines, not a list or a single value")
        return ParsedFile(None, issues)

    lines: dict[str, int] = {}
    _collect_lines(node, "", lines)
    parsed = ParsedFile(None, issues, lines)
    data = _plain(raw)

    kind = data.get("kind")
    if kind is None:
        issue("missing-field", parsed.line_of(""), "kind", "required field is missing", f"use one of {', '.join(METRIC_CLASSES)}")
        return parsed
    cls = METRIC_CLASSES.get(str(kind))
    if cls is None:
        issue("invalid-kind", parsed.line_of("kind"), "kind", f"{kind!r} is not one of {', '.join(METRIC_CLASSES)}", _suggest(str(kind), METRIC_CLASSES))
        return parsed

    try:
        metric = cls.model_validate(data)
    except ValidationError as exc:
        seen: set[str] = set()
        for err in exc.errors(include_url=False):
            code, loc, message, hint = _translate(dict(err), cls, data)
            path = _loc_path(loc)
            if path in seen:
                continue
            seen.add(path)
            issue(code, parsed.line_of(path), path or None, message, hint)
        return parsed

    stem = PurePath(filename).stem
    if metric.id != stem:
        issue("id-mismatch", parsed.line_of("id"), "id", f"id '{metric.id}' differs from the file name '{stem}'", f"rename the file to {metric.id}.yaml or change the id")
    if metric.status.value == "approved":
        for name in ("name", "description", "unit", "caveats", "why_it_matters", "approximation_note"):
            texts = getattr(metric, name, None)
            if texts is None:
                continue
            for lang in ("sv", "en"):
                if not getattr(texts, lang):
                    issue("missing-translation", parsed.line_of(name), f"{name}.{lang}", f"an approved metric needs '{name}' in {lang}", "add the translation or set status: draft")
    _check_units(metric, parsed, issue)
    parsed.metric = metric  # type: ignore[assignment]
    return parsed


def _check_units(metric: MetricBase, parsed: ParsedFile, issue: Any) -> None:
    """Ratio scale and unit must agree: per cent is x100, 'per 1 000' is x1000."""
    if getattr(metric, "kind", None) != "ratio":
        return
    scale = metric.scale  # type: ignore[attr-defined]
    unit = metric.unit.fi.replace(" ", "").replace("\u00a0", "")
    if "%" in unit and scale != 100:
        issue("unit-mismatch", parsed.line_of("scale"), "scale", f"the unit is per cent but scale is {scale:g}", "use scale: 100 for a percentage")
    elif "1000" in unit and scale != 1000:
        issue("unit-mismatch", parsed.line_of("scale"), "scale", f"the unit is per 1 000 but scale is {scale:g}", "use scale: 1000")
    elif scale == 100 and "%" not in unit:
        issue("unit-mismatch", parsed.line_of("unit"), "unit", "scale is 100 but the unit is not a percentage", "write unit fi: '%'", "warning")


def load_metric_text(text: str, filename: str) -> tuple[AnyMetric | None, list[Issue]]:
    """Validate one metric file's text. The metric is None when it has errors."""
    parsed = parse_metric_text(text, filename)
    if any(i.level == "error" for i in parsed.issues):
        return None, parsed.issues
    return parsed.metric, parsed.issues


def _compact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def metric_to_dict(metric: MetricBase) -> dict[str, Any]:
    """The metric as plain data in canonical key order, without empty optional fields."""
    data = metric.model_dump(mode="json", exclude_none=True)
    for key in ("tags", "targets"):
        if not data.get(key):
            data.pop(key, None)
    if not data.get("filters"):
        data.pop("filters", None)
    ordered = {k: data[k] for k in KEY_ORDER if k in data}
    ordered.update({k: v for k, v in data.items() if k not in ordered})
    return _compact(ordered)


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:  # noqa: D102
        return super().increase_indent(flow, False)


def dump_metric(metric: MetricBase) -> str:
    """Canonical YAML text of `metric` (with the schema line editors use for completion)."""
    body = yaml.dump(
        metric_to_dict(metric),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return f"{SCHEMA_HEADER}\n{body}"


def texts(fi: str, sv: str | None = None, en: str | None = None) -> Texts:
    """Shorthand used by generators and tests."""
    return Texts(fi=fi, sv=sv, en=en)


__all__ = [
    "ParsedFile",
    "dump_metric",
    "load_metric_text",
    "metric_to_dict",
    "parse_metric_text",
    "SCHEMA_HEADER",
]
