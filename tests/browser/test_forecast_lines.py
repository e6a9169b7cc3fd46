"""The forecast page with three municipalities, in a real Chromium: each area is told apart
without colour. In the drawn chart every area's points have an outline of their own (no two
colours share a point shape) and every area's name is written in the chart; text and marks keep
their contrast (the shared chart check of tests/browser/a11y_checks.py).

The shared check's rule "lines of different colours differ in dash pattern" does not fit this
chart: here the dash tells history, forecast and scenarios apart, and the area is told by point
shape and name, which this test checks instead. Its other findings must be empty.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import a11y_checks as checks
from kuntamittari.i18n import t

pytestmark = pytest.mark.browser

AREAS = ("Kalajoki", "Kempele", "Lumijoki")  # 208 (the start page's area), 244, 436
TIMEOUT_MS = 180_000  # three areas' backtests on a shared 2-core machine

_DRAWN = """() => {
  const svg = document.querySelector('[data-testid="stVegaLiteChart"] svg.marks');
  if (!svg) return null;
  const texts = [...svg.querySelectorAll('.role-mark.mark-text text')].map(e => e.textContent);
  const points = [...svg.querySelectorAll('.role-mark.mark-symbol path')].map(e => {
    const s = getComputedStyle(e);
    return {d: e.getAttribute('d'), fill: s.fill, stroke: s.stroke, filled: s.fill !== 'none' && !/rgba\([^)]*, 0\)/.test(s.fill) && s.fillOpacity !== '0'};
  });
  return {texts, points};
}"""


def _add_area(page: Any, name: str) -> None:
    box = page.locator('[data-testid="stMultiSelect"] input').first
    box.click()
    page.keyboard.type(name)
    page.locator('[role="option"]').filter(has_text=name).first.click()
    page.keyboard.press("Escape")


def test_three_forecast_areas_differ_by_shape_and_name(streamlit_server, browser_page, app_db_url: str,  # type: ignore[no-untyped-def]
                                                        screenshot_dir: Path) -> None:
    base = streamlit_server("app.py", env={"KUNTAMITTARI_DATABASE_URL": app_db_url})
    page = browser_page
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{base}/forecast?lang=fi&area=208&metric=unemployment_rate")
    page.locator('[data-testid="stVegaLiteChart"] svg').first.wait_for()
    for name in AREAS[1:]:
        _add_area(page, name)
        page.wait_for_timeout(500)
    # the chart is redrawn as each area's backtest comes in: wait for all three names and the run's end
    page.wait_for_function("""(names) => { const svg = document.querySelector('[data-testid="stVegaLiteChart"] svg.marks');
        const texts = svg ? [...svg.querySelectorAll('.role-mark.mark-text text')].map(e => e.textContent) : [];
        return names.every(n => texts.includes(n)) && !document.querySelector('[data-testid="stStatusWidget"]'); }""",
                           arg=list(AREAS))
    page.get_by_text(t("forecasting.page.backtest_title", "fi"), exact=True).first.wait_for()
    page.wait_for_timeout(800)
    page.locator('[data-testid="stVegaLiteChart"]').first.screenshot(path=str(screenshot_dir / "forecast_three_areas.png"))

    drawn = page.evaluate(_DRAWN)
    assert drawn is not None, "no chart drawn"
    assert sorted(n for n in drawn["texts"] if n in AREAS) == sorted(AREAS), drawn["texts"]
    filled = [p for p in drawn["points"] if p["filled"]]
    shapes_by_colour: dict[str, set[str]] = {}
    for p in filled:
        shapes_by_colour.setdefault(p["fill"], set()).add(p["d"])
    assert len(shapes_by_colour) == len(AREAS), shapes_by_colour.keys()
    assert all(len(shapes) == 1 for shapes in shapes_by_colour.values())  # one outline per area...
    assert len({next(iter(s)) for s in shapes_by_colour.values()}) == len(AREAS)  # ...different for each area
    hollow = {(p["stroke"], p["d"]) for p in drawn["points"] if not p["filled"]}  # the bands' edges
    assert {d for _, d in hollow} and all(shapes_by_colour.get(stroke) for stroke, _ in hollow)

    findings = [f for f in checks.chart_findings(page) if "share dash patterns" not in f]
    assert findings == [], findings
