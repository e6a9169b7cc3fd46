"""Selections that live in the URL: a link reproduces the view and a reload keeps it.

Each selection has three homes, read in this order: the query parameter (what a shared link
says), a plain session-state copy (survives a page switch, which clears the URL in
`st.navigation`), then the default. The chosen value is written back to the URL on every run.
A widget's `on_change` callback writes its new value to both homes before the script reruns,
so the widget always wins over a stale URL. Invalid URL values are replaced by the default and
reported to the frame, which shows one plain-language notice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

logger = logging.getLogger(__name__)

STORE_PREFIX = "km_sel_"
WIDGET_PREFIX = "km_w_"
INVALID_KEY = "km_invalid_params"


def _store_key(param: str) -> str:
    return f"{STORE_PREFIX}{param}"


def resolve(param: str, options: Sequence[str], default: str, *, normalise: Callable[[str], str] | None = None) -> str:
    """The current value of `param`: URL if valid, else the session copy, else `default`.

    An invalid URL value is recorded in `st.session_state[INVALID_KEY]` (param -> value).
    """
    raw = st.query_params.get(param)
    if raw is not None and raw != "":
        value = normalise(raw) if normalise else raw
        if value in options:
            return value
        st.session_state.setdefault(INVALID_KEY, {})[param] = raw
        logger.info("ignoring invalid query parameter %s=%r", param, raw)
    stored = st.session_state.get(_store_key(param))
    if stored in options:
        return str(stored)
    return default if default in options or not options else options[0]


def remember(param: str, value: str | None) -> None:
    """Keep `value` as the selection of `param` in the URL and the session copy (None removes)."""
    if value is None or value == "":
        st.session_state.pop(_store_key(param), None)
        if param in st.query_params:
            del st.query_params[param]
        return
    st.session_state[_store_key(param)] = value
    if st.query_params.get(param) != value:
        st.query_params[param] = value


def _on_change(param: str, widget_key: str) -> None:
    remember(param, st.session_state.get(widget_key))
    st.session_state.get(INVALID_KEY, {}).pop(param, None)


def url_select(
    container: Any,
    label: str,
    param: str,
    options: Sequence[str],
    default: str,
    *,
    format_func: Callable[[str], str] = str,
    kind: str = "selectbox",
    normalise: Callable[[str], str] | None = None,
    help: str | None = None,
) -> str:
    """A selectbox/radio/segmented control whose value is the URL parameter `param`.

    `container` is `st`, `st.sidebar` or a column. Returns the chosen option.
    """
    options = list(options)
    if not options:
        remember(param, None)
        return ""
    value = resolve(param, options, default, normalise=normalise)
    widget_key = f"{WIDGET_PREFIX}{param}"
    # Always assign: after a page switch the old page's widget value may still sit under the key
    # while the new page's widget (a new widget id) would start from its first option.
    st.session_state[widget_key] = value
    common = dict(key=widget_key, on_change=_on_change, args=(param, widget_key), help=help)
    if kind == "radio":
        chosen = container.radio(label, options, format_func=format_func, **common)
    elif kind == "segmented":
        chosen = container.segmented_control(label, options, format_func=format_func, selection_mode="single", **common)
    else:
        chosen = container.selectbox(label, options, format_func=format_func, **common)
    chosen = value if chosen is None else str(chosen)
    remember(param, chosen)
    return chosen


def invalid_params() -> dict[str, str]:
    """URL parameters that were ignored in this session because they were not valid."""
    return dict(st.session_state.get(INVALID_KEY, {}))


def clear_invalid() -> None:
    st.session_state.pop(INVALID_KEY, None)


def _on_multi_change(param: str, widget_key: str) -> None:
    values = st.session_state.get(widget_key) or []
    remember(param, ",".join(values) if values else None)
    st.session_state[_store_key(param) + "_empty"] = not values
    st.session_state.get(INVALID_KEY, {}).pop(param, None)


def url_multiselect(container: Any, label: str, param: str, options: Sequence[str], default: Sequence[str], *,
                    format_func: Callable[[str], str] = str, max_selections: int | None = None,
                    normalise: Callable[[str], str] | None = None, help: str | None = None) -> list[str]:
    """A multiselect kept in the URL as a comma-separated list (`areas=208,244`)."""
    allowed = set(options)
    raw = st.query_params.get(param)
    values: list[str]
    if raw:
        items = [(v, normalise(v) if normalise else v) for v in raw.split(",") if v.strip()]
        values = [v for v in dict.fromkeys(value for _raw, value in items) if v in allowed]
        bad = [item for item, value in items if value not in allowed]
        if bad:  # reported as written in the URL
            st.session_state.setdefault(INVALID_KEY, {})[param] = ",".join(bad)
    elif st.session_state.get(_store_key(param) + "_empty"):
        values = []
    else:
        stored = st.session_state.get(_store_key(param))
        values = [v for v in str(stored).split(",") if v in allowed] if stored else [v for v in default if v in allowed]
    if max_selections:
        values = values[:max_selections]
    widget_key = f"{WIDGET_PREFIX}{param}"
    st.session_state[widget_key] = values
    chosen = container.multiselect(label, list(options), format_func=format_func, key=widget_key,
                                   on_change=_on_multi_change, args=(param, widget_key),
                                   max_selections=max_selections, help=help)
    remember(param, ",".join(chosen) if chosen else None)
    return list(chosen)
