"""Accessibility checks on a live page (Playwright), used by test_accessibility.py.

`axe_findings` runs axe-core with every rule and impact. The other functions check what axe
cannot: visible focus (screenshots of each tab stop focused and not, compared pixel by pixel),
chart colours (text >= 4.5:1, marks >= 3:1 against the background or outlined, series that
differ in colour also differ in dash or outline), reflow at 320 px, the document language and
Streamlit's own English strings. Each returns a list of findings (strings); [] means it passed.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
from PIL import Image

from ui.a11y import CHART_ACTIONS, STREAMLIT_STRINGS

#: Resolves once the browser has drawn two more frames (a resize has been laid out and painted).
NEXT_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
NO_MOTION = "*, *::before, *::after { transition: none !important; animation: none !important; caret-color: transparent !important; }"


_SCROLL_HEIGHT = """() => Math.max(window.innerHeight, ...[...document.querySelectorAll(
  '[data-testid="stMain"], [data-testid="stSidebarContent"]')].map(el => el.scrollHeight))"""


def fit_page(page: Any, max_height: int = 12_000) -> None:
    """Make the viewport as tall as the page's longest scrolling area (it only grows).

    axe-core checks colour contrast only for text inside the viewport (it never scrolls), and
    Streamlit's main area scrolls inside a box of the window's height: at 900 px most of a
    page would never be checked. With the whole page in view every element is checked, a
    screenshot shows the whole page, and tabbing through it never scrolls."""
    size = page.viewport_size
    height = min(max_height, int(page.evaluate(_SCROLL_HEIGHT)))
    if height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": height})
        page.evaluate(NEXT_FRAMES)


def axe_findings(page: Any) -> list[str]:
    """All axe-core violations, every impact (axe-core 4.12: WCAG 2.0-2.2 A/AA + best practice).
    Call after `fit_page`, or only the visible part is checked for contrast. axe-core (the copy
    axe-playwright-python bundles) is put into the page once per document, not once per scan."""
    from axe_playwright_python.sync_playwright import Axe

    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(Axe().axe_script)
    response = page.evaluate("() => axe.run({resultTypes: ['violations']})")
    return [f"axe {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in response["violations"]]


# ----------------------------------------------------------------------------- focus

_ACTIVE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  // a checkbox, toggle or radio button hides its input: what the user sees is its label
  const shown = (el.type === 'checkbox' || el.type === 'radio') && el.closest('label') || el;
  const r = shown.getBoundingClientRect();
  const path = []; for (let e = el; e && e !== document.body; e = e.parentElement)
    path.push(e.tagName + ':' + [...(e.parentElement ? e.parentElement.children : [])].indexOf(e));
  const label = (el.getAttribute('aria-label') || el.innerText || el.getAttribute('data-testid') || el.tagName).slice(0, 40);
  return {key: path.join('/'), x: r.x, y: r.y, w: r.width, h: r.height, label: label.replace(/\\s+/g, ' '),
          tag: el.tagName, vw: window.innerWidth, vh: window.innerHeight, scroll: window.__kmScroll()};
}"""

#: Where everything that scrolls stands: a screenshot of the window is the unfocused look of an
#: element only while this is what it was when the screenshot was taken.
_SCROLL_STATE = """() => { window.__kmScroll = () => [...document.querySelectorAll('*')]
  .filter(e => e.scrollTop || e.scrollLeft).map(e => `${e.tagName}:${e.scrollTop}:${e.scrollLeft}`).join('|');
  return window.__kmScroll(); }"""
_BLUR = "() => { window.__kmFocus = document.activeElement; document.activeElement && document.activeElement.blur(); }"
_REFOCUS = "() => { window.__kmFocus && window.__kmFocus.focus(); }"


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


_LINEAR = np.array([(v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4) for v in np.arange(256) / 255])
_WEIGHTS = (0.2126, 0.7152, 0.0722)


def _luminances(pixels: np.ndarray) -> np.ndarray:
    """Relative luminance of each row of an (n, 3) array of 8-bit RGB values."""
    return sum(weight * _LINEAR[pixels[:, i]] for i, weight in enumerate(_WEIGHTS))


def _changed_pixels(one: Image.Image, two: Image.Image) -> int:
    """Pixels whose colour changed by at least 3:1 contrast between the two images (the same
    formula as `contrast`, for the changed pixels at once: a whole-page tab stop has millions)."""
    a, b = np.asarray(one, dtype=np.uint8).reshape(-1, 3), np.asarray(two, dtype=np.uint8).reshape(-1, 3)
    differ = np.any(a != b, axis=1)
    la, lb = _luminances(a[differ]), _luminances(b[differ])
    ratio = (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)
    return int(np.count_nonzero(ratio >= 3.0))


def _clip(info: dict[str, Any]) -> tuple[int, int, int, int]:
    """The focused element with a 6 px margin, cut to the window, in whole pixels (so that a cut
    from a screenshot of the window lines up with a screenshot of the clip exactly)."""
    x, y = max(0, math.floor(info["x"] - 6)), max(0, math.floor(info["y"] - 6))
    w = min(info["vw"], math.ceil(info["x"] + info["w"] + 6)) - x
    h = min(info["vh"], math.ceil(info["y"] + info["h"] + 6)) - y
    return x, y, w, h


Shape = tuple[float, float, float]


def _same_shape(a: Shape, b: Shape) -> bool:
    return all(abs(p - q) < 0.5 for p, q in zip(a, b, strict=True))


def focus_findings(page: Any, measured: dict[str, Shape] | None = None, max_stops: int = 120) -> list[str]:
    """Tab through the page; each focused element must change at least its perimeter's worth of
    pixels by >= 3:1 (a 1 px ring all round; the app draws 3 px) compared with the same element
    unfocused (WCAG 2.4.7, 2.4.11, and the contrast part of 2.4.13).

    The unfocused look is cut from a screenshot of the window with nothing focused, taken again
    whenever tabbing has scrolled something (a screenful of tab stops shares one). Run it at
    the window's normal size: a screenshot of a page-high viewport is slow.

    `measured` (tab stop -> left edge, width, height) gets every stop measured here. A stop
    already in it with the same left edge and size (the same page in another language, where
    only texts differ) is visited and must be on screen, but is not photographed again: the
    same element drawn by the same style at the same size has the same ring."""
    page.add_style_tag(content=NO_MOTION)
    page.mouse.move(1, 1)
    page.evaluate(_BLUR)
    page.evaluate(_SCROLL_STATE)
    measured = {} if measured is None else measured
    window: Image.Image | None = None
    window_scroll = None
    findings: list[str] = []
    seen: set[str] = set()
    for _ in range(max_stops):
        page.keyboard.press("Tab")
        info = page.evaluate(_ACTIVE)
        if info is None or info["key"] in seen:
            break
        seen.add(info["key"])
        shape = (info["x"], info["w"], info["h"])
        known = info["key"] in measured and _same_shape(measured[info["key"]], shape)
        for _attempt in range(0 if known else 3):  # a new screenshot of the window when something has scrolled
            if info["scroll"] == window_scroll:
                break
            page.evaluate(_BLUR)
            window, window_scroll = _image(page.screenshot()), info["scroll"]
            page.evaluate(_REFOCUS)
            info = page.evaluate(_ACTIVE)  # focusing it again may have scrolled it into view
        x, y, w, h = _clip(info)
        if w < 2 or h < 2:
            findings.append(f"focus: {info['tag']} '{info['label']}' is focused but not on screen")
            continue
        if known:
            continue
        focused = _image(page.screenshot(clip={"x": x, "y": y, "width": w, "height": h}))
        if window is None or info["scroll"] != window_scroll:
            findings.append(f"focus: {info['tag']} '{info['label']}' keeps scrolling: not measured")
            continue
        unfocused = window.crop((x, y, x + w, y + h))
        perimeter = 2 * (min(info["w"], w) + min(info["h"], h))
        changed = _changed_pixels(unfocused, focused)
        if changed < perimeter:
            findings.append(f"focus: {info['tag']} '{info['label']}' changes {changed} px by >= 3:1 (needs {perimeter:.0f})")
        measured[info["key"]] = shape
    page.evaluate(_BLUR)
    return findings


# ----------------------------------------------------------------------------- charts

_CHARTS = """() => {
  const parse = (c) => { const m = c && c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const out = [];
  document.querySelectorAll('[data-testid="stVegaLiteChart"] svg.marks').forEach((svg, ci) => {
    if (!svg.getBoundingClientRect().width) return;   // in a closed tab
    const chart = {index: ci, text: [], marks: [], lines: [], rects: []};
    const opacity = (el) => { let o = 1; for (let e = el; e && e !== svg; e = e.parentElement)
      o *= parseFloat(getComputedStyle(e).opacity || '1'); return o; };
    svg.querySelectorAll('text').forEach(el => { const s = getComputedStyle(el);
      if (!el.textContent.trim() || s.visibility === 'hidden' || opacity(el) === 0) return;
      chart.text.push({text: el.textContent.slice(0, 30), fill: parse(s.fill), op: opacity(el) * parseFloat(s.fillOpacity)}); });
    svg.querySelectorAll('.role-mark path, .role-mark rect, .role-mark circle, .role-mark line').forEach(el => {
      const s = getComputedStyle(el); const r = el.getBoundingClientRect();
      const g = el.closest('.role-mark'); const kind = [...g.classList].find(c => c.startsWith('mark-'));
      if (kind === 'mark-text' || kind === 'mark-group') return;
      const op = opacity(el);
      if (op === 0 || s.visibility === 'hidden') return;
      const m = {kind, fill: s.fill === 'none' ? null : parse(s.fill), fillOp: op * parseFloat(s.fillOpacity),
                 stroke: s.stroke === 'none' ? null : parse(s.stroke), strokeOp: op * parseFloat(s.strokeOpacity),
                 strokeWidth: parseFloat(s.strokeWidth), dash: el.getAttribute('stroke-dasharray') || s.strokeDasharray,
                 group: g.getAttribute('class')};
      chart.marks.push(m);
    });
    // wider than its box is allowed only when the box scrolls by itself and takes keyboard focus
    const holder = svg.closest('[data-testid="stVegaLiteChart"]');
    const box = svg.getBoundingClientRect(), parent = holder.getBoundingClientRect();
    const scrolls = ['auto', 'scroll'].includes(getComputedStyle(holder).overflowX) && holder.tabIndex >= 0;
    chart.overflow = (box.right > parent.right + 1 || box.left < parent.left - 1) && !scrolls;
    out.push(chart);
  });
  return out;
}"""


def _blend(rgba: list[float] | None, alpha: float) -> tuple[int, int, int] | None:
    if rgba is None:
        return None
    a = max(0.0, min(1.0, alpha * (rgba[3] if len(rgba) > 3 else 1)))
    return tuple(round(c * a + 255 * (1 - a)) for c in rgba[:3])  # type: ignore[return-value]


def chart_findings(page: Any) -> list[str]:
    """Every drawn Vega chart: text >= 4.5:1 on white; each mark's fill or outline >= 3:1 on
    white (lines: their stroke); lines of different colours also differ in dash pattern; bars
    of different colours also differ in outline (colour is never the only difference)."""
    white = (255, 255, 255)
    findings: list[str] = []
    for chart in page.evaluate(_CHARTS):
        label = f"chart {chart['index']}"
        if chart["overflow"]:
            findings.append(f"{label}: wider than its container")
        for item in chart["text"]:
            colour = _blend(item["fill"], item["op"])
            if colour and contrast(colour, white) < 4.5:
                findings.append(f"{label}: text '{item['text']}' {contrast(colour, white):.2f}:1")
        lines: dict[tuple, set[str]] = {}
        bars: dict[tuple, set[str]] = {}
        for mark in chart["marks"]:
            fill = _blend(mark["fill"], mark["fillOp"])
            stroke = _blend(mark["stroke"], mark["strokeOp"]) if mark["strokeWidth"] > 0 else None
            best = max((contrast(c, white) for c in (fill, stroke) if c is not None), default=0.0)
            if best < 3.0:
                findings.append(f"{label}: {mark['kind']} {mark['group']} {best:.2f}:1")
            if mark["kind"] in ("mark-line", "mark-rule") and stroke:
                lines.setdefault(stroke, set()).add(str(mark["dash"] or "none"))
            if mark["kind"] == "mark-rect" and fill:
                bars.setdefault(fill, set()).add(f"{mark['stroke']}/{mark['strokeWidth']}")
        dashes = [frozenset(d) for d in lines.values()]
        if len(lines) > 1 and len(set(dashes)) < len(dashes):
            findings.append(f"{label}: {len(lines)} line colours share dash patterns {sorted(map(sorted, dashes))}")
        outlines = [frozenset(o) for o in bars.values()]
        if len(bars) > 1 and len(set(outlines)) < len(outlines):
            findings.append(f"{label}: bars differ by colour only")
    return list(dict.fromkeys(findings))


def exception_findings(page: Any) -> list[str]:
    """An error Streamlit shows for an exception in the page's script is a failure anywhere."""
    count = page.locator('[data-testid="stException"]').count()
    return [f"{count} exception element(s) shown"] if count else []


# ----------------------------------------------------------------------------- reflow, language

_OVERFLOW = """() => {
  const vw = document.documentElement.clientWidth; const out = [];
  const scrollers = [document.scrollingElement, ...document.querySelectorAll('[data-testid=stMain], [data-testid=stAppViewContainer], [data-testid=stMainBlockContainer]')];
  for (const el of scrollers) if (el && el.scrollWidth > el.clientWidth + 1) out.push(`${el.getAttribute('data-testid') || el.tagName} scrolls sideways (${el.scrollWidth} > ${el.clientWidth})`);
  return out;
}"""


def reflow_findings(page: Any) -> list[str]:
    """At the current (320 px) width the page must not scroll sideways (WCAG 1.4.10); wide data
    tables may scroll inside their own focusable box."""
    return [f"reflow: {text}" for text in page.evaluate(_OVERFLOW)]


_ENGLISH = """(args) => {
  const [words, lang, actions] = args; const out = [];
  if (document.documentElement.lang !== lang) out.push(`<html lang=${document.documentElement.lang}>`);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.nodeValue.trim(); const el = n.parentElement;
    if (!text || !words.includes(text) || !el || el.closest('[lang="en"]')) continue;
    if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
    out.push(`English text '${text}'`);
  }
  document.querySelectorAll('[aria-label],[placeholder],[title]').forEach(el => {
    for (const a of ['aria-label', 'placeholder', 'title']) { const v = el.getAttribute(a);
      if (v && (words.includes(v) || actions.some(w => v.startsWith(w + ': '))) && !el.closest('[lang="en"]'))
        out.push(`English ${a} '${v}'`); }
  });
  if (/\\d+\\s?MB per file/.test(document.body.innerText)) out.push("English upload limit text");
  return [...new Set(out)];
}"""


def language_findings(page: Any, lang: str) -> list[str]:
    """`<html lang>` is the page language, and no Streamlit English string is shown unmarked."""
    if lang == "en":
        found = page.evaluate("() => document.documentElement.lang")
        return [] if found == "en" else [f"<html lang={found}>"]
    return [f"language: {text}" for text in page.evaluate(_ENGLISH, [sorted(STREAMLIT_STRINGS), lang, sorted(CHART_ACTIONS)])]


#: Installed before a page loads: `<html lang>` of the parsed page and every change of it, and
#: when the first h1 is painted (present and visible), in ms since the document started.
FIRST_HEADING_LANG = """(() => {
  window.__kmLangAtH1 = null; window.__kmH1At = null; window.__kmLangChanges = [];
  const check = () => {
    const now = performance.now(), lang = document.documentElement.lang;
    const last = window.__kmLangChanges[window.__kmLangChanges.length - 1];
    if (!last || last[1] !== lang) window.__kmLangChanges.push([now, lang]);
    const h1 = document.querySelector('h1');
    if (window.__kmH1At === null && h1 && h1.checkVisibility({visibilityProperty: true})) {
      window.__kmH1At = now; window.__kmLangAtH1 = lang; }
  };
  const obs = new MutationObserver(check);
  document.addEventListener('DOMContentLoaded', () => {
    check();
    obs.observe(document.documentElement, {subtree: true, childList: true, attributes: true,
                                           attributeFilter: ['lang']});
  });
  document.addEventListener('animationend', check, true);
})();"""

#: Installed before a page loads: counts finished script runs (`window.__kmRuns`), read from the
#: script state Streamlit keeps on its app element (`data-test-script-state`, the attribute
#: Streamlit's own browser tests wait on).
SCRIPT_RUNS = """(() => {
  window.__kmRuns = 0; let last = null;
  const watch = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app && app.getAttribute('data-test-script-state');
    if (state && state !== last) { if (state === 'notRunning') window.__kmRuns += 1; last = state; }
  };
  document.addEventListener('DOMContentLoaded', () => {
    new MutationObserver(watch).observe(document.documentElement, {subtree: true, childList: true,
      attributes: true, attributeFilter: ['data-test-script-state']});
  });
})();"""

#: True when no script run is going on, more than `after` runs have finished, and no element
#: of an earlier run is still shown faded (Streamlit dims "stale" elements during a run: a scan
#: then would measure a half-transparent label's contrast).
IDLE = """(after) => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning' && window.__kmRuns > after
    && !document.querySelector('[data-stale="true"], [data-testid="stStatusWidget"]');
}"""


def first_paint_findings(page: Any, lang: str) -> list[str]:
    """`<html lang>` was `lang` when the first heading was painted, and at every moment the
    observer saw (from the parsed page on): the served page carries the language itself
    (`ui.served_page`), so no grace period is allowed."""
    h1_at, at_h1, changes = page.evaluate("() => [window.__kmH1At, window.__kmLangAtH1, window.__kmLangChanges]")
    found = []
    if h1_at is None:
        found.append("no heading was painted")
    elif at_h1 != lang:
        found.append(f"<html lang={at_h1!r}> when the first heading was painted")
    other = [f"{value!r} at {moment:.0f} ms" for moment, value in changes if value != lang]
    if other:
        found.append(f"<html lang> was not {lang!r}: {', '.join(other)}")
    return found
