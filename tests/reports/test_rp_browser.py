"""The council summary PDF downloads from the public page in a real browser (Debian Chromium via
Playwright) and is a valid PDF of the municipality shown, in the page's language."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import flat, pdf_pages
from sqlalchemy import Engine

from kuntamittari.i18n import t

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("reports_browser")]

LOAD_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def public_url(streamlit_server, bundled_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> str:  # type: ignore[no-untyped-def]
    """`kuntamittari serve --public` on the bundled data, nobody able to sign in."""
    tmp = tmp_path_factory.mktemp("reports-server")
    env = {"KUNTAMITTARI_DATABASE_URL": bundled_engine.url.render_as_string(hide_password=False),
           "KUNTAMITTARI_AUTH_MODE": "local", "KUNTAMITTARI_USERS_FILE": str(tmp / "no-users.toml")}
    return streamlit_server(env=env, args=("--public",), cli=True)


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
