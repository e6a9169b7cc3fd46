"""Kuntamittari as `kuntamittari serve` runs it: `streamlit run served_app.py`.

Streamlit finds the `st.App` below and serves the dashboard (`app.py`), or the public app
(`public_app.py`) when `KUNTAMITTARI_PUBLIC_ONLY` is set (`kuntamittari serve --public` sets
it), through one middleware: `ui.served_page.DocumentLanguage`, which sends the page with
`<html lang>` in the page's language instead of Streamlit's fixed "en" (docs/accessibility.md).
Everything else is Streamlit's own server. `streamlit run app.py` still works; there the
language is set by the app's script, a moment after the page is drawn.
"""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from kuntamittari.settings import get_settings
from ui.served_page import DocumentLanguage

app = st.App("public_app.py" if get_settings().public_only else "app.py", middleware=[Middleware(DocumentLanguage)])
