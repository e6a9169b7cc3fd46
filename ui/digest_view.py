"""Drawing the change digest ("Mitä uutta" / "Nytt" / "What's new") on the overview and the
data-status page: newest first, each change linking to the metric page of its municipality in
the page language. The items come from `digest` (stored per load batch by each refresh); their
words are the readout's (`readout.digest`), the same as in the e-mail and the webhook.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import groupby
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from digest import digest_for_area, digest_for_batches
from digest.store import DigestRecord, batches_with_items
from kuntamittari.i18n import t
from readout.digest import batch_heading, digest_title, empty_text, item_sentence, kind_label
from readout.formatting import format_date
from ui import data, render

logger = logging.getLogger(__name__)

KIND_ICON = {
    "new_period": ":material/fiber_new:", "revised": ":material/edit:", "threshold": ":material/flag:",
    "target": ":material/my_location:", "outside_forecast": ":material/crisis_alert:",
    "rank": ":material/leaderboard:",
}
#: Items the overview shows before "show all"; the most it reads.
OVERVIEW_SHOWN = 6
OVERVIEW_LIMIT = 60
#: Batches and rows the data-status table reads for all municipalities.
ALL_AREAS_BATCHES = 4
TABLE_ROWS = 1000
METRIC_PAGE = "metric_detail"


def metric_params(record: DigestRecord, lang: str) -> dict[str, str]:
    """The metric page's URL state for one item: the metric, its municipality, the language."""
    return {"metric": record.metric_id, "area": record.area_code, "lang": lang}


def metric_url(record: DigestRecord, lang: str) -> str:
    """A relative link to the metric page of the item's municipality."""
    return f"./{METRIC_PAGE}?{urlencode(metric_params(record, lang))}"


def _draw_items(records: Sequence[DigestRecord], catalog: Any, lang: str) -> None:
    for (_batch, loaded_at), group in groupby(records, key=lambda r: (r.batch_id, r.loaded_at)):
        st.markdown(f"**{batch_heading(loaded_at, lang)}**")
        for record in group:
            render.page_link(f"pages/{METRIC_PAGE}.py", item_sentence(record, catalog, lang),
                             icon=KIND_ICON.get(record.kind, ":material/info:"), query_params=metric_params(record, lang))


def draw_overview_digest(ctx: Any) -> None:
    """The overview's "What's new" for the chosen municipality (newest first)."""
    lang = ctx.lang
    st.header(digest_title(lang), anchor="whats-new")
    try:
        records = digest_for_area(ctx.engine, ctx.area, limit=OVERVIEW_LIMIT)
    except Exception:  # noqa: BLE001 - the digest is one section; the cards still draw
        logger.exception("digest unavailable for %s", ctx.area)
        records = []
    if not records:
        st.caption(empty_text(lang))
        return
    st.caption(t("digest.intro", lang))
    _draw_items(records[:OVERVIEW_SHOWN], ctx.catalog, lang)
    if len(records) > OVERVIEW_SHOWN:
        with st.expander(t("digest.more", lang, count=len(records))):
            _draw_items(records[OVERVIEW_SHOWN:], ctx.catalog, lang)


def _records(ctx: Any, scope: str) -> list[DigestRecord]:
    if scope == "area":
        return digest_for_area(ctx.engine, ctx.area, limit=TABLE_ROWS + 1)
    batches = [b for b, _at in batches_with_items(ctx.engine)][-ALL_AREAS_BATCHES:]
    return digest_for_batches(ctx.engine, batches) if batches else []


def draw_status_digest(ctx: Any) -> None:
    """The data-status page's digest table: the chosen municipality's or all municipalities'."""
    lang = ctx.lang
    st.header(digest_title(lang), anchor="whats-new")
    scope = ctx.select(t("digest.scope", lang), "digest", ["area", "all"], "area", kind="segmented",
                       format_func=lambda s: ctx.area_name if s == "area" else t("digest.scope_all", lang))
    records = _records(ctx, scope)
    if not records:
        st.caption(empty_text(lang))
        return
    shown = records[:TABLE_ROWS]
    if len(records) > len(shown):
        st.caption(t("digest.shown_of", lang, shown=len(shown), total=f"{TABLE_ROWS}+" if scope == "area" else len(records)))
    names = data.area_names(ctx.engine, ctx.db, lang)
    col = {k: t(f"digest.col.{k}", lang) for k in ("loaded", "area", "kind", "change", "link")}
    table = pd.DataFrame({
        col["loaded"]: [format_date(r.loaded_at, lang) for r in shown],
        col["area"]: [names.get(r.area_code, r.area_code) for r in shown],
        col["kind"]: [kind_label(r.kind, lang) for r in shown],
        col["change"]: [item_sentence(r, ctx.catalog, lang) for r in shown],
        col["link"]: [metric_url(r, lang) for r in shown],
    })
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        col["link"]: st.column_config.LinkColumn(col["link"], display_text=t("digest.link_text", lang))})
