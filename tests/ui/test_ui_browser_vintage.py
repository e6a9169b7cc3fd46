"""In a real Chromium: the overview shows the data vintage line and the stale notice, and its
"What's new" section lists a stored change with a link that opens the metric page of the
municipality in the page language. The change is stored through the digest's own store on a
copy of the bundled database (how a refresh stores it is tested in test_ui_refresh.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from digest.compute import DigestEntry
from digest.store import save_items
from kuntamittari.i18n import t
from metrics.warehouse import open_database

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def digest_db(tmp_path_factory: pytest.TempPathFactory, bundled_engine) -> str:  # type: ignore[no-untyped-def]
    db = tmp_path_factory.mktemp("browser-digest") / "app.sqlite"
    shutil.copyfile(bundled_engine.url.database, db)
    url = f"sqlite:///{db}"
    engine = open_database(url)
    save_items(engine, [DigestEntry(1, "208", "unemployment_rate", "working_age", "revised", "2008",
                                    {"old": 8.1, "new": 9.1})])
    engine.dispose()
    return url


def test_overview_shows_vintage_and_whats_new(streamlit_server, browser_page, digest_db: str,  # type: ignore[no-untyped-def]
                                              screenshot_dir: Path) -> None:
    base = streamlit_server("app.py", env={"KUNTAMITTARI_DATABASE_URL": digest_db})
    page = browser_page
    page.goto(f"{base}/?lang=fi&area=208", wait_until="domcontentloaded")  # the overview is the start page
    page.get_by_text(t("digest.title", "fi"), exact=True).wait_for(timeout=60_000)
    vintage = page.get_by_text("Uusimmat luvut: 2011", exact=False)
    vintage.first.wait_for(timeout=30_000)
    assert "8.9.2013" in vintage.first.inner_text()
    assert page.locator('[data-testid="stAlert"]').filter(has_text="2011").count() >= 1  # the stale notice
    link = page.get_by_role("link", name="Työttömyysaste: lähde korjasi ajanjakson 2008 arvon 8,1 → 9,1 %")
    link.wait_for(timeout=30_000)
    page.wait_for_function(  # the run has finished (elements are inert while it runs)
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.screenshot(path=str(screenshot_dir / "overview_vintage_digest_fi.png"), full_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0
    link.click()
    page.wait_for_url("**/metric_detail?**", timeout=30_000)
    assert "metric=unemployment_rate" in page.url and "area=208" in page.url and "lang=fi" in page.url
    page.get_by_role("heading", name="Työttömyysaste").first.wait_for(timeout=30_000)
