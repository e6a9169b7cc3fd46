"""Every page shows the year its figures are about and the retrieval date of its sources, and on
the bundled data (THL Sotkanet, retrieved 8.9.2013, up to 2011) the stale notice; administrators
are told how to refresh, other roles are not. The data-status page lists broken metric files.

Expected facts come from the bundled data's own description (datamodel/data/sotkanet-2013/
README.md: retrieved 2013-09-08, years up to 2011) and from the calendar: yearly Sotkanet data
for year Y is due by the end of Y+1, so today the newest year expected is this year minus two.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from ui_text import shown
from streamlit.testing.v1 import AppTest

from kuntamittari.i18n import t
from kuntamittari.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 90
LANGS = ("fi", "sv", "en")
NEWEST = "2011"
RETRIEVED = {"fi": "8.9.2013", "sv": "8.9.2013", "en": "8 Sept 2013"}
EXPECTED = str(date.today().year - 2)  # yearly Sotkanet data: Y is due by the end of Y + 1
PAGES = {
    "overview": ("pages/overview.py", {}),
    "compare": ("pages/compare.py", {"metric": "unemployment_rate"}),
    "metric_detail": ("pages/metric_detail.py", {"metric": "unemployment_rate"}),
    "data_status": ("pages/data_status.py", {}),
    "forecast": ("pages/forecast.py", {"metric": "unemployment_rate"}),
    "public_summary": ("pages/public_summary.py", {"area": "208"}),
    "public_print": ("pages/public_summary.py", {"area": "208", "print": "1"}),
}


def vintage_lines(at: AppTest, lang: str) -> list[str]:
    """Captions that name both the newest year and the sources' retrieval date."""
    return [c.value for c in at.caption if NEWEST in c.value and RETRIEVED[lang] in c.value]


def stale_notices(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if NEWEST in w.value and EXPECTED in w.value]


def hint_shown(at: AppTest, lang: str) -> bool:
    return any(t("vintage.admin_hint", lang) in w.value for w in at.warning)


def run_page(path: str, lang: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=TIMEOUT)
    for key, value in {"lang": lang, **params}.items():
        at.query_params[key] = value
    return at.run()


@pytest.mark.parametrize("page_id", list(PAGES))
def test_every_page_shows_year_retrieval_date_and_stale_notice(app_env: dict[str, str], page_id: str) -> None:
    path, params = PAGES[page_id]
    for lang in LANGS:
        at = run_page(path, lang, **params)
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        assert vintage_lines(at, lang), (lang, [c.value for c in at.caption])
        notices = stale_notices(at)
        assert len(notices) == 1, (lang, [w.value for w in at.warning])
        # auth mode `none`: everyone is an administrator, and is told how to refresh (not on paper)
        assert hint_shown(at, lang) == (page_id != "public_print"), lang


def test_overview_cards_carry_their_year_and_staleness(app_env: dict[str, str]) -> None:
    at = run_page("pages/overview.py", "en", area="208")
    card_years = [c.value for c in at.caption if c.value.startswith(t("overview.period", "en", period=NEWEST))]
    marked = [c for c in card_years if t("vintage.card_stale", "en", expected=EXPECTED) in c]
    assert len(card_years) >= 30 and len(marked) == len(card_years)


def test_public_sentences_carry_their_year(app_env: dict[str, str]) -> None:
    at = run_page("pages/public_summary.py", "fi", area="208")
    headline = [shown(m.value) for m in at.markdown if shown(m.value).startswith("- Kalajoki:")]
    assert headline and "2006–2011" in headline[0]
    lines = [line for m in at.markdown for line in shown(m.value).splitlines() if "vertailualueella" in line]
    assert lines and all(re.search(r"\((20\d\d): ", line) for line in lines), lines
    assert any(f"({NEWEST}: " in line for line in lines)


@pytest.mark.parametrize("lang", LANGS)
def test_authoring_preview_shows_its_vintage(app_env: dict[str, str], lang: str) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "authoring.py"), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    at.run()
    at.radio(key="au_start_mode").set_value("copy").run()
    at.selectbox(key="au_start_metric").set_value("unemployment_rate")
    at.button(key="au_start_button").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert t("authoring.preview_heading", lang) in [s.value for s in at.header]
    assert vintage_lines(at, lang) and len(stale_notices(at)) == 1


def test_non_admin_sees_the_notice_without_the_refresh_hint(app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    monkeypatch.setenv("KUNTAMITTARI_AUTH_MODE", "local")
    monkeypatch.setenv("KUNTAMITTARI_USERS_FILE", str(tmp_path / "users.toml"))
    get_settings.cache_clear()
    try:
        for path in ("pages/overview.py", "pages/data_status.py"):
            at = AppTest.from_file(str(ROOT / path), default_timeout=TIMEOUT)
            at.session_state["auth_user"] = {"email": "viewer@kalajoki.fi", "roles": ["viewer"]}
            at.query_params["lang"] = "fi"
            at.run()
            assert not at.exception, [e.value for e in at.exception]
            assert stale_notices(at) and not hint_shown(at, "fi"), path
            assert not [b for b in at.button if b.key == "refresh_run"]
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


BROKEN_DRAFT = """\
schema_version: 1
id: broken_draft
status: draft
theme: working_age
name: {fi: Rikki, sv: Trasig, en: Broken}
description: {fi: Rikki., sv: Trasig., en: Broken.}
kind: simple
series: sotkanet:181
aggregation: mean
unit: {fi: "%", sv: "%", en: "%"}
decimals: 1
direction: sideways
"""


def test_data_status_lists_broken_metric_files_in_the_page_language(app_env: dict[str, str], tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    metrics = tmp_path / "definitions"
    shutil.copytree(ROOT / "metrics" / "definitions", metrics)
    (metrics / "working_age" / "broken_draft.yaml").write_text(BROKEN_DRAFT, encoding="utf-8")
    monkeypatch.setenv("KUNTAMITTARI_METRICS_DIR", str(metrics))
    get_settings.cache_clear()
    try:
        messages = {}
        for lang in ("sv", "en"):
            at = run_page("pages/data_status.py", lang)
            assert not at.exception, [e.value for e in at.exception]
            assert t("catalogue_files.heading", lang) in [s.value for s in at.header]
            table = next(d.value for d in at.dataframe if t("catalogue_files.col.file", lang) in d.value.columns)
            assert len(table) == 1
            row = table.iloc[0]
            assert row[t("catalogue_files.col.file", lang)].endswith("broken_draft.yaml")
            messages[lang] = row[t("catalogue_files.col.message", lang)]
            assert "direction" in messages[lang] and "sideways" in messages[lang]
        assert messages["sv"] != messages["en"]  # worded in the page's language
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
