"""The council summary (kuntakatsaus) as a compact A4 PDF in fi, sv or en.

It reads the public readout exactly as the public page does: approved metrics only, compared
with the region, county and Finland, male/female parts, and every cell disclosure-controlled
together (`readout.build.collect_public` -> `disclose_table`). Every figure and word comes from
`readout.localise` (a hidden value is the readout's words, "too few to publish"); this module
only chooses what goes where. Page 1 is the two-minute read (what improved, what worsened, the
standing against the region, county and Finland, what the targets say); then one table of every
metric by theme; then small multiples; the data vintage is in the footer of every page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from charts.lines import LEVELS, level_styles
from kuntamittari.i18n import normalise_language, t
from metrics.catalog import Catalog
from readout.build import collect_public, readout_from_collected
from readout.collect import Collected
from readout.formatting import format_period, with_unit
from readout.localise import LocalisedReadout, MetricText, localise, pick_text, rule_figures, value_text
from readout.model import AreaReadout, MetricReadout, Point
from readout.tables import LEVEL_ROLES
from reports.charts import small_multiple
from reports.engine import ReportError, chart_svg, render_pdf, render_png
from reports.vintage import vintage

TEMPLATE = "summary.typ"
MUNICIPALITY = "kunta"
DASH_NAMES = {"area": "solid", "region": "dashed", "county": "dotted", "finland": "dash-dotted"}
VERDICT_COLUMNS = ("better", "same", "worse")


def public_metrics(catalog: Catalog) -> list[Any]:
    """The metrics of every public surface: approved ones, in theme order."""
    return [m for ms in catalog.by_theme(include_drafts=False).values() for m in ms]


def municipality_readout(collect_rows: Callable[[], Collected], catalog: Catalog, area_code: str
                         ) -> tuple[Collected, AreaReadout]:
    """The collected rows and the readout of a municipality (`ReportError` for an unknown area or
    anything but a municipality): the step the public and the internal reports share."""
    from readout.build import ReadoutError

    try:
        data = collect_rows()
    except ReadoutError as exc:
        raise ReportError(str(exc)) from exc
    readout = readout_from_collected(data, public_metrics(catalog))
    if readout.area.area_type != MUNICIPALITY:
        raise ReportError(f"not a municipality: {area_code}")
    return data, readout


def public_summary_data(engine: Engine, catalog: Catalog, area_code: str) -> tuple[Collected, AreaReadout]:
    """The public page's cells and readout of a municipality."""
    return municipality_readout(lambda: collect_public(engine, catalog, area_code), catalog, area_code)


def _with_unit(point: Point | None, item: MetricReadout, lang: str) -> str:
    shown = value_text(point, item.info.decimals, lang)
    if point is None or point.value is None:
        return shown
    return with_unit(shown, pick_text(item.info.unit, lang), lang)


def _change(item: MetricReadout, lang: str) -> str:
    """'9,4 % (2006) → 8,0 % (2011)': the trend's two ends as the readout's sentence gives them."""
    trend = item.trend
    if trend.start is None or trend.end is None:
        return ""
    return (f"{_with_unit(trend.start, item, lang)} ({format_period(trend.start.period, lang)}) → "
            f"{_with_unit(trend.end, item, lang)} ({format_period(trend.end.period, lang)})")


def _trend_items(pairs: Sequence[tuple[MetricReadout, MetricText]], verdict: str, lang: str) -> list[dict[str, str]]:
    return [{"name": w.name, "symbol": w.trend_symbol, "change": _change(m, lang)}
            for m, w in pairs if w.trend == verdict]


def _standing(readout: AreaReadout, words: LocalisedReadout, lang: str) -> dict[str, Any]:
    """How many metrics are better, at the same level or worse than each comparison area."""
    names = dict(words.level_names)
    columns = [t("public.col_area", lang)] + [f"{t(f'readout.comparison_symbol.{v}', lang)} {t(f'readout.comparison.{v}', lang)}"
                                             for v in VERDICT_COLUMNS] + [t("reports.summary.standing_other", lang)]
    rows = []
    for role in LEVEL_ROLES:
        if role not in names:
            continue
        verdicts = [c.verdict for m in readout.metrics if (c := m.comparison(role)) is not None]
        counts = [sum(1 for v in verdicts if v == wanted) for wanted in VERDICT_COLUMNS]
        rows.append([names[role], *(str(c) for c in counts), str(len(readout.metrics) - sum(counts))])
    return {"heading": t("public.comparison_heading", lang), "columns": columns, "rows": rows,
            "note": t("reports.summary.standing_note", lang, count=len(readout.metrics))}


def _targets(pairs: Sequence[tuple[MetricReadout, MetricText]], lang: str) -> dict[str, Any]:
    chosen = [(m, w) for m, w in pairs if m.target.verdict != "no_target"]
    chosen.sort(key=lambda p: p[0].target.verdict != "off_target")  # off target first
    return {"heading": t("reports.summary.targets_heading", lang), "empty": t("reports.summary.no_targets", lang),
            "items": [{"name": w.name, "label": f"{w.value_with_unit} ({w.period}): {w.target_label}"} for m, w in chosen]}


def _parts(item: MetricReadout, lang: str) -> str:
    """The latest period's men / women figures (the readout's words for a hidden one)."""
    if not item.parts or item.latest is None:
        return ""
    shown = []
    for gender in ("male", "female"):
        series = next((s for s in item.parts if s.gender == gender), None)
        point = next((p for p in series.points if p.period == item.latest.period), None) if series else None
        shown.append(value_text(point, item.info.decimals, lang))
    return " / ".join(shown)


def _comparison_cell(item: MetricReadout, words: MetricText, role: str) -> str:
    """The comparison area's figure as the page's table shows it (a partial figure with its
    coverage), followed by the verdict's symbol."""
    comp, judged = words.comparison(role), item.comparison(role)
    if comp is None or judged is None:
        return ""
    marked = comp.status and judged.point is not None and judged.point.value is not None
    return f"{comp.value}{f' ({comp.status})' if marked else ''} {comp.symbol}".strip()


def metrics_table(pairs: Sequence[tuple[MetricReadout, MetricText]], words: LocalisedReadout, lang: str) -> dict[str, Any]:
    """Every metric by theme: latest figure (unit under the name), trend, men/women, the three
    comparison areas and the target or threshold band."""
    levels = dict(words.level_names)
    computed = {c.role for m in words.metrics for c in m.comparisons if c.value_basis}
    columns = [t("public.col_metric", lang), t("public.col_latest", lang), t("reports.summary.col_trend", lang),
               t("reports.summary.col_parts", lang)]
    columns += [(levels.get(r) or t(f"readout.group.{r}", lang)) + (f" ({t('common.computed', lang)})" if r in computed else "")
                for r in LEVEL_ROLES]
    columns.append(t("reports.summary.col_target", lang))
    themes: dict[str, dict[str, Any]] = {}
    for item, w in pairs:
        theme = themes.setdefault(w.theme, {"name": w.theme_name, "rows": []})
        theme["rows"].append({
            "name": w.name, "unit": w.unit, "latest": f"{w.value} ({w.period})" if w.has_value else w.status_text,
            "trend": f"{w.trend_symbol} {w.trend_label}".strip(), "parts": _parts(item, lang),
            "levels": [_comparison_cell(item, w, r) for r in LEVEL_ROLES],
            "target": w.target_label if item.target.verdict != "no_target" else w.band_label,
        })
    return {"heading": t("public.metrics_heading", lang), "columns": columns, "themes": list(themes.values()),
            "note": t("reports.summary.table_note", lang)}


def _multiples(pairs: Sequence[tuple[MetricReadout, MetricText]], words: LocalisedReadout, lang: str) -> dict[str, Any]:
    cells = []
    for item, w in pairs:
        # a count's level depends on the size of the area: its chart shows the municipality alone
        spec = small_multiple(item, lang, ("area",) if item.info.is_count else LEVELS)
        cells.append({"name": w.name, "svg": chart_svg(spec, lang) if spec else None, "symbol": w.trend_symbol,
                      "value": w.value_with_unit if w.has_value else w.status_text or w.value,
                      "period": w.period if w.has_value else ""})
    levels = [(role, name) for role, name in words.level_names if role in LEVELS]
    legend = [{"name": name, "colour": style.colour, "dash": DASH_NAMES[role]}
              for (role, name), style in zip(levels, level_styles([r for r, _ in levels]), strict=True)]
    return {"heading": t("reports.summary.multiples_heading", lang), "note": t("reports.summary.multiples_note", lang),
            "legend": legend, "cells": cells}


def summary_document(data: Collected, readout: AreaReadout, lang: str, *, generated: datetime | None = None) -> dict[str, Any]:
    """The JSON document the summary template lays out: words and figures of the readout only."""
    lang = normalise_language(lang)
    words = localise(readout, lang)
    pairs = list(zip(readout.metrics, words.metrics, strict=True))
    return {
        "lang": lang,
        "title": t("reports.summary.title", lang, area=words.area_name),
        "subtitle": t("reports.summary.subtitle", lang, area=words.area_name, code=words.area_code),
        "headline": list(words.headline) or [t("public.no_metrics", lang)],
        "improving": {"heading": t("public.improving_heading", lang), "empty": t("public.none_improving", lang),
                      "items": _trend_items(pairs, "improving", lang)},
        "worsening": {"heading": t("public.worsening_heading", lang), "empty": t("public.none_worsening", lang),
                      "items": _trend_items(pairs, "worsening", lang)},
        "standing": _standing(readout, words, lang),
        "targets": _targets(pairs, lang),
        "table": metrics_table(pairs, words, lang),
        "multiples": _multiples(pairs, words, lang),
        "howto": t("reports.summary.howto", lang, **rule_figures(lang)),
        "vintage": vintage(data, readout, lang, generated or datetime.now(UTC)),
    }


def summary_pdf(engine: Engine, catalog: Catalog, area_code: str, lang: str) -> bytes:
    """The council summary of a municipality as PDF bytes."""
    data, readout = public_summary_data(engine, catalog, area_code)
    return render_pdf(TEMPLATE, summary_document(data, readout, lang))


def summary_png(engine: Engine, catalog: Catalog, area_code: str, lang: str, *, page: int = 1, ppi: float = 60.0) -> bytes:
    """One page of the council summary as PNG (a thumbnail)."""
    data, readout = public_summary_data(engine, catalog, area_code)
    return render_png(TEMPLATE, summary_document(data, readout, lang), page=page, ppi=ppi)


def file_name(area_code: str, lang: str) -> str:
    """'kuntakatsaus_208_fi.pdf' in the language of the document."""
    return f"{t('reports.summary.file_stem', lang)}_{area_code}_{lang}.pdf"
