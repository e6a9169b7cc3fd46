"""The common frame every page draws first: `ctx = page_frame("overview")`.

Why one function: with a `pages/` folder Streamlit sometimes runs a page file alone, without
`app.py` (AppTest reruns, the first deep link after a server start; see docs/dashboard.md, "pages run alone"). So each
page calls `page_frame`, which on its own sets the page config, reads the URL, draws the sidebar
(language, municipality, comparison group, period), checks the page's role from the registry,
makes sure the database is ready, loads the catalogue and sets `<html lang>`. The page then only
asks `metrics` (through `ui.data`) and draws.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from kuntamittari.i18n import LANGUAGE_NAMES, language_code, t
from kuntamittari.settings import LANGUAGES, get_settings
from metrics.catalog import Catalog
from metrics.service import normalise_area_code
from metrics.warehouse import fault_message
from readout.localise import sources_line
from readout.model import Source
from readout.sources import sources_of_batches
from readout.text import text_plain
from ui import a11y, data, state
from ui.navigation import PageSpec, spec_for

logger = logging.getLogger(__name__)

COMPARE_KINDS: tuple[str, ...] = ("region", "county", "finland", "similar", "pilot")
LATEST = "latest"
DEFAULT_METRIC = "unemployment_rate"  # the metric a page opens with when the URL names none
MUNICIPALITY = "kunta"


@dataclass(frozen=True)
class PageContext:
    """What a page needs after the frame: the selections, the data handles and a translator."""

    page: PageSpec
    lang: str
    area: str
    area_name: str
    compare_with: str
    period: str | None  # a year code such as '2011', or None for "latest available"
    engine: Engine
    catalog: Catalog
    catalog_key: str
    user: Any = None
    areas: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)

    @property
    def db(self) -> str:
        return data.db_key(self.engine)

    def t(self, key: str, **params: Any) -> str:
        return t(key, self.lang, **params)

    def area_label(self, code: str, name_fi: str | None = None, name_sv: str | None = None) -> str:
        """The name of an area in the current language (Swedish name where one exists)."""
        return area_name(self.areas, code, self.lang, name_fi, name_sv)

    def select(self, label: str, param: str, options: Sequence[str], default: str, *,
               format_func: Callable[[str], str] = str, kind: str = "selectbox", container: Any = None,
               help: str | None = None, normalise: Callable[[str], str] | None = None) -> str:
        """A page's own URL-backed choice (e.g. `metric=`), same rules as the sidebar's."""
        value = state.url_select(container or st, label, param, options, default, format_func=format_func,
                                 kind=kind, help=help, normalise=normalise)
        self._report_invalid(param)
        return value

    def choose_metric(self, metrics: Iterable[Any], label: str, *, container: Any = None) -> Any | None:
        """The page's metric choice (`metric=`), listed by name in the page language, defaulting to
        `DEFAULT_METRIC` when it is there; None when there is no metric to choose."""
        ordered = sorted(metrics, key=lambda m: text_plain(m.name, self.lang).lower())
        if not ordered:
            return None
        by_id = {m.id: m for m in ordered}
        default = DEFAULT_METRIC if DEFAULT_METRIC in by_id else ordered[0].id
        chosen = self.select(label, "metric", list(by_id), default, container=container,
                             format_func=lambda i: text_plain(by_id[i].name, self.lang))
        return by_id[chosen]

    def multiselect(self, label: str, param: str, options: Sequence[str], default: Sequence[str], *,
                    format_func: Callable[[str], str] = str, max_selections: int | None = None,
                    container: Any = None, normalise: Callable[[str], str] | None = None) -> list[str]:
        """A page's own URL-backed multiple choice (e.g. `areas=208,244`); unknown entries are
        dropped with the same notice as an unknown single value."""
        values = state.url_multiselect(container or st, label, param, options, default, format_func=format_func,
                                       max_selections=max_selections, normalise=normalise)
        self._report_invalid(param, "app.invalid_items")
        return values

    def _report_invalid(self, param: str, key: str = "app.invalid_param") -> None:
        bad = state.invalid_params().get(param)
        if bad is not None:
            st.warning(t(key, self.lang, param=param, value=bad))
            state.clear_invalid()

    def attribution(self, sources: Sequence[Source] | None = None) -> None:
        """The sources of what the page shows (name, licence, retrieval or upload date, per source),
        from the data's provenance; without `sources`, every source loaded in the database."""
        if sources is None:
            sources = sources_of_batches(data.batches(self.engine, self.db))
        st.caption(sources_line(sources, self.lang))


def area_name(areas: pd.DataFrame, code: str, lang: str, name_fi: str | None = None, name_sv: str | None = None) -> str:
    """The area's official name in `lang` (Finnish where there is none), named groups in words,
    the code itself as the last resort."""
    names = {"fi": name_fi, "sv": name_sv, "en": None}
    if not areas.empty:
        rows = areas[areas["code"] == code]
        if not rows.empty:
            row = rows.iloc[-1]
            names = {k: row.get(f"name_{k}") for k in ("fi", "sv", "en")}
    for value in (names.get(lang), names.get("fi")):
        if isinstance(value, str) and value:
            return value
    if code in COMPARE_KINDS or code.split(":")[0] in ("pilot", "similar"):
        return t(f"metrics.area.{code.split(':')[0]}", lang)
    if code == "SSS":
        return t("metrics.area.finland", lang)
    return code


def normalise_area_param(raw: str) -> str:
    """`?area=KU208`, `208` and ` 208 ` all mean Kalajoki; a garbled code stays as it is (and is
    then reported as unknown)."""
    try:
        return normalise_area_code(raw)
    except Exception:  # noqa: BLE001 - a garbled code is simply not an option
        return raw


def set_document_language(lang: str) -> None:
    """`<html lang>` for screen readers (Streamlit hard-codes 'en'), with the rest of the
    accessibility layer (`ui.a11y`)."""
    a11y.page_support(lang)


def _access(spec: PageSpec, lang: str) -> Any:
    """The role gate of `ui.auth` (sign-in, roles, the public app)."""
    from ui.auth import render_dev_banner, render_user_box, require_access
    from ui.workshop_mode import render_workshop_banner

    user = require_access(spec.audience, spec.required_role, lang)
    render_user_box(lang)
    render_dev_banner(lang)
    render_workshop_banner(lang)
    return user


def _fail(lang: str, key: str, exc: BaseException | None = None) -> None:
    if exc is not None:
        logger.error("frame: %s", key, exc_info=exc)
    st.error(t(key, lang))
    st.stop()


def _municipalities(areas: pd.DataFrame) -> pd.DataFrame:
    munis = areas[areas["area_type"] == MUNICIPALITY]
    return munis.drop_duplicates("code", keep="last").sort_values("name_fi", kind="stable")


def page_frame(page_id: str, *, sidebar: bool = True) -> PageContext:
    """Draw the shared frame for page `page_id` and return its context (or stop with a message)."""
    spec = spec_for(page_id)
    settings = get_settings()
    lang = state.resolve("lang", LANGUAGES, settings.default_language, normalise=language_code)
    st.set_page_config(page_title=f"{t(spec.title_key, lang)} – Kuntamittari", page_icon=":material/monitoring:",
                       layout="wide")
    from ui.app_shell import draw_menu, ensure_navigation

    ensure_navigation()
    side = st.sidebar
    a11y.hold_until_language(st, lang)  # in the main area: drawn before any heading there
    a11y.page_support(lang)  # <html lang> first, before any text in the page language
    menu = side.container()
    lang = state.url_select(side, t("app.sidebar.language", lang), "lang", LANGUAGES, lang,
                            format_func=lambda code: LANGUAGE_NAMES[code], normalise=language_code)
    user = _access(spec, lang)
    draw_menu(menu, user, lang)

    try:
        # Only the very first start waits here (migrations + loading the bundled data, ~10 s);
        # the spinner shows only when the call takes longer than half a second.
        with st.spinner(t("app.preparing_database", lang)):
            engine = data.get_engine()
    except ScriptControlException:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to reach the DB becomes one message
        _fail(lang, "app.error.database", exc)
    try:
        handle = data.get_catalog(engine)
        areas = data.areas(engine, data.db_key(engine))
    except ScriptControlException:
        raise
    except Exception as exc:  # noqa: BLE001
        _fail(lang, "app.error.catalogue", exc)

    munis = _municipalities(areas)
    codes = list(munis["code"])
    if not codes:
        _fail(lang, "app.error.no_areas")
    default_area = normalise_area_code(settings.default_area) if settings.default_area else codes[0]

    names = {code: area_name(munis, code, lang, fi, sv)
             for code, fi, sv in zip(munis["code"], munis["name_fi"], munis["name_sv"], strict=True)}

    def area_label(code: str) -> str:
        return f"{names.get(code, code)} ({code})"

    area = state.url_select(side, t("app.sidebar.area", lang), "area", codes, default_area,
                            format_func=area_label, normalise=normalise_area_param) if sidebar else \
        state.resolve("area", codes, default_area, normalise=normalise_area_param)
    compare_with = state.url_select(side, t("app.sidebar.compare", lang), "cmp", COMPARE_KINDS, "region",
                                    format_func=lambda k: t(f"app.compare.{k}", lang)) if sidebar else \
        state.resolve("cmp", COMPARE_KINDS, "region")
    year_options = [LATEST] + [str(y) for y in data.years(engine, data.db_key(engine))]
    chosen = state.url_select(side, t("app.sidebar.period", lang), "period", year_options, LATEST,
                              format_func=lambda y: t("app.sidebar.latest", lang) if y == LATEST else y) if sidebar else \
        state.resolve("period", year_options, LATEST)
    if chosen == LATEST:
        state.remember("period", None)
    if not sidebar:  # no widget rewrote the URL: replace an invalid value by the one in use
        invalid = state.invalid_params()
        for param, value in (("area", area), ("cmp", compare_with), ("period", chosen)):
            if param in invalid:
                state.remember(param, None if value == LATEST else value)

    for param, value in state.invalid_params().items():
        st.warning(t("app.invalid_param", lang, param=param, value=value))
    state.clear_invalid()
    errors = handle.catalog.errors
    if errors and spec.id != "data_status":
        st.caption(t("app.catalogue_errors", lang, count=len(errors)))

    return PageContext(
        page=spec, lang=lang, area=area, area_name=names.get(area, area), compare_with=compare_with,
        period=None if chosen == LATEST else chosen, engine=engine, catalog=handle.catalog,
        catalog_key=handle.key, user=user, areas=areas,
    )


@contextmanager
def guarded(ctx_or_lang: PageContext | str) -> Iterator[None]:
    """Run a page body; a library error becomes one plain message (logged with its traceback)."""
    lang = ctx_or_lang.lang if isinstance(ctx_or_lang, PageContext) else ctx_or_lang
    try:
        yield
    except ScriptControlException:
        raise
    except Exception as exc:  # noqa: BLE001 - the user gets a message, the log the traceback
        logger.exception("page failed")
        # database locked, disk full, connection lost ...: one line saying what to do
        st.error(fault_message(exc, lang) or t("app.error.page", lang))
