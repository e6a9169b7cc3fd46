"""Lines that can be told apart without colour: dash pattern, point shape and a direct label.

The app's one rule for charts of several areas over the years. Colour is kept as a help, never as
the only difference: every area also has its own point shape (and, where dash is not needed for
something else, its own dash pattern), and its name is written at its last point, so no legend
has to be matched by colour. The style tables below are shared by every such chart: the
authoring page's preview (`labelled_lines`, at most `MAX_LINES` areas, each with its own dash)
and the forecast page (`charts.forecast`, up to `MAX_STYLES` areas told apart by shape and name,
the dash telling history, forecast and scenarios apart).

Each line's style is its position (0..n-1) on fixed scales, so the cached design does not depend
on which areas are drawn; only the decimals and the year range are part of the cache key. The
public summary's chart (`charts.public`) and the printed small multiples (`reports.charts`) draw
one line per area level: each level keeps its own position here (`level_styles`), so the same
level has the same colour, dash and shape on the page, the static site and the PDF, also when
another level has no line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import count
from typing import Any

import altair as alt
import pandas as pd

from charts.specs import AXIS, HIGHLIGHT, TITLE, chart_records, fill_template, number_format
from readout.build import PUBLIC_COMPARISONS

MAX_LINES = 5
#: Dash patterns, solid first; distinct at a stroke width of 2 px.
DASHES: tuple[tuple[int, ...], ...] = ((1, 0), (8, 4), (2, 3), (10, 3, 2, 3), (4, 4), (12, 3, 2, 3, 2, 3),
                                       (2, 7), (16, 4), (6, 2, 2, 2), (1, 3), (20, 4, 4, 4), (8, 2, 2, 2, 2, 2))
#: Vega's symbol names plus two SVG paths in its unit square (a star and a diagonal cross), so that
#: ten areas have ten outlines that differ filled or hollow.
STAR = "M0,-1L0.24,-0.33L0.95,-0.31L0.38,0.12L0.59,0.81L0,0.4L-0.59,0.81L-0.38,0.12L-0.95,-0.31L-0.24,-0.33Z"
SALTIRE = "M-1,-0.6L-0.6,-1L0,-0.4L0.6,-1L1,-0.6L0.4,0L1,0.6L0.6,1L0,0.4L-0.6,1L-1,0.6L-0.4,0Z"
SHAPES: tuple[str, ...] = ("circle", "square", "triangle-up", "diamond", "cross", "triangle-down", STAR, SALTIRE,
                           "triangle-right", "triangle-left")
#: Each at least 4.5:1 against white (so also as thin lines and hollow points); the first four
#: (blue, orange, green, purple) stay apart for the common kinds of colour blindness.
COLOURS: tuple[str, ...] = (HIGHLIGHT, "#b35806", "#1b7837", "#762a83", "#b3261e", "#00696b", "#a3156a", "#7d5700",
                            "#455a64", "#556b00")
MAX_STYLES = len(SHAPES)  # areas that get a style of their own
#: The area levels of the public readout's series (the area, then what it is compared with), each
#: with the style at its position.
LEVELS: tuple[str, ...] = ("area", *PUBLIC_COMPARISONS)


@dataclass(frozen=True)
class LineStyle:
    """How one line is told apart: colour (a help only), dash pattern and point shape."""

    colour: str
    dash: tuple[int, ...]
    shape: str


def line_style(position: int) -> LineStyle:
    """The style of the line at `position` (0-based; the tables repeat past their ends)."""
    return LineStyle(COLOURS[position % len(COLOURS)], DASHES[position % len(DASHES)], SHAPES[position % len(SHAPES)])


def level_styles(levels: Sequence[str]) -> list[LineStyle]:
    """The style of each line by its area level ('area', 'region', 'county', 'finland'): a level
    has its own style whichever other levels are drawn; any other kind takes the next free one."""
    spare = count(len(LEVELS))
    return [line_style(LEVELS.index(level) if level in LEVELS else next(spare)) for level in levels]


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
    dash = alt.StrokeDash("style:N", scale=alt.Scale(domain=slots, range=[list(d) for d in DASHES[:MAX_LINES]]), legend=None)
    shape = alt.Shape("style:N", scale=alt.Scale(domain=slots, range=list(SHAPES[:MAX_LINES])), legend=None)
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
