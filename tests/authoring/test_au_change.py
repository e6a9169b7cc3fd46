"""The quick path's "change since a year" templates: sentence -> metric file -> values -> page.

A change is a derived metric over a catalogue metric with a base-year operand
(`population - population[2010]`); the checks are that the sentence goes through the one
validator, that the file it writes is what `kuntamittari validate` reads, and that the values
equal those computed by hand from the bundled Sotkanet file (not through the metric layer).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path

import pytest
from au_pages import open_page as _page
from sqlalchemy import Engine

from kuntamittari.i18n import t
from metrics.authoring import AuthoringContext, build_metric, render_yaml
from metrics.catalog import Catalog, load_catalog
from metrics.model import DerivedMetric, Selection
from metrics.service import query_metric
from metrics.templates import TEMPLATES, Sentence, descriptions, metric_labeller, sentence_form, slot_of
from metrics.yaml_io import parse_metric_text
from readout.formatting import format_number

ROOT = Path(__file__).resolve().parents[2]
CATALOG = load_catalog()
CTX = AuthoringContext(series_codes=None, metric_ids=tuple(CATALOG.metrics))
NAMES = {"fi": "Väkiluvun muutos vuodesta 2010", "sv": "Folkmängdens förändring sedan 2010",
         "en": "Change in population since 2010"}
SENTENCE = Sentence(template="change", x="population", base_year=2010, name_fi=NAMES["fi"], name_sv=NAMES["sv"],
                    name_en=NAMES["en"], theme="economy_services", direction="neutral")
METRIC_ID = "vakiluvun_muutos_vuodesta_2010"


def _form(sentence: Sentence):  # type: ignore[no-untyped-def]
    return sentence_form(sentence, population="sotkanet:127", label=lambda code, lang: code, metrics=CATALOG.metrics)


def _population(code: str, year: int) -> float:
    """A municipality's population in `year`, read straight from the bundled Sotkanet file."""
    import csv

    with (ROOT / "datamodel" / "data" / "sotkanet-2013" / "areas.csv").open(encoding="utf-8") as handle:
        region = next(int(r["sotkanet_region_id"]) for r in csv.DictReader(handle) if r["municipality_code"] == code)
    with gzip.open(ROOT / "datamodel" / "data" / "sotkanet-2013" / "data" / "indicator_127.json.gz", "rt") as handle:
        return next(float(r["value"]) for r in json.load(handle)
                    if r["region"] == region and r["year"] == year and r["gender"] == "total")


@pytest.mark.parametrize(("key", "expression", "decimals"), [
    ("change", "population - population[2010]", 0),
    ("change_pct", "(population - population[2010]) / population[2010] * 100", 1),
])
@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_sentence_is_a_derived_metric_the_validator_accepts(key: str, expression: str, decimals: int,
                                                                lang: str) -> None:
    result = build_metric(_form(replace(SENTENCE, template=key)), CTX)
    assert result.ok, [(m.code, m.render(lang)) for m in result.messages]
    metric = result.metric
    assert isinstance(metric, DerivedMetric) and metric.expression == expression
    assert metric.id == METRIC_ID and metric.decimals == decimals  # the difference keeps the metric's decimals
    units = {"change": CATALOG.get("population").unit.as_dict()[lang], "change_pct": "%"}
    assert metric.unit.as_dict()[lang] == units[key] == TEMPLATES[key].unit(lang, units["change"])
    name = CATALOG.get("population").name.as_dict()[lang]
    assert name in metric.description.as_dict()[lang] and "2010" in metric.description.as_dict()[lang]
    parsed = parse_metric_text(render_yaml(metric), f"{metric.id}.yaml")
    assert parsed.metric == metric and not parsed.issues


def test_what_is_missing_is_named_by_the_sentences_slot() -> None:
    no_year = build_metric(_form(replace(SENTENCE, base_year=None)), CTX)
    assert "expression_missing" in {m.code for m in no_year.errors}
    assert slot_of("change", "expression", replace(SENTENCE, base_year=None)) == "base_year"
    assert slot_of("change", "expression", replace(SENTENCE, x="", base_year=None)) == "x"
    assert descriptions(TEMPLATES["change"], replace(SENTENCE, base_year=None), metric_labeller(CATALOG.metrics), "") == {
        "fi": "", "sv": "", "en": ""}
    unknown = build_metric(_form(replace(SENTENCE, x="populaton")), CTX)
    assert not unknown.ok and unknown.errors  # a metric the catalogue does not have: refused


def test_the_saved_change_gives_the_bundled_datas_change(bundled_engine: Engine) -> None:
    metric = build_metric(_form(replace(SENTENCE, template="change_pct")), CTX).metric
    catalog = Catalog(metrics={**CATALOG.metrics, metric.id: metric}, issues=[], files={}, directory=CATALOG.directory)
    frame = query_metric(bundled_engine, catalog, metric.id, Selection(areas=("208",), periods=("2011",)))
    by_hand = (_population("208", 2011) - _population("208", 2010)) / _population("208", 2010) * 100
    assert frame["value"].tolist() == pytest.approx([by_hand]) and by_hand == pytest.approx(54 / 12562 * 100)


# ---------------------------------------------------------------------------- the page


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_change_in_per_cent_on_the_quick_path(env: Path, lang: str) -> None:
    at = _page(lang)
    at.radio(key="au_fp_template").set_value("change_pct").run()
    assert t("change.template.change_pct.slot_x", lang) == at.selectbox(key="au_fp_metric").label
    year_box = at.selectbox(key="au_fp_base_year")
    assert year_box.disabled and year_box.placeholder == t("change.choose_metric_first", lang)
    option = next(o for o in at.selectbox(key="au_fp_metric").options if o.endswith("(population)"))
    assert option == f"{CATALOG.get('population').name.as_dict()[lang]} (population)"
    at.selectbox(key="au_fp_metric").set_value("population").run()
    years = at.selectbox(key="au_fp_base_year").options
    assert years[0] == "2011" and years[-1] == "1990" and len(years) == 22
    at.selectbox(key="au_fp_base_year").set_value(2010)
    for code, name in NAMES.items():
        at.text_input(key=f"au_fp_name_{code}").input(name)
    at.selectbox(key="au_fp_theme").set_value("economy_services")
    at.radio(key="au_fp_direction").set_value("neutral").run()
    assert not at.exception, [e.value for e in at.exception]
    assert t("authoring.all_ok", lang) in [s.value for s in at.success], [e.value for e in at.error]
    yaml_text = next(c.value for c in at.code if "kind: derived" in c.value)
    assert "expression: (population - population[2010]) / population[2010] * 100" in yaml_text
    assert f"{lang}: '%'" in yaml_text or f"{lang}: \"%\"" in yaml_text, yaml_text
    words = t("change.formula_in_year", lang, name=CATALOG.get("population").name.as_dict()[lang], year=2010)
    assert any(words in c.value for c in at.caption)
    # The preview answers for 2011 (the newest year): Kalajoki's change in the page's number format.
    table = at.table[0].value
    expected = format_number((_population("208", 2011) / _population("208", 2010) - 1) * 100, lang, 1)
    assert table.loc["Kalajoki"].iloc[0] == expected == ("0,4" if lang == "fi" else "0.4")
    at.button(key="au_fp_save").click().run()
    assert not at.exception
    saved = env / "economy_services" / f"{METRIC_ID}.yaml"
    assert saved.read_text(encoding="utf-8").rstrip("\n") == yaml_text.rstrip("\n")
    assert not [i for i in load_catalog(env).errors if METRIC_ID in i.file]


def test_a_missing_base_year_is_asked_for_by_its_label(env: Path) -> None:
    at = _page("sv")
    at.radio(key="au_fp_template").set_value("change").run()
    at.selectbox(key="au_fp_metric").set_value("population")
    at.text_input(key="au_fp_name_fi").input(NAMES["fi"]).run()
    label = t("change.template.change.slot_base_year", "sv")
    assert any(e.value.startswith(label.replace("(", "\\(").replace(")", "\\)")) or e.value.startswith(label)
               for e in at.error), [e.value for e in at.error]
