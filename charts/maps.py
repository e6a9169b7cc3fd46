"""Choropleth maps of municipalities with Altair `geoshape`, on the division of the data's year.

Municipalities merge, so a value for 2011 belongs on the 2013 map, not on today's: the layer is
picked by the data year (<= 2022 -> kunnat_2013, 2023-2025 -> kunnat_2023, >= 2026 -> kunnat_2026).
The GeoJSON files come with the datamodel package (`datamodel/data/geo/`, CC BY 4.0); their rings
are clockwise, the d3/Vega convention, and must NOT be rewound (Vega would fill the whole frame).
The attribution in each file's `metadata.attribution` goes under every map.
No Streamlit here: `choropleth` returns a Vega-Lite spec (dict). The boundaries go in as a named
dataset added after `to_dict()`: handing 190 KB of polygons to Altair costs ~0.5 s of conversion
and validation per draw, injecting them costs nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

import datamodel
from charts.specs import AXIS, EDGE, TITLE, chart_records, fill_template, number_format

logger = logging.getLogger(__name__)

GEO_DIR = Path(datamodel.__file__).resolve().parent / "data" / "geo"
NO_DATA = "#e0e0e0"
HIGHLIGHT_STROKE = "#111111"


@dataclass(frozen=True)
class Layer:
    name: str
    division_year: int
    attribution: str
    features: tuple[dict[str, Any], ...]

    @property
    def codes(self) -> set[str]:
        return {str(f["properties"]["code"]) for f in self.features}


def layer_name(year: int) -> str:
    """Which municipal division a data year is drawn on."""
    if year <= 2022:
        return "kunnat_2013"
    if year <= 2025:
        return "kunnat_2023"
    return "kunnat_2026_tilastokeskus"


@lru_cache(maxsize=4)
def load_layer(name: str) -> Layer:
    """Read one bundled GeoJSON layer (cached per process: the files never change at run time)."""
    path = GEO_DIR / f"{name}.geojson"
    with path.open(encoding="utf-8") as handle:
        doc = json.load(handle)
    meta = doc.get("metadata", {})
    return Layer(name=name, division_year=int(meta.get("division_year", 0)),
                 attribution=str(meta.get("attribution", "")), features=tuple(doc["features"]))


def layer_for_year(year: int) -> Layer:
    return load_layer(layer_name(year))


@lru_cache(maxsize=16)
def _map_template(layer_name_: str, decimals: int, reverse: bool) -> str:
    fmt = number_format(decimals)
    base = alt.Chart(alt.NamedData(name=f"geo_{layer_name_}")).transform_lookup(
        lookup="properties.code",
        from_=alt.LookupData(data=alt.NamedData(name="values"), key="area_code", fields=["label", "value", "chosen"]),
    ).transform_calculate(shown_name="datum.label ? datum.label : datum.properties.name")
    # Light blues are under 3:1 against white: every municipality has a grey edge of 6.3:1.
    fill = base.mark_geoshape(strokeWidth=0.4, stroke=EDGE).encode(
        color=alt.condition("isValid(datum.value)",
                            alt.Color("value:Q", title=TITLE, scale=alt.Scale(scheme="blues", reverse=reverse),
                                      legend=alt.Legend(format=fmt, orient="right")),
                            alt.value(NO_DATA)),
        tooltip=[alt.Tooltip("shown_name:N", title=" "), alt.Tooltip("value:Q", title=TITLE, format=fmt)],
    )
    outline = base.transform_filter("datum.chosen === true").mark_geoshape(
        fillOpacity=0, stroke=HIGHLIGHT_STROKE, strokeWidth=1.5)
    chart = alt.layer(fill, outline).project(type="mercator").properties(height=520)
    chart = chart.configure_legend(labelColor=AXIS, titleColor=AXIS).configure_view(stroke=None)
    return json.dumps(chart.to_dict(), ensure_ascii=False)


def choropleth(values: pd.DataFrame, layer: Layer, *, value_title: str, decimals: int,
               highlight: tuple[str, ...] = (), reverse: bool = False) -> dict[str, Any]:
    """Municipalities coloured by `values` (`area_code`, `label`, `value`); missing ones grey,
    highlighted ones outlined. `reverse` flips the scale (so 'dark' always means 'more')."""
    data = values.dropna(subset=["value"]).assign(chosen=lambda d: d["area_code"].isin(list(highlight)))
    spec = fill_template(_map_template(layer.name, decimals, reverse),
                         {"values": chart_records(data, ["area_code", "label", "value", "chosen"])}, value_title=value_title)
    spec["datasets"][f"geo_{layer.name}"] = list(layer.features)  # injected: never through Altair
    return spec
