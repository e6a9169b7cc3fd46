"""The Prophet adapter equals a direct Prophet call, is deterministic and handles straight lines.

Prophet fits take ~0.1 s each: this file keeps their number small.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from forecasting.backtest import rolling_origin
from forecasting.base import ForecastSettings
from forecasting.naive import NaiveForecaster
from forecasting.prophet_model import ProphetForecaster, fit_kwargs, is_degenerate, load_prophet, prophet_params


def _direct(history: pd.DataFrame, periods: list[str], *, bounds: tuple[float, float] | None, seed: int) -> pd.DataFrame:
    """Prophet called by hand with the documented defaults for a 21-point yearly series."""
    Prophet = load_prophet()
    model = Prophet(
        growth="logistic" if bounds else "linear",
        yearly_seasonality=False, weekly_seasonality=False, daily_seasonality=False,
        n_changepoints=5, changepoint_range=0.8, changepoint_prior_scale=0.5,
        interval_width=0.8, uncertainty_samples=300,
    )
    df = pd.DataFrame({"ds": pd.to_datetime([f"{p}-01-01" for p in history["period"]]), "y": history["value"]})
    future = pd.DataFrame({"ds": pd.to_datetime([f"{p}-01-01" for p in periods])})
    if bounds:
        df["floor"], df["cap"] = bounds
        future["floor"], future["cap"] = bounds
    model.fit(df, seed=seed)
    np.random.seed(seed)
    return model.predict(future)


def test_forecast_equals_direct_prophet_call(kalajoki_unemployment: pd.DataFrame) -> None:
    settings = ForecastSettings(bounds=(0.0, 100.0))
    periods = ["2012", "2013", "2020", "2030"]
    ours = ProphetForecaster(settings).fit(kalajoki_unemployment).predict(periods)
    direct = _direct(kalajoki_unemployment, periods, bounds=(0.0, 100.0), seed=settings.seed)
    np.testing.assert_allclose(ours["yhat"], direct["yhat"], rtol=1e-12)
    np.testing.assert_allclose(ours["lower"], direct["yhat_lower"], rtol=1e-12)
    np.testing.assert_allclose(ours["upper"], direct["yhat_upper"], rtol=1e-12)
    assert ours["period"].tolist() == periods and set(ours["model"]) == {"prophet"}
    assert (ours["lower"] < ours["yhat"]).all() and (ours["yhat"] < ours["upper"]).all()
    # the same input again gives the same numbers (seeded), and the global RNG is left alone
    np.random.seed(1)
    expected_next = np.random.random()
    np.random.seed(1)
    again = ProphetForecaster(settings).fit(kalajoki_unemployment).predict(periods)
    assert np.random.random() == expected_next
    pd.testing.assert_frame_equal(ours, again)


def test_params_for_short_yearly_and_monthly_series() -> None:
    yearly = prophet_params(ForecastSettings(), "year", 12)
    assert yearly["yearly_seasonality"] is False and yearly["weekly_seasonality"] is False
    assert yearly["growth"] == "linear" and yearly["n_changepoints"] == 5
    assert prophet_params(ForecastSettings(), "year", 5)["n_changepoints"] == 3
    assert prophet_params(ForecastSettings(bounds=(0, 100)), "year", 20)["growth"] == "logistic"
    assert prophet_params(ForecastSettings(), "month", 25)["yearly_seasonality"] is True
    assert prophet_params(ForecastSettings(), "month", 24)["yearly_seasonality"] is False
    assert prophet_params(ForecastSettings(), "month", 18)["yearly_seasonality"] is False


def test_degenerate_series_get_bfgs() -> None:
    assert is_degenerate([10 + 0.5 * i for i in range(20)])
    assert is_degenerate([3.0] * 8)
    assert not is_degenerate([1.0, 2.0, 2.5, 4.0])
    assert fit_kwargs(ForecastSettings(), [10 + 0.5 * i for i in range(20)])["algorithm"] == "BFGS"
    assert "algorithm" not in fit_kwargs(ForecastSettings(), [1.0, 2.0, 2.5, 4.0])
    assert fit_kwargs(ForecastSettings(algorithm="LBFGS"), [1.0, 2.0])["algorithm"] == "LBFGS"


def test_prophet_backtest_on_a_straight_line_is_exact(caplog: pytest.LogCaptureFixture) -> None:
    line = pd.DataFrame({"period": [str(2001 + i) for i in range(12)], "value": [10 + 0.5 * i for i in range(12)]})
    settings = ForecastSettings(uncertainty_samples=0)
    with caplog.at_level(logging.WARNING):
        result = rolling_origin(line, {"prophet": lambda: ProphetForecaster(settings), "naive": NaiveForecaster},
                                folds=3, horizon=1)
    assert result.score("prophet").mae < 0.01
    assert result.score("naive").mae == pytest.approx(0.5)
    prophet_folds, naive_folds = result.fold_mae("prophet"), result.fold_mae("naive")
    assert len(prophet_folds) == 3 and all(prophet_folds[f] < naive_folds[f] for f in prophet_folds)
    assert not [r for r in caplog.records if "Newton" in r.getMessage()]


def test_monthly_series_with_seasonality() -> None:
    rng = np.random.default_rng(7)
    periods = [f"{y}M{m:02d}" for y in (2009, 2010, 2011) for m in range(1, 13)]
    values = [50 + 5 * np.sin(2 * np.pi * (i % 12) / 12) + 0.1 * i + rng.normal(0, 0.3) for i in range(36)]
    hist = pd.DataFrame({"period": periods, "value": values})
    out = ProphetForecaster().fit(hist).predict(["2012M01", "2012M04", "2012M10"])
    # the seasonal peak (April) stays above the trough (October), as in the history
    assert out["yhat"].iloc[1] > out["yhat"].iloc[2] + 5
