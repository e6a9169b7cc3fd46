"""The preview's lines can be told apart without colour: each drawn area has its own dash pattern
and point shape, and its name is written at its last point (no legend matched by colour). The
public chart and the printed small multiples give each area level one style from the same table."""

from __future__ import annotations

import pandas as pd

from charts.lines import COLOURS, DASHES, MAX_LINES, MAX_STYLES, SHAPES, LineStyle, labelled_lines, level_styles
from charts.public import metric_chart
from readout.model import AreaRef, MetricInfo, MetricReadout, Point, SeriesRef
from reports.charts import small_multiple


def _encoding(spec: dict, mark: str) -> dict:
    """The encoding of the layer drawing `mark` (line, point, text)."""
    for layer in spec["layer"]:
        kind = layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        if kind == mark:
            return layer["encoding"]
    raise AssertionError(f"no {mark} layer")


def test_each_line_has_its_own_dash_shape_and_end_label() -> None:
    names = ["Pilottikunnat (ryhmä)", "Pohjois-Pohjanmaa (ryhmä)", "Kalajoki", "Lumijoki", "Oulu", "Raahe"]
    frame = pd.DataFrame([{"year": y, "value": float(i * 10 + y - 2000), "series": n}
                          for i, n in enumerate(names) for y in (2009, 2010, 2011)])
    spec = labelled_lines(frame, value_title="Tulomuutto (/ 1000 asukasta)", decimals=1, marked_year=2010,
                          order=names)
    points = spec["datasets"]["points"]
    drawn = list(dict.fromkeys(p["series"] for p in points))
    assert drawn == names[:MAX_LINES]  # at most five lines, in the order asked for
    style = {p["series"]: p["style"] for p in points}
    assert len(set(style.values())) == MAX_LINES
    dash, shape = _encoding(spec, "line")["strokeDash"], _encoding(spec, "point")["shape"]
    assert dash["field"] == shape["field"] == "style"
    dashes = dict(zip(dash["scale"]["domain"], map(tuple, dash["scale"]["range"]), strict=True))
    shapes = dict(zip(shape["scale"]["domain"], shape["scale"]["range"], strict=True))
    assert len({dashes[s] for s in style.values()}) == MAX_LINES and set(dashes.values()) == set(DASHES[:MAX_LINES])
    assert len({shapes[s] for s in style.values()}) == MAX_LINES and set(shapes.values()) == set(SHAPES[:MAX_LINES])
    # One label per line, at its last year, carrying the line's name.
    labels = spec["datasets"]["labels"]
    assert sorted((lab["series"], lab["year"]) for lab in labels) == sorted((n, 2011) for n in drawn)
    assert _encoding(spec, "text")["text"]["field"] == "series"
    assert "Tulomuutto (/ 1000 asukasta)" in str(spec)
    assert spec["datasets"]["marked"] == [{"year": 2010}]


def _contrast(colour: str) -> float:
    """WCAG contrast of `colour` (#rrggbb) against white."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def test_every_line_colour_is_readable_and_the_first_four_are_the_colour_blind_safe_ones() -> None:
    assert len(set(COLOURS)) == len(COLOURS) == MAX_STYLES
    assert all(_contrast(c) >= 4.5 for c in COLOURS)
    # blue, orange, green, purple: apart for red-green colour blindness (no red beside a green)
    assert COLOURS[:4] == ("#0b57d0", "#b35806", "#1b7837", "#762a83")


def _level_readout() -> MetricReadout:
    """A metric with the municipality and Finland only (no region or county line)."""
    areas = (AreaRef("208", "area", (("fi", "Kalajoki"),)), AreaRef("SSS", "finland", (("fi", "Koko maa"),)))
    series = tuple(SeriesRef(a, tuple(Point(str(y), y, 10.0 + i + y - 2015) for y in range(2015, 2020)))
                   for i, a in enumerate(areas))
    info = MetricInfo("tulomuutto", "population", (("fi", "Tulomuutto"),), (("fi", "‰"),))
    return MetricReadout(info, latest=series[0].points[-1], series=series)


def _scale(spec: dict, channel: str) -> dict[str, object]:
    """Series name -> the value `channel` (color, strokeDash, shape) gives it, from any layer."""
    for layer in spec["layer"]:
        enc = layer.get("encoding", {})
        if channel in enc and "scale" in enc[channel]:
            scale = enc[channel]["scale"]
            return dict(zip(scale["domain"], map(lambda v: tuple(v) if isinstance(v, list) else v, scale["range"]),
                            strict=True))
    raise AssertionError(f"no {channel} scale")


def test_an_area_level_has_one_style_on_the_public_chart_and_in_print() -> None:
    """Finland is purple, dash-dotted and a diamond also when the region and county have no line,
    on the public page / static site and in the council summary's small multiples alike."""
    finland = LineStyle("#762a83", (10, 3, 2, 3), "diamond")
    assert level_styles(["area", "finland"]) == [LineStyle("#0b57d0", (1, 0), "circle"), finland]
    assert level_styles(["pilot", "region"])[1] == LineStyle("#b35806", (8, 4), "square")
    item = _level_readout()
    page = metric_chart(item, "fi").to_dict()
    printed = small_multiple(item, "fi")
    for spec in (page, printed):
        assert _scale(spec, "color") == {"Kalajoki": "#0b57d0", "Koko maa": finland.colour}
        assert _scale(spec, "strokeDash") == {"Kalajoki": (1, 0), "Koko maa": finland.dash}
    assert _scale(page, "shape") == {"Kalajoki": "circle", "Koko maa": finland.shape}
