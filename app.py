"""Kuntamittari: the Streamlit entry point (`streamlit run app.py`).

Only sets the page config, builds the page list for the user's role from `ui.navigation` and
runs it. Each page draws the shared frame itself (`ui.frame.page_frame`), so a page behaves the
same when Streamlit runs it alone (see docs/dashboard.md, "pages run alone").
"""

from __future__ import annotations

import streamlit as st

from ui.app_shell import run_app

st.set_page_config(page_title="Kuntamittari", page_icon=":material/monitoring:", layout="wide")
run_app()
