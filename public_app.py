"""Kuntamittari's public app: only the public pages, no sign-in, start page = municipal summary.

Run it with `kuntamittari serve --public --port N` (which also sets KUNTAMITTARI_PUBLIC_ONLY=1).
Internal pages are not in its navigation, and every page's frame refuses to draw an internal
page in this app even when Streamlit runs a page file alone (`ui.auth.public_only` recognises
this script as the entrypoint). `?area=208&lang=sv` opens Kalajoki in Swedish.
"""

from __future__ import annotations

import streamlit as st

from kuntamittari.i18n import normalise_language, t
from ui.navigation import available_pages, st_page

START_PAGE = "public_summary"

st.set_page_config(page_title="Kuntamittari", page_icon=":material/public:", layout="centered")

lang = normalise_language(st.query_params.get("lang"))
public_specs = [spec for spec in available_pages() if spec.audience == "public"]
pages = [st_page(spec, lang, default=spec.id == START_PAGE) for spec in public_specs]
if not pages:
    st.error(t("public.data_unavailable", lang))
    st.stop()
# The menu stays hidden: Streamlit's sidebar menu nests its <li> items in <div>s, a serious axe
# finding (rule `list`). The public pages link to each other with real links instead.
st.navigation(pages, position="hidden").run()
