"""Metric texts (name, unit, description, why it matters, caveats, approximation note) as plain
text with a small safe subset, rendered the same way on every surface.

Texts come from metric files that people write and the public reads, so they are never passed to
a Markdown or HTML renderer as they are: `![x](http://host/x.png)` would make every visitor's
browser call that host, and raw HTML could do worse. One parse (markdown-it-py, CommonMark with
raw HTML off) allows **bold**, *italics*, bullet and numbered lists, paragraphs, line breaks and
links to `https://` addresses; everything else is kept as the text it is:

- an image becomes its description (alt text), never a request;
- a link to anything but https (http, javascript:, mailto:, relative) becomes its text;
- HTML tags, headings, code, tables, block quotes are not recognised: their characters are shown.

The same parse feeds three outputs, so every surface shows the same words: `render_html` (pages
drawing HTML, printouts, a static site), `render_markdown` (a re-written Markdown that only
contains the subset, with every other Markdown character escaped, for `st.markdown`) and
`plain_text` (CSV, JSON, charts, widget labels, alt texts, e-mail subjects). No Streamlit, no I/O.

A metric's texts are picked in the reader's language and rendered in one call, so a surface never
handles the raw catalogue text: `text_plain(metric.name, lang)` for a label or a download,
`text_markdown(metric.description, lang)` for a paragraph drawn with `st.markdown`,
`text_inline(metric.name, lang)` for a name inside a Markdown line (bold, a list item), and
`render_html(pick_text(metric.caveats, lang))` for HTML. Words that the readout composed around a
plain name (sentences, table cells) go into Markdown through `escape_markdown`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

#: Longest text rendered (characters): a metric text is a few sentences.
MAX_TEXT_CHARS = 10_000
_SAFE_SCHEME = "https://"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&^=])")
_OPENS_NUMBERED = re.compile(r"^\d+\. ")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "zero" has every rule off; only the subset's rules are switched on.
    return MarkdownIt("zero", {"html": False, "linkify": False, "typographer": False}).enable(
        ["emphasis", "list", "link", "image", "newline", "escape", "entity"]
    )


def _safe_href(token: Token) -> str | None:
    href = str(token.attrGet("href") or "")
    return href if href.lower().startswith(_SAFE_SCHEME) and len(href) <= 2000 else None


def _tokens(text: str | None) -> list[Token]:
    return _parser().parse((text or "")[:MAX_TEXT_CHARS])


def _inline_html(children: Sequence[Token]) -> str:
    out: list[str] = []
    links: list[bool] = []  # per open link: whether it is rendered as a link
    for token in children:
        kind = token.type
        if kind == "text":
            out.append(html.escape(token.content))
        elif kind in ("softbreak", "hardbreak"):
            out.append("<br>")
        elif kind in ("strong_open", "strong_close", "em_open", "em_close"):
            tag = "strong" if kind.startswith("strong") else "em"
            out.append(f"<{tag}>" if kind.endswith("open") else f"</{tag}>")
        elif kind == "link_open":
            href = _safe_href(token)
            links.append(href is not None)
            if href is not None:
                out.append(f'<a href="{html.escape(href, quote=True)}" rel="nofollow noopener noreferrer" target="_blank">')
        elif kind == "link_close":
            if links and links.pop():
                out.append("</a>")
        elif kind == "image":
            out.append(html.escape(token.content or "".join(c.content for c in token.children or [])))
        else:  # anything the subset does not know is shown as the characters it was written with
            out.append(html.escape(token.content))
    return "".join(out)


def render_html(text: str | None) -> str:
    """The text as HTML of the safe subset (<p>, <strong>, <em>, <ul>/<ol>/<li>, <br>, https <a>)."""
    out: list[str] = []
    for token in _tokens(text):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            out.append("<ul>" if kind.startswith("bullet") else "<ol>")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            out.append("</ul>" if kind.startswith("bullet") else "</ol>")
        elif kind == "list_item_open":
            out.append("<li>")
        elif kind == "list_item_close":
            out.append("</li>")
        elif kind == "paragraph_open" and not token.hidden:
            out.append("<p>")
        elif kind == "paragraph_close" and not token.hidden:
            out.append("</p>")
        elif kind == "inline":
            out.append(_inline_html(token.children or []))
    return "".join(out)


def escape_markdown(text: str) -> str:
    """Plain text made literal for a Markdown renderer: every special character backslash-escaped
    (no emphasis, link, image, HTML, heading, math or Streamlit directive can come from it)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _inline_markdown(children: Sequence[Token]) -> str:
    out: list[str] = []
    links: list[str | None] = []
    for token in children:
        kind = token.type
        if kind == "text":
            out.append(escape_markdown(token.content))
        elif kind == "softbreak":
            out.append("\n")
        elif kind == "hardbreak":
            out.append("  \n")
        elif kind in ("strong_open", "strong_close"):
            out.append("**")
        elif kind in ("em_open", "em_close"):
            out.append("*")
        elif kind == "link_open":
            href = _safe_href(token)
            links.append(href)
            if href is not None:
                out.append("[")
        elif kind == "link_close":
            href = links.pop() if links else None
            if href is not None:
                out.append(f"](<{href.replace('<', '%3C').replace('>', '%3E').replace(' ', '%20')}>)")
        elif kind == "image":
            out.append(escape_markdown(token.content or "".join(c.content for c in token.children or [])))
        else:
            out.append(escape_markdown(token.content))
    return "".join(out)


def render_markdown(text: str | None) -> str:
    """The text re-written as Markdown holding only the safe subset (every other special character escaped)."""
    blocks: list[str] = []
    prefixes: list[str] = []  # one per open list: "- " or a number
    numbers: list[int] = []
    for token in _tokens(text):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            prefixes.append("- " if kind.startswith("bullet") else "1. ")
            numbers.append(int(token.attrGet("start") or 1))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            prefixes.pop()
            numbers.pop()
        elif kind == "inline":
            body = _inline_markdown(token.children or [])
            if prefixes:
                indent = "   " * (len(prefixes) - 1)
                marker = "- " if prefixes[-1] == "- " else f"{numbers[-1]}. "
                if prefixes[-1] != "- ":
                    numbers[-1] += 1
                blocks.append(indent + marker + body.replace("\n", "\n" + indent + "   "))
            else:
                blocks.append(body)
    return "\n\n".join(blocks)


def plain_text(text: str | None) -> str:
    """The words only: no markup, links as their text, images as their description; a list item
    keeps its marker ("- ", "1. "), so "2013. vuonna ..." stays what it says."""
    parts: list[str] = []
    markers: list[int | None] = []  # per open list: the next number, or None for bullets
    for token in _tokens(text):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            markers.append(None if kind.startswith("bullet") else int(token.attrGet("start") or 1))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            markers.pop()
        elif kind == "inline":
            words = []
            for child in token.children or []:
                if child.type in ("softbreak", "hardbreak"):
                    words.append(" ")
                elif child.type in ("text", "image"):
                    words.append(child.content)
            line = "".join(words).strip()
            if markers:
                number = markers[-1]
                line = f"{'- ' if number is None else f'{number}. '}{line}"
                if number is not None:
                    markers[-1] = number + 1
            parts.append(line)
    return "\n".join(p for p in parts if p)


Localised = Mapping[str, str] | Sequence[tuple[str, str]] | str | None


def pick_text(values: Localised | Any, lang: str) -> str:
    """The raw text in `lang`, else Finnish, else any: from the catalogue's texts (anything with
    `as_dict()`), the readout's `(lang, text)` tuples, a mapping, or one string."""
    if values is None:
        return ""
    if isinstance(values, str):
        return values
    if hasattr(values, "as_dict"):
        values = values.as_dict()
    mapping = dict(values)
    return mapping.get(lang) or mapping.get("fi") or next(iter(mapping.values()), "")


def text_plain(values: Localised | Any, lang: str) -> str:
    """A metric text in `lang` as plain words (labels, chart titles, CSV and JSON, alt texts)."""
    return plain_text(pick_text(values, lang))


def text_inline(values: Localised | Any, lang: str) -> str:
    """A metric text in `lang` on one Markdown line (a name in bold, a unit beside a figure)."""
    return escape_markdown(" ".join(plain_text(pick_text(values, lang)).split()))


def text_markdown(values: Localised | Any, lang: str) -> str:
    """A metric text in `lang` as safe Markdown blocks (a description drawn with `st.markdown`)."""
    return render_markdown(pick_text(values, lang))


def labelled_markdown(label: str, body: str) -> str:
    """'**Label:** text' for a rendered metric text (`text_markdown`); a text that opens with a
    list starts on its own line, so the list stays a list."""
    head = f"**{escape_markdown(label)}**"
    if not body:
        return ""
    opens_list = body.startswith("- ") or _OPENS_NUMBERED.match(body) is not None
    return f"{head}\n\n{body}" if opens_list else f"{head} {body}"
