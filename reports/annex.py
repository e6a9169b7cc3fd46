"""The welfare-report indicator annex (hyvinvointikertomuksen indikaattoriliite).

For a municipality and a council term: a table per welfare theme of every indicator of the annex
list (`reports/data/welfare_annex.yaml`, shipped with its source and date), with the municipality,
its region, county and Finland at the start and the end of the term and the direction over the
term (the readout's trend rule on the term's years). The figures are the public readout's
(disclosure-controlled, the readout's formatter and words); an indicator without a catalogue
metric or without data appears as "not available" with an empty field for the municipality's
note, which is also where an indicator judged not relevant is explained. Written as PDF, DOCX
and CSV by `reports.annex_output`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from kuntamittari.i18n import normalise_language, t
from metrics.model import Theme
from readout import rules
from readout.localise import LocalisedReadout, localise, pick_text, value_text
from readout.model import HIDDEN_STATUSES, AreaReadout, MetricReadout, Point, Texts
from readout.provenance import readout_provenance
from reports.engine import ReportError
from reports.vintage import vintage

ANNEX_FILE = Path(__file__).resolve().parent / "data" / "welfare_annex.yaml"
ROLES: tuple[str, ...] = ("area", "region", "county", "finland")
#: Finnish municipal council terms (first and last calendar year).
COUNCIL_TERMS: tuple[tuple[int, int], ...] = ((2005, 2008), (2009, 2012), (2013, 2017), (2017, 2021),
                                              (2021, 2025), (2025, 2029))
TERM = re.compile(r"^\s*(\d{4})\s*[-–]\s*(\d{4})\s*$")


@dataclass(frozen=True)
class AnnexIndicator:
    """One row of the annex list."""

    id: str
    theme: str
    title: Texts
    sotkanet: int | None
    metric: str | None


@dataclass(frozen=True)
class AnnexList:
    source: dict[str, Any]
    indicators: tuple[AnnexIndicator, ...]


def _fail(path: Path, row: int | None, field: str, problem: str) -> ReportError:
    where = f"{path.name}" + (f", indicator {row}" if row is not None else "")
    return ReportError(f"{where}, field '{field}': {problem}")


def _indicator(path: Path, number: int, raw: Any, themes: set[str]) -> AnnexIndicator:
    if not isinstance(raw, dict):
        raise _fail(path, number, "-", "expected a mapping")
    ident = raw.get("id")
    if not isinstance(ident, str) or not ident:
        raise _fail(path, number, "id", "missing")
    if raw.get("theme") not in themes:
        raise _fail(path, number, "theme", f"unknown theme {raw.get('theme')!r}")
    title = raw.get("title")
    if not isinstance(title, dict) or not all(isinstance(title.get(k), str) and title[k] for k in ("fi", "sv", "en")):
        raise _fail(path, number, "title", "needs fi, sv and en")
    sotkanet = raw.get("sotkanet")
    if sotkanet is not None and not isinstance(sotkanet, int):
        raise _fail(path, number, "sotkanet", "an indicator id (integer) or null")
    metric = raw.get("metric")
    if metric is not None and not isinstance(metric, str):
        raise _fail(path, number, "metric", "a metric id or null")
    return AnnexIndicator(ident, raw["theme"], tuple((k, title[k]) for k in ("fi", "sv", "en")), sotkanet, metric)


@lru_cache(maxsize=4)
def load_annex_list(path: Path = ANNEX_FILE) -> AnnexList:
    """The annex list, validated (a bad file names its row and field)."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ReportError(f"{path.name}: cannot read the annex list: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("source"), dict) or not isinstance(doc.get("indicators"), list):
        raise _fail(path, None, "source/indicators", "expected a 'source' mapping and an 'indicators' list")
    themes = {theme.value for theme in Theme}
    indicators = tuple(_indicator(path, i, raw, themes) for i, raw in enumerate(doc["indicators"], start=1))
    seen: set[str] = set()
    for number, ind in enumerate(indicators, start=1):
        if ind.id in seen:
            raise _fail(path, number, "id", f"duplicate id {ind.id!r}")
        seen.add(ind.id)
    return AnnexList(doc["source"], indicators)


def parse_term(text: str) -> tuple[int, int]:
    """'2017-2021' -> (2017, 2021); `ReportError` for anything else."""
    match = TERM.match(text or "")
    if not match or not 0 < int(match.group(2)) - int(match.group(1)) <= 6:
        raise ReportError(f"bad council term {text!r}: expected YYYY-YYYY, e.g. 2017-2021")
    return int(match.group(1)), int(match.group(2))


def default_term(newest_year: int | None) -> tuple[int, int]:
    """The latest council term that had started by the newest data year (2009–2012 for data
    ending 2011), or the first known term when there is no data."""
    if newest_year is None:
        return COUNCIL_TERMS[0]
    started = [term for term in COUNCIL_TERMS if term[0] <= newest_year]
    return started[-1] if started else COUNCIL_TERMS[0]


def _nearest(points: Sequence[Point], year: int, term: tuple[int, int]) -> Point | None:
    """The point of `year`, a hidden one included (its words are shown); else the nearest shown
    point inside the term."""
    exact = next((p for p in points if p.year == year and p.period.isdigit()), None)
    if exact is not None and (exact.value is not None or exact.status in HIDDEN_STATUSES):
        return exact
    inside = [p for p in points if term[0] <= p.year <= term[1] and p.value is not None and p.period.isdigit()]
    return min(inside, key=lambda p: (abs(p.year - year), p.year)) if inside else None


def _cell(point: Point | None, nominal: int, decimals: int, lang: str) -> str:
    if point is None:
        return t("reports.annex.not_available", lang)
    text = value_text(point, decimals, lang)
    return text if point.year == nominal else f"{text} ({point.year})"


def _direction(item: MetricReadout, term: tuple[int, int], lang: str) -> str:
    own = item.own.points if item.own else ()
    values = [(p.year, p.value) for p in own if term[0] <= p.year <= term[1] and p.value is not None and p.period.isdigit()]
    fit = rules.judge_trend(values, item.info.direction, item.info.decimals)  # type: ignore[arg-type]
    return f"{t(f'readout.trend_symbol.{fit.verdict}', lang)} {t(f'readout.trend.{fit.verdict}', lang)}".strip()


def _row(ind: AnnexIndicator, item: MetricReadout | None, term: tuple[int, int], lang: str) -> dict[str, Any]:
    row: dict[str, Any] = {"id": ind.id, "title": pick_text(ind.title, lang), "theme": ind.theme,
                           "sotkanet": t("reports.annex.sotkanet", lang, id=ind.sotkanet) if ind.sotkanet else "",
                           "sotkanet_id": ind.sotkanet, "metric": ind.metric or "", "note": ""}
    own = item.own.points if item is not None and item.own else ()
    available = any(term[0] <= p.year <= term[1] and (p.value is not None or p.status in HIDDEN_STATUSES) for p in own)
    row["available"] = available
    if item is None or not available:
        missing = t("reports.annex.not_available", lang)
        row.update(values=[[missing, missing] for _ in ROLES], direction="", unit="",
                   note_hint=t("reports.annex.missing_note", lang))
        return row
    series = {s.area.role: s.points for s in item.series}
    row["values"] = [[_cell(_nearest(series.get(role, ()), year, term), year, item.info.decimals, lang) for year in term]
                     for role in ROLES]
    row.update(direction=_direction(item, term, lang), unit=pick_text(item.info.unit, lang), note_hint="")
    return row


def _levels(words: LocalisedReadout) -> list[str]:
    names = dict(words.level_names)
    return [names.get(role) or t(f"readout.group.{role}", words.lang) for role in ROLES]


def annex_document(data: Any, readout: AreaReadout, term: tuple[int, int] | None, lang: str, *,
                   annex: AnnexList | None = None, generated: datetime | None = None) -> dict[str, Any]:
    """Everything the PDF, DOCX and CSV writers print, as finished strings."""
    lang = normalise_language(lang)
    annex = annex or load_annex_list()
    words = localise(readout, lang)
    newest = int(readout.data_period[:4]) if readout.data_period else None
    chosen = term or default_term(newest)
    by_id = {m.metric_id: m for m in readout.metrics}
    themes: dict[str, dict[str, Any]] = {}
    for ind in annex.indicators:
        theme = themes.setdefault(ind.theme, {"name": t(f"metrics.theme.{ind.theme}", lang), "rows": []})
        theme["rows"].append(_row(ind, by_id.get(ind.metric) if ind.metric else None, chosen, lang))
    levels = _levels(words)
    term_text = f"{chosen[0]}–{chosen[1]}"
    src = annex.source
    return {
        "lang": lang,
        "title": t("reports.annex.title", lang, area=words.area_name),
        "area_code": words.area_code, "area_name": words.area_name, "term": list(chosen),
        "subtitle": t("reports.annex.subtitle", lang, term=term_text, start=chosen[0], end=chosen[1],
                      levels=", ".join(levels)),
        "term_default": t("reports.annex.term_default", lang, term=term_text, newest=newest or "–") if term is None else "",
        "term_note": t("reports.annex.term_note", lang),
        "hint": t("reports.annex.not_relevant_hint", lang),
        "list_source": t("reports.annex.list_source", lang, title=src.get("title", ""), publisher=src.get("publisher", ""),
                         date=src.get("date", ""), url=src.get("url", ""),
                         status=(src.get("status") or {}).get(lang, "")),
        "levels": levels,
        "columns": {"indicator": t("reports.annex.col_indicator", lang), "start": t("reports.annex.col_start", lang),
                    "end": t("reports.annex.col_end", lang), "direction": t("reports.annex.col_direction", lang),
                    "note": t("reports.annex.col_note", lang)},
        "themes": list(themes.values()),
        "count": len(annex.indicators),
        "vintage": vintage(data, readout, lang, generated or datetime.now(UTC)),
        "provenance": readout_provenance(readout, t("reports.annex.title", lang, area=words.area_name)).lines(lang),
    }
