"""Tilannekuva / Lägesbild / Situation overview: a card per metric, grouped by welfare theme."""

from __future__ import annotations

import streamlit as st

from kuntamittari.i18n import t
from readout.localise import localise
from readout.rank import SORTS, arrange, group_by_theme, themes_in_order
from ui import data
from readout.vintage import card_note, readout_vintage
from ui.cards import card_view, draw_card
from ui.digest_view import draw_overview_digest
from ui.frame import guarded, page_frame
from ui.vintage import draw_refresh_line, draw_vintage

ctx = page_frame("overview")
lang = ctx.lang

st.title(t("overview.title", lang, area=ctx.area_name))
st.caption(t("overview.intro", lang))

with guarded(ctx):
    may_author = ctx.user is None or getattr(ctx.user, "has_role", lambda _r: False)("author")
    include_drafts = bool(st.session_state.get("ov_drafts", False)) and may_author
    readout = data.area_readout(ctx.engine, ctx.catalog, ctx.db, ctx.catalog_key, ctx.area, (ctx.compare_with,),
                                include_drafts)
    texts = {m.metric_id: m for m in localise(readout, lang).metrics}
    items = list(readout.metrics)
    themes = themes_in_order(items)
    vintage = readout_vintage(readout)
    draw_vintage(vintage, lang, ctx.user)
    draw_overview_digest(ctx)

    left, middle, right = st.columns([2, 2, 1.4], vertical_alignment="bottom")
    sort = ctx.select(t("overview.sort", lang), "sort", list(SORTS), "theme",
                      format_func=lambda s: t(f"overview.sort_{s}", lang), container=left)
    theme = ctx.select(t("overview.theme", lang), "theme", ["all", *themes], "all",
                       format_func=lambda th: t("overview.all_themes", lang) if th == "all" else t(f"metrics.theme.{th}", lang),
                       container=middle)
    only_off = right.toggle(t("overview.only_off_target", lang), key="ov_only_off")
    if may_author:  # authors see their drafts in place before a reviewer approves them
        right.toggle(t("overview.include_drafts", lang), key="ov_drafts")

    shown = arrange(items, sort, theme, only_off)
    if not items:
        st.info(t("overview.no_metrics", lang))
    elif not shown:
        st.info(t("overview.none_match", lang))

    for th, members in group_by_theme(shown, sort, themes):
        if th is not None:
            st.header(t(f"metrics.theme.{th}", lang))
        for i, item in enumerate(members):
            if i % 3 == 0:  # one row of columns per three cards: reading order = visual order
                columns = st.columns(3)
            text = texts[item.metric_id]
            with columns[i % 3].container(border=True):
                draw_card(item, text, card_view(item, text, lang, ctx.area_name, ctx.period), lang,
                          draft=item.info.status == "draft",
                          stale_note=card_note(vintage.metric(item.metric_id), lang),
                          link_params={"metric": item.metric_id, "lang": lang, "area": ctx.area, "cmp": ctx.compare_with})
    ctx.attribution(readout.sources)
    draw_refresh_line(ctx.engine, lang)
