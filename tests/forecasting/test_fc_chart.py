"""The forecast chart with one, three and ten areas (the page's most): every area is told apart
without colour (its own point shape on its points and its band's edges, its name written after
its last point), every kind of line by its own dash pattern, colours only a help (each >= 4.5:1),
text in the page's language. The specs are built from real forecasts of bundled Sotkanet series
and drawn to SVG by vl-convert, the same Vega the reports use."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest
import vl_convert as vlc

from charts.forecast import HEIGHT, LABEL_GAP, MAX_AREAS, chart_frame, forecast_chart, spread
from forecasting.base import ForecastSettings
from forecasting.results import ScenarioOutcome, SeriesForecast
from forecasting.scenarios import BaselineScenario, LevelShiftScenario
from forecasting.service import forecast_series
from kuntamittari.i18n import t

from fc_data import BUNDLED, sotkanet_series

UNEMPLOYMENT = 181
#: Ten neighbouring municipalities of Northern Ostrobothnia (close values: the hard case).
CODES = ("208", "244", "436", "564", "678", "791", "630", "483", "009", "069")
FAST = ForecastSettings(models=("naive", "drift"), backtest_folds=0)


def _names() -> dict[str, str]:
    with (BUNDLED / "areas.csv").open(encoding="utf-8") as handle:
        return {row["municipality_code"]: row["name_fi"] for row in csv.DictReader(handle)}


NAMES = _names()


@pytest.fixture(scope="module")
def forecasts() -> list[SeriesForecast]:
    scenarios = (BaselineScenario(), LevelShiftScenario(from_year=2013, amount=-1.0))
    return [forecast_series(sotkanet_series(UNEMPLOYMENT, code), 2016, FAST, scenarios, area_code=code,
                            with_backtest=False) for code in CODES]


def _contrast(colour: str) -> float:
    """WCAG contrast of `colour` (#rrggbb) against white."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def _layers(spec: dict, mark: str) -> list[dict]:
    out = [layer for layer in spec["layer"]
           if (layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]) == mark]
    assert out, f"no {mark} layer"
    return out


def _scale_map(channel: dict) -> dict:
    return dict(zip(channel["scale"]["domain"], map(str, channel["scale"]["range"]), strict=True))


def _spec(forecasts: list[SeriesForecast], n: int, lang: str = "fi") -> tuple[pd.DataFrame, dict]:
    rows = chart_frame(forecasts[:n], lang, area_label=NAMES.__getitem__, all_models=True,
                       scenario_label=lambda o: f"{t('forecasting.scenario.' + o.kind, lang)} −1,0 (2013–)")
    return rows, forecast_chart(rows, lang, value_title="Työttömät (%)", decimals=1)


@pytest.mark.parametrize("n", [1, 3, MAX_AREAS])
def test_every_area_has_its_own_shape_and_name_and_every_kind_its_own_dash(forecasts: list[SeriesForecast],
                                                                          n: int) -> None:
    rows, spec = _spec(forecasts, n)
    names = [NAMES[c] for c in CODES[:n]]
    data = spec["datasets"]["rows"]
    style = {r["area"]: r["style"] for r in data}
    assert list(style) == names and len(set(style.values())) == n

    # every point, on the lines and on the bands' edges, has the area's own shape and colour
    points = _layers(spec, "point")
    assert len(points) == 2 and {p["mark"]["filled"] for p in points} == {True, False}
    for layer in points:
        enc = layer["encoding"]
        assert enc["shape"]["field"] == enc["color"]["field"] == "style"
        shapes, colours = _scale_map(enc["shape"]), _scale_map(enc["color"])
        assert len({shapes[s] for s in style.values()}) == n  # n different shapes
        assert len({colours[s] for s in style.values()}) == n
        assert all(_contrast(colours[s]) >= 4.5 for s in style.values())
        assert layer["mark"]["opacity"] == 1
    assert any(p["encoding"]["y"]["field"] == "bound" for p in points)  # the band's edges

    # the kinds of line differ by dash: history solid, the forecast dashed, the rest each its own
    (line,) = _layers(spec, "line")
    dash = line["encoding"]["strokeDash"]
    kinds = list(dict.fromkeys(rows["series"]))
    history, forecast = t("forecasting.page.history", "fi"), t("forecasting.page.forecast", "fi")
    assert dash["field"] == "series" and dash["scale"]["domain"][:2] == [history, forecast]
    assert set(dash["scale"]["domain"]) == set(kinds) and len(kinds) == 4  # + the other model and the scenario
    dashes = _scale_map(dash)
    assert dashes[history] == "[1, 0]" and len(set(dashes.values())) == len(kinds)
    assert dash["title"] == t("forecasting.page.series", "fi") and dash["legend"] is not None  # the kinds' key

    # one name per area after its last forecast point, spread at least LABEL_GAP px apart
    labels = spec["datasets"]["labels"]
    last = max(r["x"] for r in data)
    assert [lab["area"] for lab in labels] == names and all(lab["x"] == last for lab in labels)
    for code, lab in zip(CODES, labels, strict=False):
        final = next(f for f in forecasts if f.area_code == code).forecast["yhat"].iloc[-1]
        assert lab["value"] == pytest.approx(final)
    params = {p["name"]: p["value"] for p in spec["params"]}
    low, high = params["km_y_min"], params["km_y_max"]
    ys = sorted(lab["label_y"] for lab in labels)
    assert all(low <= y <= high for y in ys)
    assert all((b - a) * HEIGHT / (high - low) >= LABEL_GAP - 1e-6 for a, b in zip(ys, ys[1:]))
    assert params["km_x_last"] == last and params["km_x_max"] > last  # room for the names
    (text,) = _layers(spec, "text")
    assert text["encoding"]["text"]["field"] == "area" and text["mark"]["color"] == "#333333"

    # drawn: each name is written, and the filled points come in n outlines
    svg = vlc.vegalite_to_svg(spec)
    written = re.findall(r'role-mark layer_4_marks.*?</g>', svg, flags=re.S)[0]
    assert sorted(re.findall(r">([^<>]+)</text>", written)) == sorted(names)
    marks = re.findall(r'<g class="mark-symbol role-mark layer_3_marks".*?</g>', svg, flags=re.S)[0]
    drawn = set(re.findall(r'd="([^"]+)" fill="(#[0-9a-fA-F]{6})"', marks))  # (outline, colour) of every point
    assert len({d for d, _ in drawn}) == n and len({fill for _, fill in drawn}) == n == len(drawn)


def test_words_follow_the_page_language(forecasts: list[SeriesForecast]) -> None:
    _, spec = _spec(forecasts, 3, "sv")
    text = str(spec)
    for key in ("period", "series", "areas", "value", "interval"):
        assert t(f"forecasting.page.{key}", "sv") in text
    assert t("forecasting.page.history", "sv") in {r["series"] for r in spec["datasets"]["rows"]}
    assert t("forecasting.page.history", "fi") not in text


def test_more_areas_than_styles_is_refused(forecasts: list[SeriesForecast]) -> None:
    rows, _ = _spec(forecasts, MAX_AREAS)
    extra = rows[rows["area"] == NAMES[CODES[0]]].assign(area="Yksitoista")
    with pytest.raises(ValueError, match="at most 10"):
        forecast_chart(pd.concat([rows, extra]), "fi", value_title="%", decimals=1)


def test_spread_keeps_names_apart_and_inside() -> None:
    assert spread([1.0, 5.0, 9.0], 1.0, 0.0, 10.0) == [1.0, 5.0, 9.0]  # far enough apart: unmoved
    assert spread([5.0, 5.0, 5.0], 1.0, 0.0, 10.0) == [5.0, 6.0, 7.0]  # ties go up in input order
    assert spread([9.9, 9.8, 9.7], 1.0, 0.0, 10.0) == pytest.approx([10.0, 9.0, 8.0])  # pushed under the top
    assert spread([0.0, 0.1], 1.0, 0.5, 10.0) == pytest.approx([0.5, 1.5])  # and over the bottom


def test_the_baseline_is_the_forecast_not_a_scenario_line(forecasts: list[SeriesForecast]) -> None:
    seen: list[ScenarioOutcome] = []
    rows = chart_frame(forecasts[:1], "fi", area_label=NAMES.__getitem__,
                       scenario_label=lambda o: seen.append(o) or "Tasosiirto")
    assert {o.kind for o in seen} == {"level_shift"}
    assert list(dict.fromkeys(rows["series"])) == [t("forecasting.page.history", "fi"), t("forecasting.page.forecast", "fi"),
                                                   "Tasosiirto"]  # other models only when asked
