"""Tietojen tila / Datastatus / Data status: what is loaded, from where and when; stale or missing
data; catalogue validation errors in plain language."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from readout.formatting import format_date, format_datetime, format_integer, format_period
from kuntamittari.i18n import t
from readout.text import escape_markdown, text_plain
from metrics import service as quality_service
from ui import data
from ui.frame import guarded, page_frame

ctx = page_frame("data_status")
lang = ctx.lang
st.title(t("status.title", lang))

with guarded(ctx):
    batches = data.batches(ctx.engine, ctx.db)
    st.subheader(t("status.loads", lang))
    if batches.empty:
        st.info(t("status.no_loads", lang))
    else:
        total = int(pd.to_numeric(batches["rows_inserted"], errors="coerce").fillna(0).sum())
        st.markdown(t("status.loads_summary", lang, batches=format_integer(len(batches), lang),
                      rows=format_integer(total, lang)))
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

    st.subheader(t("status.metrics", lang))
    status = data.status(ctx.engine, ctx.catalog, ctx.db, ctx.catalog_key)
    if status.empty:
        st.info(t("status.no_metrics", lang))
    else:
        names = {m.id: text_plain(m.name, lang) for m in ctx.catalog.metrics.values()}
        missing = status[status["missing_series"].map(len) > 0]
        stale = status[status["stale"] & (status["missing_series"].map(len) == 0)]
        ok = len(status) - len(missing) - len(stale)
        st.markdown(t("status.metrics_summary", lang, ok=ok, stale=len(stale), missing=len(missing)))
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
                t("status.missing", lang) if len(ms) else (t("status.stale", lang) if s else t("status.fresh", lang))
                for s, ms in zip(status["stale"], status["missing_series"], strict=True)],
            t("status.col.series", lang): [", ".join(s) for s in status["series"]],
        })
        st.caption(t("status.stale_rule", lang))
        st.dataframe(table, hide_index=True, width="stretch")

    # Data quality and municipal divisions (zeros stored as missing, re-based series, mixed divisions).
    st.subheader(t("quality.title", lang))
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

    st.subheader(t("status.catalogue", lang))
    issues = ctx.catalog.issues
    if not issues:
        st.success(t("status.catalogue_ok", lang, count=len(ctx.catalog.metrics)), icon=":material/check_circle:")
    else:
        errors = [i for i in issues if i.level == "error"]
        st.markdown(t("status.catalogue_summary", lang, errors=len(errors), warnings=len(issues) - len(errors),
                      count=len(ctx.catalog.metrics)))
        for issue in issues:
            box = st.error if issue.level == "error" else st.warning
            box(escape_markdown(issue.render(lang)), icon=":material/error:" if issue.level == "error" else ":material/warning:")
    ctx.attribution()
