"""Small multiples for print: the pages' time-series spec (`charts.specs.series_chart`) at
thumbnail size, one per metric, all with the same colours and dashes for the same area level
(`charts.lines.level_styles`, as on the public page and the static site).

The print version drops the axes, the legend and the tooltips: a small multiple shows the shape
of the series against the comparison areas, and its figures are printed next to it from the
readout, so every number in a report is the readout's formatted figure and nothing else (a value
hidden by disclosure control is a gap in the line and never drawn).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from charts.lines import LEVELS, level_styles
from charts.specs import series_chart
from readout.localise import area_name
from readout.model import MetricReadout

WIDTH, HEIGHT = 150, 58
YEARS = 12


def _frame(item: MetricReadout, lang: str, roles: tuple[str, ...], years: int) -> pd.DataFrame:
    periods = sorted({p.period for s in item.series for p in s.points})[-years:]
    rows = [{"year": p.year, "value": p.value, "series": area_name(s.area, lang), "role": s.area.role}
            for s in item.series if s.area.role in roles for p in s.points
            if p.period in periods and p.value is not None and p.period.isdigit()]
    return pd.DataFrame(rows, columns=["year", "value", "series", "role"])


def _restyle(spec: dict[str, Any], names: list[str], roles: list[str]) -> dict[str, Any]:
    """Fixed colour and dash per area level, no axes, legend or tooltips."""
    styles = level_styles(roles)  # the public page's styles of the same levels
    colours, dashes = [s.colour for s in styles], [list(s.dash) for s in styles]
    for layer in spec.get("layer", []):
        enc = layer.get("encoding", {})
        if "color" in enc:
            enc["color"].update(scale={"domain": names, "range": colours}, legend=None)
        if "strokeDash" in enc:
            enc["strokeDash"].update(scale={"domain": names, "range": dashes}, legend=None)
        if "size" in enc:  # the page's flagged-point sizes are for a full-size chart
            enc["size"] = {"value": 10}
        enc.pop("tooltip", None)
    spec.update(width=WIDTH, height=HEIGHT, padding=2)
    config = dict(spec.get("config") or {})
    config.update(legend={"disable": True}, view={"stroke": None},
                  axis={"labels": False, "ticks": False, "domain": False, "grid": False, "title": None})
    spec["config"] = config
    return spec


def small_multiple(item: MetricReadout, lang: str, roles: tuple[str, ...] = LEVELS, *,
                   years: int = YEARS) -> dict[str, Any] | None:
    """The print spec of one metric: the area and its comparison areas over the last `years`
    periods; None when there is nothing to draw (fewer than two shown values of the area)."""
    frame = _frame(item, lang, roles, years)
    if (frame["role"] == "area").sum() < 2:
        return None
    order = [s for s in item.series if s.area.role in roles]
    names = list(dict.fromkeys(area_name(s.area, lang) for s in order))
    shown_roles = [next(s.area.role for s in order if area_name(s.area, lang) == n) for n in names]
    spec = series_chart(frame, value_title="", decimals=item.info.decimals, colour_field="series")
    return _restyle(spec, names, shown_roles)
