"""Naive and drift baselines and the rolling-origin backtest on series with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forecasting.backtest import backtest_fold, factories_predictor, fold_sizes, rolling_origin, summarise
from forecasting.base import ForecastSettings
from forecasting.naive import DriftForecaster, NaiveForecaster, SeasonalNaiveForecaster


def _series(values: list[float], start: int = 2001) -> pd.DataFrame:
    return pd.DataFrame({"period": [str(start + i) for i in range(len(values))], "value": values})


LINE = _series([10 + 0.5 * i for i in range(10)])  # 10.0 ... 14.5
STEP = _series([10.0] * 6 + [15.0] * 4)  # jumps in the 7th year (2007)


def test_naive_repeats_last_value_with_sqrt_h_interval() -> None:
    hist = _series([1.0, 3.0, 2.0, 4.0])  # differences 2, -1, 2 -> sigma = sqrt(9/3) = sqrt(3)
    out = NaiveForecaster().fit(hist).predict(["2005", "2008"])
    assert out["yhat"].tolist() == [4.0, 4.0]
    z = ForecastSettings().z
    assert out["upper"].iloc[0] - 4.0 == pytest.approx(z * math.sqrt(3))
    assert out["upper"].iloc[1] - 4.0 == pytest.approx(z * math.sqrt(3) * 2)  # h = 4
    assert list(out.columns) == ["period", "yhat", "lower", "upper", "model"]


def test_drift_continues_a_straight_line_exactly() -> None:
    model = DriftForecaster().fit(LINE)
    assert model.slope == pytest.approx(0.5)
    out = model.predict(["2011", "2013"])
    assert out["yhat"].tolist() == pytest.approx([15.0, 16.0])
    assert out["upper"].tolist() == pytest.approx(out["yhat"].tolist())  # no residual, no width


def test_drift_counts_gaps_on_the_period_axis() -> None:
    hist = pd.DataFrame({"period": ["2001", "2002", "2005"], "value": [1.0, 2.0, 5.0]})
    assert DriftForecaster().fit(hist).predict(["2006"])["yhat"].iloc[0] == pytest.approx(6.0)


def test_seasonal_naive_repeats_last_year_for_months() -> None:
    periods = [f"2010M{m:02d}" for m in range(1, 13)] + [f"2011M{m:02d}" for m in range(1, 13)]
    values = [float(m) for m in range(1, 13)] * 2
    hist = pd.DataFrame({"period": periods, "value": values})
    out = SeasonalNaiveForecaster().fit(hist).predict(["2012M01", "2012M07", "2013M03"])
    assert out["yhat"].tolist() == [1.0, 7.0, 3.0]


def test_fold_sizes() -> None:
    assert fold_sizes(10, 5) == [5, 6, 7, 8, 9]
    assert fold_sizes(7, 5, min_train=4) == [4, 5, 6]
    assert fold_sizes(21, 10, min_train=6) == list(range(11, 21))
    assert fold_sizes(8, 10, min_train=6) == [6, 7]


def test_backtest_scores_every_year_up_to_the_horizon() -> None:
    """Each origin is asked for the observed years up to `horizon` ahead: on a straight line
    naive is h * 0.5 off h years ahead, and the last origins have fewer years left to score."""
    result = rolling_origin(LINE, {"naive": NaiveForecaster}, folds=3, horizon=2)
    errors = result.errors_of("naive")
    assert [(e.origin, e.period, e.horizon) for e in errors] == [
        ("2007", "2008", 1), ("2007", "2009", 2), ("2008", "2009", 1), ("2008", "2010", 2), ("2009", "2010", 1)]
    assert [round(-e.error, 9) for e in errors] == [0.5, 1.0, 0.5, 1.0, 0.5]
    assert result.score("naive").folds == 3 and result.score("naive").points == 5
    assert result.fold_mae("naive") == {0: pytest.approx(0.75), 1: pytest.approx(0.75), 2: pytest.approx(0.5)}


def test_backtest_straight_line() -> None:
    result = rolling_origin(LINE, {"naive": NaiveForecaster, "drift": DriftForecaster}, folds=5, horizon=1)
    naive, drift = result.score("naive"), result.score("drift")
    assert (naive.folds, drift.folds) == (5, 5)
    assert naive.mae == pytest.approx(0.5)  # always one step (0.5) behind
    actuals = [10 + 0.5 * i for i in range(5, 10)]
    assert naive.mape == pytest.approx(float(np.mean([0.5 / a * 100 for a in actuals])))
    assert drift.mae == pytest.approx(0.0, abs=1e-12)
    drift_folds, naive_folds = result.fold_mae("drift"), result.fold_mae("naive")
    assert sorted(drift_folds) == sorted(naive_folds) and len(drift_folds) == 5
    assert all(drift_folds[f] < naive_folds[f] for f in drift_folds)  # drift is closer in every fold


def test_backtest_step() -> None:
    result = rolling_origin(STEP, {"naive": NaiveForecaster, "drift": DriftForecaster}, folds=5, horizon=1)
    # test years 2006..2010, actual 10, 15, 15, 15, 15
    # naive predicts 10, 10, 15, 15, 15 -> errors 0, 5, 0, 0, 0
    assert result.score("naive").mae == pytest.approx(1.0)
    assert result.score("naive").mape == pytest.approx(5 / 15 * 100 / 5)
    # drift: slope (last - first) / (n - 1): errors 0, 5, 5/6, 5/7, 5/8
    assert result.score("drift").mae == pytest.approx((5 + 5 / 6 + 5 / 7 + 5 / 8) / 5)
    naive_folds, drift_folds = result.fold_mae("naive"), result.fold_mae("drift")
    assert [naive_folds[f] for f in sorted(naive_folds)] == pytest.approx([0, 5, 0, 0, 0])
    assert [drift_folds[f] for f in sorted(drift_folds)] == pytest.approx([0, 5, 5 / 6, 5 / 7, 5 / 8])
    assert [e.period for e in result.errors if e.model == "naive"] == ["2006", "2007", "2008", "2009", "2010"]
    assert result.to_records()[0] == {"model": "naive", "mae": 1.0, "mape": pytest.approx(6.666667), "folds": 5,
                                      "points": 5}


def test_backtest_too_short_has_no_folds_and_zero_actuals_skip_mape() -> None:
    short = rolling_origin(_series([1.0, 2.0, 3.0]), {"naive": NaiveForecaster}, folds=5)
    assert short.score("naive").folds == 0 and short.n_folds == 0
    zeros = rolling_origin(_series([0.0] * 8), {"naive": NaiveForecaster}, folds=3)
    assert zeros.score("naive").mae == 0.0 and zeros.score("naive").mape is None


def test_backtest_folds_one_by_one_equal_rolling_origin() -> None:
    """The service runs each fold as its own parallel task and puts them together with summarise."""
    factories = {"naive": NaiveForecaster, "drift": DriftForecaster}
    whole = rolling_origin(STEP, factories, folds=5, horizon=3)
    clean = STEP.reset_index(drop=True)
    predictor = factories_predictor(factories)
    parts = [e for fold, size in enumerate(fold_sizes(len(clean), 5)) for e in backtest_fold(clean, predictor, fold, size, 3)]
    assert summarise(parts, list(factories), 3) == whole
