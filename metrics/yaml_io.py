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

from metrics.checks import file_checks
from metrics.errors import RuleViolation
from metrics.issues import Hint, Issue, hint
from metrics.issues import issue as make_issue
from metrics.model import METRIC_CLASSES, SCHEMA_VERSION, AnyMetric, MetricBase, Texts

logger = logging.getLogger(__name__)

SCHEMA_HEADER = "# yaml-language-server: $schema=../../schema/metric.schema.json"

# Canonical key order of a metric file (the order a reviewer reads it in).
KEY_ORDER: tuple[str, ...] = (
    "schema_version", "id", "status", "workshop_approval", "theme", "tags", "name", "description", "why_it_matters",
    "kind", "series", "numerator", "denominator", "scale", "expression", "aggregation", "weight",
    "weight_basis", "approximation_note", "min_coverage",
    "filters", "unit", "decimals", "direction", "targets", "thresholds", "compare_with",
    "source", "licence", "attribution", "owner", "update_frequency", "min_count", "caveats",
)
# Which field a model-level rule is about (for its line number).
_RULE_FIELDS = {
    "weight-required": "aggregation", "same-series": "denominator", "bad-expression": "expression",
    "workshop-approval-not-draft": "workshop_approval",
    "formula-too-long": "expression", "formula-too-deep": "expression",
}


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


def _suggest(word: str, choices: typing.Iterable[str]) -> Hint | None:
    match = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return hint("did_you_mean", suggestion=match[0]) if match else None


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


Translated = tuple[str, tuple[Any, ...], str, dict[str, Any], Hint | None]  # code, loc, key, params, hint
_TYPES = {"int_parsing": "not_whole_number", "int_type": "not_whole_number", "int_from_float": "not_whole_number",
          "float_parsing": "not_number", "float_type": "not_number", "string_type": "not_text",
          "bool_type": "not_bool", "bool_parsing": "not_bool"}
_SHAPES = {"model_type": "not_mapping", "dict_type": "not_mapping", "model_attributes_type": "not_mapping",
           "tuple_type": "not_list", "list_type": "not_list"}
_BOUNDS = {"greater_than_equal": "at_least", "greater_than": "more_than", "less_than_equal": "at_most",
           "less_than": "less_than"}


def _pattern(loc: tuple[Any, ...], last: str, value: Any) -> Translated:
    if last == "id":
        return "invalid-value", loc, "id_bad", {"value": repr(value)}, hint("id_form")
    if last in ("series", "numerator", "denominator", "weight") or (len(loc) > 1 and loc[0] == "series"):
        return "invalid-value", loc, "series_bad_code", {"value": repr(value)}, hint("series_form")
    return "invalid-value", loc, "bad_form", {"value": repr(value)}, None


def _translate(err: dict[str, Any], cls: type[BaseModel], data: dict[str, Any]) -> Translated:
    """(code, loc, message key, params, hint) for one pydantic error, in plain language."""
    etype = err["type"]
    loc = _clean_loc(tuple(err["loc"]), data)
    value = err.get("input")
    ctx = err.get("ctx") or {}
    last = str(loc[-1]) if loc else ""
    if etype == "missing":
        return "missing-field", loc, "missing_field", {}, None
    if etype == "extra_forbidden":
        owner = _model_at(cls, loc[:-1])
        return "unknown-field", loc, "unknown_field", {"name": last}, _suggest(last, list(owner.model_fields) if owner else [])
    if etype in ("enum", "literal_error"):
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", ""))) or re.findall(r"\b\w+\b", str(ctx.get("expected", "")))
        if last == "schema_version":
            return "schema-version", loc, "schema_version", {"value": repr(value), "version": SCHEMA_VERSION}, None
        return "invalid-value", loc, "not_one_of", {"value": repr(value), "choices": ", ".join(allowed)}, _suggest(str(value), allowed)
    if etype == "string_pattern_mismatch":
        return _pattern(loc, last, value)
    if etype in _TYPES:
        return "invalid-type", loc, _TYPES[etype], {"value": repr(value)}, None
    if etype in _SHAPES:
        return "invalid-type", loc, _SHAPES[etype], {}, None
    if etype in _BOUNDS:
        return "invalid-value", loc, _BOUNDS[etype], {"value": repr(value), "bound": next(iter(ctx.values()), "")}, None
    if etype in ("too_short", "string_too_short"):
        return "invalid-value", loc, "too_short", {}, None
    if etype == "value_error":
        error = ctx.get("error")
        if isinstance(error, RuleViolation):  # the model's own rules: a code and a message key
            if not loc and error.code in _RULE_FIELDS:
                loc = (_RULE_FIELDS[error.code],)
            return error.code, loc, error.key, dict(error.params), hint(error.hint) if error.hint else None
        return "invalid-value", loc, "invalid", {"detail": str(error or err.get("msg", ""))}, None
    return "invalid-value", loc, "invalid", {"detail": str(err.get("msg", etype))}, None


def _loc_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def parse_metric_text(text: str, filename: str) -> ParsedFile:
    """Phase 1 for one file: YAML, kind, model, and the file-level rules (id = stem, languages, units)."""
    issues: list[Issue] = []

    def add(code: str, line: int | None, fld: str | None, key: str, params: dict[str, Any] | None = None,
            advice: Hint | None = None, level: str = "error") -> None:
        issues.append(make_issue(level, code, filename, line, fld, key, params, advice))  # type: ignore[arg-type]

    if len(text) > MAX_FILE_CHARS:
        add("yaml-too-large", None, None, "too_large", {"max": MAX_FILE_CHARS}, hint("split_formula"))
        return ParsedFile(None, issues)
    long_line = next((n for n, line in enumerate(text.splitlines(), 1) if len(line) > MAX_LINE_CHARS), None)
    if long_line is not None:
        add("line-too-long", long_line, None, "line_too_long", {"line": long_line, "max": MAX_LINE_CHARS}, hint("fold_text"))
        return ParsedFile(None, issues)
    try:
        node, raw = _compose(text)
    except AliasUsed as exc:
        add("yaml-alias", exc.line, None, "yaml_alias", None, hint("write_out"))
        return ParsedFile(None, issues)
    except DuplicateKey as exc:
        add("duplicate-key", exc.line, exc.key, "duplicate_key")
        return ParsedFile(None, issues)
    except MarkedYAMLError as exc:
        # An unclosed quote or bracket is found only at the end of the file: point at its start.
        problem = str(exc.problem or "")
        pm = exc.problem_mark
        at_end = "end of stream" in problem or "stream end" in problem or (pm is not None and pm.index >= len(text.rstrip()))
        mark = (exc.context_mark if at_end and exc.context_mark else None) or exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        add("yaml-syntax", line, None, "yaml_syntax", {"detail": exc.problem or exc.context}, hint("check_indentation"))
        return ParsedFile(None, issues)
    except YAMLError as exc:
        add("yaml-syntax", None, None, "yaml_syntax", {"detail": str(exc)})
        return ParsedFile(None, issues)

    if node is None or raw is None:
        add("empty-file", 1, None, "empty_file")
        return ParsedFile(None, issues)
    if not isinstance(node, MappingNode) or not isinstance(raw, dict):
        add("not-a-mapping", node.start_mark.line + 1, None, "not_mapping_file")
        return ParsedFile(None, issues)

    lines: dict[str, int] = {}
    _collect_lines(node, "", lines)
    parsed = ParsedFile(None, issues, lines)
    data = _plain(raw)

    kind = data.get("kind")
    if kind is None:
        add("missing-field", parsed.line_of(""), "kind", "missing_field", None, hint("use_one_of", choices=", ".join(METRIC_CLASSES)))
        return parsed
    cls = METRIC_CLASSES.get(str(kind))
    if cls is None:
        add("invalid-kind", parsed.line_of("kind"), "kind", "not_one_of", {"value": repr(kind), "choices": ", ".join(METRIC_CLASSES)},
            _suggest(str(kind), METRIC_CLASSES))
        return parsed

    try:
        metric = cls.model_validate(data)
    except ValidationError as exc:
        seen: set[str] = set()
        for err in exc.errors(include_url=False):
            code, loc, key, params, advice = _translate(dict(err), cls, data)
            path = _loc_path(loc)
            if path in seen:
                continue
            seen.add(path)
            add(code, parsed.line_of(path), path or None, key, params, advice)
        return parsed

    stem = PurePath(filename).stem
    if metric.id != stem:
        add("id-mismatch", parsed.line_of("id"), "id", "id_mismatch", {"id": metric.id, "stem": stem}, hint("rename", id=metric.id))
    file_checks(metric, parsed, add)
    parsed.metric = metric  # type: ignore[assignment]
    return parsed


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
    return dump_document(metric_to_dict(metric))


def dump_document(data: dict[str, Any]) -> str:
    """A metric document (plain data, e.g. built by the authoring form) as YAML text, keys in the
    canonical order; what `parse_metric_text` then validates like any file."""
    order = {key: i for i, key in enumerate(KEY_ORDER)}
    ordered = dict(sorted(data.items(), key=lambda item: order.get(item[0], len(order))))
    body = yaml.dump(
        ordered,
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
    "dump_document",
    "dump_metric",
    "load_metric_text",
    "metric_to_dict",
    "parse_metric_text",
    "SCHEMA_HEADER",
]
