"""Tietoa palvelusta ja datasta / Om tjänsten och data / About the data: the transparency page.

Public, in the dashboard and in the public app. Everything on it is generated from the
warehouse, the catalogue and the settings (`readout.about` + `readout.about_words`), so it says
which sources, metrics and rules are in use now; this script only draws it.
"""

from __future__ import annotations

import logging

import streamlit as st

from kuntamittari.i18n import t
from readout.about import build_about
from readout.about_words import about_text, table_html
from ui import render
from ui.frame import page_frame
from ui.public import PRINT_CSS

logger = logging.getLogger(__name__)

PAGE_ID = "about_data"

ctx = page_frame(PAGE_ID, sidebar=False)
lang = ctx.lang
try:
    text = about_text(build_about(ctx.engine, ctx.catalog), lang)
except Exception:  # noqa: BLE001 - a public page shows a plain message, never a traceback
    logger.exception("transparency page failed")
    st.error(t("public.data_unavailable", lang))
    st.stop()

st.html(PRINT_CSS)  # the public pages' table style
st.title(text.title)
st.markdown(text.intro)
for section in text.sections:
    st.header(section.heading, anchor=section.anchor)
    for paragraph in section.paragraphs:
        st.markdown(paragraph)
    if section.table is not None:
        st.html(table_html(section.table))
render.page_link("pages/public_summary.py", t("about.back", lang), query_params={"lang": lang})
