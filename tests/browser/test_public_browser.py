"""Public pages in a real browser (Debian Chromium via Playwright): axe-core and access.

- axe-core (axe-playwright-python) runs on every public page in fi, sv and en, screen and
  printable view, and fails on any serious or critical violation;
- without signing in, a visitor of the public app cannot reach an internal page, and in the
  dashboard an internal page shows only the sign-in request.
Both servers are started with `kuntamittari serve` on the bundled data. Set
KUNTAMITTARI_SCREENSHOTS=1 to (re)write docs/screenshots/public_summary_<lang>.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import Engine

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("public_browser")]

ROOT = Path(__file__).resolve().parents[2]
LOAD_TIMEOUT_MS = 180_000
LANGS = ("fi", "sv", "en")
TITLES = {"fi": "Kuntakatsaus", "sv": "Kommunöversikt", "en": "Municipal summary"}
SCREENSHOTS = ROOT / "docs" / "screenshots"


def _serve_env(engine: Engine, tmp: Path) -> dict[str, str]:
    """Local sign-in with no users at all: nobody can sign in, so only public pages are open."""
    return {
        "KUNTAMITTARI_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "KUNTAMITTARI_AUTH_MODE": "local",
        "KUNTAMITTARI_USERS_FILE": str(tmp / "no-users.toml"),
    }


@pytest.fixture(scope="module")
def public_url(public_app_url: str) -> str:
    """`kuntamittari serve --public` on the bundled data, nobody able to sign in (tests/conftest.py)."""
    return public_app_url


@pytest.fixture(scope="module")
def dashboard_url(streamlit_server, bundled_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> str:  # type: ignore[no-untyped-def]
    """`kuntamittari serve` (the internal dashboard) on the bundled data, nobody signed in."""
    return streamlit_server(env=_serve_env(bundled_engine, tmp_path_factory.mktemp("dashboard-server")), cli=True)


@pytest.fixture(scope="module")
def browser(chromium: object) -> object:
    return chromium


def _open(browser: object, url: str) -> object:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fi-FI")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(LOAD_TIMEOUT_MS)
    page.goto(url)
    return page


def _wait_for_summary(page: object, lang: str, charts: bool) -> None:
    page.get_by_role("heading", level=1).first.wait_for()  # type: ignore[attr-defined]
    page.locator("#sources, [id^='sources']").first.wait_for()  # type: ignore[attr-defined]
    if charts:
        page.locator('[data-testid="stVegaLiteChart"] svg').first.wait_for()  # type: ignore[attr-defined]
    page.wait_for_function(f"document.documentElement.lang === '{lang}'")  # type: ignore[attr-defined]
    page.wait_for_timeout(500)  # type: ignore[attr-defined]  # let the last deltas settle


def _serious(page: object) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def _screenshot(page: object, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main container, so grow the viewport first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(  # type: ignore[attr-defined]
        "Math.max(...[...document.querySelectorAll('[data-testid=stMain], [data-testid=stAppViewContainer]')]"
        ".map(e => e.scrollHeight), document.body.scrollHeight)"
    )
    page.set_viewport_size({"width": 1280, "height": min(int(height) + 40, 16000)})  # type: ignore[attr-defined]
    page.wait_for_timeout(800)  # type: ignore[attr-defined]
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    page.set_viewport_size({"width": 1280, "height": 900})  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", LANGS)
def test_public_summary_has_no_serious_axe_violations(browser: object, public_url: str, lang: str) -> None:
    page = _open(browser, f"{public_url}/?area=208&lang={lang}")
    try:
        _wait_for_summary(page, lang, charts=True)
        assert page.get_by_role("heading", level=1).first.inner_text() == TITLES[lang]  # type: ignore[attr-defined]
        assert "Kalajoki" in page.locator("body").inner_text()  # type: ignore[attr-defined]
        assert _serious(page) == []
        if os.environ.get("KUNTAMITTARI_SCREENSHOTS"):
            _screenshot(page, SCREENSHOTS / f"public_summary_{lang}.png")
        # the printable A4 view of the same page
        page.goto(f"{public_url}/?area=208&lang={lang}&print=1")  # type: ignore[attr-defined]
        _wait_for_summary(page, lang, charts=False)
        assert _serious(page) == []
        if os.environ.get("KUNTAMITTARI_SCREENSHOTS"):
            page.emulate_media(media="print")  # type: ignore[attr-defined]
            _screenshot(page, SCREENSHOTS / f"public_summary_print_{lang}.png")
    finally:
        page.context.close()  # type: ignore[attr-defined]


def test_public_app_cannot_reach_internal_pages(browser: object, public_url: str) -> None:
    page = _open(browser, f"{public_url}/?lang=en")
    try:
        _wait_for_summary(page, "en", charts=True)
        # the app's own menu (a flat list of links, ui.app_shell.draw_menu) and any other sidebar link
        nav_links = page.locator('[data-testid="stSidebar"] a').all_inner_texts()  # type: ignore[attr-defined]
        assert not any(word in " ".join(nav_links) for word in ("Overview", "Forecast", "Define", "Data status"))
        for path in ("overview", "authoring"):  # a dashboard page and an author-only page
            page.goto(f"{public_url}/{path}?lang=en")  # type: ignore[attr-defined]
            page.get_by_role("heading", level=1).first.wait_for()  # type: ignore[attr-defined]
            page.get_by_text("This page is not public").or_(  # type: ignore[attr-defined]
                page.get_by_text(TITLES["en"])).first.wait_for()  # type: ignore[attr-defined]
            body = page.locator("body").inner_text()  # type: ignore[attr-defined]
            # an internal address answers in the page language, never Streamlit's "Page not found"
            assert "This page is not public" in body or TITLES["en"] in body, path
            assert "Page not found" not in body, path
            assert page.locator('[data-testid="stMetric"]').count() == 0  # type: ignore[attr-defined]
    finally:
        page.context.close()  # type: ignore[attr-defined]


def test_dashboard_internal_page_needs_sign_in(browser: object, dashboard_url: str) -> None:
    """In the dashboard (not the public app) an internal page shows only the sign-in request."""
    page = _open(browser, f"{dashboard_url}/overview?lang=en")
    try:
        page.get_by_text("This page is for signed-in users only").first.wait_for()  # type: ignore[attr-defined]
        assert page.locator('[data-testid="stMetric"]').count() == 0  # type: ignore[attr-defined]
        assert page.locator('[data-testid="stVegaLiteChart"]').count() == 0  # type: ignore[attr-defined]
    finally:
        page.context.close()  # type: ignore[attr-defined]
