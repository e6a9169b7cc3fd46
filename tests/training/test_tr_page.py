"""The Training page (AppTest): it lists and renders the modules in every language, and every
exercise's deep link opens the intended page, with its query parameters, without an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kuntamittari.i18n import t
from kuntamittari.settings import get_settings
import workshop as tc
from ui.navigation import get_page

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "training.py")
PAGE_FILE = "pages/training.py"
APP = str(ROOT / "app.py")
MODULES = {lang: tc.load_modules(lang) for lang in tc.MATERIAL_LANGUAGES}
LINKS = sorted({e.deep_link for m in MODULES["fi"] + MODULES["en"] for e in m.exercises}, key=lambda d: d.url())


def _texts(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.value for e in at.info]
    parts += [e.value for e in at.title] + [e.value for e in at.header]
    return "\n".join(str(p) for p in parts)


def _problems(at: AppTest) -> list[str]:
    """Exceptions, error boxes and warnings (the frame warns about ignored query parameters);
    the sign-in-less development banner of auth mode 'none' and the stale-data notice (the
    bundled data ends in 2011) are expected and left out."""
    banners = {t("auth.dev_banner", lang) for lang in ("fi", "sv", "en")}
    stale = tuple(t(f"vintage.{key}", lang).split("{")[0]
                  for key in ("stale_one", "stale_many") for lang in ("fi", "sv", "en"))
    warnings = [str(e.value) for e in at.warning
                if str(e.value) not in banners and not str(e.value).startswith(stale)]
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error] + warnings


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_page_renders_every_module(private_app_env: Path, lang: str) -> None:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == t("training.title", lang)
    material = tc.material_language(lang)
    options = at.selectbox(key="km_w_module").options
    assert len(options) == 4
    assert options[1] == t("training.module_option", lang, number=2, title=MODULES[material][1].title)
    for module in MODULES[material]:
        at.selectbox(key="km_w_module").set_value(str(module.number)).run()
        assert not at.exception, at.exception
        assert _problems(at) == []
        text = _texts(at)
        assert f"## Moduuli {module.number}:" in text or f"## Module {module.number}:" in text
        for exercise in module.exercises:
            assert t("training.exercise_heading", lang, id=exercise.id, title=exercise.title) in text
            assert f"**{exercise.answer}**" in text
        if module.number == 1:  # the answer as the app's tables show it, with the metric's unit beside it
            assert t("training.answer_text", lang, answer=module.exercises[0].answer, unit="(%)") in text
        # the quiz is shown, its answers are folded away for the facilitator
        assert [s.value for s in at.header][0] == t("training.quiz", lang)
        labels = [e.label for e in at.expander]
        assert labels.count(t("training.expected_answer", lang)) == len(module.exercises)
        assert t("training.facilitator_answers", lang) in labels
        assert module.quiz_answers()[0] in text
        downloads = [b.label for b in at.get("download_button")]
        assert downloads == [t("training.download", lang, file=p.name) for p in tc.data_files(module)]
    if lang == "sv":
        assert at.info[0].value == t("training.language_note", "sv")


def test_swedish_reader_can_switch_to_english(private_app_env: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["lang"] = "sv"
    at.query_params["module"] = "3"
    at.run()
    assert not at.exception
    assert MODULES["fi"][2].title in _texts(at)
    at.query_params["material"] = "en"
    at.run()
    assert not at.exception
    assert MODULES["en"][2].title in _texts(at)
    assert t("training.title", "sv") == at.title[0].value  # the page's own texts stay Swedish


def test_module_deep_link_and_exercise_links(private_app_env: Path) -> None:
    """Inside the app, `training?module=2&lang=en` opens module 2, and every exercise has a page
    link to its page whose query string is the exercise's state plus the reader's language."""
    from urllib.parse import urlencode

    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = "en"
    at.run()
    at.query_params["module"] = "2"
    at.switch_page(PAGE_FILE).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="km_w_module").value == "2"
    lang = str(at.query_params.get("lang"))  # the reader's language, added to every link
    modules = MODULES[tc.material_language(lang)]
    # the exercises' links (not the app's menu links, which are titled by page)
    links = [(el.proto.page, el.proto.query_string) for el in at.get("page_link")
             if el.proto.label == t("training.open_exercise", lang)]
    expected = [(e.deep_link.page, urlencode(e.deep_link.query_params(lang))) for e in modules[1].exercises]
    assert links == expected
    # the same page run alone (no st.navigation yet) still shows every exercise's address
    alone = AppTest.from_file(PAGE, default_timeout=60)
    alone.query_params.update({"lang": "fi", "module": "2"})
    alone.run()
    assert not alone.exception
    text = _texts(alone)
    for exercise in MODULES["fi"][1].exercises:
        assert exercise.deep_link.url("fi") in text


# --------------------------------------------------------------------------- deep links


def _target_pages_exist() -> list[str]:
    return [d.page_file for d in LINKS if not (ROOT / d.page_file).is_file()]


def test_every_deep_link_names_a_registered_page_and_a_real_metric() -> None:
    from metrics.catalog import load_catalog

    catalog = load_catalog()
    for link in LINKS:
        spec = get_page(link.page)
        assert spec is not None, f"{link.page} is not in ui.navigation.PAGES"
        assert spec.path == link.page_file
        assert (ROOT / link.page_file).is_file(), link.page_file
        if link.get("metric"):
            assert link.get("metric") in catalog.metrics, link.url()
        if link.get("area"):
            assert link.get("area") in get_settings().pilot_group, link.url()


@pytest.mark.parametrize("link", LINKS, ids=[d.url() for d in LINKS])
def test_deep_link_opens_its_page(private_app_env: Path, link: tc.DeepLink) -> None:
    """Opening the link in a fresh session (what a participant's click on a shared address does):
    the page runs without an error and keeps the exercise's state (metric, area, language)."""
    at = AppTest.from_file(str(ROOT / link.page_file), default_timeout=120)
    for name, value in link.query_params("fi").items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    assert _problems(at) == [], f"{link.url('fi')}: {_problems(at)}"
    for name, value in link.query_params("fi").items():
        assert at.query_params.get(name) == value, (link.url("fi"), name, at.query_params.get(name))


@pytest.mark.parametrize("lang", ["sv"])  # fi: fresh sessions above; en: the module test
def test_deep_links_through_the_app(private_app_env: Path, lang: str) -> None:
    """The same links inside the running app: `switch_page` with the query parameters, as the
    Training page's links do under `st.navigation`."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    for link in LINKS:
        for name, value in link.query_params(lang).items():
            at.query_params[name] = value
        at.switch_page(link.page_file).run()
        assert not at.exception, (link.url(lang), at.exception)
        assert _problems(at) == [], f"{link.url(lang)}: {_problems(at)}"
        assert at.query_params.get("lang") in ("fi", "sv", "en")
    # (Which values the widgets show after `switch_page` is not asserted here: AppTest resets a
    # widget that also existed on the previous page to its first option, see the report; the
    # state each link sets is asserted in a fresh session by test_deep_link_opens_its_page.)
