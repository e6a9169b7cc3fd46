"""The public page and the public app in AppTest, on the small star schema.

Tries to get a suppressed value out of every element the page draws (text, HTML tables, chart
specs, the CSV download) and checks the public app never draws an internal page.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from kuntamittari.i18n import t
from kuntamittari.settings import get_settings
from ui.navigation import PageSpec, available_pages

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_APP = str(ROOT / "public_app.py")
TIMEOUT = 120


@pytest.fixture
def small_env(small_engine: Engine, small_metrics_dir: Path) -> Iterator[None]:
    """Point the settings at the small database and catalogue for this test only."""
    saved = {k: os.environ.get(k) for k in ("KUNTAMITTARI_DATABASE_URL", "KUNTAMITTARI_METRICS_DIR", "KUNTAMITTARI_AUTH_MODE", "KUNTAMITTARI_PUBLIC_ONLY")}
    os.environ["KUNTAMITTARI_DATABASE_URL"] = small_engine.url.render_as_string(hide_password=False)
    os.environ["KUNTAMITTARI_METRICS_DIR"] = str(small_metrics_dir)
    os.environ["KUNTAMITTARI_AUTH_MODE"] = "local"
    os.environ.pop("KUNTAMITTARI_PUBLIC_ONLY", None)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


def _page_text(at: AppTest) -> str:
    """Everything the page drew: markdown, HTML, titles, alerts and every chart's data."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "warning", "error", "info"):
        parts += [str(e.value) for e in at.get(kind)]
    parts += [e.proto.body for e in at.get("html")]
    parts += [e.proto.spec + json.dumps([d.data.decode("latin-1") if isinstance(d.data, bytes) else str(d) for d in e.proto.datasets]) for e in at.get("vega_lite_chart")]
    return "\n".join(parts)


def _has_number(text: str, number: str) -> bool:
    """Whether `number` appears as a number of its own (not inside '#1b7837' or '2037')."""
    return re.search(rf"(?<![0-9A-Za-z#.,]){re.escape(number)}(?![0-9])", text) is not None


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Files handed to Streamlit's media storage during the run (download buttons), by name.

    AppTest's runtime (and its media storage) is gone after a run, so the bytes are recorded
    as Streamlit stores them; nothing is replaced.
    """
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    recorded: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):  # type: ignore[no-untyped-def]
        if isinstance(path_or_data, bytes) and filename:
            recorded[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return recorded


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_public_app_hides_small_counts_everywhere(small_env: None, downloads: dict[str, bytes], lang: str) -> None:
    at = AppTest.from_file(PUBLIC_APP, default_timeout=TIMEOUT)
    at.query_params["area"] = "208"
    at.query_params["lang"] = lang
    at.query_params["theme"] = "health"
    at.run()
    assert not at.exception
    assert at.title[0].value == t("public.title", lang)
    text = _page_text(at)
    # the approved metrics are there, the draft is not
    assert t("readout.status.too_few", lang) in text
    assert "Salainen" not in text and "Secret draft" not in text and "Hemligt" not in text
    assert len(at.get("vega_lite_chart")) == 2
    # 2011: male 3 is hidden (primary), female 37 too (complementary); total 40 is shown
    for hidden in ("3,00", "3.00", "37", "0,60", "0.60", "7,40", "7.40", "0,40", "0.40"):
        assert not _has_number(text, hidden), hidden
    assert ">40<" in text and ">21<" in text  # the publishable figures are shown
    specs = [json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]
    values = [row.get("value") for spec in specs for ds in spec.get("datasets", {}).values() for row in ds if isinstance(row, dict)]
    assert 4 not in values and 4.0 not in values and 37 not in values
    assert at.get("download_button")
    csv = downloads[f"{t('public.csv_file_stem', lang)}_208_{lang}.csv"].decode("utf-8-sig")
    assert t("readout.status.too_few", lang) in csv
    for hidden in ("37", "0,40", "0.40", "0,60", "0.60", "7,40", "7.40"):
        assert not _has_number(csv, hidden), hidden
    assert not re.search(r"2012[;,]4(?:[;,]|\r?\n)", csv)


def test_print_view_has_no_charts_and_keeps_disclosure(small_env: None) -> None:
    at = AppTest.from_file(PUBLIC_APP, default_timeout=TIMEOUT)
    at.query_params["area"] = "208"
    at.query_params["lang"] = "fi"
    at.query_params["print"] = "1"
    at.run()
    assert not at.exception
    assert at.title[0].value == t("public.printed_heading", "fi", area="Kalajoki")
    assert not at.get("vega_lite_chart")
    text = _page_text(at)
    assert "@page" in text and "A4" in text
    assert not _has_number(text, "37") and t("readout.status.too_few", "fi") in text


def test_public_app_lists_no_internal_page(small_env: None) -> None:
    at = AppTest.from_file(PUBLIC_APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception
    # every page is routable (no English "Page not found"), but the menu lists only public pages
    # and an internal page draws only the refusal, in the page language
    menu = [el.proto.page for el in at.get("page_link")]
    public = {spec.id for spec in available_pages() if spec.audience != "internal"}
    assert menu and all(any(page_id in page for page_id in public) for page in menu), menu
    for spec in available_pages():
        if spec.audience == "internal":
            at.switch_page(str(ROOT / spec.path)).run()
            assert not at.exception
            assert [e.value for e in at.error] == [t("auth.not_public", "en")], spec.id
            assert not at.metric and not at.get("vega_lite_chart")


@pytest.mark.parametrize("spec", [s for s in available_pages() if s.audience == "internal"], ids=lambda s: s.id)
def test_internal_page_run_alone_in_public_mode_is_refused(small_env: None, spec: PageSpec) -> None:
    """A deep link to an internal page file on the public server (which Streamlit may run
    without the entrypoint) draws only the refusal, even for an admin session."""
    os.environ["KUNTAMITTARI_PUBLIC_ONLY"] = "1"
    get_settings.cache_clear()
    at = AppTest.from_file(str(ROOT / spec.path), default_timeout=TIMEOUT)
    at.session_state["auth_user"] = {"email": "admin@kalajoki.fi", "roles": ["admin"]}
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [t("auth.not_public", "en")]
    assert not at.get("vega_lite_chart") and not at.get("metric") and not at.get("dataframe")


def test_unknown_area_falls_back_with_message(small_env: None) -> None:
    at = AppTest.from_file(PUBLIC_APP, default_timeout=TIMEOUT)
    at.query_params["area"] = "999"
    at.query_params["lang"] = "sv"
    at.run()
    assert not at.exception
    assert at.title[0].value == t("public.title", "sv")
    assert any("999" in w.value for w in at.warning)


def test_internal_page_needs_sign_in_in_local_mode(small_env: None) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=TIMEOUT)
    at.query_params["lang"] = "fi"
    at.run()
    assert not at.exception
    assert any(t("auth.sign_in_needed", "fi") in i.value for i in at.info)
    assert not at.get("metric") and not at.get("vega_lite_chart")
    # the same session after a local sign-in (session state, as the sign-in form stores it)
    at.session_state["auth_user"] = {"email": "viewer@kalajoki.fi", "roles": ["viewer"]}
    at.run()
    assert not at.exception
    assert not any(t("auth.sign_in_needed", "fi") in i.value for i in at.info)


def test_oidc_user_gets_roles_from_configuration(small_env: None) -> None:
    os.environ["KUNTAMITTARI_AUTH_MODE"] = "oidc"
    os.environ["KUNTAMITTARI_ROLES"] = json.dumps({"Author@Kalajoki.fi": ["author"]})
    get_settings.cache_clear()
    try:
        at = AppTest.from_file(str(ROOT / "pages" / "authoring.py"), default_timeout=TIMEOUT)
        at.user = {"is_logged_in": True, "email": "viewer@raahe.fi", "name": "V"}
        at.run()
        assert not at.exception
        assert at.error and t("auth.missing_role", "fi", role=t("auth.role.author", "fi")) in at.error[0].value
        at = AppTest.from_file(str(ROOT / "pages" / "authoring.py"), default_timeout=TIMEOUT)
        at.user = {"is_logged_in": True, "email": "author@kalajoki.fi", "name": "A"}
        at.run()
        assert not at.exception
        assert not any(t("auth.missing_role", "fi", role=t("auth.role.author", "fi")) in e.value for e in at.error)
    finally:
        os.environ.pop("KUNTAMITTARI_ROLES", None)
        get_settings.cache_clear()
