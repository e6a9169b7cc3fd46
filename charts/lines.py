"""A few lines that can be told apart without colour: dash pattern, point shape and a direct label.

Used where a handful of areas are drawn over the years (the authoring page's preview). Colour is
kept as a help, never as the only difference: every line also has its own dash pattern and point
shape, and its name is written at its last point, so no legend has to be matched by colour.
Each line's style is its position (0..MAX_LINES-1) on fixed scales, so the cached design does
not depend on which areas are drawn; only the decimals and the year range are part of the cache key.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import altair as alt
import pandas as pd

from charts.specs import AXIS, HIGHLIGHT, RULE_COLOURS, TITLE, chart_records, fill_template, number_format

MAX_LINES = 5
DASHES: tuple[tuple[int, ...], ...] = ((1, 0), (8, 4), (2, 3), (10, 3, 2, 3), (4, 4))
SHAPES: tuple[str, ...] = ("circle", "square", "triangle-up", "diamond", "cross")
COLOURS: tuple[str, ...] = (HIGHLIGHT, *RULE_COLOURS)  # each at least 4.5:1 against white


@lru_cache(maxsize=32)
def _template(decimals: int, first: int, last: int) -> str:
    fmt = number_format(decimals)
    room = max(2.0, (last - first) * 0.3)  # space right of the last year for the line names
    x = alt.X("year:Q", title=None, scale=alt.Scale(domain=[first - 0.3, last + room], nice=False),
              axis=alt.Axis(format="d", labelOverlap=True, values=list(range(first, last + 1))))
    # The title reads horizontally above the axis: a long "name (unit)" is not cut as a vertical one is.
    y = alt.Y("value:Q", title=TITLE, scale=alt.Scale(zero=False),
              axis=alt.Axis(format=fmt, titleAngle=0, titleAlign="left", titleAnchor="end", titleBaseline="bottom",
                            titleX=0, titleY=-14, titleLimit=800, titleFontWeight="normal"))
    slots = [str(i) for i in range(MAX_LINES)]  # the n-th line's style; fixed, so the design is cacheable
    colour = alt.Color("style:N", scale=alt.Scale(domain=slots, range=list(COLOURS[:MAX_LINES])), legend=None)
    dash = alt.StrokeDash("style:N", scale=alt.Scale(domain=slots, range=[list(d) for d in DASHES]), legend=None)
    shape = alt.Shape("style:N", scale=alt.Scale(domain=slots, range=list(SHAPES)), legend=None)
    tooltip = [alt.Tooltip("series:N", title=" "), alt.Tooltip("year:Q", title=" ", format="d"),
               alt.Tooltip("value:Q", title=TITLE, format=fmt)]
    lines = alt.Chart(alt.NamedData(name="points")).mark_line(strokeWidth=2).encode(
        x=x, y=y, detail="series:N", color=colour, strokeDash=dash)
    points = alt.Chart(alt.NamedData(name="points")).mark_point(filled=True, size=60, opacity=1).encode(
        x=x, y=y, color=colour, shape=shape, tooltip=tooltip)
    labels = alt.Chart(alt.NamedData(name="labels")).mark_text(align="left", dx=8, fontSize=12, color=AXIS).encode(
        x=x, y=y, text="series:N")
    rule = alt.Chart(alt.NamedData(name="marked")).mark_rule(color=AXIS, strokeDash=[3, 3]).encode(x=x)
    chart = alt.layer(rule, lines, points, labels).properties(height=320, padding={"top": 24, "left": 5, "right": 5,
                                                                                       "bottom": 5})
    chart = chart.configure_axis(labelColor=AXIS, titleColor=AXIS)
    return json.dumps(chart.to_dict(), ensure_ascii=False)


def labelled_lines(frame: pd.DataFrame, *, value_title: str, decimals: int, marked_year: int | None = None,
                   order: Sequence[str] | None = None) -> dict[str, Any]:
    """Lines of `value` over `year`, one per `series` (at most `MAX_LINES`, in `order`), each with
    its own dash, shape and colour and its name at its last point; `marked_year` gets a rule."""
    data = frame.dropna(subset=["value"]).copy()
    names = [s for s in (order or dict.fromkeys(data["series"])) if s in set(data["series"])][:MAX_LINES]
    data = data[data["series"].isin(names)]
    style = {name: str(i) for i, name in enumerate(names)}
    data["style"] = data["series"].map(style)
    data["year"] = data["year"].astype(int)
    first, last = (int(data["year"].min()), int(data["year"].max())) if not data.empty else (2000, 2001)
    ends = data.sort_values("year").groupby("series", sort=False).tail(1)
    columns = ["year", "value", "series", "style"]
    marked = [{"year": int(marked_year)}] if marked_year is not None else []
    return fill_template(_template(int(decimals), first, last),
                         {"points": chart_records(data, columns), "labels": chart_records(ends, columns), "marked": marked},
                         value_title=value_title)
