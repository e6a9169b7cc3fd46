"""Kuntakatsaus / Kommunöversikt / Municipal summary: the public, plain-language page.

Open to everyone without signing in, in the dashboard and in the public app. `?area=208&lang=sv`
selects Kalajoki in Swedish; `?print=1` gives the printable A4 layout. Everything shown has
been through disclosure control (the public readout) before it reaches this page.
"""

from __future__ import annotations

import logging

import streamlit as st

from kuntamittari.i18n import t
from readout.build import ReadoutError
from ui import public
from ui.frame import normalise_area_param, page_frame

logger = logging.getLogger(__name__)

PAGE_ID = "public_summary"

# The frame draws the language choice and checks access; the comparison and period choices of
# the dashboard do not apply here, so the page draws only its own municipality picker.
ctx = page_frame(PAGE_ID, sidebar=False)
lang = ctx.lang
munis = ctx.areas[ctx.areas["area_type"] == "kunta"].drop_duplicates("code", keep="last")
codes = sorted(munis["code"], key=lambda code: ctx.area_label(code))
area_code = ctx.select(
    t("public.area_label", lang),
    "area",
    codes,
    ctx.area,
    format_func=ctx.area_label,
    container=st.sidebar,
    normalise=normalise_area_param,
)
print_mode = st.query_params.get("print") == "1"

try:
    readout, words = public.load_public_summary(ctx.engine, ctx.catalog, ctx.db, ctx.catalog_key, area_code, lang)
except ReadoutError:
    st.warning(t("public.unknown_area", lang, code=area_code, default=ctx.area_label(ctx.area)))
    st.stop()
except Exception:  # noqa: BLE001 - a public page shows a plain message, never a traceback
    logger.exception("public summary failed for %s", area_code)
    st.error(t("public.data_unavailable", lang))
    st.stop()

def choose_theme(themes: list[str]) -> str:
    """The theme whose key metrics are drawn (kept in the URL as `theme=`)."""
    return ctx.select(
        t("public.theme_label", lang),
        "theme",
        themes,
        themes[0],
        format_func=lambda theme: t(f"metrics.theme.{theme}", lang),
    )


def summary_pdf() -> bytes:
    """The council summary PDF of the shown municipality, made when the button is pressed."""
    from reports.summary import summary_pdf as make_pdf

    return make_pdf(ctx.engine, ctx.catalog, readout.area.code, lang)


public.render_summary(readout, words, lang, print_mode=print_mode, choose_theme=choose_theme, pdf=summary_pdf, user=ctx.user)
