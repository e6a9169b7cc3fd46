"""Drawing the public municipal summary (screen and printable A4) from disclosed data.

Everything drawn here comes from the public readout (`readout.build_area_readout(...,
audience="public")`), whose values have already been through disclosure control, so the chart,
the data tables, the sentences and the CSV/JSON downloads all show the same publishable figures
and "too few to publish" in place of hidden ones.

Accessibility (WCAG 2.1 AA): each chart has `alt` text and a real HTML data table with the
same figures right below it; trend status is a word plus a symbol (▲ ▼ ●), never colour alone;
the chart palette is colour-blind safe and also differs by dash pattern and point shape; headings
are nested h1 > h2 > h3; numbers follow the language's conventions.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from sqlalchemy import Engine

from charts.public import SCREEN_YEARS, chart_alt, metric_chart
from kuntamittari.i18n import t
from metrics.catalog import Catalog
from readout.build import PUBLIC_COMPARISONS, ReadoutError
from readout.export import download_names, readout_json, series_csv
from readout.localise import LocalisedReadout, MetricText, howto_text, localise
from readout.model import AreaReadout, MetricReadout
from readout.tables import overview_table_html, parts_table_html, values_table_html
from readout.text import escape_markdown, labelled_markdown, text_markdown
from readout.vintage import readout_vintage
from ui import data, render
from ui.frame import set_document_language
from ui.vintage import draw_vintage

logger = logging.getLogger(__name__)

#: Years shown in each table of the printable view (the screen shows `SCREEN_YEARS`; CSV has all years).
PRINT_YEARS = 6
PUBLIC_LEVELS = PUBLIC_COMPARISONS  # the public readout's comparison areas (one definition, in the readout)
MUNICIPALITY = "kunta"

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


def load_public_summary(engine: Engine, catalog: Catalog, db: str, catalog_key: str, area_code: str,
                        lang: str) -> tuple[AreaReadout, LocalisedReadout]:
    """The public readout of `area_code` (disclosed, compared with region, county and Finland, cached
    for all languages) and its words in `lang`; `ReadoutError` for an unknown municipality."""
    readout = data.area_readout(engine, catalog, db, catalog_key, area_code, PUBLIC_LEVELS, False, "public", True)
    if readout.area.area_type != MUNICIPALITY:
        raise ReadoutError(f"not a municipality: {area_code}")
    return readout, localise(readout, lang)


def print_url(area_code: str, lang: str) -> str:
    """Relative link to the printable view of the same page."""
    return "?" + urlencode({"area": area_code, "lang": lang, "print": "1"})


def render_summary(readout: AreaReadout, text: LocalisedReadout, lang: str, *, print_mode: bool = False,
                   choose_theme: Callable[[list[str]], str] | None = None, user: Any = None,
                   pdf: Callable[[], bytes] | None = None) -> None:
    """Draw the whole summary. Headings: h1 title, h2 sections, h3 per metric.

    On screen the key-metric charts are shown one theme at a time (`choose_theme` draws the
    picker and returns the theme); the printable view lists every metric with its table and
    no charts, so a council attachment stays a few A4 pages long. `pdf` makes the council
    summary PDF (`reports.summary`) when its download button is pressed, not before.
    """
    set_document_language(lang)
    st.html(PRINT_CSS)
    _render_head(text, lang, print_mode)
    # The newest year and the sources' dates; a stale notice (how to refresh: admins on screen only).
    draw_vintage(readout_vintage(readout), lang, user, admin_hint=not print_mode)
    if not readout.metrics:
        st.info(t("public.no_metrics", lang))
        _render_sources(text, lang)
        return

    st.header(t("public.summary_heading", lang), anchor="summary")
    for line in text.headline:
        st.markdown(f"- {escape_markdown(line)}")
    st.header(t("public.improving_heading", lang), anchor="improving")
    _bullets([m for m in text.metrics if m.trend == "improving"], t("public.none_improving", lang))
    st.header(t("public.worsening_heading", lang), anchor="worsening")
    _bullets([m for m in text.metrics if m.trend == "worsening"], t("public.none_worsening", lang))

    st.header(t("public.comparison_heading", lang), anchor="comparison")
    render.scroll_box(overview_table_html(readout, text, lang))

    st.header(t("public.howto.heading", lang), anchor="howto")
    st.markdown(howto_text(lang))

    st.header(t("public.metrics_heading", lang), anchor="metrics")
    pairs = list(zip(readout.metrics, text.metrics, strict=True))
    if not print_mode and choose_theme is not None:
        themes = list(dict.fromkeys(item.info.theme for item, _w in pairs))
        chosen = choose_theme(themes) if themes else None
        if chosen:
            pairs = [(item, words) for item, words in pairs if item.info.theme == chosen]
    for item, words in pairs:
        _render_metric(item, words, text.area_name, lang, print_mode)

    if not print_mode:
        st.download_button(
            t("public.download_csv", lang),
            data=series_csv(readout, lang, t("public.subtitle", lang, area=text.area_name)),
            file_name=download_names(readout.area.code, lang)["csv"],
            mime="text/csv",
            key="public_csv",
        )
        st.download_button(
            t("public.download_json", lang),
            data=readout_json(readout, lang).encode("utf-8"),
            file_name=download_names(readout.area.code, lang)["json"],
            mime="application/json",
            key="public_json",
        )
        if pdf is not None:
            from reports.summary import file_name

            st.download_button(t("reports.summary.download", lang), data=pdf, file_name=file_name(readout.area.code, lang),
                               mime="application/pdf", key="public_pdf", on_click="ignore")
    _render_sources(text, lang)


def _render_head(text: LocalisedReadout, lang: str, print_mode: bool) -> None:
    if print_mode:
        st.html(PRINT_ONLY_CSS)
        st.title(t("public.printed_heading", lang, area=text.area_name))
    else:
        st.title(t("public.title", lang))
        st.markdown(f"**{escape_markdown(t('public.subtitle', lang, area=text.area_name))}**")
    st.markdown(t("public.intro", lang))
    if not print_mode:
        st.markdown(
            f'<p class="km-noprint"><a href="{print_url(text.area_code, lang)}" target="_self">'
            f'{html.escape(t("public.print_link", lang))}</a></p>',
            unsafe_allow_html=True,
        )
    else:
        st.markdown(
            f'<p class="km-noprint">{html.escape(t("public.print_hint", lang))} '
            f'<a href="?{urlencode({"area": text.area_code, "lang": lang})}" target="_self">'
            f'{html.escape(t("public.print_back", lang))}</a></p>',
            unsafe_allow_html=True,
        )


def _bullets(items: Sequence[MetricText], empty: str) -> None:
    if not items:
        st.markdown(empty)
        return
    st.markdown("\n".join(f"- **{escape_markdown(m.name)}** {escape_markdown(m.trend_detail)}" for m in items))


def _render_metric(item: MetricReadout, words: MetricText, area_name: str, lang: str, print_mode: bool) -> None:
    with st.container(key=f"km_metric_{item.metric_id}"):
        st.header(escape_markdown(words.name), anchor=f"m-{item.metric_id}")
        st.markdown(f"**{escape_markdown(words.lead)}** " + escape_markdown(words.summary))
        sentences = [c.sentence for c in words.comparisons if c.sentence]
        if sentences:
            st.markdown("\n".join(f"- {escape_markdown(s)}" for s in sentences))
        for label, texts in ((t("public.what_it_means", lang), item.info.description),
                             (t("public.why_it_matters", lang), item.info.why)):
            if texts:
                st.markdown(labelled_markdown(f"{label}:", text_markdown(texts, lang)))
        years = PRINT_YEARS if print_mode else SCREEN_YEARS
        chart = None if print_mode else metric_chart(item, lang, years=years)
        if chart is not None:
            alt_text = chart_alt(item, words.name, area_name, lang, years)
            render.altair(chart, lang, alt_text, key=f"chart_{item.metric_id}")
        render.scroll_box(values_table_html(item, lang, years=years))
        parts_html = parts_table_html(item, lang, years=years)
        if parts_html:
            render.scroll_box(parts_html)


def _render_sources(text: LocalisedReadout, lang: str) -> None:
    st.header(t("public.sources_heading", lang), anchor="sources")
    st.markdown("\n".join(f"- {escape_markdown(line)}" for line in text.sources) or t("readout.source.none", lang))
    st.markdown(t("public.computed_note", lang))
    from ui.render import page_link  # the transparency page (the public app's menu is hidden)

    page_link("pages/about_data.py", t("about.link", lang), query_params={"lang": lang})
