"""The files a static summary page links: the figures as CSV, the readout as JSON, the council
summary PDF and one SVG chart per metric, written next to the page.

Every file is made from the same collected, disclosure-controlled cells and the same readout as
the page (`readout.collect_public` once per municipality), so the page, its CSV, its JSON and its
PDF cannot disagree: a hidden value is the readout's words in each of them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from charts.public import SCREEN_YEARS, chart_alt, metric_chart
from readout.collect import Collected
from readout.export import download_names as readout_download_names
from readout.export import readout_dict, series_csv
from readout.localise import LocalisedReadout
from readout.model import AreaReadout
from reports.engine import chart_svg, render_pdf
from reports.summary import TEMPLATE, file_name, summary_document

logger = logging.getLogger(__name__)

#: Width of a chart drawing in CSS pixels; the page scales it down on narrow screens.
CHART_WIDTH = 560


@dataclass(frozen=True)
class Chart:
    """One metric's chart file (relative to the page) and its text alternative."""

    file: str
    alt: str


def summary_csv(readout: AreaReadout, lang: str, title: str) -> bytes:
    """Every published figure of the page (all years): the very file the Streamlit public page
    offers (`readout.export.series_csv`, headed by the downloads' one provenance block)."""
    return series_csv(readout, lang, title)


def summary_json(readout: AreaReadout, lang: str) -> bytes:
    """The readout's codes, numbers and words (the page's JSON download, without indentation)."""
    return json.dumps(readout_dict(readout, lang), ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                      default=str).encode("utf-8")


def council_pdf(data: Collected, readout: AreaReadout, lang: str, generated: datetime) -> bytes:
    """The council summary PDF (`reports.summary`) from the same collected cells as the page."""
    return render_pdf(TEMPLATE, summary_document(data, readout, lang, generated=generated))


def download_names(area_code: str, lang: str) -> dict[str, str]:
    """File names of a page's downloads, as the Streamlit page names them (`readout.export`, `reports.summary`)."""
    return {**readout_download_names(area_code, lang), "pdf": file_name(area_code, lang)}


def _without_aria(spec: dict[str, Any]) -> dict[str, Any]:
    """No ARIA labels inside the drawing: an `<img>` is one image to assistive technology, named
    by its `alt` text, with the figures in the table below (and the file is a third smaller)."""
    config = dict(spec.get("config") or {})
    config["aria"] = False
    for part in ("mark", "axis", "legend"):
        config[part] = {**config.get(part, {}), "aria": False}
    return {**spec, "config": config}


def write_charts(readout: AreaReadout, words: LocalisedReadout, lang: str, directory: Path) -> dict[str, Chart]:
    """One SVG per metric with something to draw (`charts.public.metric_chart`), metric id -> file."""
    charts: dict[str, Chart] = {}
    for item, text in zip(readout.metrics, words.metrics, strict=True):
        chart = metric_chart(item, lang, years=SCREEN_YEARS, width=CHART_WIDTH)
        if chart is None:
            continue
        name = f"chart-{item.metric_id}.svg"
        (directory / name).write_text(chart_svg(_without_aria(chart.to_dict(validate=False)), lang), encoding="utf-8")
        charts[item.metric_id] = Chart(name, chart_alt(item, text.name, words.area_name, lang, SCREEN_YEARS))
    return charts
