"""A hostile metric text on the pages that show it: no image, no HTML and no link reaches the reader.

An approved metric of the small star schema gets a description, a "why it matters" and caveats
holding an image on a local address, raw HTML, a `javascript:` link and a plain `http:` link, and a
name with an image and HTML. The public summary (public app) and the metric page are run in
AppTest; every Markdown body they draw is parsed as CommonMark with raw HTML switched on (the
worst a renderer could do) and every HTML body is searched, so nothing of the markup can be
rendered, while the safe subset (bold) and the words stay.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from metrics.catalog import load_catalog
from ui.a11y import HOLD_CSS

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120
HOST = "127.0.0.1:8765"
HOSTILE = (f"**Tärkeä** mittari. ![seuranta](http://{HOST}/x.png) <img src=http://{HOST}/y.png> "
           f"<script>alert(1)</script> [huijaus](javascript:alert(1)) [vanha](http://{HOST}/z)")


def _hostile_metric(text: str) -> str:
    """The small schema's rate metric with hostile texts in every language."""
    for field in ("description", "why_it_matters"):
        start = text.index(f"{field}: ")
        end = text.index("\n", start)
        text = text[:start] + f"{field}: {{fi: '{HOSTILE}', sv: '{HOSTILE}', en: '{HOSTILE}'}}" + text[end:]
    name = f"Pienet <b>tapaukset</b> ![n](http://{HOST}/n.png)"
    start = text.index("name: ")
    text = text[:start] + f"name: {{fi: '{name}', sv: '{name}', en: '{name}'}}" + text[text.index("\n", start):]
    return text + f"caveats: {{fi: '{HOSTILE}', sv: '{HOSTILE}', en: '{HOSTILE}'}}\n"


@pytest.fixture
def hostile_env(small_engine: Engine, small_metrics_dir: Path, settings_env: Callable[..., None]) -> None:
    path = small_metrics_dir / "health" / "small_case_rate.yaml"
    path.write_text(_hostile_metric(path.read_text(encoding="utf-8")), encoding="utf-8")
    settings_env(DATABASE_URL=small_engine.url.render_as_string(hide_password=False), METRICS_DIR=small_metrics_dir,
                 AUTH_MODE="none", PUBLIC_ONLY=None)
    catalog = load_catalog(small_metrics_dir)
    assert not catalog.errors, [i.render() for i in catalog.errors]
    assert catalog.get("small_case_rate").status.value == "approved"


def _markdown_bodies(at: AppTest) -> list[str]:
    bodies: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error"):
        bodies += [str(e.value) for e in at.get(kind)]
    return bodies


def _assert_nothing_renders(at: AppTest) -> str:
    """Every Markdown body parsed as a renderer would (raw HTML on): no image, no HTML, no link to
    the hostile addresses; returns all the text for further checks."""
    parser = MarkdownIt("commonmark", {"html": True})
    bodies = _markdown_bodies(at)
    for body in bodies:
        if body == HOLD_CSS:  # the page's own style (ui.a11y: content waits for <html lang>)
            continue
        if "km-noprint" in body or 'role="img"' in body:  # the page's own HTML (print link, sparkline)
            assert HOST not in body and "<img" not in body and "javascript" not in body.lower()
            continue
        tokens = parser.parse(body)
        inline = [c for t in tokens if t.type == "inline" for c in t.children or []]
        assert not [c.content for c in inline if c.type in ("image", "html_inline")], body
        assert not [t.content for t in tokens if t.type == "html_block"], body
        hrefs = [str(c.attrGet("href")) for c in inline if c.type == "link_open"]
        assert not [h for h in hrefs if HOST in h or h.lower().startswith("javascript")], body
        assert f"http://{HOST}" not in body, body  # a bare address would become a link (GFM autolinks)
    html = [e.proto.body for e in at.get("html")]
    for body in html:
        # the page's own HTML (a language script, CSS, tables) is there; nothing of the metric's markup
        assert "<img" not in body and "alert(1)</script>" not in body and "javascript:" not in body and HOST not in body, body
    return "\n".join(bodies + html)


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_public_summary_shows_no_markup_from_a_metric_text(hostile_env: None, lang: str) -> None:
    at = AppTest.from_file(str(ROOT / "public_app.py"), default_timeout=TIMEOUT)
    at.query_params["area"] = "208"
    at.query_params["lang"] = lang
    at.query_params["theme"] = "health"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = _assert_nothing_renders(at)
    assert "**Tärkeä**" in text  # the safe subset stays
    assert "seuranta" in text and "huijaus" in text  # an image and a link become their words
    assert any("Pienet" in s.value and "tapaukset" in s.value for s in at.header)


def test_metric_page_shows_no_markup_from_a_metric_text(hostile_env: None) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "metric_detail.py"), default_timeout=TIMEOUT)
    at.query_params["metric"] = "small_case_rate"
    at.query_params["area"] = "208"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = _assert_nothing_renders(at)
    assert "**Tärkeä**" in text and "seuranta" in text
    # description, why it matters and caveats: each drawn once, all through the same renderer
    assert sum("Tärkeä" in body for body in _markdown_bodies(at)) == 3
