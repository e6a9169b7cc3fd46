"""Kuntavertailu / Jämför kommuner / Compare municipalities: one metric across municipalities."""

from __future__ import annotations

import streamlit as st

from readout.formatting import format_integer, format_period
from kuntamittari.i18n import t
from kuntamittari.settings import get_settings
from readout.provenance import sources_provenance
from readout.sources import sources_of_batches
from readout.text import escape_markdown, plain_text, text_plain
from ui import data, render, views
from ui.frame import guarded, normalise_area_param, page_frame
from ui.vintage import draw_metric_vintage, draw_refresh_line

MAX_CHOSEN = 12

ctx = page_frame("compare")
lang = ctx.lang
st.title(t("compare.title", lang))

if not ctx.catalog.metrics:
    st.info(t("detail.no_metrics", lang))
    st.stop()

def values_as_table(key: str) -> None:
    """Every municipality's value as text: what the map and the distribution show by colour
    and position (their tooltips are out of the keyboard's reach)."""
    with st.expander(t("a11y.table_of_values", lang), key=f"cmp_values_{key}"):
        caption = t("compare.ranking", lang, metric=name, period=format_period(view.period, lang))
        render.html_table(view.all_values, caption, numeric=(t("compare.col.rank", lang), t("compare.col.value", lang)))


with guarded(ctx):
    left, right = st.columns([1, 2])
    metric = ctx.choose_metric(ctx.catalog.metrics.values(), t("detail.metric", lang), container=left)
    metric_id = metric.id
    draw_metric_vintage(ctx, metric_id)
    munis = ctx.areas[ctx.areas["area_type"] == "kunta"].drop_duplicates("code", keep="last")
    names = {c: ctx.area_label(c, fi, sv) for c, fi, sv in zip(munis["code"], munis["name_fi"], munis["name_sv"], strict=True)}
    pilot = list(get_settings().pilot_group)
    if ctx.compare_with in ("pilot", "similar"):
        members = data.comparison_codes(ctx.engine, ctx.db, ctx.area, ctx.compare_with)
        default = [ctx.area, *members][:MAX_CHOSEN]
    else:
        default = pilot if ctx.area in pilot else [ctx.area]
    chosen = ctx.multiselect(t("compare.municipalities", lang, n=MAX_CHOSEN), "areas",
                             sorted(names, key=lambda c: names[c]), default, container=right,
                             format_func=lambda c: names.get(c, c), max_selections=MAX_CHOSEN,
                             normalise=normalise_area_param)

    view = views.compare_view(ctx.engine, ctx.catalog, ctx.db, ctx.catalog_key, metric_id, ctx.period,
                              tuple(chosen), ctx.area, lang)
    name = text_plain(metric.name, lang)  # plain words: escaped wherever Markdown shows them
    unit = text_plain(metric.unit, lang)
    sources = sources_of_batches(data.provenance(ctx.engine, ctx.catalog, ctx.db, ctx.catalog_key, metric_id))
    source = ", ".join(s.name for s in sources) or plain_text(metric.source) or t("readout.source.none", lang)
    if view.year is None or view.ranking is None and view.distribution is None:
        wanted = ctx.period or t("app.sidebar.latest", lang).lower()
        st.info(escape_markdown(t("compare.no_data", lang, source=source, year=wanted, metric=name)))
    else:
        if ctx.period and view.period != ctx.period:
            st.info(t("compare.period_fallback", lang, year=ctx.period, shown=format_period(view.period, lang)))
        st.header(escape_markdown(t("compare.ranking", lang, metric=name, period=format_period(view.period, lang))))
        if view.rules:
            st.caption(escape_markdown(t("compare.rules", lang) + " " + " · ".join(f"{label} {value}" for label, value in view.rules)))
        for code in view.missing:
            st.caption(escape_markdown(t("compare.missing", lang, source=source, year=view.period, area=names.get(code, code))))
        if not chosen:
            st.info(t("compare.choose", lang))
        if view.ranking:
            render.vega(view.ranking, lang, t("compare.ranking_alt", lang, metric=name, period=view.period, count=len(chosen)))
        if not view.table.empty:
            st.dataframe(view.table, hide_index=True, width="stretch")
            render.downloads(view.download, lang, f"{metric_id}_{view.period}", t("detail.download_csv", lang),
                             t("detail.download_excel", lang), key="compare_dl",
                             decimals={t("compare.col.value", lang): metric.decimals},
                             provenance=sources_provenance(sources, view.rows, title=f"{name} ({view.period})"))

        tab_time, tab_dist, tab_map = st.tabs([t("compare.tab_time", lang), t("compare.tab_distribution", lang),
                                              t("compare.tab_map", lang)])
        with tab_time:
            if view.multiples:
                render.vega(view.multiples, lang, t("compare.multiples_alt", lang, metric=name))
            else:
                st.info(t("compare.choose", lang))
        with tab_dist:
            st.caption(t("compare.distribution_intro", lang, count=format_integer(view.municipalities_with_value, lang)))
            if view.distribution:
                render.vega(view.distribution, lang, t("compare.distribution_alt", lang, metric=name, period=view.period))
                values_as_table("dist")
        with tab_map:
            if view.map_spec:
                render.vega(view.map_spec, lang, t("compare.map_alt", lang, metric=name, period=view.period, unit=unit))
                st.caption(t("compare.map_layer", lang, layer=view.map_layer) + " " + view.map_attribution)
                values_as_table("map")
    ctx.attribution(sources)
    draw_refresh_line(ctx.engine, lang)
