"""Scenario arithmetic checked against hand computation, and scenario files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecasting.scenarios import (
    LevelShiftScenario,
    ScenarioError,
    TargetScenario,
    apply_level_shift,
    apply_trend_change,
    load_scenarios,
    parse_scenario,
    required_change_per_year,
    scenario_key,
    target_path,
)

BASE = pd.DataFrame({
    "period": ["2012", "2013", "2014", "2015"],
    "yhat": [10.0, 11.0, 12.0, 13.0],
    "lower": [9.0, 9.5, 10.0, 10.5],
    "upper": [11.0, 12.5, 14.0, 15.5],
    "model": "prophet",
})


def test_target_path_by_hand() -> None:
    # last observed 8.0 in 2011, target 5.0 by 2016: (5 - 8) / 5 = -0.6 a year, held after 2016
    assert required_change_per_year("2011", 8.0, 2016, 5.0) == pytest.approx(-0.6)
    path = target_path("2011", 8.0, 2016, 5.0, [str(y) for y in range(2012, 2019)])
    assert path["yhat"].tolist() == pytest.approx([7.4, 6.8, 6.2, 5.6, 5.0, 5.0, 5.0])


def test_target_path_monthly_reaches_target_in_december() -> None:
    # from 2011M12 to the end of 2012 is 12 months = 1 year
    assert required_change_per_year("2011M12", 10.0, 2012, 7.0) == pytest.approx(-3.0)
    path = target_path("2011M12", 10.0, 2012, 7.0, ["2012M06", "2012M12"])
    assert path["yhat"].tolist() == pytest.approx([8.5, 7.0])


def test_target_year_in_the_past_is_an_error() -> None:
    with pytest.raises(ScenarioError, match="not after"):
        required_change_per_year("2011", 8.0, 2011, 5.0)


def test_level_shift_by_hand() -> None:
    out = apply_level_shift(BASE, 2014, 2.0)
    assert out["yhat"].tolist() == [10.0, 11.0, 14.0, 15.0]
    assert out["lower"].tolist() == [9.0, 9.5, 12.0, 12.5]
    assert out["upper"].tolist() == [11.0, 12.5, 16.0, 17.5]
    assert BASE["yhat"].tolist() == [10.0, 11.0, 12.0, 13.0]  # input untouched


def test_trend_change_by_hand() -> None:
    # -0.5 a year from 2013: adjustments 0, -0.5, -1.0, -1.5
    out = apply_trend_change(BASE, 2013, -0.5)
    assert out["yhat"].tolist() == pytest.approx([10.0, 10.5, 11.0, 11.5])
    assert (out["upper"] - out["lower"]).tolist() == pytest.approx((BASE["upper"] - BASE["lower"]).tolist())


def test_trend_change_monthly_grows_by_twelfths() -> None:
    base = pd.DataFrame({"period": ["2012M12", "2013M01", "2013M02", "2014M01"], "yhat": 0.0, "lower": 0.0, "upper": 0.0})
    out = apply_trend_change(base, 2013, 1.2)
    assert out["yhat"].tolist() == pytest.approx([0.0, 0.1, 0.2, 1.3])


def test_parse_and_keys() -> None:
    assert scenario_key(parse_scenario({"kind": "level_shift", "from_year": 2026, "amount": -2})) == "level_shift:-2@2026"
    assert scenario_key(TargetScenario(value=8, year=2030)) == "target:8@2030"
    with pytest.raises(ScenarioError, match="amount"):
        parse_scenario({"kind": "level_shift", "from_year": 2026})
    with pytest.raises(ScenarioError):
        parse_scenario({"kind": "guess"})


def test_load_scenarios_names_file_line_and_field(tmp_path: Path) -> None:
    good = tmp_path / "ok.yaml"
    good.write_text("- kind: level_shift\n  from_year: 2026\n  amount: -1.5\n- kind: trend_change\n  from_year: 2027\n  per_year: 0.2\n",
                    encoding="utf-8")
    loaded = load_scenarios(good)
    assert loaded[0] == LevelShiftScenario(from_year=2026, amount=-1.5)
    assert loaded[1].kind == "trend_change"
    bad = tmp_path / "bad.yaml"
    bad.write_text("- kind: baseline\n- kind: trend_change\n  from_year: 2027\n  per_yer: 0.2\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad\.yaml:2: scenario 2: .*per_ye"):
        load_scenarios(bad)
    broken = tmp_path / "broken.yaml"
    broken.write_text("- kind: [\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenarios(broken)
