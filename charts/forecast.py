"""The forecast page's chart: history, the shown forecast with its band, other models and scenarios
for up to `MAX_AREAS` areas, readable without colour by the app's one line-style rule (`charts.lines`).

Two things vary on this chart: the area and the kind of line (history, the shown forecast, another
model, a scenario). The kind has its own dash pattern (history solid, forecast dashed, the others
named in the legend). The area has its own point shape on every point, the band's edges included,
and its name is written after its last point; its colour (`charts.lines.COLOURS`) is only a help.
So several areas are never told apart by colour alone, and the legend is never matched by colour.

Text is #333333 (>= 4.5:1); lines and points are drawn in colours of >= 4.5:1 at full opacity; the
band is a pale fill edged by a dotted grey line of 6.3:1. The design is built once per (language,
decimals, kinds of line) as a template, like `charts.specs`; a draw fills in the data and the axes'
ranges, so the page's progressive redraws cost microseconds.

The y range is set here (not by Vega) so the area names at the lines' ends can be spread apart in
pixels: with ten areas ending near one value the names would otherwise be written on top of each other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import altair as alt
import pandas as pd

from charts.lines import COLOURS, DASHES, MAX_STYLES, SHAPES
from charts.specs import AXIS, EDGE, TITLE, chart_records, fill_template, number_format
from forecasting.base import period_position
from forecasting.results import ScenarioOutcome, SeriesForecast
from kuntamittari.i18n import t
from readout.forecast import model_label

MAX_AREAS = MAX_STYLES
HEIGHT = 340  # pixels of the plot; the names' spacing is computed for it
LABEL_GAP = 16  # pixels between two names at the lines' ends (12 px text)
#: The axes' ranges: Vega-Lite variables the template refers to, set by each draw.
RANGES = ("km_x_min", "km_x_max", "km_y_min", "km_y_max", "km_x_last")
COLUMNS = ["area", "series", "period", "value", "lower", "upper"]


def chart_frame(areas: Sequence[SeriesForecast], lang: str, *, area_label: Callable[[str], str],
                scenario_label: Callable[[ScenarioOutcome], str], all_models: bool = False) -> pd.DataFrame:
    """The chart's rows (`COLUMNS`): per area its history, the shown model's forecast joined to the
    last observed value (with the band), the other models' lines when `all_models`, and the
    scenarios other than the baseline, each named for the reader."""
    history, forecast = t("forecasting.page.history", lang), t("forecasting.page.forecast", lang)
    rows: list[tuple[Any, ...]] = []
    for a in areas:
        label = area_label(a.area_code)
        rows.extend((label, history, p, v, None, None) for p, v in zip(a.history["period"], a.history["value"], strict=True))
        if not a.history.empty and not a.forecast.empty:  # join the forecast line to the last value
            rows.append((label, forecast, a.history["period"].iloc[-1], a.history["value"].iloc[-1], None, None))
        rows.extend((label, forecast, r.period, r.yhat, r.lower, r.upper) for r in a.forecast.itertuples(index=False))
        for m in (a.models if all_models else ()):  # the other models' lines, without their bands
            if m.name != a.model:
                rows.extend((label, model_label(m.name, lang), r.period, r.yhat, None, None)
                            for r in m.forecast.itertuples(index=False))
        outcomes = {o.key: o for o in a.outcomes}
        for r in a.scenarios.itertuples(index=False):
            outcome = outcomes.get(r.scenario)
            if outcome is not None and outcome.kind != "baseline":
                rows.append((label, scenario_label(outcome), r.period, r.yhat, None, None))
    return pd.DataFrame(rows, columns=COLUMNS)


@lru_cache(maxsize=32)
def _template(lang: str, decimals: int, kinds: tuple[str, ...]) -> str:
    fmt = number_format(decimals)
    x_min, x_max, y_min, y_max, _ = (alt.ExprRef(name) for name in RANGES)
    # the room right of the last period is for the names: no year is written there
    years = alt.Axis(tickMinStep=1, labelOverlap=True, labelExpr="datum.value <= km_x_last ? format(datum.value, 'd') : ''")
    x = alt.X("x:Q", title=t("forecasting.page.period", lang), scale=alt.Scale(domainMin=x_min, domainMax=x_max, nice=False),
              axis=years)
    y_scale = alt.Scale(domainMin=y_min, domainMax=y_max, nice=False, zero=False)

    def y(field: str) -> alt.Y:
        """The one value axis (every layer's y shares its title and range)."""
        return alt.Y(f"{field}:Q", title=TITLE, scale=y_scale, axis=alt.Axis(format=fmt))

    slots = [str(i) for i in range(MAX_AREAS)]  # the n-th area's style; fixed, so the design is cacheable
    colour = alt.Color("style:N", scale=alt.Scale(domain=slots, range=list(COLOURS[:MAX_AREAS])), legend=None)
    shape = alt.Shape("style:N", scale=alt.Scale(domain=slots, range=list(SHAPES[:MAX_AREAS])), legend=None)
    dashes = [list(DASHES[i % len(DASHES)]) for i in range(len(kinds))]
    legend = alt.Legend(orient="bottom", columns=1, labelLimit=260, symbolType="stroke", symbolStrokeColor=AXIS,
                        symbolStrokeWidth=2, symbolSize=400)  # one kind a row: fits a 320 px screen
    dash = alt.StrokeDash("series:N", title=t("forecasting.page.series", lang),
                          scale=alt.Scale(domain=list(kinds), range=dashes), legend=legend)
    area_tip = alt.Tooltip("area:N", title=t("forecasting.page.areas", lang))
    period_tip = alt.Tooltip("period:N", title=t("forecasting.page.period", lang))
    value_tip = alt.Tooltip("value:Q", title=t("forecasting.page.value", lang), format=fmt)
    rows = alt.Chart(alt.NamedData(name="rows"))
    banded = rows.transform_filter("isValid(datum.lower)")
    band = banded.mark_area(fillOpacity=0.18, stroke=EDGE, strokeWidth=1, strokeDash=[2, 2]).encode(
        x=x, y=y("lower"), y2="upper:Q", color=colour)
    # the band's edges carry the area's shape (hollow), so overlapping bands are told apart too
    edges = banded.transform_fold(["lower", "upper"], as_=["edge", "bound"]).mark_point(
        filled=False, size=34, strokeWidth=1.5, opacity=1).encode(
        x=x, y=y("bound"), color=colour, shape=shape,
        tooltip=[area_tip, period_tip, alt.Tooltip("bound:Q", title=t("forecasting.page.interval", lang), format=fmt)])
    lines = rows.mark_line(strokeWidth=2).encode(x=x, y=y("value"), detail="area:N", color=colour, strokeDash=dash)
    tips = [area_tip, alt.Tooltip("series:N", title=t("forecasting.page.series", lang)), period_tip, value_tip]
    points = rows.mark_point(filled=True, size=45, opacity=1).encode(  # VL's default 0.7 fades below 3:1
        x=x, y=y("value"), color=colour, shape=shape, tooltip=tips)
    names = alt.Chart(alt.NamedData(name="labels")).mark_text(
        align="left", baseline="middle", dx=9, fontSize=12, color=AXIS).encode(x=x, y=y("label_y"), text="area:N")
    # fit-x: the width follows the page, the plot keeps HEIGHT (Streamlit's default "fit" would squeeze
    # it under the legend, and the names' spacing is computed for HEIGHT)
    chart = alt.layer(band, edges, lines, points, names).properties(
        height=HEIGHT, autosize=alt.AutoSizeParams(type="fit-x", contains="padding")).add_params(
        *(alt.param(name=name, value=0.0) for name in RANGES))
    chart = chart.configure_axis(labelColor=AXIS, titleColor=AXIS).configure_legend(labelColor=AXIS, titleColor=AXIS)
    return json.dumps(chart.to_dict(), ensure_ascii=False)


def spread(values: Sequence[float], gap: float, low: float, high: float) -> list[float]:
    """Positions near `values`, at least `gap` apart and within [low, high] whenever they fit there:
    from the bottom up each moves up only as far as the one below needs, then from the top down the
    stack is pushed back under `high`."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    placed = [float(values[i]) for i in order]
    for k in range(len(placed)):
        placed[k] = max(placed[k], low if k == 0 else placed[k - 1] + gap)
    for k in range(len(placed) - 1, -1, -1):
        placed[k] = min(placed[k], high if k == len(placed) - 1 else placed[k + 1] - gap)
    out = [0.0] * len(values)
    for rank, i in enumerate(order):
        out[i] = placed[rank]
    return out


def forecast_chart(frame: pd.DataFrame, lang: str, *, value_title: str, decimals: int) -> dict[str, Any]:
    """The Vega-Lite spec of `frame` (`chart_frame`'s rows). Areas keep their order of appearance
    (at most `MAX_AREAS`; more is an error, the page allows no more); kinds of line too, history
    and the shown forecast first. Every area's name is written after its last history or forecast point."""
    data = frame.dropna(subset=["value"]).copy()
    areas = list(dict.fromkeys(data["area"]))
    if len(areas) > MAX_AREAS:
        raise ValueError(f"{len(areas)} areas on one forecast chart; at most {MAX_AREAS} can be told apart")
    main = (t("forecasting.page.history", lang), t("forecasting.page.forecast", lang))
    kinds = tuple(dict.fromkeys([k for k in main if k in set(data["series"])] + list(data["series"])))
    data["style"] = data["area"].map({a: str(i) for i, a in enumerate(areas)})
    data["x"] = [period_position(str(p)) for p in data["period"]]
    data["period"] = data["period"].astype(str)
    bounds = pd.concat([data["value"], data["lower"], data["upper"]]).dropna().astype(float)
    first, last = (float(data["x"].min()), float(data["x"].max())) if not data.empty else (2000.0, 2001.0)
    low, high = (float(bounds.min()), float(bounds.max())) if not bounds.empty else (0.0, 1.0)
    pad = (high - low) * 0.05 or 1.0
    low, high = low - pad, high + pad
    ends = data[data["series"].isin(main)].sort_values("x", kind="stable").groupby("area", sort=False).tail(1)
    ends = ends.assign(label_y=spread(list(ends["value"].astype(float)), (high - low) * LABEL_GAP / HEIGHT, low, high))
    room = max(1.5, (last - first) * 0.25)  # space right of the last period for the names
    spec = fill_template(_template(lang, int(decimals), kinds),
                         {"rows": chart_records(data, [*COLUMNS, "x", "style"]),
                          "labels": chart_records(ends, ["area", "x", "value", "label_y"])}, value_title=value_title)
    ranges = dict(zip(RANGES, (first - 0.3, last + room, low, high, last), strict=True))
    spec["params"] = [{**p, "value": ranges[p["name"]]} if p.get("name") in ranges else p for p in spec.get("params", [])]
    return spec
