"""A hand-made series through the whole product path, against figures worked out here by hand.

Naive and drift on 16 yearly values of a share (0-100 %): the forecast, the calibrated band (the
conformal quantile of the backtest's |error| / sqrt(h), clipped to the range), the honest
coverage count and the recommendation are recomputed below with plain Python from the
definitions in docs/forecasting.md, not with the library's own helpers. Any change in how the
product assembles these (planning, folds, calibration, clipping, choice) shows up here.
"""

from __future__ import annotations

import math
import statistics

import pandas as pd
import pytest

from forecasting.base import FORECAST_COLUMNS, ForecastSettings
from forecasting.cache import clear_cache
from forecasting.service import forecast_series

YEARS = list(range(2000, 2016))
VALUES = [19.0, 18.0, 18.5, 17.0, 16.5, 17.5, 16.0, 14.0, 14.5, 12.0, 12.5, 10.0, 8.0, 9.5, 7.5, 6.0]  # a falling share
SETTINGS = ForecastSettings(models=("drift", "naive"), bounds=(0.0, 100.0), backtest_folds=10, backtest_years=5,
                            min_train=6, calibration_level=0.875)
UNTIL = 2019


def _naive(train: list[float], h: int) -> float:
    return train[-1]


def _drift(train: list[float], h: int) -> float:
    return train[-1] + (train[-1] - train[0]) / (len(train) - 1) * h


MODELS = {"naive": _naive, "drift": _drift}


def _folds(model: str) -> list[tuple[int, int, int, float]]:
    """(origin year, test year, h, |error|) of every backtest point: origins at each of the last
    10 points with at least 6 before, each scored up to 5 years ahead."""
    out = []
    for size in range(max(6, len(VALUES) - 10), len(VALUES)):
        for i in range(size, len(VALUES)):
            h = i - (size - 1)
            if h <= 5:
                out.append((YEARS[size - 1], YEARS[i], h, abs(MODELS[model](VALUES[:size], h) - VALUES[i])))
    return out


def _kth(scores: list[float], level: float) -> float | None:
    rank = math.ceil((len(scores) + 1) * level)
    return sorted(scores)[rank - 1] if len(scores) >= 5 and rank <= len(scores) else None


def _expected(model: str) -> dict[str, object]:
    folds = _folds(model)
    scaled = [err / math.sqrt(h) for _, _, h, err in folds]
    scale = _kth(scaled, 0.875)
    assert scale is not None
    hits = checked = 0
    for origin in sorted({o for o, _, _, _ in folds}):
        known = [s for (_, year, _, _), s in zip(folds, scaled, strict=True) if year <= origin]
        band = _kth(known, 0.875)
        if band is None:
            continue
        current = [s for (o, _, _, _), s in zip(folds, scaled, strict=True) if o == origin]
        checked += len(current)
        hits += sum(1 for s in current if s <= band)
    rows = []
    for h in range(1, UNTIL - YEARS[-1] + 1):
        yhat = MODELS[model](VALUES, h)
        rows.append((str(YEARS[-1] + h), min(max(yhat, 0.0), 100.0), min(max(yhat - scale * math.sqrt(h), 0.0), 100.0),
                     min(max(yhat + scale * math.sqrt(h), 0.0), 100.0)))
    errors = [err for _, _, _, err in folds]
    return {"scale": scale, "hits": hits, "checked": checked, "rows": rows, "mae": statistics.fmean(errors),
            "points": len(folds), "fold_mae": {o: statistics.fmean(e for oo, _, _, e in folds if oo == o)
                                               for o in sorted({o for o, _, _, _ in folds})}}


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    clear_cache()
    history = pd.DataFrame({"period": [str(y) for y in YEARS], "value": VALUES})
    return forecast_series(history, UNTIL, SETTINGS, area_code="999")


@pytest.mark.parametrize("model", ["naive", "drift"])
def test_forecast_and_calibrated_band_equal_the_hand_computation(result, model: str) -> None:  # type: ignore[no-untyped-def]
    expected = _expected(model)
    shown = result.get_model(model)
    assert tuple(shown.forecast.columns) == FORECAST_COLUMNS and tuple(shown.raw.columns) == FORECAST_COLUMNS
    got = list(shown.forecast.itertuples(index=False, name=None))
    assert [r[0] for r in got] == [r[0] for r in expected["rows"]]
    for row, want in zip(got, expected["rows"], strict=True):
        assert row[1:4] == pytest.approx(want[1:], rel=1e-12, abs=1e-12)
        assert row[4] == model
    cal = shown.calibration
    assert cal.scale == pytest.approx(expected["scale"], rel=1e-12)
    assert (cal.hits, cal.checked, cal.scores) == (expected["hits"], expected["checked"], expected["points"])
    assert shown.score.mae == pytest.approx(expected["mae"], rel=1e-12)
    assert (shown.score.folds, shown.score.points) == (10, expected["points"])


def test_the_band_is_clipped_at_the_floor(result) -> None:  # type: ignore[no-untyped-def]
    drift = result.get_model("drift").forecast
    assert (drift["lower"] == 0.0).any()  # the falling share's band reaches 0 %: cut there, not below
    assert (drift["lower"] >= 0.0).all() and (drift["yhat"] >= 0.0).all()
    raw = result.get_model("drift").raw
    assert (raw["lower"] < 0.0).any()  # the model's own output did go below


def test_recommendation_follows_the_paired_fold_rule(result) -> None:  # type: ignore[no-untyped-def]
    naive, drift = _expected("naive")["fold_mae"], _expected("drift")["fold_mae"]
    best, other = ("drift", "naive") if _expected("drift")["mae"] < _expected("naive")["mae"] else ("naive", "drift")
    mine, theirs = (drift, naive) if best == "drift" else (naive, drift)
    diffs = [mine[o] - theirs[o] for o in sorted(mine)]
    mean, se = statistics.fmean(diffs), statistics.stdev(diffs) / math.sqrt(len(diffs))
    clear = mean < 0 and -mean > 2 * se
    rec = result.recommendation
    assert (rec.shown, rec.clear, rec.folds) == (best, clear, 10)
    assert rec.equally_good == (() if clear else (best, other))
    assert rec.naive_as_good == (best == "naive" or not clear)
    data = result.to_dict()
    assert data["models"][best]["interval"]["inside"] == _expected(best)["hits"]
    assert data["models"][best]["interval"]["checked"] == _expected(best)["checked"]
