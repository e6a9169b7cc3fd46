"""Mittarin tiedot / Indikatorns uppgifter / Metric details: definition, provenance, series, data."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from readout.build import metric_info
from readout.formatting import format_datetime
from readout.localise import source_text
from readout.sources import source_of_batch, sources_of_batches
from readout.downloads import values_download
from readout.provenance import sources_provenance
from readout.tables import area_label_column, values_table
from readout.text import escape_markdown, labelled_markdown, plain_text, text_markdown, text_plain
from kuntamittari.i18n import t
from readout.formula import describe_formula
from charts import specs as charts
from ui import data, render
from ui.frame import guarded, page_frame
from ui.vintage import draw_metric_vintage, draw_refresh_line

ctx = page_frame("metric_detail")
lang = ctx.lang

metric = ctx.choose_metric(ctx.catalog.metrics.values(), t("detail.metric", lang))
if metric is None:
    st.title(t("app.page.metric_detail", lang))
    st.info(t("detail.no_metrics", lang))
    st.stop()
name = text_plain(metric.name, lang)
unit = text_plain(metric.unit, lang)
approximation_note = metric_info(metric).approximation_note
st.title(escape_markdown(name))

with guarded(ctx):
    draw_metric_vintage(ctx, metric.id)
    definition, provenance_col = st.columns([3, 2])
    with definition:
        st.header(t("detail.definition", lang))
        st.markdown(text_markdown(metric.description, lang))
        for label, texts in (("detail.why", metric.why_it_matters), ("detail.caveats", metric.caveats),
                             ("detail.approximation", approximation_note)):
            if texts:
                st.markdown(labelled_markdown(t(label, lang), text_markdown(texts, lang)))
        prov = data.provenance(ctx.engine, ctx.catalog, ctx.db, ctx.catalog_key, metric.id)
        titles = {r["series_code"]: {k: r.get(f"title_{k}") for k in ("fi", "sv", "en")} for r in prov.to_dict("records")}
        names = {m.id: text_plain(m.name, lang) for m in ctx.catalog.metrics.values()}
        st.markdown(f"**{t('detail.formula', lang)}** {escape_markdown(describe_formula(metric, lang, titles, names))}")
        st.markdown(f"**{t('detail.unit', lang)}** {escape_markdown(unit)} · **{t('detail.direction', lang)}** "
                    f"{t('metrics.direction.' + metric.direction.value, lang)} · "
                    f"**{t('detail.status_label', lang)}** {t('metrics.status.' + metric.status.value, lang)}")
    with provenance_col:
        st.header(t("detail.provenance", lang))
        sources = sources_of_batches(prov.dropna(subset=["batch_id"]))
        for row in prov.to_dict("records"):
            title = row.get(f"title_{lang}") or row.get("title_fi") or row["series_code"]
            if pd.isna(row.get("batch_id")):
                st.warning(t("detail.series_missing", lang, series=row["series_code"]))
                continue
            link = f"[{title}]({row['source_url']})" if isinstance(row.get("source_url"), str) else title
            st.markdown(
                f"- {link} (`{row['series_code']}`)  \n"
                + t("detail.provenance_line", lang, source=source_text(source_of_batch(row), lang),
                    loaded=format_datetime(row.get("loaded_at"), lang), batch=int(row["batch_id"]))
            )

    st.header(t("detail.series_title", lang, area=ctx.area_name))
    comparison = data.comparison_codes(ctx.engine, ctx.db, ctx.area, ctx.compare_with)
    compare_codes = comparison[:1] if ctx.compare_with in ("region", "county", "finland") else []
    areas = (ctx.area, *compare_codes)
    if ctx.compare_with in ("pilot", "similar"):
        areas = (ctx.area, ctx.compare_with if ctx.compare_with == "pilot" else f"similar:{ctx.area}")
    genders = ("total", "male", "female")
    frames = [data.metric_frame(ctx.engine, ctx.catalog, ctx.db, ctx.catalog_key, metric.id, (ctx.area,), None, g)
              for g in genders[1:]]
    has_gender = any(not f.dropna(subset=["value"]).empty for f in frames)
    bands = data.age_bands(ctx.engine, ctx.db)
    choices = ["area"] + (["gender"] if has_gender else []) + (["age_band"] if bands else [])
    breakdown = ctx.select(t("detail.breakdown", lang), "by", choices, "area", kind="segmented",
                           format_func=lambda c: t(f"detail.by.{c}", lang))
    if not has_gender:
        st.caption(t("detail.no_gender", lang))

    if breakdown == "gender":
        shown = pd.concat([data.metric_frame(ctx.engine, ctx.catalog, ctx.db, ctx.catalog_key, metric.id, (ctx.area,), None, g)
                           for g in genders], ignore_index=True)
        colour = "gender"
        plot = shown.assign(gender=[t(f"detail.gender.{g}", lang) for g in shown["gender"]])
    elif breakdown == "age_band":
        band = ctx.select(t("detail.age_band", lang), "age", bands, bands[0])
        shown = data.metric_frame(ctx.engine, ctx.catalog, ctx.db, ctx.catalog_key, metric.id, (ctx.area,), None, "total", band)
        colour = None
        plot = shown
    else:
        shown = data.metric_frame(ctx.engine, ctx.catalog, ctx.db, ctx.catalog_key, metric.id, areas)
        colour = "label"
        plot = shown.assign(label=area_label_column(shown, lang, data.area_names(ctx.engine, ctx.db, lang)))
    plot = plot.assign(flag=(plot["status"].astype(str) != "ok") | (plot["basis"].astype(str) != "source"))

    if plot.dropna(subset=["value"]).empty:
        st.info(escape_markdown(t("detail.no_data", lang, source=", ".join(s.name for s in sources) or plain_text(metric.source)
                                  or t("readout.source.none", lang), area=ctx.area_name)))
    else:
        spec = charts.series_chart(plot, value_title=unit, decimals=metric.decimals, colour_field=colour,
                                   colour_title=t(f"detail.by.{breakdown}", lang), flagged_field="flag",
                                   flag_text=t("detail.flag_point", lang))
        first, last = plot.dropna(subset=["value"])["year"].min(), plot.dropna(subset=["value"])["year"].max()
        render.vega(spec, lang, t("detail.chart_alt", lang, metric=name, area=ctx.area_name, first=first, last=last))
        if plot["flag"].any():
            st.caption(t("detail.flag_legend", lang))
        rows = shown[shown["value"].notna() | shown["status"].astype(str).eq("insufficient")]
        options = {"names": data.area_names(ctx.engine, ctx.db, lang), "with_gender": breakdown == "gender",
                   "with_age": breakdown == "age_band", "approximation_note": approximation_note}
        table = values_table(rows, lang, metric.decimals, **options)
        st.header(t("detail.table", lang))
        st.dataframe(table, hide_index=True, width="stretch")
        download, places = values_download(rows, lang, metric.decimals, **options)
        render.downloads(download, lang, f"{metric.id}_{ctx.area}", t("detail.download_csv", lang),
                         t("detail.download_excel", lang), key="detail_dl", decimals=places,
                         provenance=sources_provenance(sources, rows, title=f"{name} – {ctx.area_name}",
                                                       min_counts=(metric.min_count,)))
    ctx.attribution(sources)
    draw_refresh_line(ctx.engine, lang)
