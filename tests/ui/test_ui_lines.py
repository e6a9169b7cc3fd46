"""The preview's lines can be told apart without colour: each drawn area has its own dash pattern
and point shape, and its name is written at its last point (no legend matched by colour)."""

from __future__ import annotations

import pandas as pd

from charts.lines import DASHES, MAX_LINES, SHAPES, labelled_lines


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
