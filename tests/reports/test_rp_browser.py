"""The council summary PDF downloads from the public page in a real browser (Debian Chromium via
Playwright) and is a valid PDF of the municipality shown, in the page's language."""

from __future__ import annotations

from pathlib import Path

import pytest
from rp_pdf import flat, pdf_pages

from kuntamittari.i18n import t

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("reports_browser")]

LOAD_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def public_url(public_app_url: str) -> str:
    """`kuntamittari serve --public` on the bundled data, nobody able to sign in (tests/conftest.py)."""
    return public_app_url


def test_council_pdf_downloads_from_the_public_page(public_url: str, chromium, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    context = chromium.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(LOAD_TIMEOUT_MS)
    try:
        page.goto(f"{public_url}/?area=244&lang=sv")
        button = page.get_by_role("button", name=t("reports.summary.download", "sv"))
        button.wait_for()
        with page.expect_download(timeout=LOAD_TIMEOUT_MS) as info:
            button.click()
        download = info.value
        assert download.suggested_filename == "kommunoversikt_244_sv.pdf"
        target = tmp_path / download.suggested_filename
        download.save_as(target)
    finally:
        context.close()
    content = target.read_bytes()
    assert content[:5] == b"%PDF-"
    pages = pdf_pages(content)
    assert 1 <= len(pages) <= 4
    assert "Kommunöversikt: Kempele" in flat(pages[0])
