"""Calibrated bands, honest model choice and the statsmodels models, on series with known behaviour."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forecasting.backtest import FoldError, rolling_origin
from forecasting.base import ForecastSettings
from forecasting.calibration import Calibration, apply, calibrate, conformal_quantile, coverage_check
from forecasting.choice import recommend
from forecasting.models import predict_models
from forecasting.naive import DriftForecaster, NaiveForecaster
from forecasting.statsmodels_models import ETSForecaster, ThetaForecaster, load_statsmodels, regular_tail

FAST_MODELS = ("ets", "theta", "combination", "drift", "naive")


def _series(values: np.ndarray, start: int = 1990) -> pd.DataFrame:
    return pd.DataFrame({"period": [str(start + i) for i in range(len(values))], "value": values})


def known_series(kind: str, seed: int, n: int = 22) -> pd.DataFrame:
    """A yearly series of known behaviour with seeded noise: trend, level shift or random walk."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype="float64")
    if kind == "trend":
        values = 50 + rng.uniform(-1.5, 1.5) * t + rng.normal(0, 1.0, n)
    elif kind == "level_shift":
        shift = np.where(t >= rng.integers(6, n - 4), rng.choice([-6.0, 6.0]), 0.0)
        values = 40 + shift + rng.normal(0, 1.0, n)
    else:
        values = 30 + np.cumsum(rng.normal(0, 1.0, n))
    return _series(values)


def test_calibrated_band_covers_70_to_90_percent_of_held_out_years() -> None:
    """The done-when test: over trend, level-shift and random-walk series, the calibrated 80 %
    band, built for each fold only from errors known at its origin, holds 70-90 % of the
    held-out values (and the models' own intervals are not what is shown)."""
    settings = ForecastSettings(models=FAST_MODELS)
    inside: dict[str, int] = {}
    checked: dict[str, int] = {}
    for kind in ("trend", "level_shift", "random_walk"):
        for seed in range(8):
            history = known_series(kind, seed)
            predictor = lambda train, periods: predict_models(train, periods, settings, FAST_MODELS)  # noqa: E731
            backtest = rolling_origin(history, predictor, folds=10, horizon=5, min_train=6, names=FAST_MODELS)
            for model in FAST_MODELS:
                cal = calibrate(model, backtest.errors_of(model), settings)
                inside[model] = inside.get(model, 0) + cal.hits
                checked[model] = checked.get(model, 0) + cal.checked
    for model in FAST_MODELS:
        coverage = inside[model] / checked[model]
        assert checked[model] >= 300, (model, checked[model])
        assert 0.70 <= coverage <= 0.90, (model, round(coverage, 3))


def test_conformal_quantile_by_hand() -> None:
    scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    assert conformal_quantile(scores, 0.8) == pytest.approx(0.8)  # ceil(10 * 0.8) = 8th smallest
    assert conformal_quantile(scores, 0.875) == pytest.approx(0.9)  # ceil(10 * 0.875) = 9th
    assert conformal_quantile(scores[:4], 0.8) is None  # too few errors to say anything
    assert conformal_quantile(scores, 0.95) is None  # the rank would pass the sample


def _error(origin: int, period: int, error: float) -> FoldError:
    return FoldError("m", origin - 2000, str(origin), str(period), period - origin, 10.0, 10.0 + error)


def test_coverage_check_uses_only_errors_known_at_each_origin() -> None:
    # origins 2000..2009, one-year-ahead errors of 1 except a jump of 5 in the last fold
    errors = [_error(o, o + 1, 1.0) for o in range(2000, 2009)] + [_error(2009, 2010, 5.0)]
    hits, total = coverage_check(errors, 0.8)
    # the first origin with >= 5 known errors is 2005 (2001..2005 known); 2005-2008 hold, 2009 does not
    assert (hits, total) == (4, 5)
    cal = calibrate("m", errors, ForecastSettings(calibration_level=0.8))
    assert cal.scale == pytest.approx(1.0) and cal.coverage == pytest.approx(0.8)


def test_band_grows_with_sqrt_horizon_and_respects_the_metric_range() -> None:
    forecast = pd.DataFrame({"period": ["2012", "2013", "2016"], "yhat": [1.0, 0.5, 99.5],
                             "lower": [0.0, 0.0, 0.0], "upper": [0.0, 0.0, 0.0], "model": "m"})
    cal = Calibration("m", 0.8, 2.0, 20)
    out = apply(forecast, cal, "2011", (0.0, 100.0))
    # half-widths 2, 2*sqrt(2), 2*sqrt(5); clipped to 0..100
    assert out["lower"].tolist() == [0.0, 0.0, pytest.approx(99.5 - 2 * math.sqrt(5))]
    assert out["upper"].tolist() == [3.0, pytest.approx(0.5 + 2 * math.sqrt(2)), 100.0]
    counts = apply(forecast, cal, "2011", (0.0, math.inf))
    assert (counts["lower"] >= 0).all() and counts["upper"].iloc[2] == pytest.approx(99.5 + 2 * math.sqrt(5))
    uncalibrated = apply(forecast.assign(lower=-3.0, upper=4.0), Calibration("m", 0.8, None, 3), "2011", (0.0, 100.0))
    assert uncalibrated["lower"].tolist() == [0.0, 0.0, 0.0] and uncalibrated["upper"].tolist() == [4.0, 4.0, 4.0]


def test_choice_recommends_only_a_lead_larger_than_the_noise() -> None:
    rng = np.random.default_rng(3)
    steep = _series(20 + 2.0 * np.arange(22) + rng.normal(0, 0.3, 22))
    factories = {"naive": NaiveForecaster, "drift": DriftForecaster}
    backtest = rolling_origin(steep, factories, folds=10, horizon=5, min_train=6)
    choice = recommend(backtest, ["naive", "drift"], "drift")
    assert choice.shown == "drift" and choice.clear and not choice.naive_as_good and choice.folds == 10
    flat = _series(20 + rng.normal(0, 1.0, 22))
    backtest = rolling_origin(flat, factories, folds=10, horizon=5, min_train=6)
    choice = recommend(backtest, ["naive", "drift"], "drift")
    assert not choice.clear and set(choice.equally_good) == {"naive", "drift"} and choice.naive_as_good


def test_ets_chooses_trend_by_aicc_and_equals_a_direct_statsmodels_call() -> None:
    ets_model, theta_model = load_statsmodels()
    rng = np.random.default_rng(11)
    trend = _series(10 + 0.8 * np.arange(20) + rng.normal(0, 0.2, 20))
    flat = _series(10 + rng.normal(0, 0.5, 20))
    assert ETSForecaster().fit(trend).chosen[0] == "add"
    assert ETSForecaster().fit(flat).chosen == (None, False)
    periods = ["2010", "2011", "2012"]
    ours = ETSForecaster().fit(trend).predict(periods)
    y = pd.Series(trend["value"].to_numpy())
    fits = [ets_model(y, error="add", trend=tr, damped_trend=d).fit(disp=False)
            for tr, d in ((None, False), ("add", False), ("add", True))]
    best = min(fits, key=lambda r: r.aicc)
    direct = best.get_prediction(start=20, end=22).summary_frame(alpha=0.2)
    np.testing.assert_allclose(ours["yhat"], direct["mean"])
    np.testing.assert_allclose(ours["lower"], direct["pi_lower"])
    theta = ThetaForecaster().fit(trend).predict(periods)
    np.testing.assert_allclose(theta["yhat"], theta_model(y, period=1, deseasonalize=False).fit().forecast(3))


def test_statsmodels_models_use_the_regular_tail_and_count_steps_on_the_period_axis() -> None:
    history = pd.DataFrame({"period": ["2000", "2001", "2003", "2004", "2005", "2006", "2007"],
                            "value": [1.0, 2.0, 4.0, 5.0, 6.0, 7.1, 8.0]})
    assert regular_tail(history)["period"].tolist() == ["2003", "2004", "2005", "2006", "2007"]
    out = ThetaForecaster().fit(history).predict(["2008", "2010"])  # 1 and 3 steps ahead
    full = ThetaForecaster().fit(history).predict(["2008", "2009", "2010"])
    assert out["yhat"].tolist() == [full["yhat"].iloc[0], full["yhat"].iloc[2]]


def test_combination_is_the_mean_of_ets_and_theta() -> None:
    history = known_series("trend", 5)
    out = predict_models(history, ["2012", "2013"], ForecastSettings(), ("ets", "theta", "combination"))
    np.testing.assert_allclose(out["combination"]["yhat"], (out["ets"]["yhat"] + out["theta"]["yhat"]) / 2)
    np.testing.assert_allclose(out["combination"]["upper"], (out["ets"]["upper"] + out["theta"]["upper"]) / 2)
