"""Tietojen tila / Datastatus / Data status: how new the data is and when it was refreshed (with
the refresh button for administrators), what changed ("Mitä uutta"), what is loaded, from where
and when; stale or missing data; broken catalogue files and validation errors in plain language."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from readout.formatting import format_date, format_datetime, format_integer, format_period
from kuntamittari.i18n import t
from readout.text import escape_markdown, text_plain
from metrics import service as quality_service
from readout.sources import sources_of_batches
from readout.vintage import freshness_label, status_vintage
from ui import data
from ui.digest_view import draw_status_digest
from ui.frame import guarded, page_frame
from ui.refresh_panel import draw_refresh_panel
from ui.vintage import draw_vintage

ctx = page_frame("data_status")
lang = ctx.lang
st.title(t("status.title", lang))

with guarded(ctx):
    batches = data.batches(ctx.engine, ctx.db)
    status = data.status(ctx.engine, ctx.catalog, ctx.db, ctx.catalog_key)
    vintage = status_vintage(status, ctx.catalog, sources_of_batches(batches))
    words = draw_vintage(vintage, lang, ctx.user)
    draw_refresh_panel(ctx)
    draw_status_digest(ctx)

    st.header(t("status.loads", lang))
    if batches.empty:
        st.info(t("status.no_loads", lang))
    else:
        total = int(pd.to_numeric(batches["rows_inserted"], errors="coerce").fillna(0).sum())
        st.markdown(t("status.loads_summary", lang,
                      batches=t("counts.load_batches", lang, count=format_integer(len(batches), lang)),
                      rows=t("counts.observation_rows", lang, count=format_integer(total, lang))))
        shown = pd.DataFrame({
            t("status.col.batch", lang): batches["batch_id"].astype(int).to_numpy(),
            t("status.col.source", lang): batches["source"].astype(str).to_numpy(),
            t("status.col.location", lang): batches["location"].astype(str).to_numpy(),
            t("status.col.fetched", lang): [format_date(v, lang) for v in batches["fetched_at"]],
            t("status.col.loaded", lang): [format_datetime(v, lang) for v in batches["loaded_at"]],
            t("status.col.rows", lang): [format_integer(v, lang) for v in batches["rows_inserted"]],
            t("status.col.rejected", lang): [format_integer(v, lang) for v in batches["rows_rejected"]],
            t("status.col.licence", lang): batches["licence"].astype(str).to_numpy(),
            t("status.col.synthetic", lang): [t("status.answer_yes" if bool(v) else "status.answer_no", lang) for v in batches["is_synthetic"]],
        })
        st.dataframe(shown, hide_index=True, width="stretch")

    st.header(t("status.metrics", lang))
    if status.empty:
        st.info(t("status.no_metrics", lang))
    else:
        names = {m.id: text_plain(m.name, lang) for m in ctx.catalog.metrics.values()}
        missing = status[status["missing_series"].map(len) > 0]
        stale_ids = {m.metric_id for m in vintage.stale}  # the readout's one freshness rule
        stale = status[status["metric_id"].isin(stale_ids) & (status["missing_series"].map(len) == 0)]
        complete = status[status["missing_series"].map(len) == 0]["metric_id"]
        verdicts = [vintage.metric(m).freshness.verdict if vintage.metric(m) else "no_data" for m in complete]
        st.markdown(t("status.metrics_summary", lang, ok=verdicts.count("current"), stale=len(stale),
                      not_judged=len(verdicts) - verdicts.count("current") - len(stale), missing=len(missing)))
        for row in missing.itertuples():
            st.error(escape_markdown(t("status.missing_line", lang, metric=names.get(row.metric_id, row.metric_id),
                                       series=", ".join(row.missing_series))), icon=":material/error:")
        table = pd.DataFrame({
            t("status.col.metric", lang): [names.get(m, m) for m in status["metric_id"]],
            t("status.col.id", lang): status["metric_id"].to_numpy(),
            t("status.col.state", lang): [t(f"metrics.status.{s}", lang) for s in status["status"]],
            t("status.col.latest", lang): [format_period(p, lang) if isinstance(p, str) else t("status.none", lang)
                                            for p in status["latest_period"]],
            t("status.col.fresh", lang): [
                t("status.missing", lang) if len(ms) else freshness_label(vintage.metric(m), lang)
                for m, ms in zip(status["metric_id"], status["missing_series"], strict=True)],
            t("status.col.series", lang): [", ".join(s) for s in status["series"]],
        })
        st.caption(words.rule)
        st.dataframe(table, hide_index=True, width="stretch")

    # Data quality and municipal divisions (zeros stored as missing, re-based series, mixed divisions).
    st.header(t("quality.title", lang))
    notes = quality_service.data_quality(ctx.engine, ctx.catalog)
    if notes.empty:
        st.info(t("quality.none", lang))
    else:
        st.caption(t("quality.intro", lang))
        metric_names = {m.id: text_plain(m.name, lang) for m in ctx.catalog.metrics.values()}
        st.dataframe(pd.DataFrame({
            t("quality.col.kind", lang): [t(f"quality.kind.{k}", lang) for k in notes["kind"]],
            t("quality.col.batch", lang): ["" if pd.isna(b) else str(int(b)) for b in notes["batch_id"]],
            t("quality.col.series", lang): [metric_names.get(m, m) if isinstance(m, str) else s
                                            for m, s in zip(notes["metric_id"], notes["series_code"], strict=True)],
            t("quality.col.areas", lang): [", ".join(n) for n in notes[f"area_names_{lang}"]],
            t("quality.col.periods", lang): [", ".join(p) for p in notes["periods"]],
        }), hide_index=True, width="stretch")

    # Metric files left out of the catalogue (a broken draft): file and first error, in the page language.
    st.header(t("catalogue_files.heading", lang))
    broken = ctx.catalog.broken_files()
    if not broken:
        st.info(t("catalogue_files.none", lang))
    else:
        st.caption(t("catalogue_files.intro", lang, count=len(broken)))
        first = {}
        for issue in ctx.catalog.errors:
            first.setdefault(issue.file, issue)
        st.dataframe(pd.DataFrame({
            t("catalogue_files.col.file", lang): [b.file for b in broken],
            t("catalogue_files.col.codes", lang): [", ".join(b.codes) for b in broken],
            t("catalogue_files.col.message", lang): [first[b.file].render(lang) if b.file in first else b.message
                                                      for b in broken],
        }), hide_index=True, width="stretch")

    st.header(t("status.catalogue", lang))
    issues = ctx.catalog.issues
    if not issues:
        st.success(t("status.catalogue_ok", lang, count=len(ctx.catalog.metrics)), icon=":material/check_circle:")
    else:
        errors = [i for i in issues if i.level == "error"]
        st.markdown(t("status.catalogue_summary", lang, errors=t("counts.errors", lang, count=len(errors)),
                      warnings=t("counts.warnings", lang, count=len(issues) - len(errors)),
                      metrics=t("counts.metrics", lang, count=len(ctx.catalog.metrics))))
        for issue in issues:
            box = st.error if issue.level == "error" else st.warning
            box(escape_markdown(issue.render(lang)), icon=":material/error:" if issue.level == "error" else ":material/warning:")
    ctx.attribution()
