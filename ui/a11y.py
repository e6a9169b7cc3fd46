"""Accessibility layer every page draws once (from `ui.frame`): the page language, visible focus,
reflow at 320 px, and Streamlit's own English strings in the user's language.

Why one script instead of per-widget fixes: Streamlit 1.67 hard-codes `<html lang="en">`, some
English texts ("Skip to main content", "Choose an option", the file-drop text, the data-table
toolbar), a focus tint of about 1.1:1 on sidebar links and toggles, and an opacity-0 chart
toolbar whose buttons still take focus. None of these can be set from Python. `st.html` with
`unsafe_allow_javascript` runs a script in the page itself, so one small script, installed once
per browser tab and refreshed with the current language on every run, sets `lang`, replaces the
known English strings with the `a11y.streamlit.*` messages, and repairs the few attributes axe
flags (a scrollable code block that cannot take focus, a drop zone with a conflicting role, a
select list's popup outside every landmark). Whatever English remains is marked `lang="en"`.
docs/accessibility.md lists the limits and how the browser test checks each point.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import streamlit as st

from kuntamittari.i18n import t

FOCUS_COLOUR = "#0b57d0"  # 6.6:1 on white; the white halo keeps 3:1 on the blue primary buttons

#: Streamlit's English strings (exact text or attribute value) -> message key under a11y.streamlit.
STREAMLIT_STRINGS: dict[str, str] = {
    "Skip to main content": "skip",
    "Choose an option": "choose",
    "Choose options": "choose_many",
    "Select all": "select_all",
    "Clear all": "clear_all",
    "Clear value": "clear_value",
    "No results": "no_results",
    "Drag and drop file here": "drop_file",
    "Drag and drop files here": "drop_files",
    "Browse files": "browse",
    "Upload": "upload",
    "Download as CSV": "download_csv",
    "Search": "search",
    "Fullscreen": "fullscreen",
    "View fullscreen": "fullscreen",
    "Close fullscreen": "close_fullscreen",
    "Exit fullscreen": "close_fullscreen",
    "Show/hide columns": "columns",
    "Page not found": "page_not_found",
    "Running...": "running",
    "Stop": "stop",
    "Close": "close",
    "Copy to clipboard": "copy",
    "Remove file": "remove_file",
    "Delete": "remove_file",
    "Open": "open",
    "open": "open",
    "Show password": "show_password",
    "Hide password": "hide_password",
    "Main menu": "main_menu",
    "Collapse sidebar": "collapse_sidebar",
    "Expand sidebar": "expand_sidebar",
    "Press Enter to submit form": "enter_submits",
    "Press Enter to apply": "enter_applies",
    "Link to heading": "heading_link",
}

#: The chart toolbar's button names, "<action>: <chart name>" -> message key under a11y.streamlit.
CHART_ACTIONS: dict[str, str] = {
    "Show data": "show_data",
    "Download as PNG": "download_png",
    "Copy Vega-Lite spec": "copy_spec",
    "Fullscreen": "fullscreen",
    "View fullscreen": "fullscreen",
}

CSS = """
<style>
/* Visible focus on everything that can take it (WCAG 2.4.7 / 2.4.11): a 3 px blue ring with a
   white halo, 3:1 or more against white, grey and the blue primary buttons alike. */
:focus-visible, [data-baseweb="select"] input:focus-visible, [data-baseweb="tab"]:focus-visible {
  outline: 3px solid %(focus)s !important; outline-offset: 2px !important;
  box-shadow: 0 0 0 2px #ffffff !important;
}
/* checkboxes, toggles and radio buttons hide the real input: the ring goes round its label */
label:has(input[type="checkbox"]:focus-visible), label:has(input[type="radio"]:focus-visible) {
  outline: 3px solid %(focus)s !important; outline-offset: 2px !important; border-radius: 4px;
}
[data-testid="stSidebarNav"] a:focus-visible, [data-testid="stPageLink"] a:focus-visible,
[data-testid="stSidebar"] a:focus-visible { outline-offset: -3px !important; }
/* whole-area tab stops (the scrolling main area, a data table's canvas): the ring goes inside,
   where the edge of the screen or the table's frame cannot cut it off */
[data-testid="stMain"]:focus-visible, [data-testid="stSidebarContent"]:focus-visible,
[data-testid="stDataFrame"] canvas:focus-visible, .km-scroll:focus-visible,
[data-testid="stCode"] pre:focus-visible, [role="tab"]:focus-visible,
[data-testid="stVegaLiteChart"]:focus-visible, [data-testid="stDataFrame"] *:focus-visible,
[data-testid="stElementToolbar"] button:focus-visible,
input:focus-visible, textarea:focus-visible { outline-offset: -3px !important; }
/* Highlighted code (the YAML of a metric): Streamlit's palette draws comments, punctuation,
   strings (2.96:1), numbers (2.63:1) and keys under 4.5:1 on the code block's background.
   Darker shades of the same hues, each at least 5.7:1 on it and on the grey secondary
   background; every token class Streamlit colours is listed. */
[data-testid="stCode"] :is(.comment, .prolog, .doctype, .cdata, .punctuation, .unchanged) {
  color: #4f5a65 !important; }
[data-testid="stCode"] :is(.atrule, .key, .attr-name, .decorator, .operator, .entity) {
  color: #8f3900 !important; }
[data-testid="stCode"] :is(.string, .char, .attr-value, .boolean, .constant, .symbol, .inserted) {
  color: #146c2e !important; }
[data-testid="stCode"] :is(.number, .regex, .property, .variable) { color: #00687a !important; }
[data-testid="stCode"] :is(.keyword, .tag, .function, .class-name, .selector) { color: #0b57d0 !important; }
[data-testid="stCode"] :is(.url) { color: #6a1b9a !important; }
[data-testid="stCode"] :is(.important, .deleted) { color: #b3261e !important; }
/* The chart/table toolbar is drawn at opacity 0 until hovered, but its buttons take focus. */
[data-testid="stElementToolbar"]:focus-within, [data-testid="stElementToolbar"]:has(:focus-visible) {
  opacity: 1 !important; z-index: 1000 !important;  /* above the table it belongs to */
}
/* captions are drawn at opacity 0.6: inline code in one needs black to stay over 4.5:1 */
[data-testid="stCaptionContainer"] code { color: #000000 !important; }
/* Reflow at 320 px (WCAG 1.4.10): wide tables scroll inside their own focusable box, charts
   and text never push the page sideways. */
.km-scroll { overflow-x: auto; max-width: 100%%; }
@media print { .km-scroll { overflow: visible !important; } }
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"], .block-container { padding-left: 0.75rem !important;
    padding-right: 0.75rem !important; min-width: 0 !important; }
  /* a chart of fixed size (small multiples) scrolls inside its own box, never the page */
  [data-testid="stVegaLiteChart"] { max-width: 100%% !important; overflow-x: auto !important; }
  [data-testid="stHorizontalBlock"] { flex-wrap: wrap !important; }
  [data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"] { overflow-wrap: anywhere; }
}
</style>
"""

SCRIPT = r"""
<script>
(() => {
  const cfg = %(cfg)s;
  window.__kmA11y = cfg;
  document.documentElement.lang = cfg.lang;
  const ATTRS = ["aria-label", "title", "placeholder"];
  const fix = () => {
    const c = window.__kmA11y;
    if (document.documentElement.lang !== c.lang) document.documentElement.lang = c.lang;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const english = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const raw = node.nodeValue, text = raw.trim();
      if (!text) continue;
      let out = c.text[text];
      if (out === undefined) {
        for (const [pattern, repl] of c.patterns) {
          const re = new RegExp(pattern);
          if (re.test(text)) { out = text.replace(re, repl); break; }
        }
      }
      if (out !== undefined && out !== text) node.nodeValue = raw.replace(text, out);
      else if (c.lang !== "en" && c.english.includes(text)) english.push(node.parentElement);
    }
    for (const el of document.querySelectorAll("[aria-label], [title], [placeholder]")) {
      for (const name of ATTRS) {
        const value = el.getAttribute(name);
        if (!value) continue;
        let out = c.text[value];
        if (out === undefined) for (const [pattern, repl] of c.patterns) {
          const re = new RegExp(pattern); if (re.test(value)) { out = value.replace(re, repl); break; } }
        if (out !== undefined && out !== value) el.setAttribute(name, out);
      }
    }
    for (const el of english) if (el && !el.closest("[lang]:not(html)")) el.setAttribute("lang", "en");
    // a region's name must be unique on the page: with several, each is numbered in page order
    const name = (one, many, i, count) => count > 1 ? many.replace("{n}", String(i + 1)) : one;
    // a scrolling code block (YAML preview) must be reachable by keyboard: a named, focusable region
    const blocks = [...document.querySelectorAll('[data-testid="stCode"] pre')];
    blocks.forEach((pre, i) => {
      if (!pre.hasAttribute("tabindex")) { pre.setAttribute("tabindex", "0"); pre.setAttribute("role", "region"); }
      const label = name(c.code, c.codeN, i, blocks.length);
      if (pre.getAttribute("aria-label") !== label) pre.setAttribute("aria-label", label);
    });
    // a chart wider than its box (small multiples on a phone) scrolls there: reachable by keyboard
    const wide = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
      .filter((box) => box.hasAttribute("tabindex") || box.scrollWidth > box.clientWidth + 1);
    wide.forEach((box, i) => {
      if (!box.hasAttribute("tabindex")) { box.setAttribute("tabindex", "0"); box.setAttribute("role", "region"); }
      const label = name(c.chart, c.chartN, i, wide.length);
      if (box.getAttribute("aria-label") !== label) box.setAttribute("aria-label", label);
    });
    // the upload drop zone: a focusable element must not be role=presentation
    for (const el of document.querySelectorAll('[data-testid="stFileUploader"] [role="presentation"]')) {
      el.removeAttribute("role");
    }
    // an open select list is drawn in a popup at the end of the body, outside every landmark
    for (const el of document.querySelectorAll('[role="listbox"], [role="menu"], [data-trigger]')) {
      let top = el; while (top.parentElement && top.parentElement !== document.body) top = top.parentElement;
      if (top.id !== "root" && top.parentElement === document.body && !top.hasAttribute("role")) {
        top.setAttribute("role", "region"); top.setAttribute("aria-label", c.popup);
      }
    }
  };
  window.__kmA11yFix = fix;
  if (!window.__kmA11yObserver) {
    let queued = false;
    window.__kmA11yObserver = new MutationObserver(() => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => { queued = false; window.__kmA11yFix(); });
    });
    window.__kmA11yObserver.observe(document.body, {subtree: true, childList: true, characterData: true,
      attributes: true, attributeFilter: ["aria-label", "title", "placeholder"]});
    window.addEventListener("resize", () => window.__kmA11yFix());
  }
  fix();
})();
</script>
"""


@lru_cache(maxsize=8)
def script_config(lang: str) -> str:
    """The script's settings for `lang` as JSON: replacements, patterns and the names it gives."""
    text = {english: t(f"a11y.streamlit.{key}", lang) for english, key in STREAMLIT_STRINGS.items()}
    patterns = [
        # the chart toolbar's buttons, "Show data: <chart's alt text>"
        *([f"^{re.escape(english)}: (.*)$", t(f"a11y.streamlit.{key}", lang) + ": $1"]
          for english, key in CHART_ACTIONS.items()),
        # the file uploader's limit line, e.g. "Limit 10MB per file • CSV, TXT"
        [r"^Limit (\d+)\s?MB per file(.*)$", t("a11y.streamlit.limit", lang, mb="$1") + "$2"],
        [r"^(\d+)\s?MB per file(.*)$", t("a11y.streamlit.limit", lang, mb="$1") + "$2"],
    ]
    cfg = {"lang": lang, "text": text, "patterns": patterns, "english": sorted(STREAMLIT_STRINGS),
           "code": t("a11y.code_region", lang), "codeN": t("a11y.code_region_n", lang),
           "chart": t("a11y.chart_region", lang), "chartN": t("a11y.chart_region_n", lang),
           "popup": t("a11y.popup_region", lang)}
    return json.dumps(cfg, ensure_ascii=False)


#: Where the page is served as Streamlit has it (`streamlit run app.py`: `<html lang="en">`;
#: `kuntamittari serve` sends the right language, `ui.served_page`), the page's own content
#: stays unpainted in fi/sv until the script has set `<html lang>`. The script element loads its
#: code lazily, and this rule, being raw-HTML Markdown, waits for a parser loaded on demand, so
#: a first heading can still be painted before it. Should the script ever fail, the content
#: appears anyway after 6 s (a slow machine needs 2-3 s to load it).
HOLD_CSS = """<style>
html[lang="en"] [data-testid="stMain"], html[lang="en"] [data-testid="stSidebarContent"] {
  visibility: hidden; animation: km-reveal 0s linear 6s forwards; }
@keyframes km-reveal { to { visibility: visible; } }
</style>"""


def hold_until_language(container: Any, lang: str) -> None:
    """Keep fi/sv content unpainted until `<html lang>` says so (see `HOLD_CSS`)."""
    if lang != "en":
        container.markdown(HOLD_CSS, unsafe_allow_html=True)


def page_support(lang: str) -> None:
    """Draw the accessibility layer for this run (call once per page run, as early as possible).

    Streamlit's sanitiser (DOMPurify) drops a script whose text contains '<' followed by a letter
    or '/', so the script must never contain one (a test checks)."""
    st.html(CSS % {"focus": FOCUS_COLOUR} + SCRIPT % {"cfg": script_config(lang)}, unsafe_allow_javascript=True)
