"""Self-service metric authoring: form fields -> metric document -> the shared validation -> file.

Workshop participants are not programmers, so the authoring page never shows them YAML to edit.
It fills a `MetricForm` (plain strings as typed), and this module:

- `build_metric(form, context)` reads the form into a metric document (`metrics.authoring_input`),
  writes it as the YAML text that would be saved and validates that text exactly as
  `kuntamittari validate` validates a file (`metrics.yaml_io.parse_metric_text` with the shared
  rules of `metrics.checks`), plus the checks against the catalogue it joins (id free, series and
  metrics it uses exist). Every problem becomes a `FormMessage` on the field it belongs to, in
  fi/sv/en; it never stops at the first problem.
- `render_yaml(metric)` is the exact text that will be saved (`metrics.yaml_io.dump_metric`).
- `save_metric` / `approve_metric` / `restore_version` write through a store: the warehouse's
  catalogue (`metrics.catalogue_store`) or the files (`metrics.authoring_store.MetricStore`), both
  conflict-refusing with every version kept in the history.
- `form_from_metric` starts a form from an existing metric ("copy and modify" or edit).
- `search_series` finds input series in the catalogue by (part of) their name or code.

Nothing here imports Streamlit; the page (`pages/authoring.py`) only draws widgets around it, so
the whole path is tested from Python as well.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from kuntamittari.i18n import has
from metrics.authoring_input import KINDS, LANGS, PRESERVED_FIELDS, FormMessage, MetricForm, form_document, slugify
from metrics.authoring_store import (
    CatalogueStore,
    ConflictError,
    MetricStore,
    OpenedMetric,
    SaveResult,
    StoreError,
    unified_diff,
)
from metrics.checks import context_checks
from metrics.issues import Issue
from metrics.issues import issue as make_issue
from metrics.model import (
    AnyMetric,
    CompareKind,
    DerivedMetric,
    MetricStatus,
    RatioMetric,
    SimpleMetric,
    SumMetric,
)
from metrics.rules import rule_series_known
from metrics.yaml_io import dump_document, dump_metric, load_metric_text, parse_metric_text

logger = logging.getLogger(__name__)

__all__ = [
    "KINDS",
    "AuthoringContext",
    "BuildResult",
    "CatalogueStore",
    "ConflictError",
    "FormMessage",
    "MetricForm",
    "MetricStore",
    "OpenedMetric",
    "SaveResult",
    "StoreError",
    "approve_metric",
    "build_metric",
    "form_from_metric",
    "copy_form",
    "render_yaml",
    "restore_version",
    "save_metric",
    "search_series",
    "slugify",
    "unified_diff",
    "validate_document",
]


class AuthoringError(StoreError):
    """The form does not describe a valid metric; `messages` say why, in plain language."""

    key = "authoring.error.invalid"

    def __init__(self, messages: Iterable[FormMessage]) -> None:
        self.messages = tuple(messages)
        super().__init__("; ".join(m.code for m in self.messages))


@dataclass(frozen=True)
class AuthoringContext:
    """What the form is checked against: known series and metrics, and whether this is a new id."""

    series_codes: Collection[str] | None = None  # None = do not check that series exist
    metric_ids: Collection[str] = ()
    is_new: bool = True


@dataclass(frozen=True)
class BuildResult:
    """The metric (None when there are errors) and every message, errors first."""

    metric: AnyMetric | None
    messages: tuple[FormMessage, ...]

    @property
    def errors(self) -> tuple[FormMessage, ...]:
        return tuple(m for m in self.messages if m.level == "error")

    @property
    def warnings(self) -> tuple[FormMessage, ...]:
        return tuple(m for m in self.messages if m.level == "warning")

    @property
    def ok(self) -> bool:
        return self.metric is not None and not self.errors


# ---------------------------------------------------------------------------- building

#: A validated file's field path (first part) -> the form field it is typed in.
_FIELD_OF = {"id": "metric_id", "status": "metric_id", "schema_version": "metric_id", "filters": "gender"}


def _form_field(path: str | None, kind: str) -> str:
    if not path:
        return "metric_id"
    top, _, rest = path.partition(".")
    if top == "filters":
        return rest.split(".")[0] or "gender"
    if top == "series" and kind == "sum":
        return "sum_series"
    name = _FIELD_OF.get(top, top)
    return name if has(f"authoring.field.{name}", "fi") else "metric_id"


def validate_document(text: str, filename: str, context: AuthoringContext) -> tuple[AnyMetric | None, list[Issue]]:
    """One metric file's text, validated as `kuntamittari validate` would in the catalogue it joins:
    the file's own rules, then its id, series and referenced metrics against `context`."""
    parsed = parse_metric_text(text, filename)
    metric = parsed.metric
    if metric is None or any(i.level == "error" for i in parsed.issues):
        return None, list(parsed.issues)
    issues = list(parsed.issues)

    def add(code: str, line: int | None, fld: str | None, key: str, params: dict | None = None, advice: Any = None,
            level: str = "error") -> None:
        issues.append(make_issue(level, code, filename, line, fld, key, params, advice))  # type: ignore[arg-type]

    context_checks(metric, parsed.line_of, add, metric_ids=set(context.metric_ids), is_new=context.is_new)
    if context.series_codes is not None:
        found, _bad = rule_series_known({Path(filename): parsed}, set(context.series_codes), lambda _p: filename)
        issues.extend(found)
    ok = not any(i.level == "error" for i in issues)
    return (metric if ok else None), issues


def build_metric(form: MetricForm, context: AuthoringContext | None = None) -> BuildResult:
    """Read the form into a document and validate it with the shared rules; all problems at once."""
    ctx = context or AuthoringContext()
    document, messages = form_document(form)
    flagged = {m.field for m in messages if m.level == "error"}
    filename = f"{document.get('id') or 'metric'}.yaml"
    metric, issues = validate_document(dump_document(document), filename, ctx)
    for found in issues:
        fld = _form_field(found.field, form.kind)
        if fld in flagged or found.code == "missing-translation":  # already said on that field
            continue
        messages.append(FormMessage(found.level, found.key or "invalid", fld, dict(found.params), "validation"))
    ordered = tuple(sorted(messages, key=lambda m: m.level != "error"))
    return BuildResult(metric if not any(m.level == "error" for m in ordered) else None, ordered)


# ---------------------------------------------------------------------------- metric -> form


def _scalar_text(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace(".", ",")


def form_from_metric(metric: AnyMetric) -> MetricForm:
    """The form that rebuilds `metric` exactly (used to edit, and to copy and modify)."""
    unit = metric.unit.as_dict()
    values: dict[str, Any] = {
        "metric_id": metric.id,
        "theme": metric.theme.value,
        "kind": metric.kind,
        "decimals": str(metric.decimals),
        "direction": metric.direction.value,
        "gender": metric.filters.gender or "",
        "age_band": metric.filters.age_band or "",
        "owner": metric.owner or "",
        "min_count": str(metric.min_count),
        "status": metric.status.value,
        "compare_with": tuple(c.value for c in metric.compare_with if isinstance(c, CompareKind)),
        "targets": "\n".join(
            f"{tg.year}{' ' + tg.area if tg.area else ''}: {_scalar_text(tg.value)}" for tg in metric.targets
        ),
    }
    dumped = metric.model_dump(mode="json", exclude_none=True)
    preserved: dict[str, Any] = {k: dumped[k] for k in PRESERVED_FIELDS if dumped.get(k) not in (None, [], {})}
    lists = [c for c in dumped.get("compare_with", []) if isinstance(c, dict)]
    if lists:
        preserved["compare_lists"] = lists
    values["preserved"] = preserved
    for key, texts in (("name", metric.name.as_dict()), ("description", metric.description.as_dict()), ("unit", unit)):
        for lang in LANGS:
            values[f"{key}_{lang}"] = texts.get(lang, "")
    if metric.thresholds is not None:
        values["threshold_good"] = _scalar_text(metric.thresholds.good)
        values["threshold_poor"] = _scalar_text(metric.thresholds.poor)
    if isinstance(metric, SimpleMetric):
        values.update(series=metric.series, aggregation=metric.aggregation.value, weight=metric.weight or "")
    elif isinstance(metric, RatioMetric):
        values.update(numerator=metric.numerator, denominator=metric.denominator, scale=_scalar_text(metric.scale))
    elif isinstance(metric, SumMetric):
        values.update(sum_series=tuple(metric.series), aggregation=metric.aggregation.value, weight=metric.weight or "")
    elif isinstance(metric, DerivedMetric):
        values.update(expression=metric.expression)
    return MetricForm(**values)


def copy_form(metric: AnyMetric, taken_ids: Collection[str] = ()) -> MetricForm:
    """A form for a new draft that starts from `metric` ("copy and modify") under a free id."""
    base = form_from_metric(metric)
    taken = set(taken_ids)
    new_id = f"{metric.id}_kopio"[:64]
    n = 2
    while new_id in taken:
        new_id = f"{metric.id[:58]}_kopio{n}"
        n += 1
    return replace(base, metric_id=new_id, status=MetricStatus.DRAFT.value)


# ---------------------------------------------------------------------------- YAML and saving


def render_yaml(metric: AnyMetric) -> str:
    """The exact text that will be saved (one serialiser for the page, the CLI and the catalogue)."""
    return dump_metric(metric)


def parse_yaml(text: str, metric_id: str) -> AnyMetric:
    """The metric in a saved text; a broken file raises `AuthoringError` with the file's issues."""
    metric, issues = load_metric_text(text, f"{metric_id}.yaml")
    if metric is None:
        raise AuthoringError(
            [FormMessage("error", i.key or "invalid", _form_field(i.field, ""), dict(i.params), "validation")
             for i in issues if i.level == "error"]
        )
    return metric


def save_metric(
    store: CatalogueStore,
    form: MetricForm,
    opened: OpenedMetric,
    context: AuthoringContext | None = None,
    author: str = "",
) -> SaveResult:
    """Validate the form and save it as a draft; nothing is written unless it is valid.

    `opened` is what the user started from (`store.open(id)` or `store.new(id)`); a metric saved
    by someone else since then raises `ConflictError` and the refused version is kept as a
    conflict copy. `author` is recorded by the database store.
    """
    draft = replace(form, status=MetricStatus.DRAFT.value)
    result = build_metric(draft, context)
    if not result.ok or result.metric is None:
        raise AuthoringError(result.errors)
    if opened.fingerprint and opened.metric_id != result.metric.id:  # an existing metric keeps its id
        raise AuthoringError([FormMessage("error", "id_changed", "metric_id", {"value": opened.metric_id})])
    return store.save(result.metric.id, result.metric.theme.value, render_yaml(result.metric), opened.fingerprint,
                      author=author)


def _with_status(text: str, status: MetricStatus, metric_id: str) -> tuple[AnyMetric, str]:
    """The metric of `text` with `status`; a workshop approval is dropped (a reviewer's approval
    replaces it, and a restored version is reviewed again)."""
    metric = parse_yaml(text, metric_id)
    updated = metric.model_copy(update={"status": status, "workshop_approval": None})
    return updated, render_yaml(updated)


def approve_metric(store: CatalogueStore, metric_id: str, expected_fingerprint: str, reviewer: str) -> SaveResult:
    """A reviewer approves a draft: its status becomes `approved` (saved and kept in the history).

    Approval needs the Swedish and English texts, since approved metrics reach the public pages.
    """
    opened = store.open(metric_id)
    metric, text = _with_status(opened.text, MetricStatus.APPROVED, metric_id)
    missing = [
        key
        for key, texts in (("name", metric.name), ("description", metric.description), ("unit", metric.unit))
        if not (texts.sv and texts.en)
    ]
    if missing:
        raise AuthoringError(
            [FormMessage("error", "approve_translations", key, {"languages": "sv, en"}) for key in missing]
        )
    logger.info("metric %s approved by %s", metric_id, reviewer)
    return store.save(metric_id, metric.theme.value, text, expected_fingerprint, author=reviewer)


def restore_version(store: CatalogueStore, metric_id: str, version: str, expected_fingerprint: str,
                    author: str = "") -> SaveResult:
    """Make an old version current again, as a draft (a restored text is reviewed again)."""
    old = store.read_version(metric_id, version)
    metric, text = _with_status(old, MetricStatus.DRAFT, metric_id)
    if metric.id != metric_id:
        raise AuthoringError([FormMessage("error", "id_changed", "metric_id", {"value": metric_id})])
    return store.save(metric_id, metric.theme.value, text, expected_fingerprint, author=author)


# ---------------------------------------------------------------------------- series search


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", str(text)).casefold()


def search_series(catalog: pd.DataFrame, query: str, lang: str = "fi", limit: int = 50) -> pd.DataFrame:
    """Series whose code or title (any language) contains every word of `query`, best first.

    `catalog` has at least `code` and `title_fi` (as `metrics.service.list_series` returns it).
    """
    if catalog.empty:
        return catalog
    title_cols = [c for c in (f"title_{lang}", "title_fi", "title_sv", "title_en", "title") if c in catalog.columns]
    haystack = catalog["code"].astype(str)
    for col in dict.fromkeys(title_cols):
        haystack = haystack + " " + catalog[col].fillna("").astype(str)
    folded = haystack.map(_fold)
    words = [_fold(w) for w in query.split() if w.strip()]
    mask = pd.Series(True, index=catalog.index)
    for word in words:
        mask &= folded.str.contains(word, regex=False)
    return catalog[mask].head(limit)
