"""The transparency page in a real browser: the same axe-core check as the public pages (no
serious or critical violation) in fi, sv and en, served by `kuntamittari serve --public`."""

from __future__ import annotations


import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("public_browser")]

LOAD_TIMEOUT_MS = 180_000
TITLES = {"fi": "Tietoa palvelusta ja datasta", "sv": "Om tjänsten och data", "en": "About the service and its data"}


@pytest.fixture(scope="module")
def public_url(public_app_url: str) -> str:
    """`kuntamittari serve --public` on the bundled data, nobody able to sign in (tests/conftest.py)."""
    return public_app_url


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_about_page_has_no_serious_axe_violations(chromium: object, public_url: str, lang: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="fi-FI")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(LOAD_TIMEOUT_MS)
    try:
        page.goto(f"{public_url}/about_data?lang={lang}")
        page.get_by_role("heading", level=1, name=TITLES[lang]).wait_for()
        page.locator("table.km-table caption").first.wait_for()
        page.wait_for_function(f"document.documentElement.lang === '{lang}'")
        page.wait_for_timeout(500)
        assert "THL, Sotkanet" in page.locator("body").inner_text()
        violations = [
            f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
            for v in Axe().run(page).response["violations"] if v.get("impact") in ("serious", "critical")
        ]
        assert violations == [], "\n".join(violations)
    finally:
        context.close()
