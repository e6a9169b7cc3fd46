"""The authoring page's preview: the answer for a chosen year first, then a chart of a few lines.

A workshop exercise asks a question ("the pilot group's figure for 2010"); the preview answers it
directly: a short table of the preview areas' values for the chosen year (optionally the change
since a base year), formatted for the page's language by the readout's formatter, groups first.
The chart draws at most a handful of areas, told apart by dash pattern, point shape and a label
at each line's end (`charts.lines`), with the metric's name and unit as the axis title.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from charts.lines import MAX_LINES, labelled_lines
from kuntamittari.i18n import t
from metrics.model import AnyMetric
from readout.formatting import format_change, format_number
from readout.text import text_plain
from readout.vintage import frame_vintage
from ui import authoring_support as support
from ui import data
from ui.frame import PageContext
from ui.render import vega
from ui.vintage import draw_vintage


def _tr(key: str, lang: str, **params: Any) -> str:
    return t(f"workshop.preview.{key}", lang, **params)


#: Groups that are not areas of the area dimension: their names are the metric layer's words.
_GROUP_NAMES = {"pilot": "metrics.area.pilot", "similar": "metrics.area.similar", "SSS": "metrics.area.finland"}


def _is_group(code: str) -> bool:
    """Municipalities have three-digit codes; everything else (pilot, region...) is an aggregate."""
    return not (len(code) == 3 and code.isdigit())


def area_labels(rows: pd.DataFrame, lang: str) -> dict[str, str]:
    """Area code -> name in `lang`, groups marked "(group)", in preview order: the pilot group
    first (the municipalities listed are its members), the other groups, then the municipalities."""
    names = support.area_names(lang)
    seen = dict.fromkeys(rows["area_code"])
    fallback = dict(zip(rows["area_code"], rows["area_name"], strict=False))
    labels = {}
    for code in sorted(seen, key=lambda c: 2 if not _is_group(c) else (0 if c == "pilot" else 1)):
        named_group = _GROUP_NAMES.get(code.split(":")[0])
        name = t(named_group, lang) if named_group else (names.get(code) or fallback.get(code) or code)
        labels[code] = _tr("group", lang, name=name) if _is_group(code) else name
    return labels


def answer_table(rows: pd.DataFrame, labels: dict[str, str], year: int, base: int | None, *, lang: str,
                 decimals: int, unit: str) -> pd.DataFrame:
    """One row per area: its value in `year` (and the change since `base`), formatted for `lang`."""
    values = rows.set_index(["area_code", "year"])["value"]

    def value(code: str, y: int) -> float | None:
        found = values.get((code, y))
        return None if found is None or pd.isna(found) else float(found)

    col_value = _tr("col_value", lang, year=year, unit=unit)
    table: dict[str, list[str]] = {_tr("col_area", lang): [], col_value: []}
    col_change = _tr("col_change", lang, base=base) if base is not None else None
    if col_change:
        table[col_change] = []
    for code, label in labels.items():
        now = value(code, year)
        table[_tr("col_area", lang)].append(label)
        table[col_value].append(format_number(now, lang, decimals) if now is not None else _tr("no_value", lang))
        if col_change:
            then = value(code, base)  # type: ignore[arg-type]
            change = None if now is None or then is None else now - then
            table[col_change].append(format_change(change, lang, decimals) if change is not None else _tr("no_value", lang))
    return pd.DataFrame(table).set_index(_tr("col_area", lang))


def _choose_year(years: Sequence[int], key: str, lang: str) -> tuple[int, int | None]:
    """The year shown (newest by default) and an optional base year for the change."""
    if st.session_state.get(f"{key}year") not in years:
        st.session_state.pop(f"{key}year", None)
    left, right = st.columns(2)
    with left:
        year = st.selectbox(_tr("year", lang), list(years), index=0, key=f"{key}year")
    earlier = [y for y in years if y < year]
    if st.session_state.get(f"{key}base") not in [None, *earlier]:
        st.session_state.pop(f"{key}base", None)
    with right:
        base = st.selectbox(_tr("base_year", lang), [None, *earlier], key=f"{key}base",
                            format_func=lambda y: _tr("no_base_year", lang) if y is None else str(y))
    return int(year), base


def _default_lines(labels: dict[str, str], home: str | None) -> list[str]:
    """The home municipality and the groups: a few lines, never the whole pilot list."""
    groups = [c for c in labels if _is_group(c)]
    chosen = ([home] if home in labels else []) + groups
    return chosen[:MAX_LINES] or list(labels)[:MAX_LINES]


def _chart(metric: AnyMetric, rows: pd.DataFrame, labels: dict[str, str], year: int, key: str, lang: str,
           home: str | None) -> None:
    default = _default_lines(labels, home)
    if st.session_state.get(f"{key}lines") is not None and not set(st.session_state[f"{key}lines"]) <= set(labels):
        st.session_state.pop(f"{key}lines", None)
    chosen = st.multiselect(_tr("chart_areas", lang), list(labels), default=default, key=f"{key}lines",
                            format_func=labels.get, max_selections=MAX_LINES, help=_tr("chart_limit", lang, max=MAX_LINES))
    if not chosen:
        return
    data = rows[rows["area_code"].isin(chosen)].assign(series=lambda f: f["area_code"].map(labels))
    name, unit = text_plain(metric.name, lang), text_plain(metric.unit, lang)
    spec = labelled_lines(data[["year", "value", "series"]], value_title=_tr("axis_title", lang, name=name, unit=unit),
                          decimals=metric.decimals, marked_year=year, order=[labels[c] for c in chosen])
    vega(spec, lang, _tr("chart_alt", lang, name=name, areas=", ".join(labels[c] for c in chosen)), key=f"{key}chart")


def preview_block(metric: AnyMetric, ctx: PageContext, key: str) -> None:
    """The preview of an unsaved metric: its vintage, the chosen year's answer table, then the chart."""
    lang, home = ctx.lang, ctx.area
    st.header(t("authoring.preview_heading", lang))
    result = support.preview(metric, ctx.catalog, lang, home)
    if result.error:
        st.warning(t("authoring.preview_failed", lang, reason=result.error))
        return
    rows = result.rows.dropna(subset=["value"])
    if rows.empty:
        st.info(t("authoring.preview_empty", lang))
        return
    # The years the preview is about and its sources' dates, by the same rule as every page.
    draw_vintage(frame_vintage(result.rows, metric.id, metric.update_frequency.value, data.batches(ctx.engine, ctx.db)),
                 lang, ctx.user)
    rows = rows.assign(year=rows["year"].astype(int))
    years = sorted(set(rows["year"]), reverse=True)
    year, base = _choose_year(years, key, lang)
    labels = area_labels(rows, lang)
    unit = text_plain(metric.unit, lang)
    st.markdown(f"**{_tr('answer_heading', lang, year=year)}**")
    table = answer_table(rows, labels, year, base, lang=lang, decimals=metric.decimals, unit=unit)
    st.table(table.style.set_properties(**{"text-align": "right"}))  # numbers line up by their decimals
    _chart(metric, rows, labels, year, key, lang, home)
    st.caption(t("authoring.preview_caption", lang, source=t("common.source_sotkanet", lang)))
