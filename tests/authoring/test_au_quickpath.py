"""AppTest of the quick path (a metric from a sentence) in fi/sv/en, and of who may approve.

The quick path's file goes through the one validator and is saved as an ordinary draft; its
preview answers module 1's question (the pilot group's 2010 value, 49,7 on the bundled data,
computed independently by tests/training) in the page's number format. Approval needs a reviewer
who is signed in: with sign-in off nobody approves unless workshop mode is on, and a workshop
approval keeps the metric out of the public summary until a reviewer confirms it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from au_pages import open_page as _page
from streamlit.testing.v1 import AppTest

from kuntamittari.i18n import t
from kuntamittari.settings import get_settings
from readout.text import escape_markdown

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "authoring.py")
NAMES = {"fi": "Tulomuutto tuhatta asukasta kohden", "sv": "Inflyttning per tusen invånare",
         "en": "In-migration per 1,000 residents"}
METRIC_ID = "tulomuutto_tuhatta_asukasta_kohden"


def _answer(material_lang: str) -> str:
    """Module 1 exercise 2's expected answer as the material writes it (checked against the bundled
    data by tests/training/test_tr_answers.py)."""
    import workshop as tc

    module = next(m for m in tc.load_modules(material_lang) if m.number == 1)
    return module.exercise("m1-e2").answer


PILOT_2010 = {"fi": _answer("fi"), "sv": _answer("fi"), "en": _answer("en")}  # sv formats numbers as fi


def _fill_sentence(at: AppTest) -> None:
    """The exercise as written: per 1 000 residents, in-migrants, three names, theme, direction."""
    at.radio(key="au_fp_template").set_value("per_1000")
    at.selectbox(key="au_fp_x").set_value("sotkanet:3196")
    for lang, name in NAMES.items():
        at.text_input(key=f"au_fp_name_{lang}").input(name)
    at.selectbox(key="au_fp_theme").set_value("living_environment_safety")
    at.radio(key="au_fp_direction").set_value("higher_is_better")
    at.run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_sentence_to_yaml_to_validation_to_draft(env: Path, lang: str) -> None:
    at = _page(lang)
    options = at.selectbox(key="au_fp_x").options
    marker = t("readout.fallback_marker", lang)
    assert any(o.startswith("Tulomuuttajat, lkm") and "(sotkanet:3196)" in o for o in options)
    assert all(marker in o for o in options) is (lang != "fi")  # bundled titles are Finnish only: marked
    assert t("workshop.sentence.start_hint", lang) in [i.value for i in at.info]  # guidance, not errors
    _fill_sentence(at)
    assert t("authoring.all_ok", lang) in [s.value for s in at.success]
    assert not at.error
    shown_id = t("workshop.sentence.id_used", lang, metric_id=METRIC_ID)
    assert shown_id in [c.value for c in at.caption]
    yaml_text = next(c.value for c in at.code if "kind: ratio" in c.value)
    for line in (f"id: {METRIC_ID}", "numerator: sotkanet:3196", "denominator: sotkanet:127", "scale: 1000",
                 f"{lang}: {t('workshop.template.per_1000.unit', lang)}", "direction: higher_is_better",
                 "  - pilot", "status: draft"):
        assert line in yaml_text, line
    # The preview answers the exercise: the pilot group's 2010 value, in the page's number format.
    at.selectbox(key="au_fp_pv_year").set_value(2010).run()
    table = at.table[0].value
    pilot_row = t("workshop.preview.group", lang, name=t("metrics.area.pilot", lang))
    assert table.index[0] == pilot_row and table.loc[pilot_row].iloc[0] == PILOT_2010[lang] != ""
    assert len(table) == 12 and list(table.columns)[0].startswith("2010 (")
    # Saving writes the draft the catalogue loads, and opens it in the full form.
    at.button(key="au_fp_save").click().run()
    assert not at.exception
    saved = env / "living_environment_safety" / f"{METRIC_ID}.yaml"
    assert saved.read_text(encoding="utf-8").rstrip("\n") == yaml_text.rstrip("\n")  # st.code trims the last newline
    assert t("workshop.sentence.saved", lang, metric_id=METRIC_ID) in [s.value for s in at.success]
    assert at.text_input(key="au_metric_id").value == METRIC_ID and at.text_input(key="au_fp_name_fi").value == ""
    from metrics.catalog import load_catalog

    catalog = load_catalog(env)
    assert catalog.get(METRIC_ID).status.value == "draft" and not [i for i in catalog.errors if METRIC_ID in i.file]


def test_a_taken_name_gets_a_free_id_and_a_typed_id_wins(env: Path) -> None:
    at = _page("fi")
    _fill_sentence(at)
    at.button(key="au_fp_save").click().run()
    _fill_sentence(at)  # the same sentence again: the suggestion moves on
    assert t("workshop.sentence.id_used", "fi", metric_id=f"{METRIC_ID}_2") in [c.value for c in at.caption]
    at.text_input(key="au_fp_metric_id").input("oma_tulomuutto").run()
    assert any("id: oma_tulomuutto" in c.value for c in at.code)
    at.button(key="au_fp_save").click().run()
    assert (env / "living_environment_safety" / "oma_tulomuutto.yaml").is_file()


def test_share_template_names_its_slots_in_messages(env: Path) -> None:
    at = _page("en")
    at.radio(key="au_fp_template").set_value("share").run()
    at.selectbox(key="au_fp_x").set_value("sotkanet:127")
    at.selectbox(key="au_fp_whole").set_value("sotkanet:127")
    at.text_input(key="au_fp_name_fi").input("Väestön osuus väestöstä")
    at.selectbox(key="au_fp_theme").set_value("living_environment_safety")
    at.radio(key="au_fp_direction").set_value("neutral").run()
    # The message is drawn as literal text: its Markdown punctuation arrives escaped.
    expected = escape_markdown(f"{t('workshop.template.share.slot_whole', 'en')}: {t('validation.same_series', 'en')}")
    assert expected in [e.value for e in at.error], [e.value for e in at.error]
    at.button(key="au_fp_save").click().run() if any(b.key == "au_fp_save" for b in at.button) else None
    assert not list(env.rglob("vaeston_osuus_vaestosta.yaml"))


# ---------------------------------------------------------------------------- approval


def _seed(env: Path) -> None:
    from metrics.authoring import AuthoringContext, save_metric
    from metrics.authoring_store import MetricStore
    from metrics.templates import Sentence, sentence_form
    from readout.formula import series_label

    sentence = Sentence(x="sotkanet:3196", name_fi=NAMES["fi"], name_sv=NAMES["sv"], name_en=NAMES["en"],
                        theme="living_environment_safety", direction="higher_is_better")
    form = sentence_form(sentence, population="sotkanet:127", label=lambda c, lang: series_label(c, lang, {}))
    store = MetricStore(env)
    save_metric(store, form, store.new(form.metric_id), AuthoringContext())


def _open(at: AppTest) -> None:
    at.radio(key="au_start_mode").set_value("edit").run()
    at.selectbox(key="au_start_metric").set_value(METRIC_ID).run()
    at.button(key="au_start_button").click().run()
    assert not at.exception


def _public_ids(env: Path, shared_db: Path) -> set[str]:
    from datamodel.engine import make_engine
    from metrics.catalog import load_catalog
    from readout.build import build_public_readout

    engine = make_engine(f"sqlite:///{shared_db}")
    try:
        return {m.metric_id for m in build_public_readout(engine, load_catalog(env, engine=engine), "208").metrics}
    finally:
        engine.dispose()


def test_sign_in_off_and_no_workshop_mode_nobody_approves(env: Path) -> None:
    _seed(env)
    at = _page("fi")
    _open(at)
    keys = {b.key for b in at.button}
    assert "au_approve" not in keys and "au_workshop_approve" not in keys
    assert t("workshop.mode.signin_off", "fi") in [c.value for c in at.caption]
    assert t("workshop.mode.banner", "fi") not in [i.value for i in at.info]


def test_workshop_mode_banner_and_an_approval_that_publishes_nothing(
    env: Path, shared_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(env)
    monkeypatch.setenv("KUNTAMITTARI_WORKSHOP_MODE", "true")
    get_settings.cache_clear()
    at = _page("sv")
    assert t("workshop.mode.banner", "sv") in [i.value for i in at.info]
    _open(at)
    assert "au_approve" not in {b.key for b in at.button}
    at.button(key="au_workshop_approve").click().run()
    assert not at.exception
    assert t("workshop.mode.approved", "sv", metric_id=METRIC_ID) in [s.value for s in at.success]
    text = (env / "living_environment_safety" / f"{METRIC_ID}.yaml").read_text(encoding="utf-8")
    assert "status: draft" in text and "workshop_approval:" in text
    import datetime as dt

    today = dt.date.today()  # written as a Swedish reader in Finland writes a date, never ISO
    infos = [i.value for i in at.info]
    assert t("workshop.mode.awaiting", "sv", date=f"{today.day}.{today.month}.{today.year}", by="") in infos
    assert not any(today.isoformat() in text for text in infos)
    assert "au_workshop_approve" not in {b.key for b in at.button}  # recorded once
    assert METRIC_ID not in _public_ids(env, shared_db)
    # Every page shows the banner (here the overview and the training page).
    for page in ("overview.py", "training.py"):
        other = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=90)
        other.query_params["lang"] = "en"
        other.run()
        assert t("workshop.mode.banner", "en") in [i.value for i in other.info], page
    # A signed-in reviewer confirms: now it is approved and reaches the public summary.
    monkeypatch.setenv("KUNTAMITTARI_AUTH_MODE", "local")
    get_settings.cache_clear()
    reviewer = AppTest.from_file(PAGE, default_timeout=90)
    reviewer.session_state["auth_user"] = {"email": "tarkastaja@kunta.fi", "roles": ["reviewer"]}
    reviewer.run()
    _open(reviewer)
    confirm = reviewer.button(key="au_approve")
    assert confirm.label == t("workshop.mode.confirm_button", "fi")
    confirm.click().run()
    assert not reviewer.exception
    text = (env / "living_environment_safety" / f"{METRIC_ID}.yaml").read_text(encoding="utf-8")
    assert "status: approved" in text and "workshop_approval" not in text
    assert METRIC_ID in _public_ids(env, shared_db)


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_exercise_2_says_what_the_page_shows(lang: str) -> None:
    """The material's exercise 2 names the quick path's own words, so a participant reading it
    finds each thing on the page (and a renamed label breaks this test, not the workshop)."""
    import workshop as tc

    module = next(m for m in tc.load_modules(lang) if m.number == 1)
    body = " ".join(module.body.split())
    start = body.index("<!-- exercise: m1-e2 -->")
    section = body[start:body.index("<!-- exercise: m1-e3 -->")]
    marker = "" if lang == "fi" else f" {t('readout.fallback_marker', lang)}"
    for text in (t("workshop.tab_sentence", lang), t("workshop.template.per_1000.label", lang).split(" (")[0],
                 t("workshop.template.per_1000.slot_x", lang).split(" (")[0], "tulomuut",
                 f"Tulomuuttajat, lkm{marker} (sotkanet:3196)", t("metrics.theme.living_environment_safety", lang),
                 t("workshop.sentence.direction_options.higher_is_better", lang), "2010",
                 t("workshop.preview.group", lang, name=t("metrics.area.pilot", lang)), METRIC_ID,
                 *NAMES.values()):
        assert text in section, text
