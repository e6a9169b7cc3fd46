"""Drawing an overview card in Streamlit from the readout's words (`readout.localise.MetricText`).

Only presentation lives here: which Material icon and badge colour stands for a verdict, and the
layout. What the card says (figures, verdicts, sentences) is the readout's, so the card says
what the public summary and the exports say. Status never relies on colour alone: each status
has an icon, a word and a badge colour.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass

import streamlit as st

from charts.specs import sparkline_text, unicode_sparkline
from kuntamittari.i18n import t
from readout.formatting import format_period
from readout.localise import MetricText
from readout.model import MetricReadout
from readout.sources import readout_sources
from readout.text import escape_markdown, plain_text
from ui import render

logger = logging.getLogger(__name__)

TARGET_STYLE = {  # status -> (icon, badge colour)
    "on_target": (":material/check_circle:", "green"),
    "off_target": (":material/error:", "orange"),
    "no_target": (":material/remove:", "gray"),
}
TREND_STYLE = {
    "improving": (":material/trending_up:", "green"),
    "worsening": (":material/trending_down:", "red"),
    "rising": (":material/north_east:", "blue"),
    "falling": (":material/south_east:", "blue"),
    "stable": (":material/trending_flat:", "blue"),
    "unknown": (":material/help:", "gray"),
}
SPARKLINE_YEARS = 10


@dataclass(frozen=True)
class CardView:
    """The strings of one card that are not the readout's own (sparkline, notes, comparison)."""

    comparison: str
    sparkline: str
    sparkline_text: str
    note: str


def card_view(item: MetricReadout, text: MetricText, lang: str, area_name: str, period_wanted: str | None = None) -> CardView:
    """The card's extra lines: the comparison, the ten-year sparkline and the notes in `lang`."""
    decimals = item.info.decimals
    latest_year = item.latest.year if item.latest is not None else None
    own = item.own.points if item.own else ()
    spark = [(p.period, p.value) for p in own if latest_year is not None and latest_year - SPARKLINE_YEARS < p.year <= latest_year]
    sources = readout_sources([item])
    source = ", ".join(s.name for s in sources) or plain_text(item.info.declared_source) or t("readout.source.none", lang)
    notes: list[str] = []
    if not text.has_value:
        notes.append(t("overview.no_data", lang, area=area_name, source=source))
    elif period_wanted and item.latest is not None and item.latest.period < period_wanted:
        notes.append(t("overview.not_published", lang, source=source, year=period_wanted, area=area_name,
                       latest=format_period(item.latest.period, lang)))
    comparison = text.comparisons[0] if text.comparisons else None
    if comparison is not None and comparison.value_basis and comparison.value_basis not in comparison.line:
        notes.append(comparison.value_basis[:1].upper() + comparison.value_basis[1:] + ".")
    line = comparison.line if comparison is not None else ""
    return CardView(line, unicode_sparkline([v for _p, v in spark]), sparkline_text(spark, lang, decimals), " ".join(notes))


def draw_card(item: MetricReadout, text: MetricText, view: CardView, lang: str, *, draft: bool,
              link_params: dict[str, str], stale_note: str = "") -> None:
    """One card in the current container; `stale_note` marks a year older than its schedule allows
    (`readout.vintage.card_note`). The readout's words are plain text: they are escaped for Markdown
    and HTML here, so a metric's name or unit can never become markup."""
    st.markdown(f"**{escape_markdown(text.name)}**")
    if draft:
        st.badge(t("metrics.status.draft", lang), icon=":material/edit_note:", color="violet")
    if text.has_value:
        marked = f" <small>({html.escape(text.status_text)})</small>" if text.status_text else ""
        st.markdown(f"### {html.escape(text.value)} <small>{html.escape(text.unit)}</small>{marked}", unsafe_allow_html=True)
        year = t("overview.period", lang, period=text.period)
        st.caption(f"{year} · :material/history: {escape_markdown(stale_note)}" if stale_note else year)
        st.markdown(t("overview.changes", lang, change_1=text.change_1, change_5=text.change_5))
        if view.comparison:
            st.markdown(escape_markdown(view.comparison))
        badges = st.container(horizontal=True)
        with badges:
            icon, colour = TARGET_STYLE.get(text.target, TARGET_STYLE["no_target"])
            st.badge(text.target_label, icon=icon, color=colour)
            icon, colour = TREND_STYLE.get(text.trend, TREND_STYLE["unknown"])
            st.badge(text.trend_label, icon=icon, color=colour)
        if view.sparkline:
            st.markdown(
                f'<span role="img" aria-label="{html.escape(t("overview.sparkline", lang) + ": " + view.sparkline_text)}">'
                f'<span aria-hidden="true" style="font-size:1.3rem;letter-spacing:1px">{view.sparkline}</span></span> '
                f'<small>{html.escape(view.sparkline_text)}</small>',
                unsafe_allow_html=True,
            )
    elif text.status not in ("ok", "missing") and text.status_text:
        st.markdown(f"### {escape_markdown(text.status_text)}")
    if view.note:
        st.info(escape_markdown(view.note), icon=":material/info:")
    render.page_link("pages/metric_detail.py", t("overview.details", lang), icon=":material/arrow_forward:",
                     query_params=link_params)
