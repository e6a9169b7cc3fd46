"""Tilannekuva / Lägesbild / Situation overview: a card per metric, grouped by welfare theme."""

from __future__ import annotations

import streamlit as st

from kuntamittari.i18n import t
from ui import data, render
from ui.cards import arrange, card_text
from ui.frame import area_name, guarded, page_frame

ctx = page_frame("overview")
lang = ctx.lang

st.title(t("overview.title", lang, area=ctx.area_name))
st.caption(t("overview.intro", lang))

with guarded(ctx):
    may_author = ctx.user is None or getattr(ctx.user, "has_role", lambda _r: False)("author")
    include_drafts = bool(st.session_state.get("ov_drafts", False)) and may_author
    cards = data.overview_cards(ctx.engine, ctx.catalog, ctx.db, ctx.catalog_key, ctx.area, ctx.compare_with,
                                include_drafts)
    metrics = {m.id: m for m in ctx.catalog.metrics.values()}
    theme_of = {m.id: m.theme.value for m in metrics.values()}
    themes = [th for th in dict.fromkeys(theme_of[c.metric_id] for c in cards)]

    left, middle, right = st.columns([2, 2, 1.4], vertical_alignment="bottom")
    sort = ctx.select(t("overview.sort", lang), "sort", ["theme", "worsening", "off_target"], "theme",
                      format_func=lambda s: t(f"overview.sort_{s}", lang), container=left)
    theme = ctx.select(t("overview.theme", lang), "theme", ["all", *themes], "all",
                       format_func=lambda th: t("overview.all_themes", lang) if th == "all" else t(f"metrics.theme.{th}", lang),
                       container=middle)
    only_off = right.toggle(t("overview.only_off_target", lang), key="ov_only_off")
    if may_author:  # authors see their drafts in place before a reviewer approves them
        right.toggle(t("overview.include_drafts", lang), key="ov_drafts")

    shown = arrange(cards, sort, theme, only_off, theme_of)
    if not cards:
        st.info(t("overview.no_metrics", lang))
    elif not shown:
        st.info(t("overview.none_match", lang))

    comparison_label = t(f"app.compare.{ctx.compare_with}", lang)
    if cards and cards[0].comparison_code and ctx.compare_with in ("region", "county"):
        comparison_label = area_name(ctx.areas, cards[0].comparison_code, lang,
                                     cards[0].comparison_name_fi, cards[0].comparison_name_sv)

    groups: list[tuple[str | None, list]] = []
    if sort == "theme":
        for th in themes:
            members = [c for c in shown if theme_of[c.metric_id] == th]
            if members:
                groups.append((th, members))
    elif shown:
        groups.append((None, shown))

    for th, members in groups:
        if th is not None:
            st.subheader(t(f"metrics.theme.{th}", lang))
        for i, card in enumerate(members):
            if i % 3 == 0:  # one row of columns per three cards: reading order = visual order
                columns = st.columns(3)
            text = card_text(card, metrics[card.metric_id], lang, ctx.area_name, comparison_label, ctx.period)
            with columns[i % 3].container(border=True):
                st.markdown(f"**{text.name}**")
                if metrics[card.metric_id].status.value == "draft":
                    st.badge(t("metrics.status.draft", lang), icon=":material/edit_note:", color="violet")
                if text.has_data:
                    st.markdown(f"### {text.value} <small>{text.unit}</small>", unsafe_allow_html=True)
                    st.caption(t("overview.period", lang, period=text.period))
                    st.markdown(t("overview.changes", lang, change_1=text.change_1, change_5=text.change_5))
                    st.markdown(text.comparison)
                    badges = st.container(horizontal=True)
                    with badges:
                        st.badge(text.target_label, icon=text.target_icon, color=text.target_colour)
                        st.badge(text.trend_label, icon=text.trend_icon, color=text.trend_colour)
                    if text.sparkline:
                        st.markdown(
                            f'<span role="img" aria-label="{t("overview.sparkline", lang)}: {text.sparkline_text}">'
                            f'<span aria-hidden="true" style="font-size:1.3rem;letter-spacing:1px">{text.sparkline}</span></span> '
                            f'<small>{text.sparkline_text}</small>',
                            unsafe_allow_html=True,
                        )
                if text.note:
                    st.info(text.note, icon=":material/info:")
                render.page_link("pages/metric_detail.py", t("overview.details", lang),
                                 icon=":material/arrow_forward:",
                                 query_params={"metric": card.metric_id, "lang": lang, "area": ctx.area,
                                               "cmp": ctx.compare_with})
    ctx.attribution()
