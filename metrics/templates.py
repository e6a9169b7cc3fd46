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

"Change since a year" is not a template: the metric model has no operator over time, so the
change between two years is a question the preview answers for any metric (see docs/authoring.md).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from kuntamittari.i18n import t
from metrics.authoring_input import LANGS, MetricForm, slugify
from metrics.model import RatioMetric, SimpleMetric

Label = Callable[[str, str], str]  # (series code, language) -> title shown


@dataclass(frozen=True)
class Template:
    """One sentence: its slots (series the participant picks) and what it fixes in the metric.

    `denominator` is "population" when the template divides by the population series, or
    "slot" when the participant picks the denominator as the second slot.
    """

    key: str
    slots: tuple[str, ...]
    denominator: str
    scale: int
    decimals: int

    def unit(self, lang: str) -> str:
        return t(f"workshop.template.{self.key}.unit", lang)

    def sentence(self, lang: str) -> str:
        """The template as the participant chooses it ("X per 1 000 residents")."""
        return t(f"workshop.template.{self.key}.label", lang)


TEMPLATES: dict[str, Template] = {
    "per_1000": Template("per_1000", ("x",), "population", 1000, 1),
    "per_resident": Template("per_resident", ("x",), "population", 1, 2),
    "share": Template("share", ("part", "whole"), "slot", 100, 1),
}
DEFAULT_TEMPLATE = "per_1000"
DEFAULT_COMPARE: tuple[str, ...] = ("region", "pilot")


@dataclass(frozen=True)
class Sentence:
    """The fast path as the participant filled it in (codes and plain text)."""

    template: str = DEFAULT_TEMPLATE
    x: str = ""  # the counted thing (per_1000, per_resident) or the part (share)
    whole: str = ""  # share: what the part is a share of
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


def descriptions(template: Template, sentence: Sentence, label: Label, population: str) -> dict[str, str]:
    """The description in each language, written from the sentence and the series titles.

    A series title that exists only in Finnish is quoted with the readout's "(in Finnish)" marker
    (through `label`), never passed off as a translation.
    """
    out: dict[str, str] = {}
    slots = _slots(template, sentence)
    for lang in LANGS:
        values = {name: label(code, lang) for name, code in slots.items() if code}
        if any(not slots[name] for name in template.slots):
            out[lang] = ""
            continue
        out[lang] = t(f"workshop.template.{template.key}.description", lang,
                      population=label(population, lang), **values)
    return out


def sentence_form(sentence: Sentence, *, population: str, label: Label, taken: Collection[str] = ()) -> MetricForm:
    """The full authoring form the sentence stands for (validated like any form)."""
    template = TEMPLATES.get(sentence.template, TEMPLATES[DEFAULT_TEMPLATE])
    if template.denominator == "population":
        numerator, denominator = sentence.x, population
    else:
        numerator, denominator = sentence.x, sentence.whole
    texts = descriptions(template, sentence, label, population)
    return MetricForm(
        metric_id=effective_id(sentence, taken),
        name_fi=sentence.name_fi, name_sv=sentence.name_sv, name_en=sentence.name_en,
        description_fi=texts["fi"], description_sv=texts["sv"], description_en=texts["en"],
        unit_fi=template.unit("fi"), unit_sv=template.unit("sv"), unit_en=template.unit("en"),
        theme=sentence.theme, kind="ratio", numerator=numerator, denominator=denominator,
        scale=str(template.scale), decimals=str(template.decimals), direction=sentence.direction,
        compare_with=tuple(sentence.compare_with), owner=sentence.owner,
    )


#: Which slot of the sentence a form field stands for (messages name the slot, not "numerator").
SLOT_OF_FIELD: dict[str, dict[str, str]] = {
    "per_1000": {"numerator": "x", "series": "x"},
    "per_resident": {"numerator": "x", "series": "x"},
    "share": {"numerator": "part", "denominator": "whole"},
}
