"""The only cache layer: engine and catalogue as resources, query results as cached data.

Everything a page shows comes from `metrics` through these wrappers, so a rerun (a widget
click) repeats no query. Rules (STYLE.md section 7): the engine and the catalogue come from
`st.cache_resource`; results from `st.cache_data(ttl, max_entries)` keyed by primitives, with
the engine and catalogue passed as `_engine`/`_catalog` (not hashed) and identified by their
URL and catalogue fingerprint instead. The catalogue fingerprint is the newest mtime of its
YAML files, so a metric saved on the authoring page shows without a restart.

Freshness: the database key (`db_key`) carries the warehouse's data version (newest load batch,
number of batches, area counter: `metrics.freshness`), read once per page run. A load that
commits, from the CLI, a refresh or another app replica, changes the key, so the next page run
computes afresh instead of serving the old value until a time-to-live runs out; the TTL only
bounds how long unused entries take memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from kuntamittari.settings import get_settings
from metrics import freshness, service, warehouse
from metrics.catalog import Catalog, load_catalog
from metrics.model import Selection
from readout.build import build_area_readout
from readout.model import AreaReadout

logger = logging.getLogger(__name__)
T = TypeVar("T")

TTL = get_settings().cache_ttl_seconds
SMALL = 64
LARGE = 256


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    return warehouse.open_database(url)


def get_engine() -> Engine:
    """The process-wide engine on the configured database, migrated and loaded (once)."""
    return _engine_for(get_settings().resolved_database_url)


def db_url_key(engine: Engine) -> str:
    """`engine`'s URL without the password (what identifies the database itself)."""
    return engine.url.render_as_string(hide_password=True)


_RUN_MEMO = "_kuntamittari_run_memo"


def once_per_run(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` once per page run and `key` (every call in one run gets the same answer).

    Streamlit gives a run no id, but `ScriptRunContext.reset` gives every run a new `cursors`
    dict: the memo is kept on the context and holds that dict (an identity check, never stale).
    Outside a Streamlit run it just computes.
    """
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
    except Exception:  # noqa: BLE001 - outside a Streamlit run there is no context
        ctx = None
    run = getattr(ctx, "cursors", None)
    if run is None:
        return compute()
    memo = getattr(ctx, _RUN_MEMO, None)
    if memo is None or memo[0] is not run:
        memo = (run, {})
        try:
            setattr(ctx, _RUN_MEMO, memo)
        except AttributeError:  # a context that takes no new attributes: compute every time
            return compute()
    if key not in memo[1]:
        memo[1][key] = compute()
    return memo[1][key]


def data_version(engine: Engine) -> str:
    """The warehouse's data version, read once per page run (one query of ~0.1-0.2 ms), so every
    cached call of one run agrees even if a load commits in the middle of it."""
    return once_per_run(("data_version", db_url_key(engine)), lambda: freshness.data_version(engine))


def db_key(engine: Engine) -> str:
    """The cache key that stands for `engine`'s data: its URL (no password) and data version."""
    return f"{db_url_key(engine)}#{data_version(engine)}"


def metrics_dir() -> Path:
    return Path(get_settings().metrics_dir)


def catalogue_fingerprint(directory: Path) -> str:
    """Newest mtime and count of the catalogue's YAML files: changes whenever a file is saved."""
    if not directory.is_dir():
        return f"{directory}|missing"
    stamps = [p.stat().st_mtime_ns for p in directory.rglob("*.yaml")]
    return f"{directory}|{len(stamps)}|{max(stamps, default=0)}"


@st.cache_resource(show_spinner=False, max_entries=4)
def _catalog_for(directory: str, fingerprint: str, _engine: Engine, url: str) -> Catalog:
    logger.info("loading catalogue %s (%s)", directory, fingerprint)
    return load_catalog(Path(directory), engine=_engine)


@dataclass(frozen=True)
class CatalogHandle:
    """The catalogue and the fingerprint that keys every cached result computed from it."""

    catalog: Catalog
    key: str


def get_catalog(engine: Engine) -> CatalogHandle:
    directory = metrics_dir()
    fingerprint = catalogue_fingerprint(directory)
    catalog = _catalog_for(str(directory), fingerprint, engine, db_key(engine))
    return CatalogHandle(catalog, fingerprint)


# --------------------------------------------------------------------------- results


@st.cache_data(ttl=TTL, max_entries=SMALL, show_spinner=False)
def area_readout(_engine: Engine, _catalog: Catalog, db: str, cat: str, area: str,
                 compare_with: tuple[str, ...] = ("region",), include_drafts: bool = False,
                 audience: str = "internal", with_parts: bool = False) -> AreaReadout:
    """The readout of one area (frozen, language-independent); pages localise it per language."""
    return build_area_readout(_engine, _catalog, area, compare_with=compare_with, audience=audience,  # type: ignore[arg-type]
                              include_drafts=include_drafts, with_parts=with_parts)


@st.cache_data(ttl=TTL, max_entries=LARGE, show_spinner=False)
def metric_frame(_engine: Engine, _catalog: Catalog, db: str, cat: str, metric_id: str, areas: tuple[str, ...],
                 periods: tuple[str, ...] | None = None, gender: str = "total", age_band: str = "all") -> pd.DataFrame:
    selection = Selection(areas=areas, periods=periods, gender=gender, age_band=age_band)
    return service.query_metric(_engine, _catalog, metric_id, selection)


@st.cache_data(ttl=TTL, max_entries=LARGE, show_spinner=False)
def comparison_codes(_engine: Engine, db: str, area: str, compare_with: str) -> list[str]:
    return service.comparison_areas(_engine, area, compare_with)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def areas(_engine: Engine, db: str, area_type: str | None = None) -> pd.DataFrame:
    return service.list_areas(_engine, area_type)


@st.cache_data(ttl=TTL, max_entries=SMALL, show_spinner=False)
def provenance(_engine: Engine, _catalog: Catalog, db: str, cat: str, metric_id: str) -> pd.DataFrame:
    return service.metric_provenance(_engine, _catalog, metric_id)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def batches(_engine: Engine, db: str) -> pd.DataFrame:
    return service.load_batches(_engine)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def status(_engine: Engine, _catalog: Catalog, db: str, cat: str) -> pd.DataFrame:
    return service.data_status(_engine, _catalog)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def years(_engine: Engine, db: str) -> list[int]:
    """Calendar years present in the period dimension, newest first (the sidebar's period list)."""
    return warehouse.years(_engine)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def age_bands(_engine: Engine, db: str) -> list[str]:
    """Age bands present in the group dimension besides 'all' (breakdowns on the detail page)."""
    return warehouse.age_bands(_engine)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def area_names(_engine: Engine, db: str, lang: str) -> dict[str, str]:
    """Area code -> official name in `lang` (Finnish where there is none)."""
    return warehouse.area_names(_engine, lang)


def clear_all() -> None:
    """Drop cached results (after a load or a catalogue change made outside the app)."""
    st.cache_data.clear()


def clear_after_load() -> None:
    """Drop cached results and the catalogue after a load from the app (a refresh): the
    catalogue's validation knows which series the database has, so a metric whose series were
    just loaded for the first time joins it."""
    clear_all()
    _catalog_for.clear()
