"""A metric from a sentence: templates that fill the authoring form for the common cases.

Most metrics a workshop defines are one of a few sentences: "in-migrants per 1 000 residents",
"euros per resident", "the share of the over-75s in the population (%)". A template knows the
kind, the multiplier, the unit in three languages, the decimals and the description; the
participant only picks the series, names the metric and says which direction is good. The result
is an ordinary `MetricForm`, so the document, the YAML and the validation are exactly those of the
full form and of `kuntamittari validate` (`metrics.authoring.build_metric`).

Series labels come from the caller (`label(code, lang)`), because titles in the page's language,
with the Finnish one marked where there is no translation, are the readout's wording
(`readout.formula.series_label`), which this layer may not import.

"Change in X since a year" (as a difference, or in per cent of the base year's value) is a
derived metric over a catalogue metric X with a base-year operand (`x - x[2010]`,
`metrics.expr`): X already knows how it rolls up over areas, so the change of a region is the
change of the region's value. Its unit and decimals are X's (per cent: "%", one decimal).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from kuntamittari.i18n import pick, t
from metrics.authoring_input import LANGS, MetricForm, slugify
from metrics.model import AnyMetric, RatioMetric, SimpleMetric

Label = Callable[[str, str], str]  # (series code, language) -> title shown


@dataclass(frozen=True)
class Template:
    """One sentence: its slots (series the participant picks) and what it fixes in the metric.

    `denominator` is "population" when the template divides by the population series, "slot"
    when the participant picks the denominator as the second slot, and "" for a change since a
    base year (`change`: "difference" or "percent"), whose slot `x` is a catalogue metric. `texts`
    is where its words live (`<texts>.<key>.label`, `.unit`, `.description`, `.slot_<slot>`);
    `decimals` None takes the chosen metric's.
    """

    key: str
    slots: tuple[str, ...]
    denominator: str
    scale: int
    decimals: int | None
    change: str = ""
    texts: str = "workshop.template"

    def text(self, name: str, lang: str, **params: str) -> str:
        return t(f"{self.texts}.{self.key}.{name}", lang, **params)

    def unit(self, lang: str, base_unit: str = "") -> str:
        """The unit the template sets (a difference keeps the chosen metric's unit, `base_unit`)."""
        return self.text("unit", lang, unit=base_unit)

    def sentence(self, lang: str) -> str:
        """The template as the participant chooses it ("X per 1 000 residents")."""
        return self.text("label", lang)

    def slot_label(self, slot: str, lang: str) -> str:
        return self.text(f"slot_{slot}", lang)


TEMPLATES: dict[str, Template] = {
    "per_1000": Template("per_1000", ("x",), "population", 1000, 1),
    "per_resident": Template("per_resident", ("x",), "population", 1, 2),
    "share": Template("share", ("part", "whole"), "slot", 100, 1),
    "change": Template("change", ("x", "base_year"), "", 1, None, change="difference", texts="change.template"),
    "change_pct": Template("change_pct", ("x", "base_year"), "", 100, 1, change="percent", texts="change.template"),
}
DEFAULT_TEMPLATE = "per_1000"
DEFAULT_COMPARE: tuple[str, ...] = ("region", "pilot")


@dataclass(frozen=True)
class Sentence:
    """The fast path as the participant filled it in (codes and plain text)."""

    template: str = DEFAULT_TEMPLATE
    x: str = ""  # the counted thing (per_1000, per_resident), the part (share), the metric (change)
    whole: str = ""  # share: what the part is a share of
    base_year: int | None = None  # change: the year the change is counted from
    name_fi: str = ""
    name_sv: str = ""
    name_en: str = ""
    metric_id: str = ""  # empty: the id suggested from the Finnish name is used
    theme: str = ""
    direction: str = ""
    compare_with: tuple[str, ...] = DEFAULT_COMPARE
    owner: str = ""


def population_series(metrics: Mapping[str, object], population_metric: str, fallback: str) -> str:
    """The population series the "per resident" templates divide by: the series of the catalogue's
    population metric (settings.population_metric), else `fallback` (settings.coverage_weight_series)."""
    metric = metrics.get(population_metric)
    if isinstance(metric, SimpleMetric):
        return metric.series
    if isinstance(metric, RatioMetric):  # pragma: no cover - a population is a plain series
        return metric.denominator
    return fallback


def suggest_id(name: str, taken: Collection[str]) -> str:
    """An id from the Finnish name (snake_case, ä -> a), made unique against `taken`; '' for no name.

    With many participants in one installation the same name is common: the second one gets
    `<name>_2`, and so on, so saving never collides with a metric already in the catalogue.
    """
    base = slugify(name)
    if not base:
        return ""
    if len(base) < 2:
        base = f"{base}_mittari"
    candidate, n = base, 2
    while candidate in taken:
        suffix = f"_{n}"
        candidate = f"{base[:64 - len(suffix)].rstrip('_')}{suffix}"
        n += 1
    return candidate


def effective_id(sentence: Sentence, taken: Collection[str]) -> str:
    """The id the metric gets: the typed one, else the suggestion from the name."""
    return sentence.metric_id.strip() or suggest_id(sentence.name_fi, taken)


def _slots(template: Template, sentence: Sentence) -> dict[str, str]:
    return {"x": sentence.x, "part": sentence.x, "whole": sentence.whole}


def metric_labeller(metrics: Mapping[str, AnyMetric]) -> Label:
    """(metric id, language) -> the metric's name in that language (Finnish when it has none)."""
    def label(metric_id: str, lang: str) -> str:
        metric = metrics.get(metric_id)
        return pick(metric.name.as_dict(), lang) if metric is not None else metric_id
    return label


def change_expression(template: Template, metric_id: str, year: int | None) -> str:
    """The formula of a change since `year`: `x - x[year]`, or in per cent of `x[year]`."""
    if not template.change or not metric_id or year is None:
        return ""
    if template.change == "percent":
        return f"({metric_id} - {metric_id}[{year}]) / {metric_id}[{year}] * {template.scale}"
    return f"{metric_id} - {metric_id}[{year}]"


def descriptions(template: Template, sentence: Sentence, label: Label, population: str) -> dict[str, str]:
    """The description in each language, written from the sentence and the series titles (for a
    change: `label` names the metric).

    A series title that exists only in Finnish is quoted with the readout's "(in Finnish)" marker
    (through `label`), never passed off as a translation.
    """
    out: dict[str, str] = {}
    slots = _slots(template, sentence)
    missing = any(not slots.get(name) for name in template.slots if name != "base_year")
    if template.change and sentence.base_year is None:
        missing = True
    for lang in LANGS:
        if missing:
            out[lang] = ""
            continue
        values = {name: label(code, lang) for name, code in slots.items() if code}
        out[lang] = template.text("description", lang, population=label(population, lang),
                                  base=str(sentence.base_year or ""), **values)
    return out


def sentence_form(sentence: Sentence, *, population: str, label: Label, taken: Collection[str] = (),
                  metrics: Mapping[str, AnyMetric] | None = None) -> MetricForm:
    """The full authoring form the sentence stands for (validated like any form). `metrics` is
    the catalogue a change template's metric comes from (its name, unit and decimals)."""
    template = TEMPLATES.get(sentence.template, TEMPLATES[DEFAULT_TEMPLATE])
    common = dict(
        metric_id=effective_id(sentence, taken),
        name_fi=sentence.name_fi, name_sv=sentence.name_sv, name_en=sentence.name_en,
        theme=sentence.theme, direction=sentence.direction, compare_with=tuple(sentence.compare_with),
        owner=sentence.owner,
    )
    if template.change:
        return _change_form(template, sentence, metrics or {}, common)
    if template.denominator == "population":
        numerator, denominator = sentence.x, population
    else:
        numerator, denominator = sentence.x, sentence.whole
    texts = descriptions(template, sentence, label, population)
    return MetricForm(
        **common,
        description_fi=texts["fi"], description_sv=texts["sv"], description_en=texts["en"],
        unit_fi=template.unit("fi"), unit_sv=template.unit("sv"), unit_en=template.unit("en"),
        kind="ratio", numerator=numerator, denominator=denominator,
        scale=str(template.scale), decimals=str(template.decimals),
    )


def _change_form(template: Template, sentence: Sentence, metrics: Mapping[str, AnyMetric],
                 common: Mapping[str, object]) -> MetricForm:
    """A change since a base year: a derived metric over the chosen catalogue metric."""
    base = metrics.get(sentence.x)
    texts = descriptions(template, sentence, metric_labeller(metrics), "")
    units = {lang: template.unit(lang, pick(base.unit.as_dict(), lang) if base is not None else "") for lang in LANGS}
    decimals = template.decimals if template.decimals is not None else (base.decimals if base is not None else 1)
    return MetricForm(
        **common,  # type: ignore[arg-type]
        description_fi=texts["fi"], description_sv=texts["sv"], description_en=texts["en"],
        unit_fi=units["fi"], unit_sv=units["sv"], unit_en=units["en"],
        kind="derived", expression=change_expression(template, sentence.x, sentence.base_year),
        decimals=str(decimals),
    )


def slot_of(template: str, field: str, sentence: Sentence) -> str | None:
    """The sentence's slot a form field stands for (messages name the slot, not "numerator"):
    a change's formula is its metric until one is chosen, then its base year."""
    if template in TEMPLATES and TEMPLATES[template].change and field == "expression":
        return "base_year" if sentence.x else "x"
    return SLOT_OF_FIELD.get(template, {}).get(field)


#: Which slot of the sentence a form field stands for (messages name the slot, not "numerator").
SLOT_OF_FIELD: dict[str, dict[str, str]] = {
    "per_1000": {"numerator": "x", "series": "x"},
    "per_resident": {"numerator": "x", "series": "x"},
    "share": {"numerator": "part", "denominator": "whole"},
}
