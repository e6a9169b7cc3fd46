"""Drawing the public municipal summary (screen and printable A4) from disclosed data.

Everything drawn here comes from `metrics.summary.PublicMetricData`, whose tables have already
been through disclosure control, so the chart, the data table, the sentences and the CSV
download all show the same publishable figures and "too few to publish" in place of hidden ones.

Accessibility (WCAG 2.1 AA): each chart has `alt` text and a real HTML data table with the
same figures right below it; trend status is a word plus a symbol (▲ ▼ ●), never colour alone;
the chart palette is colour-blind safe and also differs by dash pattern and point shape; headings
are nested h1 > h2 > h3; numbers follow the language's conventions.
"""

from __future__ import annotations

import html
import io
import logging
import math
from collections.abc import Callable, Sequence
from urllib.parse import urlencode

import altair as alt
import pandas as pd
import streamlit as st

from kuntamittari.i18n import pick, t
from kuntamittari.settings import get_settings
from metrics.catalog import Catalog
from metrics.summary import (
    COMPARISON_THRESHOLD,
    LEVELS,
    TREND_THRESHOLD,
    PublicFrames,
    PublicMetricData,
    PublicSummaryData,
    Summary,
    SummaryError,
    collect_public_frames,
    format_number,
    format_value,
    localise,
)
from ui.frame import set_document_language

logger = logging.getLogger(__name__)

#: Colour-blind safe and >= 4.5:1 on white (lines also differ by dash and point shape).
PALETTE: tuple[str, ...] = ("#0b57d0", "#b35806", "#1b7837", "#762a83")
DASHES: tuple[list[int], ...] = ([1, 0], [6, 3], [2, 2], [8, 3, 2, 3])
SHAPES: tuple[str, ...] = ("circle", "square", "triangle-up", "diamond")
AXIS_COLOUR = "#333333"
#: Years shown in each chart and its table (the same figures in both; CSV has all years).
SCREEN_YEARS = 12
PRINT_YEARS = 6

PRINT_CSS = """
<style>
@page { size: A4 portrait; margin: 14mm 12mm 16mm 12mm; }
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stDecoration"], [data-testid="stStatusWidget"], .km-noprint,
  [data-testid="stDownloadButton"], [data-testid="stSidebarCollapsedControl"] { display: none !important; }
  [data-testid="stMain"], [data-testid="stAppViewContainer"], .main { overflow: visible !important; }
  [data-testid="stMainBlockContainer"], .block-container { padding: 0 !important; max-width: 100% !important; }
  body { font-size: 10.5pt; color: #000; }
  h1 { font-size: 18pt; } h2 { font-size: 14pt; break-after: avoid; } h3 { font-size: 12pt; break-after: avoid; }
  [class*="st-key-km_metric_"] { break-inside: avoid; }
  table.km-table { font-size: 9pt; }
  a[href]::after { content: ""; }
}
table.km-table { border-collapse: collapse; margin: 0.25rem 0 1rem 0; }
table.km-table caption { text-align: left; font-weight: 600; padding-bottom: 0.25rem; color: #111111; }
table.km-table th, table.km-table td { border: 1px solid #8a8a8a; padding: 0.2rem 0.5rem; color: #111111; }
table.km-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.km-table thead th { background: #f0f2f6; }
</style>
"""

PRINT_ONLY_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"] { display: none !important; }
[data-testid="stMainBlockContainer"] { max-width: 190mm; padding-top: 1rem; }
</style>
"""


@st.cache_data(ttl=get_settings().cache_ttl_seconds, max_entries=64, show_spinner=False)
def _public_frames(_engine: object, _catalog: Catalog, db: str, cat: str, area_code: str) -> PublicFrames:
    """Disclosed data of one municipality, shared by all languages and sessions (ttl-cached)."""
    return collect_public_frames(_engine, _catalog, area_code)


@st.cache_data(ttl=get_settings().cache_ttl_seconds, max_entries=64, show_spinner=False)
def _public_summary(_engine: object, _catalog: Catalog, db: str, cat: str, area_code: str, lang: str) -> PublicSummaryData:
    return localise(_public_frames(_engine, _catalog, db, cat, area_code), _catalog, lang)


def load_public_summary(engine: object, catalog: Catalog, db: str, catalog_key: str, area_code: str, lang: str) -> PublicSummaryData:
    """The public summary of `area_code` in `lang`; SummaryError for an unknown municipality."""
    return _public_summary(engine, catalog, db, catalog_key, area_code, lang)


def trend_label(trend: str, lang: str) -> str:
    """A word plus a symbol, so status never depends on colour."""
    return t(f"public.trend.{trend}", lang)


def _cell(value: float | None, suppressed: bool, decimals: int, lang: str) -> str:
    if suppressed:
        return t("public.status_suppressed", lang)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("common.no_data", lang)
    return format_number(value, lang, decimals)


def _axis_label_expr(lang: str, decimals: int) -> str:
    """Vega expression formatting axis numbers as in the language (12 345,6 in fi/sv)."""
    base = f"format(datum.value, ',.{max(0, decimals)}f')"
    if lang == "en":
        return base
    return f"replace(replace({base}, regexp(',', 'g'), '\u00a0'), '.', ',')"


def metric_chart(data: PublicMetricData, lang: str, years: int | None = None) -> alt.Chart | None:
    """A line per area level; hidden values are gaps, never drawn. None if nothing to draw."""
    table = data.table
    if table.empty:
        return None
    shown = table[~table["suppressed"] & table["value"].notna()].copy()
    if years:
        periods = sorted(table["period"].unique())[-years:]
        shown = shown[shown["period"].isin(periods)]
    if shown.empty:
        return None
    names = list(dict.fromkeys(table["area_name"]))
    series_title = t("public.col_area", lang)
    value_title = pick(dict(data.facts.unit), lang) or t("public.col_value", lang)
    encode_colour = alt.Color("area_name:N", title=series_title, scale=alt.Scale(domain=names, range=list(PALETTE[: len(names)])),
                              legend=alt.Legend(orient="bottom", labelLimit=320))
    base = alt.Chart(shown).encode(
        x=alt.X("period:O", title=t("public.col_period", lang), axis=alt.Axis(labelAngle=0)),
        y=alt.Y(
            "value:Q",
            title=value_title,
            axis=alt.Axis(labelExpr=_axis_label_expr(lang, 0 if shown["value"].abs().max() >= 100 else 1)),
            scale=alt.Scale(zero=False),
        ),
        color=encode_colour,
    )
    lines = base.mark_line(strokeWidth=2.5).encode(
        strokeDash=alt.StrokeDash("area_name:N", scale=alt.Scale(domain=names, range=list(DASHES[: len(names)])), legend=None)
    )
    points = base.mark_point(filled=True, size=45).encode(
        shape=alt.Shape("area_name:N", scale=alt.Scale(domain=names, range=list(SHAPES[: len(names)])), legend=None)
    )
    return (
        alt.layer(lines, points)
        .properties(height=260)
        .configure_axis(labelColor=AXIS_COLOUR, titleColor=AXIS_COLOUR, labelFontSize=12, titleFontSize=12)
        .configure_legend(labelColor=AXIS_COLOUR, titleColor=AXIS_COLOUR, labelFontSize=12)
    )


def _lookup(frame: pd.DataFrame, key: str) -> dict[tuple[str, str], tuple[float | None, bool]]:
    """(key value, period) -> (value, suppressed), for building tables without repeated filtering."""
    return {
        (str(k), str(p)): (v, bool(sup))
        for k, p, v, sup in zip(frame[key], frame["period"], frame["value"], frame["suppressed"])
    }


def _period_table_html(caption: str, columns: Sequence[tuple[str, str]], periods: Sequence[str],
                       lookup: dict[tuple[str, str], tuple[float | None, bool]], decimals: int, lang: str) -> str:
    """An accessible HTML table with a row per period and a column per `(key, header)`; the cells
    come from `lookup[(key, period)]` ("too few to publish" / "no data" in words)."""
    no_data = t("common.no_data", lang)
    head = "".join(f'<th scope="col">{html.escape(str(header))}</th>' for _key, header in columns)
    rows = []
    for period in periods:
        cells = []
        for key, _header in columns:
            found = lookup.get((key, period))
            text = no_data if found is None else _cell(found[0], found[1], decimals, lang)
            cells.append(f'<td class="num">{html.escape(text)}</td>')
        rows.append(f'<tr><th scope="row">{html.escape(period)}</th>{"".join(cells)}</tr>')
    return (
        f'<table class="km-table"><caption>{html.escape(caption)}</caption>'
        f'<thead><tr><th scope="col">{html.escape(t("public.col_period", lang))}</th>{head}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table>'
    )


def values_table_html(data: PublicMetricData, lang: str, years: int | None = None) -> str:
    """The chart's figures as an accessible HTML table: years as rows, areas as columns."""
    table = data.table
    periods = sorted(set(table["period"]))
    if years:
        periods = periods[-years:]
    present = set(table["level"])
    names = dict(zip(table["level"], table["area_name"]))
    columns = [(lvl, str(names[lvl])) for lvl in ("area", *LEVELS) if lvl in present]
    caption = t("public.table_caption", lang, metric=pick(dict(data.facts.name), lang))
    return _period_table_html(caption, columns, periods, _lookup(table, "level"), data.facts.decimals, lang)


def parts_table_html(data: PublicMetricData, lang: str, years: int | None = None) -> str:
    """The municipality's total, men and women by year (only where the source has the split).

    Complementary suppression already happened upstream: a hidden part never sits next to a
    total and a visible other part from which it could be subtracted.
    """
    parts = data.parts
    if parts.empty:
        return ""
    totals = data.table[data.table["level"] == "area"]
    periods = sorted(set(parts["period"]))
    if years:
        periods = periods[-years:]
    lookup = _lookup(parts, "gender")
    lookup.update({("total", p): v for (_, p), v in _lookup(totals, "level").items()})
    columns = [(g, t(f"public.gender.{g}", lang)) for g in ("total", "male", "female")]
    caption = t("public.parts_caption", lang, metric=pick(dict(data.facts.name), lang))
    return _period_table_html(caption, columns, periods, lookup, data.facts.decimals, lang)


def overview_table_html(summary: Summary, datas: Sequence[PublicMetricData], lang: str, names: dict[str, str]) -> str:
    """One row per metric: latest value, five-year trend (word + symbol) and the comparisons."""
    head_cells = [t("public.col_metric", lang), t("public.col_latest", lang), t("public.col_trend", lang)]
    computed = {level for item in summary.metrics for level in item.facts.computed_levels}
    head_cells += [
        (names.get(level) or t(f"public.col_{level}", lang)) + (f" ({t('common.computed', lang)})" if level in computed else "")
        for level in LEVELS
    ]
    head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in head_cells)
    rows = []
    for item in summary.metrics:
        facts = item.facts
        period, value = facts.latest
        latest = (
            t("public.status_suppressed", lang)
            if facts.suppressed
            else f"{format_value(facts, value, lang)} ({period})" if period else t("common.no_data", lang)
        )
        cells = [latest, trend_label(item.trend, lang)]
        for level in LEVELS:
            other = facts.comparisons.get(level)
            cells.append(format_value(facts, other, lang))
        body = "".join(f"<td>{html.escape(c)}</td>" for c in cells)
        rows.append(f'<tr><th scope="row">{html.escape(pick(dict(facts.name), lang))}</th>{body}</tr>')
    caption = html.escape(t("public.comparison_heading", lang))
    return (
        f'<table class="km-table"><caption>{caption}</caption><thead><tr>{head}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table>'
    )


def csv_bytes(datas: Sequence[PublicMetricData], lang: str) -> bytes:
    """The published figures as CSV (UTF-8 with BOM, ';' and decimal comma for fi/sv Excel).

    Hidden cells carry the words "too few to publish" in the value column, never a number.
    """
    rows: list[dict[str, str]] = []
    for data in datas:
        name = pick(dict(data.facts.name), lang)
        for record in data.table.itertuples():
            rows.append(
                {
                    t("public.col_metric", lang): name,
                    t("public.col_area", lang): str(record.area_name),
                    t("public.col_period", lang): str(record.period),
                    t("public.col_value", lang): _cell(record.value, bool(record.suppressed), data.facts.decimals, lang).replace("\u00a0", ""),
                }
            )
        for record in data.parts.itertuples():
            rows.append(
                {
                    t("public.col_metric", lang): f"{name} ({t(f'public.gender.{record.gender}', lang)})",
                    t("public.col_area", lang): str(data.table[data.table["level"] == "area"]["area_name"].iloc[0]),
                    t("public.col_period", lang): str(record.period),
                    t("public.col_value", lang): _cell(record.value, bool(record.suppressed), data.facts.decimals, lang).replace("\u00a0", ""),
                }
            )
    frame = pd.DataFrame(rows)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, sep=";" if lang in ("fi", "sv") else ",")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def print_url(area_code: str, lang: str) -> str:
    """Relative link to the printable view of the same page."""
    return "?" + urlencode({"area": area_code, "lang": lang, "print": "1"})


def render_summary(
    summary: Summary,
    datas: Sequence[PublicMetricData],
    lang: str,
    *,
    level_names: dict[str, str],
    print_mode: bool = False,
    fetched: str | None = None,
    choose_theme: Callable[[list[str]], str] | None = None,
) -> None:
    """Draw the whole summary. Headings: h1 title, h2 sections, h3 per metric.

    On screen the key-metric charts are shown one theme at a time (`choose_theme` draws the
    picker and returns the theme); the printable view lists every metric with its table and
    no charts, so a council attachment stays a few A4 pages long.
    """
    set_document_language(lang)
    st.html(PRINT_CSS)
    if print_mode:
        st.html(PRINT_ONLY_CSS)
        st.title(t("public.printed_heading", lang, area=summary.area_name))
    else:
        st.title(t("public.title", lang))
        st.markdown(f"**{t('public.subtitle', lang, area=summary.area_name)}**")
    st.markdown(t("public.intro", lang))
    if summary.data_period:
        date_text = (
            t("public.data_date", lang, period=summary.data_period, fetched=fetched)
            if fetched
            else t("public.data_date_unknown", lang, period=summary.data_period)
        )
        st.markdown(date_text)
    if not print_mode:
        st.markdown(
            f'<p class="km-noprint"><a href="{print_url(summary.area_code, lang)}" target="_self">'
            f'{html.escape(t("public.print_link", lang))}</a></p>',
            unsafe_allow_html=True,
        )
    else:
        st.markdown(
            f'<p class="km-noprint">{html.escape(t("public.print_hint", lang))} '
            f'<a href="?{urlencode({"area": summary.area_code, "lang": lang})}" target="_self">'
            f'{html.escape(t("public.print_back", lang))}</a></p>',
            unsafe_allow_html=True,
        )

    if not datas:
        st.info(t("public.no_metrics", lang))
        _render_sources(lang)
        return

    st.header(t("public.summary_heading", lang), anchor="summary")
    for line in summary.headline:
        st.markdown(f"- {line}")
    st.subheader(t("public.improving_heading", lang), anchor="improving")
    _bullets([i for i in summary.metrics if i.trend == "improving"], lang, t("public.none_improving", lang))
    st.subheader(t("public.worsening_heading", lang), anchor="worsening")
    _bullets([i for i in summary.metrics if i.trend == "worsening"], lang, t("public.none_worsening", lang))

    st.header(t("public.comparison_heading", lang), anchor="comparison")
    st.html(overview_table_html(summary, datas, lang, level_names))

    st.header(t("public.howto.heading", lang), anchor="howto")
    st.markdown(
        t(
            "public.howto.body",
            lang,
            threshold=format_number(TREND_THRESHOLD * 100, lang, 0),
            cmp=format_number(COMPARISON_THRESHOLD * 100, lang, 0),
        )
    )

    st.header(t("public.metrics_heading", lang), anchor="metrics")
    by_id = {d.facts.metric_id: d for d in datas}
    items = list(summary.metrics)
    if not print_mode and choose_theme is not None:
        themes = list(dict.fromkeys(i.facts.theme for i in items))
        chosen = choose_theme(themes) if themes else None
        if chosen:
            items = [i for i in items if i.facts.theme == chosen]
    for item in items:
        _render_metric(item, by_id[item.facts.metric_id], summary.area_name, lang, print_mode)

    if not print_mode:
        st.download_button(
            t("public.download_csv", lang),
            data=csv_bytes(datas, lang),
            file_name=f"{t('public.csv_file_stem', lang)}_{summary.area_code}_{lang}.csv",
            mime="text/csv",
            key="public_csv",
        )
    _render_sources(lang)


def _bullets(items: Sequence[object], lang: str, empty: str) -> None:
    if not items:
        st.markdown(empty)
        return
    lines = []
    for item in items:
        name = pick(dict(item.facts.name), lang)  # type: ignore[attr-defined]
        lines.append(f"- **{name}** ({trend_label(item.trend, lang)}): {item.trend_text}")  # type: ignore[attr-defined]
    st.markdown("\n".join(lines))


def _render_metric(item: object, data: PublicMetricData, area_name: str, lang: str, print_mode: bool) -> None:
    facts = data.facts
    name = pick(dict(facts.name), lang)
    with st.container(key=f"km_metric_{facts.metric_id}"):
        st.subheader(name, anchor=f"m-{facts.metric_id}")
        st.markdown(f"**{trend_label(item.trend, lang)}.** {item.latest_text} {item.trend_text}")  # type: ignore[attr-defined]
        comparisons = item.comparison_texts  # type: ignore[attr-defined]
        if comparisons:
            st.markdown("\n".join(f"- {text}" for text in comparisons))
        description = pick(dict(facts.description), lang)
        if description:
            st.markdown(f"**{t('public.what_it_means', lang)}:** {description}")
        why = pick(dict(facts.why), lang)
        if why:
            st.markdown(f"**{t('public.why_it_matters', lang)}:** {why}")
        years = PRINT_YEARS if print_mode else SCREEN_YEARS
        chart = None if print_mode else metric_chart(data, lang, years=years)
        if chart is not None:
            periods = sorted(data.table["period"].unique())[-years:]
            alt_text = t("public.chart_alt", lang, metric=name, area=area_name, start=periods[0], end=periods[-1])
            st.altair_chart(chart, width="stretch", alt=alt_text, key=f"chart_{facts.metric_id}")
        st.html(values_table_html(data, lang, years=years))
        parts_html = parts_table_html(data, lang, years=years)
        if parts_html:
            st.html(parts_html)


def _render_sources(lang: str) -> None:
    st.header(t("public.sources_heading", lang), anchor="sources")
    st.markdown(t("public.sources", lang))
