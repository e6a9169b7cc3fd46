"""The compare page's map in a real Chromium: drawn with its attribution, and a reload keeps the
selection; a screenshot goes to var/screenshots/ for review. (Every page in every language, its
states, `<html lang>` and the absence of exception elements: test_accessibility.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from kuntamittari.i18n import t

#: with test_accessibility.py: one worker, one server (`kuntamittari serve` on the bundled data)
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("a11y_browser")]


def _wait_ready(page: object) -> None:
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=30_000)  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)
    page.wait_for_selector('[data-testid="stCaptionContainer"]', timeout=30_000)  # type: ignore[attr-defined]


def test_map_draws_and_reload_keeps_selection(streamlit_server, browser_page, app_db_url: str, screenshot_dir: Path) -> None:  # type: ignore[no-untyped-def]
    base = streamlit_server("app.py", env={"KUNTAMITTARI_DATABASE_URL": app_db_url}, cli=True)
    page = browser_page
    page.goto(f"{base}/compare?lang=en&area=678&cmp=county&metric=unemployment_rate", wait_until="domcontentloaded")
    _wait_ready(page)
    page.get_by_role("tab", name=t("compare.tab_map", "en")).click()
    page.wait_for_selector('[data-testid="stVegaLiteChart"] svg path, [data-testid="stVegaLiteChart"] canvas',
                           timeout=30_000)
    page.wait_for_timeout(500)
    tab = page.locator('[role="tabpanel"]:visible')
    tab.scroll_into_view_if_needed()
    tab.screenshot(path=str(screenshot_dir / "compare_map_en.png"))
    assert page.get_by_text("National Land Survey", exact=False).count() >= 1
    page.reload(wait_until="domcontentloaded")
    _wait_ready(page)
    assert "area=678" in page.url and "cmp=county" in page.url
    assert page.locator('[data-testid="stException"]').count() == 0
