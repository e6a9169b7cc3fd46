"""Self-service metric authoring: form fields -> validated metric -> YAML file, safely saved.

Workshop participants are not programmers, so the authoring page never shows them YAML to edit.
It fills a `MetricForm` (plain strings as typed, so "12,5" or an empty box are the user's input,
not a crash), and this module:

- `build_metric(form, context)` turns the form into a typed metric (`metrics.model`) and collects
  every problem as a `FormMessage` with a stable code and a plain-language text in fi/sv/en
  (`authoring.msg.<code>`), not a pydantic traceback. It never stops at the first problem.
- `render_yaml(metric)` is the exact text that will be saved (`metrics.yaml_io.dump_metric`).
- `save_metric` / `approve_metric` / `restore_version` write through `MetricStore`
  (`metrics.authoring_store`): atomic, conflict-refusing, every version kept in the history.
- `form_from_metric` starts a form from an existing metric ("copy and modify" or edit).
- `search_series` finds input series in the catalogue by (part of) their name or code.

Nothing here imports Streamlit; the page (`pages/authoring.py`) only draws widgets around it, so
the whole path is tested from Python as well.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pandas as pd
from pydantic import ValidationError

from kuntamittari.i18n import t
from metrics.authoring_store import (
    METRIC_ID_PATTERN,
    ConflictError,
    MetricStore,
    OpenedMetric,
    SaveResult,
    StoreError,
    unified_diff,
)
from metrics.expr import ExpressionError, parse_expression
from metrics.model import (
    METRIC_CLASSES,
    Aggregation,
    AnyMetric,
    CompareKind,
    DerivedMetric,
    Direction,
    MetricStatus,
    RatioMetric,
    SimpleMetric,
    SumMetric,
    Theme,
)

logger = logging.getLogger(__name__)

__all__ = [
    "AuthoringContext",
    "BuildResult",
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
]

Level = Literal["error", "warning"]
KINDS: tuple[str, ...] = ("simple", "ratio", "sum", "derived")
GENDERS: tuple[str, ...] = ("total", "male", "female")
LANGS: tuple[str, ...] = ("fi", "sv", "en")
SERIES_CODE = re.compile(r"^(sotkanet:\d+|statfin:[^:\s]+:[^:\s]+|own:\d{3}:[a-z0-9_\-]+|synthetic:\d+)$")
AGE_BAND = re.compile(r"^(all|\d+-\d*)$")
MAX_NAME_LENGTH = 120
PRESERVED_FIELDS: tuple[str, ...] = (
    "tags", "caveats", "why_it_matters", "source", "licence", "attribution", "update_frequency",
    "weight_basis", "approximation_note", "min_coverage", "disclosure",
)


class AuthoringError(StoreError):
    """The form does not describe a valid metric; `messages` say why, in plain language."""

    key = "authoring.error.invalid"

    def __init__(self, messages: Iterable[FormMessage]) -> None:
        self.messages = tuple(messages)
        super().__init__("; ".join(m.code for m in self.messages))


@dataclass(frozen=True)
class FormMessage:
    """One problem in the form: the field it belongs to, a stable code and message parameters."""

    level: Level
    code: str
    field: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, lang: str) -> str:
        """The message in `lang`, prefixed by the field's label as the form shows it."""
        label = t(f"authoring.field.{self.field.split('.')[0]}", lang)
        return f"{label}: {t(f'authoring.msg.{self.code}', lang, **dict(self.params))}"


@dataclass(frozen=True)
class MetricForm:
    """The authoring form as the user filled it in. Everything is text or a tuple of choices."""

    metric_id: str = ""
    name_fi: str = ""
    name_sv: str = ""
    name_en: str = ""
    description_fi: str = ""
    description_sv: str = ""
    description_en: str = ""
    unit_fi: str = ""
    unit_sv: str = ""
    unit_en: str = ""
    theme: str = ""
    kind: str = "ratio"
    series: str = ""  # simple
    numerator: str = ""  # ratio
    denominator: str = ""  # ratio
    scale: str = "1"  # ratio
    sum_series: tuple[str, ...] = ()  # sum
    aggregation: str = ""  # simple/sum ('' = the kind's default)
    weight: str = ""  # simple/sum with weighted_mean
    expression: str = ""  # derived
    gender: str = ""  # '' = follows the user's choice
    age_band: str = ""
    decimals: str = "1"
    direction: str = ""
    targets: str = ""  # one per line: "2025: 12,5" or "2025 208: 12,5"
    threshold_good: str = ""
    threshold_poor: str = ""
    compare_with: tuple[str, ...] = ("region",)
    owner: str = ""
    min_count: str = "5"
    status: str = "draft"
    # Fields of an existing metric that the form does not show (tags, caveats, why_it_matters,
    # source, licence, attribution, update_frequency, named comparison lists), carried through
    # unchanged so editing never drops anyone's work.
    preserved: Mapping[str, Any] = field(default_factory=dict)


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


# ---------------------------------------------------------------------------- helpers


def slugify(text: str) -> str:
    """A metric id suggestion from a name: 'Tulomuuttajat / 1000 as.' -> 'tulomuuttajat_1000_as'."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")
    if slug and not slug[0].isalpha():
        slug = f"m_{slug}"
    return slug[:64].rstrip("_")


def _number(text: str | float | int | None) -> float | None:
    """Parse a number as Finns type it: decimal comma, spaces as thousands separators, minus signs."""
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return float(text)
    cleaned = str(text).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    cleaned = cleaned.replace("\u2212", "-").replace(",", ".")
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError as exc:
        raise ValueError(str(text)) from exc
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(str(text))
    return value


def _integer(text: str | int | None) -> int | None:
    value = _number(text)
    if value is None:
        return None
    if not value.is_integer():
        raise ValueError(str(text))
    return int(value)


def _texts(fi: str, sv: str, en: str) -> dict[str, str] | None:
    out = {"fi": fi.strip()}
    if sv.strip():
        out["sv"] = sv.strip()
    if en.strip():
        out["en"] = en.strip()
    return out if out["fi"] else None


# ---------------------------------------------------------------------------- building


def build_metric(form: MetricForm, context: AuthoringContext | None = None) -> BuildResult:
    """Check every field of the form and build the metric; all problems are reported at once."""
    ctx = context or AuthoringContext()
    msgs: list[FormMessage] = []

    def err(code: str, fld: str, **params: Any) -> None:
        msgs.append(FormMessage("error", code, fld, params))

    def warn(code: str, fld: str, **params: Any) -> None:
        msgs.append(FormMessage("warning", code, fld, params))

    data: dict[str, Any] = {"schema_version": 1}

    # id
    metric_id = form.metric_id.strip()
    if not metric_id:
        err("id_missing", "metric_id", suggestion=slugify(form.name_fi) or "tulomuutto_1000")
    elif not METRIC_ID_PATTERN.match(metric_id):
        err("id_bad", "metric_id", value=metric_id, suggestion=slugify(metric_id) or "mittari")
    elif ctx.is_new and metric_id in set(ctx.metric_ids):
        err("id_taken", "metric_id", value=metric_id)
    data["id"] = metric_id

    status = form.status or MetricStatus.DRAFT.value
    if status not in {s.value for s in MetricStatus}:
        status = MetricStatus.DRAFT.value
    data["status"] = status

    # texts
    for key in ("name", "description", "unit"):
        fi, sv, en = (getattr(form, f"{key}_{lang}") for lang in LANGS)
        texts = _texts(fi, sv, en)
        if texts is None:
            err(f"{key}_fi_missing", key)
        else:
            if key == "name" and len(texts["fi"]) > MAX_NAME_LENGTH:
                err("name_too_long", key, max=MAX_NAME_LENGTH, length=len(texts["fi"]))
            missing = [lang for lang in ("sv", "en") if lang not in texts]
            if missing:
                warn("translation_missing", key, languages=", ".join(missing))
            data[key] = texts

    # theme
    themes = {th.value for th in Theme}
    if not form.theme:
        err("theme_missing", "theme")
    elif form.theme not in themes:
        err("theme_unknown", "theme", value=form.theme)
    data["theme"] = form.theme

    # kind and its inputs
    known = set(ctx.series_codes) if ctx.series_codes is not None else None

    def series_field(value: str, fld: str) -> str | None:
        code = value.strip()
        if not code:
            err("series_missing", fld)
            return None
        if not SERIES_CODE.match(code):
            err("series_bad_code", fld, value=code)
            return None
        if known is not None and code not in known:
            err("series_unknown", fld, value=code)
            return None
        return code

    kind = form.kind
    data["kind"] = kind
    if kind not in KINDS:
        err("kind_unknown", "kind", value=kind)
    elif kind == "simple":
        data["series"] = series_field(form.series, "series")
        _aggregation(form, data, err, series_field)
    elif kind == "ratio":
        num = series_field(form.numerator, "numerator")
        den = series_field(form.denominator, "denominator")
        if num and den and num == den:
            err("same_series", "denominator", value=num)
        data["numerator"], data["denominator"] = num, den
        try:
            scale = _number(form.scale)
        except ValueError:
            err("scale_bad", "scale", value=form.scale)
        else:
            if scale is None:
                scale = 1.0
            if scale <= 0:
                err("scale_bad", "scale", value=form.scale)
            data["scale"] = int(scale) if scale.is_integer() else scale
    elif kind == "sum":
        codes = [c.strip() for c in form.sum_series if c.strip()]
        if len(codes) < 2:
            err("sum_too_few", "sum_series", count=len(codes))
        checked = [series_field(c, "sum_series") for c in codes]
        if len(set(codes)) != len(codes):
            err("sum_duplicate", "sum_series")
        data["series"] = [c for c in checked if c]
        _aggregation(form, data, err, series_field)
    elif kind == "derived":
        text = form.expression.strip()
        if not text:
            err("expression_missing", "expression")
        else:
            try:
                names = parse_expression(text).names()
            except (ExpressionError, SyntaxError, ValueError) as exc:
                err("expression_bad", "expression", detail=str(exc))
            else:
                if metric_id and metric_id in names:
                    err("expression_self", "expression", value=metric_id)
                unknown = [n for n in names if n not in set(ctx.metric_ids)]
                if unknown:
                    err("expression_unknown", "expression", names=", ".join(unknown))
                if not names:
                    err("expression_no_metric", "expression")
        data["expression"] = text

    # filters
    filters: dict[str, str] = {}
    if form.gender:
        if form.gender not in GENDERS:
            err("gender_bad", "gender", value=form.gender)
        filters["gender"] = form.gender
    band = form.age_band.strip().replace("\u2013", "-").replace(" ", "")
    if band:
        match = AGE_BAND.match(band)
        if not match:
            err("age_band_bad", "age_band", value=form.age_band)
        elif band != "all":
            low, _, high = band.partition("-")
            if high and int(high) < int(low):
                err("age_band_order", "age_band", value=form.age_band)
        filters["age_band"] = band
    if filters:
        data["filters"] = filters

    # presentation
    try:
        decimals = _integer(form.decimals)
    except ValueError:
        err("decimals_bad", "decimals", value=form.decimals)
    else:
        if decimals is None:
            decimals = 1
        if not 0 <= decimals <= 6:
            err("decimals_bad", "decimals", value=form.decimals)
        data["decimals"] = decimals

    directions = {d.value for d in Direction}
    if not form.direction:
        err("direction_missing", "direction")
    elif form.direction not in directions:
        err("direction_unknown", "direction", value=form.direction)
    data["direction"] = form.direction

    data["targets"] = _targets(form.targets, err)

    good_text, poor_text = form.threshold_good.strip(), form.threshold_poor.strip()
    if good_text or poor_text:
        try:
            good, poor = _number(good_text), _number(poor_text)
        except ValueError:
            err("threshold_bad", "thresholds")
        else:
            if good is None or poor is None:
                err("threshold_incomplete", "thresholds")
            elif good == poor:
                err("threshold_equal", "thresholds")
            elif form.direction == Direction.HIGHER_IS_BETTER.value and good < poor:
                err("threshold_order_higher", "thresholds", good=good_text, poor=poor_text)
            elif form.direction == Direction.LOWER_IS_BETTER.value and good > poor:
                err("threshold_order_lower", "thresholds", good=good_text, poor=poor_text)
            else:
                data["thresholds"] = {"good": good, "poor": poor}

    compare_kinds = {c.value for c in CompareKind}
    compare = [c for c in form.compare_with if c]
    bad_compare = [c for c in compare if c not in compare_kinds]
    if bad_compare:
        err("compare_unknown", "compare_with", value=", ".join(bad_compare))
    if not compare:
        warn("compare_empty", "compare_with")
    data["compare_with"] = [c for c in compare if c in compare_kinds]

    if form.owner.strip():
        data["owner"] = form.owner.strip()
    else:
        warn("owner_missing", "owner")

    try:
        min_count = _integer(form.min_count)
    except ValueError:
        err("min_count_bad", "min_count", value=form.min_count)
    else:
        if min_count is None:
            min_count = 5
        if min_count < 0:
            err("min_count_bad", "min_count", value=form.min_count)
        elif min_count < 5:
            warn("min_count_low", "min_count", value=min_count)
        data["min_count"] = min_count

    for key, value in form.preserved.items():
        if key == "compare_lists":
            data["compare_with"] = list(data.get("compare_with", [])) + list(value)
        elif key in PRESERVED_FIELDS:
            data[key] = value

    errors = [m for m in msgs if m.level == "error"]
    metric: AnyMetric | None = None
    if not errors:
        metric, model_messages = _validate_model(data)
        msgs.extend(model_messages)
        if metric is not None:
            msgs.extend(file_messages(metric))
    ordered = tuple(sorted(msgs, key=lambda m: m.level != "error"))
    return BuildResult(metric if not any(m.level == "error" for m in ordered) else None, ordered)


def _aggregation(form: MetricForm, data: dict[str, Any], err: Any, series_field: Any) -> None:
    """Aggregation and weight of a simple or sum metric (defaults: the model's)."""
    if form.aggregation:
        if form.aggregation not in {a.value for a in Aggregation}:
            err("aggregation_unknown", "aggregation", value=form.aggregation)
            return
        data["aggregation"] = form.aggregation
    effective = form.aggregation or ("weighted_mean" if form.kind == "simple" else "sum")
    if form.weight.strip():
        data["weight"] = series_field(form.weight, "weight")
    elif effective == Aggregation.WEIGHTED_MEAN.value:
        err("weight_missing", "weight")


def _targets(text: str, err: Any) -> list[dict[str, Any]]:
    """Parse target lines ('2025: 12,5' or '2025 208: 12,5'); each bad line is reported by number."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[int, str | None]] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        head, sep, value_text = line.partition(":")
        if not sep:
            head, sep, value_text = line.partition("=")
        parts = head.split()
        try:
            if not sep or not parts or len(parts) > 2:
                raise ValueError(line)
            year = int(parts[0])
            value = _number(value_text)
            if value is None:
                raise ValueError(line)
        except ValueError:
            err("target_bad_line", "targets", line=number, text=line)
            continue
        if not 1900 <= year <= 2100:
            err("target_year_bad", "targets", line=number, year=year)
            continue
        area = parts[1] if len(parts) == 2 else None
        if area is not None and not re.match(r"^(\d{3}|SK\d+|MK\d{2}|HVA\d{2}|SSS)$", area):
            err("target_area_bad", "targets", line=number, area=area)
            continue
        if (year, area) in seen:
            err("target_duplicate", "targets", line=number, year=year)
            continue
        seen.add((year, area))
        entry: dict[str, Any] = {"year": year, "value": value}
        if area:
            entry["area"] = area
        out.append(entry)
    return out


def _drop_none(data: Any) -> Any:
    """Leave out empty optional fields so the model's defaults apply (an empty comparison list is kept:
    'compare with nothing' is a choice)."""
    if isinstance(data, dict):
        return {k: _drop_none(v) for k, v in data.items() if (v is not None and v != []) or k == "compare_with"}
    if isinstance(data, list):
        return [_drop_none(v) for v in data]
    return data


def _validate_model(data: dict[str, Any]) -> tuple[AnyMetric | None, list[FormMessage]]:
    """Let the model have the last word; its findings become plain-language messages too."""
    cls = METRIC_CLASSES[data["kind"]]
    try:
        return cls.model_validate(_drop_none(data)), []  # type: ignore[return-value]
    except ValidationError as exc:
        messages = []
        for error in exc.errors():
            loc = ".".join(str(p) for p in error.get("loc", ())) or "metric_id"
            top = loc.split(".")[0]
            fld = top if t(f"authoring.field.{top}", "fi") != f"authoring.field.{top}" else "metric_id"
            messages.append(FormMessage("error", "model_error", fld, {"detail": error.get("msg", "")}))
        logger.info("form passed local checks but the model refused it: %s", exc)
        return None, messages


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
    from metrics.yaml_io import dump_metric

    return dump_metric(metric)


def parse_yaml(text: str, metric_id: str) -> AnyMetric:
    """The metric in a saved text; a broken file raises `AuthoringError` with the file's issues."""
    from metrics.yaml_io import load_metric_text

    metric, issues = load_metric_text(text, f"{metric_id}.yaml")
    if metric is None:
        raise AuthoringError(
            [FormMessage("error", "model_error", "metric_id", {"detail": i.render()}) for i in issues if i.level == "error"]
        )
    return metric


def file_messages(metric: AnyMetric) -> list[FormMessage]:
    """The metric layer's own file checks on the rendered text (e.g. unit vs. scale), as messages."""
    from metrics.yaml_io import parse_metric_text

    parsed = parse_metric_text(render_yaml(metric), f"{metric.id}.yaml")
    out = []
    for issue in parsed.issues:
        fld = (issue.field or "metric_id").split(".")[0]
        if issue.code == "unit-mismatch":
            out.append(FormMessage(issue.level, "unit_mismatch", "scale", {"scale": f"{metric.scale:g}"}))  # type: ignore[attr-defined]
        elif issue.code == "missing-translation":
            continue  # already reported by the form as translation_missing
        else:
            fld = fld if t(f"authoring.field.{fld}", "fi") != f"authoring.field.{fld}" else "metric_id"
            out.append(FormMessage(issue.level, "model_error", fld, {"detail": issue.message}))
    return out


def save_metric(
    store: MetricStore,
    form: MetricForm,
    opened: OpenedMetric,
    context: AuthoringContext | None = None,
) -> SaveResult:
    """Validate the form and save it as a draft; nothing is written unless it is valid.

    `opened` is what the user started from (`store.open(id)` or `store.new(id)`); a file changed
    since then raises `ConflictError` and the refused version is kept as a conflict copy.
    """
    draft = replace(form, status=MetricStatus.DRAFT.value)
    result = build_metric(draft, context)
    if not result.ok or result.metric is None:
        raise AuthoringError(result.errors)
    if opened.path is not None and opened.metric_id != result.metric.id:
        raise AuthoringError([FormMessage("error", "id_changed", "metric_id", {"value": opened.metric_id})])
    return store.save(result.metric.id, result.metric.theme.value, render_yaml(result.metric), opened.fingerprint)


def _with_status(text: str, status: MetricStatus, metric_id: str) -> tuple[AnyMetric, str]:
    metric = parse_yaml(text, metric_id)
    updated = metric.model_copy(update={"status": status})
    return updated, render_yaml(updated)


def approve_metric(store: MetricStore, metric_id: str, expected_fingerprint: str, reviewer: str) -> SaveResult:
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
    return store.save(metric_id, metric.theme.value, text, expected_fingerprint)


def restore_version(store: MetricStore, metric_id: str, version: str, expected_fingerprint: str) -> SaveResult:
    """Make an old version current again, as a draft (a restored text is reviewed again)."""
    old = store.read_version(metric_id, version)
    metric, text = _with_status(old, MetricStatus.DRAFT, metric_id)
    if metric.id != metric_id:
        raise AuthoringError([FormMessage("error", "id_changed", "metric_id", {"value": metric_id})])
    return store.save(metric_id, metric.theme.value, text, expected_fingerprint)


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
