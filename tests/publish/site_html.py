"""Reading the static site back the way a visitor's browser and a spreadsheet do: links, the
`<html lang>`, headings and the accessible tables from HTML; the CSV's provenance and rows."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag

#: The municipalities of the test site: Kalajoki (a pilot municipality) and Mariehamn (a Swedish name of its own).
AREAS = ("208", "478")


class Page(HTMLParser):
    """One HTML page: lang, links (href/src), headings (level, text) and tables (caption, header, rows)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = ""
        self.links: list[str] = []
        self.headings: list[tuple[int, str]] = []
        self.tables: list[dict] = []
        self.images: list[dict[str, str]] = []
        self._text: list[str] | None = None
        self._heading = 0
        self._row: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag in ("a", "link") and "href" in a:
            self.links.append(a["href"])
        if tag == "img":
            self.links.append(a["src"])
            self.images.append(a)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._heading, self._text = int(tag[1]), []
        elif tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td", "caption"):
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6") and self._text is not None:
            self.headings.append((self._heading, "".join(self._text).strip()))
            self._text = None
        elif tag == "caption" and self._text is not None:
            self.tables[-1]["caption"] = "".join(self._text).strip()
            self._text = None
        elif tag in ("th", "td") and self._text is not None and self._row is not None:
            self._row.append("".join(self._text).strip())
            self._text = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["rows"].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def read_page(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


def local_targets(page_path: Path, page: Page) -> list[Path]:
    """Every relative link of a page resolved to the file it names (absolute URLs left out)."""
    out = []
    for href in page.links:
        target, _fragment = urldefrag(href)
        if not target or "://" in target:
            continue
        out.append((page_path.parent / target).resolve())
    return out


def read_csv(path: Path, lang: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """(provenance label -> text, rows) of a page's CSV (BOM, '#' lines, then the table)."""
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text[1:].splitlines(keepends=True)
    head = [line for line in lines if line.startswith("# ")]
    provenance = dict(line[2:].rstrip("\n").split(": ", 1) for line in head)
    body = "".join(lines[len(head):])
    rows = list(csv.DictReader(io.StringIO(body), delimiter=";" if lang in ("fi", "sv") else ","))
    return provenance, rows
