"""The authoring form as typed: its fields, and turning them into a metric document.

Workshop participants type numbers as Finns do ("12,5", "1 000", "−3") and targets as lines
("2025: 12,5" or "2025 208: 12,5"), and leave boxes empty. This module only *reads* that input
into the plain data of a metric file; whether the metric is valid is decided by the same
validation as `kuntamittari validate` (`metrics.authoring.build_metric` runs it on the document).
What is reported here is only what cannot be read at all (an empty required box, "kaksi" as a
number), each as a `FormMessage` with a stable code and a text in fi/sv/en.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from kuntamittari.i18n import t

Level = Literal["error", "warning"]
LANGS: tuple[str, ...] = ("fi", "sv", "en")
KINDS: tuple[str, ...] = ("simple", "ratio", "sum", "derived")
GENDERS: tuple[str, ...] = ("total", "male", "female")
PRESERVED_FIELDS: tuple[str, ...] = (
    "tags", "caveats", "why_it_matters", "source", "licence", "attribution", "update_frequency",
    "weight_basis", "approximation_note", "min_coverage", "disclosure",
)


@dataclass(frozen=True)
class FormMessage:
    """One problem in the form: the field it belongs to, a stable code and message parameters.

    `domain` says where the message text lives: `authoring.msg` for what the form itself reads,
    `validation` for the shared metric rules (the same texts `kuntamittari validate` prints).
    """

    level: Level
    code: str
    field: str
    params: Mapping[str, Any] = field(default_factory=dict)
    domain: str = "authoring.msg"

    def render(self, lang: str) -> str:
        """The message in `lang`, prefixed by the field's label as the form shows it."""
        label = t(f"authoring.field.{self.field.split('.')[0]}", lang)
        return f"{label}: {t(f'{self.domain}.{self.code}', lang, **dict(self.params))}"


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


def slugify(text: str) -> str:
    """A metric id suggestion from a name: 'Tulomuuttajat / 1000 as.' -> 'tulomuuttajat_1000_as'."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")
    if slug and not slug[0].isalpha():
        slug = f"m_{slug}"
    return slug[:64].rstrip("_")


def parse_number(text: str | float | int | None) -> float | None:
    """A number as Finns type it: decimal comma, spaces as thousands separators, minus signs."""
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


def parse_integer(text: str | int | None) -> int | None:
    value = parse_number(text)
    if value is None:
        return None
    if not value.is_integer():
        raise ValueError(str(text))
    return int(value)


def _plain(value: float) -> float | int:
    return int(value) if value.is_integer() else value


class _Reader:
    """Collects the document and the messages while the fields are read."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {"schema_version": 1}
        self.messages: list[FormMessage] = []

    def err(self, code: str, fld: str, **params: Any) -> None:
        self.messages.append(FormMessage("error", code, fld, params))

    def warn(self, code: str, fld: str, **params: Any) -> None:
        self.messages.append(FormMessage("warning", code, fld, params))

    def number(self, key: str, text: str, fld: str, code: str, *, integer: bool = False, default: float | None = None) -> None:
        """A number field; unreadable text is reported and the field left out of the document."""
        try:
            value = parse_integer(text) if integer else parse_number(text)
        except ValueError:
            self.err(code, fld, value=text)
            return
        value = default if value is None else value
        if value is not None:
            self.data[key] = int(value) if integer else _plain(float(value))


def _texts(reader: _Reader, form: MetricForm) -> None:
    for key in ("name", "description", "unit"):
        values = {lang: getattr(form, f"{key}_{lang}").strip() for lang in LANGS}
        if not values["fi"]:
            reader.err(f"{key}_fi_missing", key)
            continue
        missing = [lang for lang in ("sv", "en") if not values[lang]]
        if missing:  # advice: approval needs them (the rule itself is shared: missing-translation)
            reader.warn("translation_missing", key, languages=", ".join(missing))
        reader.data[key] = {k: v for k, v in values.items() if v}


def _inputs(reader: _Reader, form: MetricForm) -> None:
    """The kind's input series (boxes that must not be empty), aggregation, weight, expression."""
    def series(value: str, fld: str) -> str | None:
        code = value.strip()
        if not code:
            reader.err("series_missing", fld)
        return code or None

    kind = form.kind
    reader.data["kind"] = kind
    if kind == "simple":
        reader.data["series"] = series(form.series, "series")
    elif kind == "ratio":
        reader.data["numerator"] = series(form.numerator, "numerator")
        reader.data["denominator"] = series(form.denominator, "denominator")
        reader.number("scale", form.scale, "scale", "scale_bad", default=1.0)
    elif kind == "sum":
        reader.data["series"] = [c.strip() for c in form.sum_series if c.strip()]
    elif kind == "derived":
        if not form.expression.strip():
            reader.err("expression_missing", "expression")
        reader.data["expression"] = form.expression.strip() or None
    if kind in ("simple", "sum"):
        if form.aggregation:
            reader.data["aggregation"] = form.aggregation
        if form.weight.strip():
            reader.data["weight"] = form.weight.strip()


def _targets(reader: _Reader, text: str) -> None:
    """Target lines ('2025: 12,5' or '2025 208: 12,5'); an unreadable line is reported by number."""
    out: list[dict[str, Any]] = []
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
            year, value = int(parts[0]), parse_number(value_text)
            if value is None:
                raise ValueError(line)
        except ValueError:
            reader.err("target_bad_line", "targets", line=number, text=line)
            continue
        entry: dict[str, Any] = {"year": year, "value": _plain(value)}
        if len(parts) == 2:
            entry["area"] = parts[1]
        out.append(entry)
    if out:
        reader.data["targets"] = out


def _thresholds(reader: _Reader, form: MetricForm) -> None:
    good_text, poor_text = form.threshold_good.strip(), form.threshold_poor.strip()
    if not (good_text or poor_text):
        return
    try:
        good, poor = parse_number(good_text), parse_number(poor_text)
    except ValueError:
        reader.err("threshold_bad", "thresholds")
        return
    if good is None or poor is None:
        reader.err("threshold_incomplete", "thresholds")
        return
    reader.data["thresholds"] = {"good": _plain(good), "poor": _plain(poor)}


def _presentation(reader: _Reader, form: MetricForm) -> None:
    filters = {k: v for k, v in (("gender", form.gender),
                                 ("age_band", form.age_band.strip().replace("\u2013", "-").replace(" ", ""))) if v}
    if filters:
        reader.data["filters"] = filters
    reader.number("decimals", form.decimals, "decimals", "decimals_bad", integer=True, default=1)
    if not form.direction:
        reader.err("direction_missing", "direction")
    reader.data["direction"] = form.direction or None
    _targets(reader, form.targets)
    _thresholds(reader, form)
    compare = [c for c in form.compare_with if c]
    if not compare:
        reader.warn("compare_empty", "compare_with")
    reader.data["compare_with"] = compare
    if form.owner.strip():
        reader.data["owner"] = form.owner.strip()
    else:
        reader.warn("owner_missing", "owner")
    reader.number("min_count", form.min_count, "min_count", "min_count_bad", integer=True, default=5)


def form_document(form: MetricForm) -> tuple[dict[str, Any], list[FormMessage]]:
    """The metric document the form describes, and what could not be read from it.

    Fields that could not be read are left out of the document (their message says why), so
    the shared validation still checks everything else at once.
    """
    reader = _Reader()
    metric_id = form.metric_id.strip()
    if not metric_id:
        reader.err("id_missing", "metric_id", suggestion=slugify(form.name_fi) or "tulomuutto_1000")
    reader.data["id"] = metric_id or None
    reader.data["status"] = form.status or "draft"
    _texts(reader, form)
    if not form.theme:
        reader.err("theme_missing", "theme")
    reader.data["theme"] = form.theme or None
    _inputs(reader, form)
    _presentation(reader, form)
    for key, value in form.preserved.items():
        if key == "compare_lists":
            reader.data["compare_with"] = list(reader.data.get("compare_with", [])) + list(value)
        elif key in PRESERVED_FIELDS:
            reader.data[key] = value
    document = {k: v for k, v in reader.data.items() if v is not None and (v != [] or k == "compare_with")}
    return document, reader.messages
