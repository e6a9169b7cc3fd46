"""Period arithmetic, the history contract and settings."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasting.base import (
    clip_to_bounds,
    ForecastError,
    ForecastSettings,
    HistoryError,
    PeriodError,
    future_periods,
    parse_period,
    period_from_ordinal,
    period_ordinal,
    period_position,
    period_timestamp,
    prepare_history,
)


def test_parse_period_grains() -> None:
    assert parse_period("2011") == ("year", 2011, 1)
    assert parse_period("2011Q3") == ("quarter", 2011, 3)
    assert parse_period("2011M07") == ("month", 2011, 7)
    with pytest.raises(PeriodError):
        parse_period("2011M13")
    with pytest.raises(PeriodError):
        parse_period("11/2011")


def test_ordinals_round_trip_and_timestamps() -> None:
    assert period_ordinal("2012M01") - period_ordinal("2011M12") == 1
    assert period_from_ordinal("month", period_ordinal("2011M07")) == "2011M07"
    assert period_from_ordinal("quarter", period_ordinal("2011Q4") + 1) == "2012Q1"
    assert period_timestamp("2011Q3") == pd.Timestamp("2011-07-01")


def test_one_year_axis_for_the_chart_and_the_scenarios() -> None:
    """A period's start in years: the forecast chart's x and the scenarios' time steps."""
    from charts.forecast import COLUMNS, forecast_chart
    from forecasting.scenarios import apply_trend_change, required_change_per_year

    assert [period_position(p) for p in ("2011", "2011Q1", "2011Q3", "2011M01", "2011M04", "2011M12")] == [
        2011.0, 2011.0, 2011.5, 2011.0, 2011.25, 2011 + 11 / 12]
    quarters = pd.DataFrame({"period": ["2012Q1", "2012Q2", "2012Q3", "2012Q4"], "yhat": 0.0, "lower": 0.0,
                             "upper": 0.0})
    assert apply_trend_change(quarters, 2012, 4.0)["yhat"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert required_change_per_year("2011Q4", 10.0, 2013, 12.0) == pytest.approx(1.0)  # 2011Q4 end -> 2013 end
    rows = pd.DataFrame([{c: None for c in COLUMNS} | {"area": "Kalajoki", "series": "history", "period": p, "value": 1.0}
                         for p in ("2011Q1", "2011Q3", "2012Q2")])
    drawn = forecast_chart(rows, "fi", value_title="%", decimals=1)["datasets"]["rows"]
    assert [r["x"] for r in drawn] == [2011.0, 2011.5, 2012.25]


def test_future_periods_to_end_of_year() -> None:
    assert future_periods("2011", 2014) == ["2012", "2013", "2014"]
    assert future_periods("2011M11", 2012)[:2] == ["2011M12", "2012M01"]
    assert len(future_periods("2011M11", 2012)) == 13
    assert future_periods("2011", 2010) == []


def test_prepare_history_sorts_drops_missing_and_names_bad_rows() -> None:
    raw = pd.DataFrame({"period": ["2003", "2001", "2002"], "value": [3.0, 1.0, None]})
    clean = prepare_history(raw)
    assert clean["period"].tolist() == ["2001", "2003"]
    with pytest.raises(HistoryError, match="row 2, field 'value'"):
        prepare_history(pd.DataFrame({"period": ["2001", "2002"], "value": [1.0, "x"]}))
    with pytest.raises(HistoryError, match="row 1, field 'period'"):
        prepare_history(pd.DataFrame({"period": ["20x1"], "value": [1.0]}))
    with pytest.raises(HistoryError, match="2001 appears more than once"):
        prepare_history(pd.DataFrame({"period": ["2001", "2001"], "value": [1.0, 2.0]}))
    with pytest.raises(PeriodError, match="mixes"):
        prepare_history(pd.DataFrame({"period": ["2001", "2001M01"], "value": [1.0, 2.0]}))
    # the array-based version keeps the frame contract: object periods, float values, new index
    odd = prepare_history(pd.DataFrame({"period": [2003, " 2001 ", "2002"], "value": ["3", float("inf"), 2]},
                                       index=[7, 8, 9]))
    assert odd["period"].tolist() == ["2002", "2003"] and odd["value"].tolist() == [2.0, 3.0]
    assert odd["period"].dtype == object and odd["value"].dtype == "float64" and odd.index.tolist() == [0, 1]
    empty = prepare_history(pd.DataFrame({"period": ["2001"], "value": [None]}))
    assert empty.empty and list(empty.columns) == ["period", "value"]


def test_clip_to_bounds_keeps_columns_dtypes_and_nan() -> None:
    frame = pd.DataFrame({"period": pd.Series(["2012", "2013"], dtype="object"), "yhat": [-1.0, 50.0],
                          "lower": [float("nan"), 40.0], "upper": [2.0, 120.0], "model": pd.Series(["x", "x"], dtype="object")},
                         index=[3, 4])
    out = clip_to_bounds(frame, (0.0, 100.0))
    assert out["yhat"].tolist() == [0.0, 50.0] and out["upper"].tolist() == [2.0, 100.0]
    assert pd.isna(out["lower"].iloc[0]) and out.index.tolist() == [3, 4]
    assert out.dtypes.to_dict() == frame.dtypes.to_dict() and frame["yhat"].iloc[0] == -1.0  # a copy


def test_settings_validate_and_z() -> None:
    assert ForecastSettings().z == pytest.approx(1.281552, abs=1e-5)
    assert ForecastSettings(interval_width=0.95).z == pytest.approx(1.959964, abs=1e-5)
    with pytest.raises(ForecastError):
        ForecastSettings(bounds=(100.0, 0.0))
    with pytest.raises(ForecastError):
        ForecastSettings(interval_width=1.5)
