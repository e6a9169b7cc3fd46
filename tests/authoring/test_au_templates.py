"""A metric from a sentence (metrics.templates), who may approve (metrics.approval), and the
upload report in words (metrics.warehouse.describe_upload) — without Streamlit.

The sentence becomes an ordinary form, so the checks here are that it goes through the one
validator (`build_metric`, the rules `kuntamittari validate` applies) and yields exactly the
metric the workshop's model file describes.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from kuntamittari.i18n import t
from kuntamittari.settings import PROJECT_ROOT
from accounts.approval import ApprovalRight, approval_right
from metrics.approval import awaits_reviewer, workshop_approve
from metrics.authoring import (
    AuthoringContext,
    AuthoringError,
    approve_metric,
    build_metric,
    parse_yaml,
    render_yaml,
    restore_version,
    save_metric,
)
from metrics.authoring_store import MetricStore
from metrics.model import MetricStatus, RatioMetric
from metrics.templates import TEMPLATES, Sentence, descriptions, effective_id, sentence_form, suggest_id
from metrics.yaml_io import parse_metric_text
from readout.formula import series_label

POPULATION = "sotkanet:127"
SERIES = ("sotkanet:3196", "sotkanet:127", "sotkanet:170", "sotkanet:181")
CTX = AuthoringContext(series_codes=SERIES, metric_ids=("in_migration_rate",))
TITLES = {"sotkanet:3196": {"fi": "Tulomuuttajat, lkm"}, "sotkanet:127": {"fi": "Väestö 31.12.", "en": "Population 31 Dec"}}


def label(code: str, lang: str) -> str:
    return series_label(code, lang, TITLES)


EXERCISE = Sentence(
    template="per_1000", x="sotkanet:3196", name_fi="Tulomuutto tuhatta asukasta kohden",
    name_sv="Inflyttning per tusen invånare", name_en="In-migration per 1,000 residents",
    theme="living_environment_safety", direction="higher_is_better", owner="Koordinaattori",
)


def _model_block() -> dict:
    """The metric definition printed in module 1 (Finnish material), as data."""
    import workshop as tc

    module = next(m for m in tc.load_modules("fi") if m.number == 1)
    block = next(b for b in module.yaml_blocks() if b.is_metric)
    return block.data


def test_the_exercise_sentence_is_the_model_file_of_module_1() -> None:
    """Per 1 000 residents of in-migrants: the same computation, unit, decimals and comparisons as
    the model file participants compare with (only the id, names and description are their own)."""
    result = build_metric(sentence_form(EXERCISE, population=POPULATION, label=label), CTX)
    assert result.ok, [m.code for m in result.messages]
    metric = result.metric
    model = _model_block()
    assert isinstance(metric, RatioMetric)
    assert (metric.numerator, metric.denominator, metric.scale) == (model["numerator"], model["denominator"], model["scale"])
    assert metric.unit.as_dict() == model["unit"]
    assert (metric.decimals, metric.direction.value) == (model["decimals"], model["direction"])
    assert sorted(c.value for c in metric.compare_with) == sorted(model["compare_with"])
    assert metric.id == "tulomuutto_tuhatta_asukasta_kohden" and metric.status is MetricStatus.DRAFT


@pytest.mark.parametrize("key", [k for k, tpl in TEMPLATES.items() if not tpl.change])
@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_every_template_writes_a_file_the_validator_accepts(key: str, lang: str) -> None:
    template = TEMPLATES[key]
    sentence = replace(EXERCISE, template=key, x="sotkanet:170" if key == "share" else "sotkanet:3196",
                       whole="sotkanet:127" if key == "share" else "")
    form = sentence_form(sentence, population=POPULATION, label=label)
    result = build_metric(form, CTX)
    assert result.ok, [(m.code, m.render(lang)) for m in result.messages]
    assert not result.errors and {m.code for m in result.warnings} <= set()
    metric = result.metric
    assert metric.scale == template.scale and metric.decimals == template.decimals
    assert metric.unit.as_dict()[lang] == t(f"workshop.template.{key}.unit", lang)
    # The saved text is what `kuntamittari validate` reads: the same model, no issues.
    parsed = parse_metric_text(render_yaml(metric), f"{metric.id}.yaml")
    assert parsed.metric == metric and not parsed.issues


def test_descriptions_quote_finnish_titles_with_the_readouts_marker() -> None:
    texts = descriptions(TEMPLATES["per_1000"], EXERCISE, label, POPULATION)
    assert texts["fi"].startswith("Tulomuuttajat, lkm ") and "(" not in texts["fi"].split("väestöön")[0]
    assert "Tulomuuttajat, lkm (på finska)" in texts["sv"]
    assert "Tulomuuttajat, lkm (in Finnish)" in texts["en"] and "Population 31 Dec" in texts["en"]
    assert descriptions(TEMPLATES["share"], replace(EXERCISE, template="share"), label, POPULATION)["fi"] == ""


def test_id_from_the_name() -> None:
    assert suggest_id("", ()) == ""
    assert suggest_id("Yli 75-vuotiaiden osuus / väestö (Ääneväki)", ()) == "yli_75_vuotiaiden_osuus_vaesto_aanevaki"
    assert suggest_id("2000-luvun muutto", ()) == "m_2000_luvun_muutto"
    taken = {"tulomuutto", "tulomuutto_2"}
    assert suggest_id("Tulomuutto", taken) == "tulomuutto_3"
    assert len(suggest_id("x" * 80, {"x" * 64})) <= 64 and suggest_id("x" * 80, {"x" * 64}).endswith("_2")
    # A typed id wins; an empty one uses the suggestion.
    assert effective_id(replace(EXERCISE, metric_id=" oma_tunnus "), ()) == "oma_tunnus"
    assert effective_id(EXERCISE, {"tulomuutto_tuhatta_asukasta_kohden"}) == "tulomuutto_tuhatta_asukasta_kohden_2"


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_sentence_mistakes_get_the_validators_messages(lang: str) -> None:
    same = replace(EXERCISE, template="share", x="sotkanet:127", whole="sotkanet:127")
    result = build_metric(sentence_form(same, population=POPULATION, label=label), CTX)
    assert not result.ok
    assert "same_series" in {m.code for m in result.errors}
    text = next(m for m in result.errors if m.code == "same_series").render(lang)
    assert t("validation.same_series", lang) in text
    unknown = build_metric(sentence_form(replace(EXERCISE, x="sotkanet:999999"), population=POPULATION, label=label), CTX)
    assert not unknown.ok and unknown.errors
    blank = build_metric(sentence_form(replace(EXERCISE, direction="", name_fi=""), population=POPULATION, label=label), CTX)
    assert {"direction_missing", "name_fi_missing", "id_missing"} <= {m.code for m in blank.errors}


def test_saved_sentence_passes_kuntamittari_validate(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    _saved_exercise(tmp_path)
    out = CliRunner().invoke(app, ["validate", "--dir", str(tmp_path / "definitions"), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["errors"] == 0


# ---------------------------------------------------------------------------- approval


@pytest.mark.parametrize(("source", "roles", "workshop", "expected"), [
    ("none", {"admin"}, False, ApprovalRight.NONE),  # sign-in off: an "admin" visitor is nobody's reviewer
    ("none", {"admin"}, True, ApprovalRight.WORKSHOP),
    ("local", {"reviewer"}, False, ApprovalRight.REVIEWER),
    ("oidc", {"admin"}, True, ApprovalRight.REVIEWER),
    ("local", {"author"}, False, ApprovalRight.NONE),
    ("local", {"author"}, True, ApprovalRight.WORKSHOP),
    (None, (), False, ApprovalRight.NONE),
])
def test_who_may_approve(source: str | None, roles: set[str], workshop: bool, expected: ApprovalRight) -> None:
    assert approval_right(source, roles, workshop_mode=workshop) is expected


def _saved_exercise(tmp_path: Path) -> MetricStore:
    definitions = tmp_path / "definitions"
    shutil.copytree(PROJECT_ROOT / "metrics" / "definitions", definitions)
    store = MetricStore(definitions)
    form = sentence_form(EXERCISE, population=POPULATION, label=label)
    save_metric(store, form, store.new(form.metric_id), CTX)
    return store


def test_workshop_approval_stays_a_draft_until_a_reviewer_confirms(tmp_path: Path) -> None:
    from metrics.catalog import load_catalog

    store = _saved_exercise(tmp_path)
    metric_id = "tulomuutto_tuhatta_asukasta_kohden"
    opened = store.open(metric_id)
    workshop_approve(store, metric_id, opened.fingerprint, "osallistuja@kunta.fi", today=dt.date(2025, 5, 6))
    text = store.open(metric_id).text
    assert "status: draft" in text and "workshop_approval:" in text and "date: '2025-05-06'" in text
    catalog = load_catalog(tmp_path / "definitions")
    metric = catalog.get(metric_id)
    assert awaits_reviewer(metric)
    assert metric_id not in {m.id for m in catalog.approved()}
    assert metric_id not in {m.id for ms in catalog.by_theme().values() for m in ms}
    # Approving it again in the workshop is refused (it is already recorded); a reviewer confirms.
    again = store.open(metric_id)
    approve_metric(store, metric_id, again.fingerprint, "tarkastaja@kunta.fi")
    confirmed = parse_yaml(store.open(metric_id).text, metric_id)
    assert confirmed.status is MetricStatus.APPROVED and confirmed.workshop_approval is None
    assert metric_id in {m.id for m in load_catalog(tmp_path / "definitions").approved()}
    # A restored old version comes back as a plain draft, without the workshop record.
    workshop_version = next(e.version for e in store.history(metric_id)
                            if "workshop_approval" in e.path.read_text(encoding="utf-8"))
    restore_version(store, metric_id, workshop_version, store.open(metric_id).fingerprint)
    restored = parse_yaml(store.open(metric_id).text, metric_id)
    assert restored.status is MetricStatus.DRAFT and restored.workshop_approval is None


def test_workshop_approval_needs_translations_and_a_draft(tmp_path: Path) -> None:
    store = _saved_exercise(tmp_path)
    metric_id = "tulomuutto_tuhatta_asukasta_kohden"
    untranslated = replace(sentence_form(replace(EXERCISE, name_sv="", name_en="", metric_id="ilman_kaannoksia"),
                                         population=POPULATION, label=label))
    save_metric(store, untranslated, store.new("ilman_kaannoksia"), CTX)
    with pytest.raises(AuthoringError) as refused:
        workshop_approve(store, "ilman_kaannoksia", store.open("ilman_kaannoksia").fingerprint, None)
    assert {m.code for m in refused.value.messages} == {"approve_translations"}
    approve_metric(store, metric_id, store.open(metric_id).fingerprint, "tarkastaja@kunta.fi")
    with pytest.raises(AuthoringError) as not_draft:
        workshop_approve(store, metric_id, store.open(metric_id).fingerprint, None)
    assert [m.render("en") for m in not_draft.value.messages][0].endswith(t("workshop.msg.not_draft", "en"))


def test_an_approved_file_with_a_workshop_record_is_refused() -> None:
    """The record belongs on drafts only; a hand-edited file claiming both is not published."""
    text = render_yaml(build_metric(sentence_form(EXERCISE, population=POPULATION, label=label), CTX).metric)
    text = text.replace("status: draft\n", "status: approved\nworkshop_approval:\n  date: 2025-05-06\n")
    parsed = parse_metric_text(text, "tulomuutto_tuhatta_asukasta_kohden.yaml")
    assert parsed.metric is None
    assert [i.key for i in parsed.issues if i.level == "error"] == ["workshop_approval_not_draft"]


# ---------------------------------------------------------------------------- upload report


def _report(data: bytes, **options: object):  # type: ignore[no-untyped-def]
    from datamodel.loaders.own_data import parse_own_data

    return parse_own_data(data, filename="x.csv", series_code="own:208:x", **options)


def test_upload_report_counts_every_row_and_says_how_it_was_read() -> None:
    from metrics.warehouse import describe_upload

    data = (PROJECT_ROOT / "training_material" / "data" / "kalajoki_kirjasto_2007_2011.csv").read_bytes()
    report = _report(data, mapping={"area": "Kuntakoodi", "period": "Vuosi", "value": "Käyntikerrat"})
    fi = describe_upload(report, "fi")
    assert fi.read_as == ("Tiedosto luettiin näin: merkistö Latin-1 / Windows-1252 (Excelin CSV), erotin puolipiste (;), "
                          "desimaalimerkki ei desimaalilukuja, sarakeotsikot rivillä 1.")
    assert fi.counts == ("Rivejä tiedostossa: 6. Ladataan: 4. Ilman arvoa, ei ladata: 1. Hylätään: 0. "
                         "Otsikko-, tyhjiä ja muita rivejä: 1.")
    assert fi.missing_rows == (2,) and fi.loaded == 4 and "rivi 2" in (fi.missing_text or "")
    hours = describe_upload(_report(data, mapping={"area": "Kuntakoodi", "period": "Vuosi",
                                                   "value": "Aukiolotunnit viikossa"}), "en")
    assert "decimal mark comma (,)" in hours.read_as and "Loaded: 5." in hours.counts
    negative = _report("Kunta;Vuosi;Arvo\n208;2020;-3\n244;2020;4,5\n".encode(), is_count=True)
    sv = describe_upload(negative, "sv")
    assert sv.refused_rows == (2,) and "Avvisas: 1." in sv.counts and "teckenkodning UTF-8" in sv.read_as
