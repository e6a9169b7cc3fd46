"""Kuntamittari's public app: only the public pages, no sign-in, start page = municipal summary.

Run it with `kuntamittari serve --public --port N` (which also sets KUNTAMITTARI_PUBLIC_ONLY=1).
Internal pages are not in its navigation, and every page's frame refuses to draw an internal
page in this app even when Streamlit runs a page file alone (`ui.auth.public_only` recognises
this script as the entrypoint). `?area=208&lang=sv` opens Kalajoki in Swedish.
"""

from __future__ import annotations

import streamlit as st

from kuntamittari.i18n import normalise_language, t
from ui.app_shell import run_app
from ui.navigation import available_pages

st.set_page_config(page_title="Kuntamittari", page_icon=":material/public:", layout="centered")

lang = normalise_language(st.query_params.get("lang"))
if not any(spec.audience == "public" for spec in available_pages()):
    st.error(t("public.data_unavailable", lang))
    st.stop()
run_app()  # every page routable, public ones in the menu; each page's frame refuses internal ones
