"""Every page in fi, sv and en, in the states a user reaches, scanned in a real Chromium.

One dashboard server started as deployed (`kuntamittari serve`, auth mode `none`: every page
open) for the module, one browser page per test. Each test is one page: for every language it
loads the page, then walks its states (select list open, tabs, expanders, the authoring form's
YAML preview and validation errors, the upload tab, the map tab), and on each, with the whole
page in view, runs axe-core with every impact plus the checks axe cannot do
(tests/browser/a11y_checks.py): the page language from the first paint, Streamlit's own English
strings, chart text and mark contrast, colour never the only difference, no exception shown.
Per page and language: every tab stop has a visible focus indicator, and at 320 px the page
reflows without sideways scrolling. A screenshot of every state goes to var/screenshots/a11y/
(git-ignored). Findings of all states are collected and reported together.
docs/accessibility.md describes the scope and the limits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kuntamittari.i18n import t
import a11y_checks as checks

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("a11y_browser")]

LANGS = ("fi", "sv", "en")
TIMEOUT_MS = 90_000
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 320, "height": 800}
COUNTS: dict[str, int] = {"scans": 0}


@pytest.fixture(scope="module")
def base_url(streamlit_server, app_db_url: str) -> str:  # type: ignore[no-untyped-def]
    """The dashboard as deployed: `kuntamittari serve` (its page carries `<html lang>`)."""
    return streamlit_server("app.py", env={"KUNTAMITTARI_DATABASE_URL": app_db_url}, cli=True)


@pytest.fixture(scope="module")
def shots(screenshot_dir: Path) -> Path:
    path = screenshot_dir / "a11y"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def page(chromium: Any) -> Any:
    context = chromium.new_context(viewport=DESKTOP, locale="fi-FI")
    context.add_init_script(checks.FIRST_HEADING_LANG)
    context.add_init_script(checks.SCRIPT_RUNS)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def runs(page: Any) -> int:
    """Script runs finished in this page so far (`checks.SCRIPT_RUNS`)."""
    return int(page.evaluate("() => window.__kmRuns"))


def settle(page: Any, charts: bool = False, after: int | None = None) -> None:
    """Wait until the page is quiet: no script run going on (and, given `after`, a run later
    than the first `after` has finished: the one an action started), no faded stale element,
    and nothing new for 150 ms; then charts, when asked, are drawn."""
    page.locator("h1").first.wait_for()
    floor = -1 if after is None else after
    for _ in range(20):
        page.wait_for_function(checks.IDLE, arg=floor)
        count = runs(page)
        page.wait_for_timeout(150)
        if runs(page) == count and page.evaluate(checks.IDLE, count - 1):
            break
    if charts:
        page.locator('[data-testid="stVegaLiteChart"] svg').first.wait_for()
        page.wait_for_timeout(300)  # every chart of the page, not only the first
    page.evaluate(checks.NEXT_FRAMES)


# ----------------------------------------------------------------------------- states


def open_select(page: Any, lang: str) -> None:
    """The first select list in the main area, opened (its popup is outside the page's landmarks)."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    box = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"] input').first
    box.click()
    listbox = page.locator('[role="listbox"]').first
    try:
        listbox.wait_for(timeout=3000)
    except Exception:  # noqa: BLE001 - an already focused combobox opens with the arrow key
        box.press("ArrowDown")
        listbox.wait_for()
    page.evaluate(checks.NEXT_FRAMES)


def close_select(page: Any) -> None:
    page.keyboard.press("Escape")
    page.mouse.click(5, 300)
    page.locator('[role="listbox"]').first.wait_for(state="hidden")
    page.evaluate(checks.NEXT_FRAMES)


def open_expanders(page: Any, lang: str) -> None:
    for summary in page.locator('[data-testid="stExpander"] details:not([open]) > summary').all():
        if summary.is_visible():
            summary.click()
    page.evaluate(checks.NEXT_FRAMES)


def tab(index: int, charts: bool = False) -> Callable[[Any, str], None]:
    def choose(page: Any, lang: str) -> None:
        page.locator('[data-testid="stMain"] [role="tab"]').nth(index).click()
        if charts:
            page.locator('[role="tabpanel"]:visible [data-testid="stVegaLiteChart"] svg').first.wait_for()
            page.wait_for_timeout(300)  # every chart of the tab, not only the first
        page.evaluate(checks.NEXT_FRAMES)
    return choose


def full_form(page: Any) -> None:
    """The authoring page's full-form tab (the quick path is the first view)."""
    page.locator('[data-testid="stMain"] [role="tab"]').nth(1).click()
    settle(page)


def authoring_errors(page: Any, lang: str) -> None:
    """An invalid number of decimals in the opened metric: the validation messages show."""
    full_form(page)
    field = page.get_by_label(t("authoring.field.decimals", lang), exact=True).first
    before = runs(page)
    field.fill("abc")
    field.press("Tab")
    settle(page, after=before)
    page.locator('[data-testid="stMain"] [data-testid="stAlertContentError"], [data-testid="stMain"] [role="alert"]').first.wait_for()


def authoring_edit(page: Any, lang: str) -> None:
    """An existing metric opened in the form: the YAML preview and the chart preview show."""
    full_form(page)
    before = runs(page)
    page.get_by_text(t("authoring.start.edit", lang), exact=True).first.click()
    # the metric choice appears once the server has the mode: only then does the button open it
    page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(
        has_text=t("authoring.start.metric", lang)).first.wait_for()
    settle(page, after=before)
    before = runs(page)
    page.get_by_role("button", name=t("authoring.start.button", lang)).click()
    settle(page, after=before)
    page.locator('[data-testid="stCode"]:visible .token').first.wait_for()  # highlighted (loaded lazily)
    page.locator('[role="tabpanel"]:visible [data-testid="stVegaLiteChart"] svg').first.wait_for()
    page.wait_for_timeout(300)  # the chart's marks


State = tuple[str, Callable[[Any, str], None] | None]

#: page id -> (query string, waits for a chart, states after the first view)
PAGES: dict[str, tuple[str, bool, list[State]]] = {
    "overview": ("area=208", False, [("select_open", open_select)]),
    "compare": ("area=208&metric=unemployment_rate&areas=208,244,436", True,
                [("select_open", open_select), ("tab_time", tab(0, True)), ("tab_distribution", tab(1, True)),
                 ("tab_map", tab(2, True))]),
    "metric_detail": ("area=208&metric=unemployment_rate", True, [("expanders", open_expanders)]),
    "forecast": ("area=208&metric=unemployment_rate", True, [("expanders", open_expanders)]),
    "data_status": ("area=208", False, [("expanders", open_expanders)]),
    "authoring": ("area=208", False, [("edit_yaml", authoring_edit), ("errors", authoring_errors),
                                      ("upload_tab", tab(2))]),
    "training": ("area=208&module=1", False, [("expanders", open_expanders)]),
    "public_summary": ("area=208", True, [("select_open", open_select)]),
}


def screenshot(page: Any, where: str, shots: Path) -> None:
    """The whole page as it is now, for review (JPEG: a page-high PNG takes twice as long)."""
    page.screenshot(path=str(shots / f"{where.replace('/', '_')}.jpg"), full_page=True, type="jpeg", quality=85)


def scan(page: Any, lang: str, where: str, shots: Path, findings: list[str]) -> None:
    """axe (every impact) + language + chart checks on the whole page as it is now; a screenshot."""
    COUNTS["scans"] += 1
    checks.fit_page(page)
    screenshot(page, where, shots)
    found = checks.axe_findings(page) + checks.language_findings(page, lang) + checks.chart_findings(page)
    found += checks.exception_findings(page)
    findings.extend(f"{where}: {item}" for item in found)


def reflow(page: Any, where: str, shots: Path, findings: list[str]) -> None:
    """The page as the walk left it (expanders open, last tab chosen), at 320 px wide: what
    zooming to 400 % does to a page already open."""
    page.set_viewport_size(PHONE)
    page.evaluate(checks.NEXT_FRAMES)
    page.wait_for_timeout(300)  # charts redraw at the new width
    found = checks.reflow_findings(page) + checks.chart_findings(page)
    findings.extend(f"{where}: {item}" for item in found)
    checks.fit_page(page)
    screenshot(page, where, shots)


@pytest.mark.parametrize("page_id", list(PAGES))
def test_page_has_no_accessibility_findings(page: Any, base_url: str, shots: Path, page_id: str) -> None:
    query, charts, states = PAGES[page_id]
    findings: list[str] = []
    measured: dict[str, checks.Shape] = {}  # tab stops whose focus was measured, any language
    for lang in LANGS:
        page.set_viewport_size(DESKTOP)
        page.goto(f"{base_url}/{page_id}?lang={lang}&{query}")
        settle(page, charts, after=0)
        findings.extend(f"{page_id}/{lang}: {item}" for item in checks.first_paint_findings(page, lang))
        if f"lang={lang}" not in page.url:
            findings.append(f"{page_id}/{lang}: the address lost its language ({page.url})")
        page.add_style_tag(content=checks.NO_MOTION)  # every later state drawn at once, no fades
        # texts differ in length between the languages: focus and reflow are checked in each
        # (a tab stop of the same place and size as in an earlier language is not photographed
        # again); the focus walk at the window's size, before the scans make the viewport page-high
        findings.extend(f"{page_id}/{lang}: {item}" for item in checks.focus_findings(page, measured))
        scan(page, lang, f"{page_id}/{lang}/default", shots, findings)
        for name, action in states:
            action(page, lang)
            scan(page, lang, f"{page_id}/{lang}/{name}", shots, findings)
            if name == "select_open":
                close_select(page)
        reflow(page, f"{page_id}/{lang}/320px", shots, findings)
    print(f"{page_id}: {COUNTS['scans']} scans so far, {len(findings)} findings")
    assert findings == [], "\n".join(findings)
