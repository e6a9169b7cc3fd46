"""Builds `st.navigation` from the page registry for the current user (used by app.py).

Which pages appear: public pages always; internal pages the user's role allows. A visitor who
is not signed in still sees the default internal page, whose frame shows the sign-in form, so
there is a way in. In the public app (`public_only`) internal pages never appear.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

import streamlit as st

from kuntamittari.i18n import normalise_language, t
from kuntamittari.settings import get_settings
from ui.navigation import DEFAULT_PAGE, PageSpec, available_pages, st_page

logger = logging.getLogger(__name__)
_local = threading.local()
_RERUN_FLAG = "_km_reran_via_app"


def running_via_app() -> bool:
    """Whether this script run came through app.py's `st.navigation` (else the page runs alone)."""
    return bool(getattr(_local, "via_app", False))


def run_app() -> None:
    """app.py's body: build the navigation and run the chosen page, marked as 'via app'."""
    page = build_navigation()
    _local.via_app = True
    try:
        page.run()
    finally:
        _local.via_app = False


def ensure_navigation() -> None:
    """Called by the frame when a page runs alone (Streamlit's `pages/` mode, docs/dashboard.md):
    registering our `st.navigation` here draws the real menu (titles, roles) and takes the
    process out of that mode, so later requests go through app.py."""
    if running_via_app():
        return
    try:
        build_navigation()
    except Exception:  # noqa: BLE001 - the menu is a convenience; the page itself must still show
        logger.warning("could not register the navigation from a page run alone", exc_info=True)
        return
    # The next run goes through app.py, where Streamlit gives every widget a new identity: whatever
    # the user typed on this first, lone run would be reset by their second interaction. So rerun
    # once, right now, before any widget is drawn. (AppTest keeps running pages alone; the flag
    # stops a loop there.)
    if not st.session_state.get(_RERUN_FLAG):
        st.session_state[_RERUN_FLAG] = True
        st.rerun()


def visible_pages(user: Any, public_only: bool, signed_in_needed_entry: bool = True) -> list[PageSpec]:
    """Pages to list for `user` (None = not signed in): pure, so tests can check the role logic."""
    from ui.auth import may_view

    settings = get_settings()
    pages = [p for p in available_pages() if may_view(user, p.audience, p.required_role, settings)]
    if user is None and not public_only and signed_in_needed_entry:
        entry = [p for p in available_pages() if p.id == DEFAULT_PAGE]
        pages = entry + [p for p in pages if p.id != DEFAULT_PAGE]
    return pages


def build_navigation() -> Any:
    """The `st.navigation` object for this run, sections titled in the URL's language."""
    from ui.auth import current_user, public_only

    lang = normalise_language(st.query_params.get("lang") or st.session_state.get("km_sel_lang"))
    settings = get_settings()
    specs = visible_pages(current_user(settings), public_only(settings))
    if not specs:  # nothing at all: show the default page anyway, its frame explains why
        specs = [p for p in available_pages() if p.id == DEFAULT_PAGE]
    sections: OrderedDict[str, list[Any]] = OrderedDict()
    default_id = DEFAULT_PAGE if any(p.id == DEFAULT_PAGE for p in specs) else specs[0].id
    for spec in specs:
        page = st_page(spec, lang, default=spec.id == default_id)
        sections.setdefault(t(spec.section_key, lang), []).append(page)
    # The public app hides its menu (see public_app.py); its pages link to each other.
    return st.navigation(dict(sections), position="hidden" if public_only(settings) else "sidebar")
