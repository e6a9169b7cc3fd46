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
from ui.navigation import DEFAULT_PAGE, PUBLIC_START, PageSpec, available_pages, st_page

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
    """The hidden `st.navigation` of this run: every available page is routable (so a documented
    address such as `/overview` never ends in Streamlit's English "Page not found"; each page's
    frame checks the role itself), and the menu the user sees is drawn by `draw_menu`.

    Streamlit's sectioned sidebar menu puts section headers inside its `<ul>` (an axe `list`
    violation), so the app draws its own flat menu of links instead."""
    from ui.auth import current_user, public_only

    lang = normalise_language(st.query_params.get("lang") or st.session_state.get("km_sel_lang"))
    settings = get_settings()
    specs = visible_pages(current_user(settings), public_only(settings))
    default_id = DEFAULT_PAGE if any(p.id == DEFAULT_PAGE for p in specs) else (specs[0].id if specs else DEFAULT_PAGE)
    if public_only(settings) and specs:
        default_id = next((p.id for p in specs if p.id == PUBLIC_START), specs[0].id)
    pages = [st_page(spec, lang) for spec in available_pages()]
    target = next((page for page in pages if page.url_path == default_id), pages[0])
    return st.navigation([_start_page(target), *pages], position="hidden")


def _start_page(target: Any) -> Any:
    """The address `/`: opens the start page under its own address (keeping the query), so the
    start page is also reachable as `/overview` (Streamlit serves its default page only at `/`
    and answers its own path with an English "Page not found")."""
    def start() -> None:
        st.switch_page(target, query_params=st.query_params.to_dict())

    return st.Page(start, title=target.title, icon=target.icon, url_path="start", default=True)


def menu_sections(user: Any, public_only_: bool, lang: str) -> list[tuple[str, list[PageSpec]]]:
    """The menu for `user`: (section title, pages) in registry order; pure, so tests can check it."""
    sections: OrderedDict[str, list[PageSpec]] = OrderedDict()
    for spec in visible_pages(user, public_only_):
        sections.setdefault(t(spec.section_key, lang), []).append(spec)
    return list(sections.items())


def draw_menu(container: Any, user: Any, lang: str) -> None:
    """The app's own page menu: one link per page the user may open, under a plain-text section
    title (not a heading: the page's own h1 comes first in the outline). Nothing with one page."""
    from ui.auth import public_only
    from ui.render import page_link

    sections = menu_sections(user, public_only(get_settings()), lang)
    if sum(len(pages) for _title, pages in sections) < 2:
        return
    with container.container(key="km_menu"):
        st.markdown(f"**{t('a11y.menu', lang)}**")
        for title, pages in sections:
            if len(sections) > 1:
                st.caption(title)
            for spec in pages:
                params = {"lang": lang}
                page_link(spec.path, t(spec.title_key, lang), icon=spec.icon, query_params=params)
