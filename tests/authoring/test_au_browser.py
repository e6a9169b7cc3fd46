"""The authoring path in a real browser (Debian Chromium via Playwright), through app.py.

Starts `streamlit run app.py` (the shared `streamlit_server` fixture) with a temporary copy of the metric directory and of
the bundled database (open access: KUNTAMITTARI_AUTH_MODE=none), opens the "Uusi mittari" page and its
full form ("Kaikki kentät"), defines the ratio in-migrants / population x 1000 by typing and picking from the searched series
lists, waits for the live file and the preview chart, saves, and checks the draft file on disk.
The deep link is the server's first request, so Streamlit runs the page alone first: this also
guards the fix that keeps typed values and the default metric kind across that first rerun.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("authoring_browser")]

ROOT = Path(__file__).resolve().parents[2]
Settle = Callable[[object], None]
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def server(authoring_server: tuple[str, Path]) -> tuple[str, Path]:
    return authoring_server


@pytest.fixture(scope="module")
def browser(chromium: object) -> object:
    return chromium


def _panel(page: object) -> object:
    """The tab on show (a tab visited before stays in the page, hidden)."""
    return page.locator('[role="tabpanel"]:visible')  # type: ignore[attr-defined]


def _type(page: object, settle: Settle, label: str, text: str) -> None:
    """Fill a text input or area and leave it, so Streamlit commits the value; wait for the rerun."""
    box = _panel(page).get_by_label(label, exact=True)
    box.fill(text)
    box.press("Tab")
    settle(page)


def _choose(page: object, settle: Settle, label: str, option_text: str) -> None:
    """Open a selectbox by its label, click the option containing `option_text`, wait for the rerun."""
    _panel(page).get_by_label(label, exact=True).click()
    page.get_by_role("option").filter(has_text=option_text).first.click()  # type: ignore[attr-defined]
    settle(page)


def test_define_ratio_metric_in_browser_and_save_draft(server: tuple[str, Path], browser: object, settle: Settle) -> None:
    url, metrics = server
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fi-FI")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{url}/authoring?lang=fi")
        page.get_by_role("heading", name="Uusi mittari").first.wait_for()
        page.get_by_role("tab", name="Kaikki kentät").click()  # the full form, for advanced use
        _panel(page).get_by_label("Nimi (suomeksi)", exact=True).wait_for()
        _type(page, settle, "Nimi (suomeksi)", "Tulomuuttajat tuhatta asukasta kohti")
        _type(page, settle, "Tunnus", "tulomuutto_1000")
        _type(page, settle, "Kuvaus (suomeksi)", "Kuntaan muuttaneet suhteessa väestöön.")
        _choose(page, settle, "Teema", "Elinympäristö ja turvallisuus")
        _type(page, settle, "Hae aikasarjaa nimellä: Osoittaja", "tulomuut")
        _choose(page, settle, "Osoittaja", "sotkanet:3196")
        _type(page, settle, "Hae aikasarjaa nimellä: Nimittäjä", "väestö 31")
        _choose(page, settle, "Nimittäjä", "sotkanet:127")
        _type(page, settle, "Kerroin", "1000")
        _type(page, settle, "Yksikkö (suomeksi)", "/ 1000 asukasta")
        _choose(page, settle, "Suunta", "suurempi on parempi")
        page.get_by_text("Lomake on kunnossa ja mittarin voi tallentaa.").wait_for()
        page.get_by_text("numerator: sotkanet:3196").first.wait_for()
        page.locator('[data-testid="stVegaLiteChart"] svg').first.wait_for()
        page.get_by_role("button", name="Tallenna luonnoksena").click()
        page.get_by_text("Tallennettu luonnoksena").first.wait_for()
    except Exception:
        shot = metrics.parent / "failure.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failing page: {shot}")
        raise
    finally:
        context.close()
    saved = metrics / "living_environment_safety" / "tulomuutto_1000.yaml"
    assert saved.is_file()
    text = saved.read_text(encoding="utf-8")
    assert "status: draft" in text and "denominator: sotkanet:127" in text and "scale: 1000" in text
