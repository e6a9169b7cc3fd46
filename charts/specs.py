"""Chart builders: plain functions from DataFrames to Vega-Lite specs (dicts), no Streamlit.

Charts are designed with Altair, but building an Altair chart costs 0.1-0.2 s of JSON-schema
validation per chart, more than the queries behind it. So each design is built once per
(kind, decimals) as a template on named datasets with a title placeholder, and a draw only
fills in the data and the titles (microseconds). Tests check the filled specs.

Every chart: axis text #333333 (the Streamlit theme's default grey is 3.7:1), numbers in the page
language's format (the Vega `locale` is set by `ui.render.vega`), and readable with 300
municipalities: rankings show the chosen areas plus the top/bottom N, distributions draw points
(a strip plot with a box), never 300 lines.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import altair as alt
import pandas as pd

from readout.formatting import format_number, is_missing

logger = logging.getLogger(__name__)

AXIS = "#333333"
HIGHLIGHT = "#0b57d0"
MUTED = "#6b7079"
RULE_COLOURS = ["#b3261e", "#146c2e", "#7d5700", "#6a1b9a"]
RULE_DASHES = [[6, 3], [2, 2], [10, 3, 2, 3], [1, 0]]
OUTLINE = "#111111"
EDGE = "#5f6368"  # 6.3:1 on white: the edge of pale areas (box, map, band)
BLOCKS = "▁▂▃▄▅▆▇█"
TOP_N = 15
TITLE = "__KM_VALUE_TITLE__"
COLOUR_TITLE = "__KM_COLOUR_TITLE__"


def _finish(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Axis, legend and facet-title text in #333333 (the default facet title grey is 3.7:1)."""
    return (chart.configure_axis(labelColor=AXIS, titleColor=AXIS).configure_legend(labelColor=AXIS, titleColor=AXIS)
            .configure_header(labelColor=AXIS, titleColor=AXIS))


def number_format(decimals: int) -> str:
    """The d3 number format of a value with `decimals` decimals (thousands grouped)."""
    return f",.{max(0, decimals)}f"


def chart_records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    """JSON-ready rows (NaN -> None, numpy scalars -> Python)."""
    part = frame[list(columns)].astype("object")
    part = part.where(part.notna(), None)
    return json.loads(part.to_json(orient="records", force_ascii=False))


def fill_template(template: str, datasets: dict[str, list[dict[str, Any]]], **titles: str) -> dict[str, Any]:
    """A ready spec from a cached template: the title placeholders (`TITLE`, `COLOUR_TITLE`)
    replaced by `value_title`/`colour_title` (JSON-escaped) and `datasets` added by name."""
    text = template
    for placeholder, value in ((TITLE, titles.get("value_title", "")), (COLOUR_TITLE, titles.get("colour_title", ""))):
        text = text.replace(placeholder, json.dumps(value, ensure_ascii=False)[1:-1])
    spec = json.loads(text)
    spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return spec


# --------------------------------------------------------------------------- sparkline (text)


def unicode_sparkline(values: Sequence[float | None]) -> str:
    """'▂▃▅▇' from values (a gap for a missing one); flat series draw the middle block."""
    present = [float(v) for v in values if not is_missing(v)]
    if not present:
        return ""
    low, high = min(present), max(present)
    span = high - low
    out = []
    for value in values:
        if is_missing(value):
            out.append(" ")
        elif span == 0:
            out.append(BLOCKS[3])
        else:
            out.append(BLOCKS[min(len(BLOCKS) - 1, int((float(value) - low) / span * (len(BLOCKS) - 1) + 0.5))])
    return "".join(out)


def sparkline_text(points: Sequence[tuple[str, float | None]], lang: str, decimals: int) -> str:
    """The words a sparkline stands for: 'first period: value → last period: value'."""
    present = [(p, v) for p, v in points if not is_missing(v)]
    if not present:
        return ""
    (p0, v0), (p1, v1) = present[0], present[-1]
    return f"{p0}: {format_number(v0, lang, decimals)} → {p1}: {format_number(v1, lang, decimals)}"


# --------------------------------------------------------------------------- ranking


@lru_cache(maxsize=32)
def _ranking_template(decimals: int) -> str:
    fmt = number_format(decimals)
    bars = alt.Chart(alt.NamedData(name="bars")).mark_bar().encode(
        x=alt.X("value:Q", title=TITLE, axis=alt.Axis(format=fmt)),
        y=alt.Y("label:N", sort=alt.EncodingSortField("value", order="descending"), title=None),
        color=alt.condition("datum.chosen", alt.value(HIGHLIGHT), alt.value(MUTED)),
        # the user's own municipality is outlined too: colour is never the only difference
        stroke=alt.condition("datum.chosen", alt.value(OUTLINE), alt.value(None)),
        strokeWidth=alt.condition("datum.chosen", alt.value(2), alt.value(0)),
        tooltip=[alt.Tooltip("rank:Q", title="#"), alt.Tooltip("label:N", title=" "),
                 alt.Tooltip("value:Q", title=TITLE, format=fmt)],
    )
    legend = alt.Legend(orient="bottom", columns=1, labelLimit=260, symbolStrokeWidth=2)
    rules = alt.Chart(alt.NamedData(name="rules")).mark_rule(strokeWidth=2).encode(
        x="value:Q",
        color=alt.Color("label:N", title=None, scale=alt.Scale(range=RULE_COLOURS), legend=legend),
        # region, county and Finland differ by dash pattern as well as by colour
        strokeDash=alt.StrokeDash("label:N", title=None, scale=alt.Scale(range=RULE_DASHES), legend=legend),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("value:Q", format=fmt)],
    )
    return json.dumps(_finish(alt.layer(bars, rules).resolve_scale(color="independent")).to_dict(), ensure_ascii=False)


def ranking_chart(frame: pd.DataFrame, *, value_title: str, decimals: int, highlight: Sequence[str] = (),
                  rules: pd.DataFrame | None = None, top_n: int = TOP_N) -> dict[str, Any]:
    """Horizontal bars, largest first; highlighted areas always shown, others cut to top/bottom N.

    `frame` has `area_code`, `label`, `value`; `rules` (optional) `label`, `value` for the
    comparison lines (region, county, Finland).
    """
    data = frame.dropna(subset=["value"]).sort_values("value", ascending=False, kind="stable").reset_index(drop=True)
    data = data.assign(rank=data.index + 1, chosen=data["area_code"].isin(list(highlight)))
    if len(data) > 2 * top_n:
        keep = set(data.index[:top_n]) | set(data.index[-top_n:]) | set(data.index[data["chosen"]])
        data = data.loc[sorted(keep)]
    rule_rows = [] if rules is None else chart_records(rules.dropna(subset=["value"]), ["label", "value"])
    spec = fill_template(_ranking_template(decimals),
                         {"bars": chart_records(data, ["area_code", "label", "value", "rank", "chosen"]),
                          "rules": rule_rows}, value_title=value_title)
    spec["height"] = {"step": 22}  # one readable row per municipality, however many are shown
    return spec


# --------------------------------------------------------------------------- small multiples


@lru_cache(maxsize=32)
def _multiples_template(decimals: int, columns: int) -> str:
    fmt = number_format(decimals)
    chart = alt.Chart(alt.NamedData(name="series")).mark_line(point=True, color=HIGHLIGHT).encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0, labelOverlap=True)),
        y=alt.Y("value:Q", title=TITLE, axis=alt.Axis(format=fmt)),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("year:O", title=" "),
                 alt.Tooltip("value:Q", title=TITLE, format=fmt)],
    ).properties(width=170, height=110).facet(facet=alt.Facet("label:N", title=None), columns=columns)
    return json.dumps(_finish(chart).to_dict(), ensure_ascii=False)


def small_multiples(frame: pd.DataFrame, *, value_title: str, decimals: int, columns: int = 4) -> dict[str, Any]:
    """One small line chart per area (`label`, `year`, `value`), shared y axis."""
    data = frame.dropna(subset=["value"])
    return fill_template(_multiples_template(decimals, columns),
                         {"series": chart_records(data, ["label", "year", "value"])}, value_title=value_title)


# --------------------------------------------------------------------------- distribution


@lru_cache(maxsize=32)
def _distribution_template(decimals: int) -> str:
    fmt = number_format(decimals)
    base = alt.Chart(alt.NamedData(name="all"))
    # A pale box edged in grey (>= 3:1), hollow points at full strength (overlaps stay readable
    # without transparency), chosen municipalities large, filled and named.
    box = base.mark_boxplot(extent=1.5, color="#dde1e6", median={"color": AXIS}, outliers=False,
                            box={"stroke": EDGE, "strokeWidth": 1}, rule={"color": EDGE}, ticks=False).encode(
        x=alt.X("value:Q", title=TITLE, axis=alt.Axis(format=fmt)))
    points = base.mark_point(filled=False, strokeWidth=1, opacity=1).encode(
        x="value:Q",
        y=alt.Y("jitter:Q", axis=None, scale=alt.Scale(domain=[-1, 1])),
        size=alt.condition("datum.chosen", alt.value(120), alt.value(18)),
        color=alt.condition("datum.chosen", alt.value(HIGHLIGHT), alt.value(MUTED)),
        fill=alt.condition("datum.chosen", alt.value(HIGHLIGHT), alt.value("transparent")),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("value:Q", title=TITLE, format=fmt)],
    )
    labels = alt.Chart(alt.NamedData(name="chosen")).mark_text(dy=-12, color=AXIS, fontSize=11).encode(
        x="value:Q", y=alt.Y("jitter:Q", axis=None, scale=alt.Scale(domain=[-1, 1])), text="label:N")
    return json.dumps(_finish(alt.layer(box, points, labels).properties(height=170)).to_dict(), ensure_ascii=False)


def distribution_chart(frame: pd.DataFrame, *, value_title: str, decimals: int,
                       highlight: Sequence[str] = ()) -> dict[str, Any]:
    """All municipalities as points with a deterministic jitter plus a box; chosen ones large and named."""
    data = frame.dropna(subset=["value"]).reset_index(drop=True)
    jitter = [((hash_code(str(c)) % 1000) / 1000.0 - 0.5) * 1.2 for c in data["area_code"]]
    data = data.assign(chosen=data["area_code"].isin(list(highlight)), jitter=jitter)
    chosen = data[data["chosen"]]
    return fill_template(_distribution_template(decimals),
                         {"all": chart_records(data, ["area_code", "label", "value", "chosen", "jitter"]),
                          "chosen": chart_records(chosen, ["label", "value", "jitter"])}, value_title=value_title)


def hash_code(code: str) -> int:
    """A stable small hash (Python's hash() is salted per process; the jitter must not move)."""
    value = 0
    for ch in code:
        value = (value * 131 + ord(ch)) % 1_000_003
    return value


# --------------------------------------------------------------------------- time series


@lru_cache(maxsize=32)
def _series_template(decimals: int, coloured: bool) -> str:
    fmt = number_format(decimals)
    enc: dict[str, Any] = dict(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0, labelOverlap=True)),
        y=alt.Y("value:Q", title=TITLE, axis=alt.Axis(format=fmt)),
    )
    tooltip = [alt.Tooltip("year:O", title=" "), alt.Tooltip("value:Q", title=TITLE, format=fmt),
               alt.Tooltip("flag_text:N", title=" ")]
    if coloured:
        enc["color"] = alt.Color("series:N", title=COLOUR_TITLE, legend=alt.Legend(orient="bottom"))
        enc["strokeDash"] = alt.StrokeDash("series:N", title=COLOUR_TITLE)
        tooltip.insert(0, alt.Tooltip("series:N", title=" "))
    else:
        enc["color"] = alt.value(HIGHLIGHT)
    line = alt.Chart(alt.NamedData(name="series")).mark_line().encode(**enc)
    points = alt.Chart(alt.NamedData(name="series")).mark_point(filled=True).encode(
        **enc, shape=alt.condition("datum.flag", alt.value("triangle-up"), alt.value("circle")),
        size=alt.condition("datum.flag", alt.value(110), alt.value(40)), tooltip=tooltip)
    return json.dumps(_finish(alt.layer(line, points).properties(height=300)).to_dict(), ensure_ascii=False)


def series_chart(frame: pd.DataFrame, *, value_title: str, decimals: int, colour_field: str | None = None,
                 colour_title: str = "", flagged_field: str | None = None, flag_text: str = "") -> dict[str, Any]:
    """A time series (`year`, `value`), optionally one line per `colour_field` (area, gender, age band);
    points whose `flagged_field` is true are drawn as larger triangles (computed or uncertain values)."""
    data = frame.dropna(subset=["value"]).copy()
    data["flag"] = data[flagged_field].astype(bool) if flagged_field and flagged_field in data else False
    data["flag_text"] = [flag_text if f else "" for f in data["flag"]]
    data["series"] = data[colour_field].astype(str) if colour_field else ""
    return fill_template(_series_template(decimals, bool(colour_field)),
                         {"series": chart_records(data, ["year", "value", "flag", "flag_text", "series"])},
                         value_title=value_title, colour_title=colour_title)
