"""The page registry: every page of the app, once, with who may see it.

`app.py` builds `st.navigation` from this list for the current user's role, and `ui.frame`
looks a page up here to check its role when Streamlit runs the page file alone (see
Streamlit's own notes: a `pages/` folder makes that happen). Adding a page is one line below; a
page whose file does not exist yet is skipped, so engineers can register before they write.
The registry is plain data (testable without a server); `st_page` makes the Streamlit page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import streamlit as st

from kuntamittari.i18n import t

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
Audience = Literal["public", "internal"]


@dataclass(frozen=True)
class PageSpec:
    """One page: its file under the project root, stable id (= URL path), title key and access."""

    id: str
    path: str
    title_key: str
    icon: str
    audience: Audience = "internal"
    required_role: str | None = "viewer"
    section_key: str = "app.section.dashboard"

    @property
    def exists(self) -> bool:
        return (PROJECT_ROOT / self.path).is_file()


# One line per page. Order = order in the navigation menu; the first available page is the default.
PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "pages/overview.py", "app.page.overview", ":material/dashboard:"),
    PageSpec("compare", "pages/compare.py", "app.page.compare", ":material/bar_chart:"),
    PageSpec("metric_detail", "pages/metric_detail.py", "app.page.metric_detail", ":material/query_stats:"),
    PageSpec("forecast", "pages/forecast.py", "app.page.forecast", ":material/trending_up:"),
    PageSpec("data_status", "pages/data_status.py", "app.page.data_status", ":material/database:",
             section_key="app.section.admin"),
    PageSpec("authoring", "pages/authoring.py", "app.page.authoring", ":material/edit_note:",
             required_role="author", section_key="app.section.admin"),
    PageSpec("training", "pages/training.py", "app.page.training", ":material/school:",
             section_key="app.section.help"),
    PageSpec("public_summary", "pages/public_summary.py", "app.page.public_summary", ":material/public:",
             audience="public", required_role=None, section_key="app.section.public"),
    PageSpec("about_data", "pages/about_data.py", "about.page_title", ":material/info:",
             audience="public", required_role=None, section_key="app.section.public"),
)
DEFAULT_PAGE = "overview"
PUBLIC_START = "public_summary"  # the public app's start page


def get_page(page_id: str) -> PageSpec | None:
    """The registered page `page_id` (None for an unregistered id: treated as internal/viewer)."""
    for spec in PAGES:
        if spec.id == page_id:
            return spec
    return None


def available_pages() -> list[PageSpec]:
    """Registered pages whose file exists."""
    return [spec for spec in PAGES if spec.exists]


def spec_for(page_id: str) -> PageSpec:
    """The page's spec, or a conservative internal/viewer one for an unknown id (with a warning)."""
    spec = get_page(page_id)
    if spec is None:
        logger.warning("page %r is not in ui.navigation.PAGES; treating it as internal", page_id)
        return PageSpec(page_id, f"pages/{page_id}.py", f"app.page.{page_id}", ":material/article:")
    return spec


def st_page(spec: PageSpec, lang: str, *, default: bool = False) -> Any:
    """The `st.Page` of a registered page, titled in `lang`."""
    return st.Page(str(PROJECT_ROOT / spec.path), title=t(spec.title_key, lang), icon=spec.icon, url_path=spec.id,
                   default=default)
