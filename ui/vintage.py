"""Drawing a page's data vintage: the newest period and the sources' dates, the stale notice (with
how to refresh, for administrators) and the line saying when data was last refreshed.

What is said is the readout's (`readout.vintage`: one model, one rule, one set of words for
every page and later for PDFs and the static site); this module only draws it and asks the
cached metric layer for the facts a page does not already have.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from readout.model import Source
from readout.sources import sources_of_batches
from readout.vintage import Vintage, VintageText, refresh_line, status_vintage, vintage_text
from ui import data

logger = logging.getLogger(__name__)


def is_admin(user: Any) -> bool:
    """Whether the signed-in user has the admin role (refreshing data is theirs)."""
    return user is not None and bool(getattr(user, "has_role", lambda _r: False)("admin"))


def draw_vintage(vintage: Vintage, lang: str, user: Any = None, *, admin_hint: bool = True) -> VintageText:
    """The vintage line under a page's title and, when the data is stale, the notice; the notice
    tells an administrator how to refresh (`admin_hint=False` for printed pages)."""
    words = vintage_text(vintage, lang)
    st.caption(words.line)
    if words.notice:
        body = words.notice
        if admin_hint and words.admin_hint and is_admin(user):
            body += "\n\n" + words.admin_hint
        st.warning(body, icon=":material/history:")
    return words


def metric_vintage(ctx: Any, metric_ids: Sequence[str], sources: Sequence[Source]) -> Vintage:
    """The vintage of some catalogue metrics, from the metric layer's data status (cached)."""
    status = data.status(ctx.engine, ctx.catalog, ctx.db, ctx.catalog_key)
    return status_vintage(status, ctx.catalog, sources, metric_ids=metric_ids)


def refresh_state(engine: Engine) -> Any | None:
    """`refresh.refresh_status` (None when it cannot be read: the page still draws)."""
    from refresh import refresh_status

    try:
        return refresh_status(engine)
    except Exception:  # noqa: BLE001 - a footer line must never break a page
        logger.exception("refresh status unavailable")
        return None


def draw_refresh_line(engine: Engine, lang: str) -> None:
    """The compact footer line: when data was last refreshed and when the next refresh is due."""
    status = refresh_state(engine)
    if status is not None:
        st.caption(refresh_line(status, lang))


def draw_metric_vintage(ctx: Any, metric_id: str) -> VintageText:
    """The vintage line (and notice) of a one-metric page: compare, metric details, forecast."""
    provenance = data.provenance(ctx.engine, ctx.catalog, ctx.db, ctx.catalog_key, metric_id)
    sources = sources_of_batches(provenance.dropna(subset=["batch_id"]))
    return draw_vintage(metric_vintage(ctx, [metric_id], sources), ctx.lang, ctx.user)
