"""Kuntamittari as `kuntamittari serve` runs it: `streamlit run served_app.py`.

Streamlit finds the `st.App` below and serves the dashboard (`app.py`), or the public app
(`public_app.py`) when `KUNTAMITTARI_PUBLIC_ONLY` is set (`kuntamittari serve --public` sets
it), through two middlewares:

- `ui.served_page.DocumentLanguage` sends the page with `<html lang>` in the page's language
  instead of Streamlit's fixed "en" (docs/accessibility.md);
- `ui.session_cookie.SessionCookie` (not in the public app, which has no sign-in) answers
  `/_kuntamittari/session`, where the page's script has the sign-in cookie set (and cleared) by
  the server, `HttpOnly` (docs/public.md).

Everything else is Streamlit's own server. `streamlit run app.py` still works; there the
language is set by the app's script, a moment after the page is drawn, and the sign-in cookie is
written by the script (readable by scripts).
"""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from kuntamittari.settings import get_settings
from ui.served_page import DocumentLanguage
from ui.session_cookie import SessionCookie

_public = get_settings().public_only
# The public app has no sign-in, so no cookie address either.
_middleware = [Middleware(DocumentLanguage)] if _public else [Middleware(SessionCookie), Middleware(DocumentLanguage)]
app = st.App("public_app.py" if _public else "app.py", middleware=_middleware)
