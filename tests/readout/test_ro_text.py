"""Metric texts: the safe subset renders, everything else stays text; an image makes no request;
a text picked in the reader's language reaches every output through the same parse."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from markdown_it import MarkdownIt

from readout.text import (
    escape_markdown,
    labelled_markdown,
    pick_text,
    plain_text,
    render_html,
    render_markdown,
    text_inline,
    text_markdown,
    text_plain,
)

HOSTILE = (
    "**Tärkeä** ja *kursiivi*. Lähde: [THL](https://thl.fi/x?a=1&b=2), [huijaus](http://evil.example/x) "
    "[js](javascript:alert(1)) ![seuranta](http://{host}/x.png) <img src=http://{host}/y.png> "
    "<script>alert(1)</script>\n\n- yksi\n- **kaksi**\n\n1. eka\n2. toka"
)


def test_the_subset_renders_and_the_rest_is_text() -> None:
    html = render_html(HOSTILE.format(host="127.0.0.1:1"))
    assert "<strong>Tärkeä</strong>" in html and "<em>kursiivi</em>" in html
    assert '<a href="https://thl.fi/x?a=1&amp;b=2" rel="nofollow noopener noreferrer" target="_blank">THL</a>' in html
    assert "<ul><li>yksi</li><li><strong>kaksi</strong></li></ul><ol><li>eka</li><li>toka</li></ol>" in html
    assert "<img" not in html and "<script" not in html and "evil.example" not in html
    assert "&lt;script&gt;" in html and "seuranta" in html and "huijaus" in html
    assert "href" not in html.replace('href="https://thl.fi', "")


def test_markdown_output_holds_only_the_subset() -> None:
    text = render_markdown(HOSTILE.format(host="127.0.0.1:1"))
    tokens = MarkdownIt("commonmark").parse(text)  # what st.markdown's CommonMark would see
    inline = [c for t in tokens if t.type == "inline" for c in t.children or []]
    assert not [c for c in inline if c.type in ("image", "html_inline")]
    assert not [t for t in tokens if t.type in ("html_block", "heading_open", "fence", "code_block")]
    links = [c.attrGet("href") for c in inline if c.type == "link_open"]
    assert links == ["https://thl.fi/x?a=1&b=2"]
    assert [t.type for t in tokens if t.type.endswith("list_open")] == ["bullet_list_open", "ordered_list_open"]
    assert render_markdown(":red[x] $x$ # otsikko") == "\\:red\\[x\\] \\$x\\$ \\# otsikko"


def test_plain_text_keeps_the_words() -> None:
    assert plain_text("**Lihava** [linkki](https://a.fi) ja ![kuva](http://b/x.png)") == "Lihava linkki ja kuva"
    assert plain_text(None) == "" and render_html("") == ""
    # a list keeps its markers, so a text opening with a year is not cut short
    assert plain_text("2013. vuonna muuttui") == "2013. vuonna muuttui"
    assert plain_text("Huom:\n\n- yksi\n- kaksi\n\n3. kolme") == "Huom:\n- yksi\n- kaksi\n3. kolme"


def _commonmark(text: str) -> tuple[list, list]:
    tokens = MarkdownIt("commonmark").parse(text)
    return tokens, [c for t in tokens if t.type == "inline" for c in t.children or []]


def test_a_metric_text_is_picked_and_rendered_in_the_readers_language() -> None:
    class Catalogue:  # the catalogue's texts expose as_dict(), as metrics.model.Texts does
        def as_dict(self) -> dict[str, str]:
            return {"fi": "**Työttömät** ![x](http://127.0.0.1:1/x.png)", "en": "*Unemployed* <b>now</b>"}

    texts = Catalogue()
    assert text_plain(texts, "fi") == "Työttömät x" and text_plain(texts, "en") == "Unemployed <b>now</b>"
    assert text_plain(texts, "sv") == "Työttömät x"  # Finnish where Swedish is missing
    assert text_plain((("fi", "Nimi"),), "en") == "Nimi" and text_plain({"sv": "Namn"}, "sv") == "Namn"
    assert render_html(pick_text(texts, "en")) == "<p><em>Unemployed</em> &lt;b&gt;now&lt;/b&gt;</p>"
    assert text_markdown(texts, "fi") == "**Työttömät** x"
    # a name inside a Markdown line: one line, every character literal, nothing rendered
    inline = text_inline({"fi": "Nimi ![i](http://h/i.png) [js](javascript:alert(1)) <img src=x>\n\n- lista"}, "fi")
    tokens, children = _commonmark(f"**{inline}**")
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    assert not [c for c in children if c.type in ("image", "link_open", "html_inline")]
    assert escape_markdown("a.b") == "a\\.b"


def test_a_label_before_a_text_keeps_its_list() -> None:
    listed = labelled_markdown("Huomioitavaa:", text_markdown({"fi": "- yksi\n- kaksi"}, "fi"))
    assert listed == "**Huomioitavaa\\:**\n\n- yksi\n\n- kaksi"
    tokens, _ = _commonmark(listed)
    assert [t.type for t in tokens if t.type.endswith("list_open")] == ["bullet_list_open"]
    assert labelled_markdown("Miksi:", text_markdown({"fi": "Koska."}, "fi")) == "**Miksi\\:** Koska\\."
    assert labelled_markdown("Miksi:", "") == ""


@pytest.fixture
def counting_server() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on 127.0.0.1 that records every path asked for."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
def test_an_image_in_a_metric_text_makes_no_request(browser_page, counting_server) -> None:  # type: ignore[no-untyped-def]
    host, seen = counting_server
    text = HOSTILE.format(host=host)
    # Rendered as an ordinary Markdown renderer would, the image is fetched: the check can fail.
    browser_page.set_content(MarkdownIt("commonmark", {"html": True}).render(text))
    browser_page.wait_for_load_state("networkidle")
    assert seen, "the unsafe rendering should have fetched the image"
    seen.clear()
    browser_page.set_content(f"<html><body>{render_html(text)}</body></html>")
    browser_page.wait_for_load_state("networkidle")
    assert seen == []
