"""The PDF engine: Typst templates filled with a JSON document, charts as SVG from vl-convert.

Every report is a Typst template under `reports/templates/` that reads one JSON document
(`sys.inputs.data`) holding only finished strings (the readout's words and figures) and chart
SVGs. The template lays them out; it never computes or formats a number. So the numbers in a PDF
are the ones the pages show, and a template can be changed without touching the Python.

Fonts: the bundled DejaVu Sans (`reports/fonts/`, Bitstream Vera licence, see LICENSE_DEJAVU)
has every Finnish and Swedish letter and the readout's symbols (▲ ▼ ● ↗ ↘ →); system fonts are
ignored so a report looks the same on every machine. Charts are measured and drawn with the
same font (vl-convert registers the directory once per process).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
FONTS = HERE / "fonts"
FONT_FAMILY = "DejaVu Sans"
#: d3-format locales for chart numbers, so an axis reads 12 345,6 in fi/sv.
FORMAT_LOCALES = {"fi": "fi-FI", "sv": "sv-SE", "en": "en-US"}

_fonts_registered = False
_lock = threading.Lock()


class ReportError(RuntimeError):
    """A report cannot be produced (unknown area, bad term, the engine failed)."""


def _vl() -> Any:
    """vl-convert with the bundled fonts registered (once per process)."""
    global _fonts_registered
    import vl_convert

    with _lock:
        if not _fonts_registered:
            vl_convert.register_font_directory(str(FONTS))
            _fonts_registered = True
    return vl_convert


def chart_svg(spec: Mapping[str, Any], lang: str) -> str:
    """A Vega-Lite spec (a `charts.specs` dict) as an SVG string, numbers in the language's format."""
    spec = dict(spec)
    config = dict(spec.get("config") or {})
    config["font"] = FONT_FAMILY
    spec["config"] = config
    return str(_vl().vegalite_to_svg(spec, format_locale=FORMAT_LOCALES.get(lang, "fi-FI")))


def _compile(template: str, document: Mapping[str, Any], fmt: str | None = None, ppi: float | None = None) -> Any:
    import typst

    path = TEMPLATES / template
    if not path.is_file():
        raise ReportError(f"no report template {template}")
    data = json.dumps(document, ensure_ascii=False)
    try:
        return typst.compile(str(path), root=str(TEMPLATES), font_paths=[str(FONTS)], ignore_system_fonts=True,
                             sys_inputs={"data": data}, format=fmt, ppi=ppi)
    except typst.TypstError as exc:  # a template or data error: the message names the template line
        logger.error("typst failed on %s: %s", template, exc)
        raise ReportError(f"the report could not be typeset ({template}): {exc}") from exc


def render_pdf(template: str, document: Mapping[str, Any]) -> bytes:
    """The PDF of `document` laid out by `template` (a file under `reports/templates/`)."""
    return bytes(_compile(template, document))


def render_png(template: str, document: Mapping[str, Any], *, page: int = 1, ppi: float = 60.0) -> bytes:
    """One page of the same document as a PNG (the README's thumbnail)."""
    out = _compile(template, document, fmt="png", ppi=ppi)
    pages = out if isinstance(out, list) else [out]
    if not 1 <= page <= len(pages):
        raise ReportError(f"the report has {len(pages)} pages, not {page}")
    return bytes(pages[page - 1])
