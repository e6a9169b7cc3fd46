"""The monthly report of a municipality: an internal document, marked so on every page.

What changed this month (the change digest, `reports.changes`), the metrics most worth a look,
every approved metric with its trend and its comparison with the region, county and Finland (the
internal readout: unsuppressed values), and forecasts with their intervals (`reports.forecasts`).
`monthly_for_group` writes one PDF per municipality of a group (the pilot group, a region or
county code, or a list of codes); `alert_attachment` gives the PDF for an alert e-mail.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from kuntamittari.i18n import normalise_language, t
from kuntamittari.settings import get_settings
from metrics import service
from metrics.catalog import Catalog
from readout.build import PUBLIC_COMPARISONS
from readout.collect import Collected, collect
from readout.formatting import format_period
from readout.localise import localise
from readout.model import AreaReadout
from reports.changes import changes_section, month_code
from reports.engine import ReportError, render_pdf
from reports.forecasts import forecast_section
from reports.summary import MUNICIPALITY, metrics_table, municipality_readout, public_metrics
from reports.vintage import vintage

logger = logging.getLogger(__name__)

TEMPLATE = "monthly.typ"
MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(text: str) -> tuple[int, int]:
    """'2026-11' -> (2026, 11); `ReportError` for anything else."""
    match = MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ReportError(f"bad month {text!r}: expected YYYY-MM")
    return int(match.group(1)), int(match.group(2))


def internal_data(engine: Engine, catalog: Catalog, area_code: str) -> tuple[Collected, AreaReadout]:
    """The internal readout (no disclosure control) of a municipality and its collected rows."""
    return municipality_readout(
        lambda: collect(engine, catalog, public_metrics(catalog), area_code, compare_with=PUBLIC_COMPARISONS,
                        audience="internal", with_parts=False), catalog, area_code)


def _attention(readout: AreaReadout, lang: str) -> dict[str, Any]:
    words = localise(readout, lang)
    items = [{"name": w.name, "value": f"{w.value_with_unit} ({w.period})" if w.has_value else w.status_text,
              "reasons": ", ".join(w.attention)} for m, w in zip(readout.metrics, words.metrics, strict=True) if w.attention]
    return {"heading": t("reports.monthly.attention_heading", lang), "empty": t("reports.monthly.no_attention", lang),
            "items": items}


def monthly_document(engine: Engine, catalog: Catalog, data: Collected, readout: AreaReadout, year: int, month: int,
                     lang: str, *, generated: datetime | None = None, with_forecasts: bool = True) -> dict[str, Any]:
    """The JSON document of the monthly report template."""
    lang = normalise_language(lang)
    words = localise(readout, lang)
    pairs = list(zip(readout.metrics, words.metrics, strict=True))
    table = metrics_table(pairs, words, lang)
    table["heading"] = t("reports.monthly.metrics_heading", lang)
    label = format_period(month_code(year, month), lang)
    return {
        "lang": lang,
        "title": t("reports.monthly.title", lang, area=words.area_name, month=label),
        "mark": t("reports.monthly.mark", lang),
        "subtitle": t("reports.monthly.subtitle", lang, code=words.area_code),
        "headline": list(words.headline),
        "changes": changes_section(engine, catalog, readout.area.code, year, month, lang),
        "attention": _attention(readout, lang),
        "table": table,
        "forecasts": forecast_section(engine, catalog, readout, lang) if with_forecasts else None,
        "vintage": vintage(data, readout, lang, generated or datetime.now(UTC)),
    }


def monthly_pdf(engine: Engine, catalog: Catalog, area_code: str, year: int, month: int, lang: str) -> bytes:
    """The monthly report of one municipality as PDF bytes."""
    data, readout = internal_data(engine, catalog, area_code)
    return render_pdf(TEMPLATE, monthly_document(engine, catalog, data, readout, year, month, lang))


def file_name(area_code: str, year: int, month: int, lang: str) -> str:
    return f"{t('reports.monthly.file_stem', lang)}_{area_code}_{year:04d}-{month:02d}_{lang}.pdf"


def group_members(engine: Engine, group: str) -> list[str]:
    """Municipality codes of a group: 'pilot', a region or county code (its municipalities), or
    comma-separated codes. `ReportError` when nothing matches."""
    areas = service.list_areas(engine)
    munis = areas[areas["area_type"] == MUNICIPALITY].drop_duplicates("code", keep="last")
    key = group.strip()
    if key.lower() == "pilot":
        wanted = [c for c in get_settings().pilot_group if c in set(munis["code"])]
    elif key in set(munis["region_code"].dropna()) | set(munis["county_code"].dropna()):
        wanted = sorted(munis[(munis["region_code"] == key) | (munis["county_code"] == key)]["code"])
    else:
        codes = [service.normalise_area_code(c.strip()) for c in key.split(",") if c.strip()]
        wanted = [c for c in codes if c in set(munis["code"])]
        if len(wanted) != len(codes):
            wanted = []
    if not wanted:
        raise ReportError(f"unknown group {group!r}")
    return wanted


@dataclass(frozen=True)
class Written:
    """One report written: the municipality, the file (None if it failed) and the time taken."""

    area_code: str
    path: Path | None
    seconds: float
    error: str | None = None


def monthly_for_group(engine: Engine, catalog: Catalog, codes: Sequence[str], year: int, month: int, lang: str,
                      out_dir: Path, on_done: Callable[[Written], None] | None = None) -> list[Written]:
    """One PDF per municipality into `out_dir`; a municipality that fails is reported, the rest go on."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for code in codes:
        start = time.perf_counter()
        try:
            pdf = monthly_pdf(engine, catalog, code, year, month, lang)
            path = out_dir / file_name(code, year, month, lang)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(pdf)
            tmp.replace(path)  # never a half-written report under the final name
            result = Written(code, path, time.perf_counter() - start)
        except ReportError as exc:
            logger.warning("monthly report %s failed: %s", code, exc)
            result = Written(code, None, time.perf_counter() - start, str(exc))
        written.append(result)
        if on_done:
            on_done(result)
    return written


def alert_attachments(engine: Engine, catalog: Catalog, *, now: Callable[[], datetime] | None = None
                      ) -> Callable[[Any, Sequence[str]], list[Any]]:
    """An attachment provider for `alerts.send.send_alerts`: the current month's report of each
    municipality the e-mail is about, in the subscriber's language."""
    from alerts.message import Attachment

    def provide(sub: Any, areas: Sequence[str]) -> list[Any]:
        when = (now or (lambda: datetime.now(UTC)))()
        return [Attachment(file_name(code, when.year, when.month, sub.language),
                           monthly_pdf(engine, catalog, code, when.year, when.month, sub.language)) for code in areas]

    return provide
