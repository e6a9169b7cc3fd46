"""The workshop-mode banner, shown on every page of the app while `settings.workshop_mode` is on.

Workshop mode lets participants approve drafts as an exercise (`accounts.approval`, `metrics.approval`); the banner
says so on every page, so nobody mistakes an installation in workshop mode for a production one.
The public app (`public_only`) never shows it: nothing approved in a workshop reaches it.
"""

from __future__ import annotations

import streamlit as st

from kuntamittari.i18n import t
from kuntamittari.settings import Settings, get_settings


def render_workshop_banner(lang: str, settings: Settings | None = None) -> None:
    """The banner, when workshop mode is on and this is not the public app."""
    from ui.auth import public_only

    settings = settings or get_settings()
    if settings.workshop_mode and not public_only(settings):
        st.info(t("workshop.mode.banner", lang), icon=":material/school:")
