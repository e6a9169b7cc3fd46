"""Chart, map and card builders are pure: check the specs and texts they produce."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from charts import maps
from charts import specs as charts
from ui.navigation import PAGES, available_pages, get_page, spec_for


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "area_code": [f"{i:03d}" for i in range(n)],
        "label": [f"Kunta {i}" for i in range(n)],
        "value": [float(i) for i in range(n)],
    })


def test_unicode_sparkline_scales_and_marks_gaps() -> None:
    assert charts.unicode_sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert charts.unicode_sparkline([5, None, 5]) == "▄ ▄"
    assert charts.unicode_sparkline([]) == ""


def test_sparkline_text_names_first_and_last_point() -> None:
    text = charts.sparkline_text([("2002", 10.0), ("2010", None), ("2011", 8.0)], "fi", 1)
    assert text == "2002: 10,0 → 2011: 8,0"


def test_ranking_keeps_top_bottom_and_highlighted_of_300() -> None:
    spec = charts.ranking_chart(_frame(300), value_title="%", decimals=1, highlight=("150",), top_n=10)
    bars = spec["datasets"]["bars"]
    codes = [row["area_code"] for row in bars]
    assert len(bars) == 21
    assert "150" in codes and "299" in codes and "000" in codes
    chosen = [row for row in bars if row["chosen"]]
    assert [row["area_code"] for row in chosen] == ["150"]
    assert chosen[0]["rank"] == 150  # rank among all 300, largest first
    assert spec["layer"][0]["encoding"]["x"]["title"] == "%"
    assert spec["config"]["axis"]["labelColor"] == "#333333"


def test_ranking_rules_are_comparison_lines() -> None:
    rules = pd.DataFrame({"label": ["Pohjois-Pohjanmaa", "Koko maa"], "value": [11.0, 9.5]})
    spec = charts.ranking_chart(_frame(5), value_title="Työttömät \"%\"", decimals=1, rules=rules)
    assert spec["datasets"]["rules"] == [{"label": "Pohjois-Pohjanmaa", "value": 11.0}, {"label": "Koko maa", "value": 9.5}]
    assert spec["layer"][1]["mark"]["type"] == "rule"
    assert spec["layer"][0]["encoding"]["x"]["title"] == 'Työttömät "%"'  # escaped safely


def test_distribution_draws_every_municipality_once_and_labels_chosen() -> None:
    spec = charts.distribution_chart(_frame(300), value_title="%", decimals=1, highlight=("007", "008"))
    assert len(spec["datasets"]["all"]) == 300
    assert [row["label"] for row in spec["datasets"]["chosen"]] == ["Kunta 7", "Kunta 8"]
    again = charts.distribution_chart(_frame(300), value_title="%", decimals=1)
    assert [r["jitter"] for r in again["datasets"]["all"]] == [r["jitter"] for r in spec["datasets"]["all"]]


def test_small_multiples_facet_by_area() -> None:
    frame = pd.DataFrame({"label": ["A", "A", "B"], "year": [2010, 2011, 2011], "value": [1.0, 2.0, None]})
    spec = charts.small_multiples(frame, value_title="%", decimals=1)
    assert spec["facet"]["field"] == "label"
    assert len(spec["datasets"]["series"]) == 2  # the missing value is not drawn


def test_series_flags_computed_points() -> None:
    frame = pd.DataFrame({"year": [2010, 2011], "value": [1.0, 2.0], "flag": [False, True], "area": ["X", "X"]})
    spec = charts.series_chart(frame, value_title="%", decimals=1, colour_field="area", flagged_field="flag",
                               flag_text="laskettu")
    rows = spec["datasets"]["series"]
    assert [r["flag"] for r in rows] == [False, True]
    assert rows[1]["flag_text"] == "laskettu"
    json.dumps(spec)  # serialisable as sent to the browser


@pytest.mark.parametrize(("year", "layer"), [
    (1990, "kunnat_2013"), (2011, "kunnat_2013"), (2022, "kunnat_2013"),
    (2023, "kunnat_2023"), (2025, "kunnat_2023"), (2026, "kunnat_2026_tilastokeskus"), (2030, "kunnat_2026_tilastokeskus"),
])
def test_map_layer_follows_the_data_year(year: int, layer: str) -> None:
    assert maps.layer_name(year) == layer


def test_layers_match_their_divisions() -> None:
    assert len(maps.load_layer("kunnat_2013").features) == 320
    assert len(maps.load_layer("kunnat_2023").features) == 309
    assert "208" in maps.load_layer("kunnat_2013").codes
    assert "National Land Survey" in maps.load_layer("kunnat_2013").attribution


def test_choropleth_uses_the_file_geometry_unchanged() -> None:
    layer = maps.layer_for_year(2011)
    values = pd.DataFrame({"area_code": ["208", "244"], "label": ["Kalajoki", "Kempele"], "value": [8.0, None]})
    spec = maps.choropleth(values, layer, value_title="%", decimals=1, highlight=("208",))
    geo = spec["datasets"]["geo_kunnat_2013"]
    assert geo[0]["geometry"] == layer.features[0]["geometry"]  # not rewound
    assert spec["datasets"]["values"] == [{"area_code": "208", "label": "Kalajoki", "value": 8.0, "chosen": True}]
    assert spec["layer"][0]["mark"]["type"] == "geoshape"
    assert spec["projection"]["type"] == "mercator"


def test_registry_ids_unique_and_lookup() -> None:
    ids = [p.id for p in PAGES]
    assert len(ids) == len(set(ids))
    assert {"overview", "compare", "metric_detail", "data_status"} <= {p.id for p in available_pages()}
    assert get_page("authoring").required_role == "author"
    assert get_page("public_summary").audience == "public"
    assert spec_for("no_such_page").audience == "internal"
