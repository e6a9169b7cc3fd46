"""The service on real data: outputs, bounds, cache, parallel fits, disclosure, explanation, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecasting.base import ForecastSettings
from forecasting.explain import explain, fmt_number
from forecasting.scenarios import BaselineScenario, DriverScenario, LevelShiftScenario, TargetScenario, TrendChangeScenario
from forecasting.service import (
    clear_cache,
    forecast_many,
    forecast_metric,
    forecast_series,
    published_history,
    settings_for_metric,
)
from kuntamittari.i18n import catalogue

from fc_data import sotkanet_series

BOUNDED = ForecastSettings(bounds=(0.0, 100.0))
SCENARIOS = (BaselineScenario(), LevelShiftScenario(from_year=2015, amount=-1.0),
             TrendChangeScenario(from_year=2013, per_year=-0.2), TargetScenario(value=5.0, year=2021))


@pytest.fixture(scope="module")
def kalajoki(kalajoki_unemployment: pd.DataFrame):  # type: ignore[no-untyped-def]
    clear_cache()
    return forecast_series(kalajoki_unemployment, 2030, BOUNDED, SCENARIOS, area_code="208")


def test_series_forecast_shape_and_consistency(kalajoki, kalajoki_unemployment: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    fc = kalajoki.forecast
    assert kalajoki.model == "prophet"
    assert fc["period"].tolist() == [str(y) for y in range(2012, 2031)]
    assert ((fc["lower"] >= 0) & (fc["upper"] <= 100) & (fc["lower"] <= fc["yhat"]) & (fc["yhat"] <= fc["upper"])).all()
    assert set(kalajoki.baselines["model"]) == {"naive", "drift"}
    naive = kalajoki.baselines[kalajoki.baselines["model"] == "naive"]
    assert (naive["yhat"] == kalajoki_unemployment["value"].iloc[-1]).all()
    assert [s.model for s in kalajoki.backtest.scores] == ["prophet", "naive", "drift"]
    assert all(s.folds == 5 for s in kalajoki.backtest.scores)
    # scenarios against the baseline, by hand
    scen = kalajoki.scenarios.pivot(index="period", columns="scenario", values="yhat")
    base = scen["baseline"]
    np.testing.assert_allclose(scen["level_shift:-1@2015"]["2015":], (base["2015":] - 1.0).clip(lower=0))
    np.testing.assert_allclose(scen["level_shift:-1@2015"][:"2014"], base[:"2014"])
    assert scen["trend_change:-0.2/y@2013"]["2014"] == pytest.approx(base["2014"] - 0.4)
    target = next(o for o in kalajoki.outcomes if o.kind == "target")
    assert target.required_change_per_year == pytest.approx((5.0 - 8.0) / 10)
    assert scen["target:5@2021"]["2021"] == pytest.approx(5.0)


def test_json_structure_and_rounding(kalajoki) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(json.dumps(kalajoki.to_dict()))
    assert set(data) >= {"history", "forecast", "backtest", "scenarios", "backtest_wins"}
    assert data["history"][-1] == {"period": "2011", "value": 8.0}
    assert set(data["forecast"][0]) == {"period", "value", "lower", "upper"}
    assert data["forecast"][0]["value"] == round(float(kalajoki.forecast["yhat"].iloc[0]), 6)
    assert {b["model"] for b in data["backtest"]} == {"prophet", "naive", "drift"}
    assert set(data["backtest"][0]) == {"model", "mae", "mape", "folds"}
    wins, folds = kalajoki.backtest.wins("prophet", "naive")
    assert data["backtest_wins"]["wins"] == wins and data["backtest_wins"]["folds"] == folds == 5


def test_cache_hit_and_miss(kalajoki, kalajoki_unemployment: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    assert forecast_series(kalajoki_unemployment, 2030, BOUNDED, SCENARIOS, area_code="208") is kalajoki
    changed = kalajoki_unemployment.copy()
    changed.loc[changed.index[-1], "value"] = 9.0
    other = forecast_series(changed, 2030, BOUNDED, SCENARIOS, area_code="208")
    assert other is not kalajoki and other.history["value"].iloc[-1] == 9.0


def test_explanation_in_three_languages(kalajoki) -> None:  # type: ignore[no-untyped-def]
    wins, folds = kalajoki.backtest.wins("prophet", "naive")
    end = float(kalajoki.forecast["yhat"].iloc[-1])
    texts = {lang: explain(kalajoki, lang, unit="%", decimals=1) for lang in ("fi", "sv", "en")}
    assert f"{fmt_number(end, 1, 'fi')}\u00a0%" in texts["fi"][0] and "2030" in texts["fi"][0]
    assert f"{fmt_number(end, 1, 'en')}\u00a0%" in texts["en"][0]
    assert f"{wins}/{folds}" in texts["fi"][2]
    assert f"{wins} of {folds} test years" in texts["en"][2]
    assert f"{wins} av {folds} testår" in texts["sv"][2]
    assert any("−0,3" in p and "2021" in p for p in texts["fi"])  # target needs -0.3 pp a year
    assert all(len(texts[lang]) == len(texts["fi"]) for lang in texts)


def test_locale_files_complete() -> None:
    keys = {lang: {k for k in catalogue(lang) if k.startswith("forecasting.")} for lang in ("fi", "sv", "en")}
    assert keys["fi"] and keys["fi"] == keys["sv"] == keys["en"]


def test_disclosure_drops_suppressed_values_before_fitting() -> None:
    frame = pd.DataFrame({
        "area_code": ["436"] * 8,
        "period": [str(y) for y in range(2004, 2012)],
        "value": [3.1, 3.3, 97.531, 3.2, 3.6, 3.4, 86.421, 3.5],
        "numerator": [12, 14, 2, 13, 15, 14, None, 15],
        "status": ["ok"] * 6 + ["suppressed", "ok"],
    })
    histories, dropped = published_history(frame, min_count=5)
    assert histories["436"]["period"].tolist() == ["2004", "2005", "2007", "2008", "2009", "2011"]
    assert dropped["436"] == 2
    result = forecast_series(histories["436"], 2014, ForecastSettings(), (BaselineScenario(),), area_code="436",
                             dropped=dropped["436"])
    dumped = json.dumps(result.to_dict())
    assert "97.531" not in dumped and "86.421" not in dumped
    assert result.gaps == ("2006", "2010")
    assert any(p.startswith("2 arvoa") and "tietosuoja" in p for p in explain(result, "fi"))


def test_parallel_equals_serial() -> None:
    histories = {code: sotkanet_series(181, code) for code in ("009", "425")}
    quick = ForecastSettings(backtest_folds=2, uncertainty_samples=100)
    clear_cache()
    serial, _ = forecast_many(histories, 2013, quick, executor="serial")
    clear_cache()
    threaded, _ = forecast_many(histories, 2013, quick, executor="thread")
    clear_cache()
    seen: list[int] = []
    parallel, failures = forecast_many(histories, 2013, quick, executor="process",
                                       progress=lambda done, total, area: seen.append(done))
    assert not failures and seen == [1, 2]
    # the folds run as separate tasks and the workers use object strings inside Prophet:
    # same numbers, same fold order, same dtypes as the serial run
    for other in (parallel, threaded):
        for code in histories:
            for part in ("history", "forecast", "baselines", "scenarios"):
                pd.testing.assert_frame_equal(getattr(serial[code], part), getattr(other[code], part))
            assert serial[code].backtest == other[code].backtest
            assert serial[code].backtest.n_folds == 2
    # the parent process remembers what the workers fitted
    warm, _ = forecast_many(histories, 2013, quick, executor="process")
    assert all(warm[c] is parallel[c] for c in histories)


def test_too_short_series_is_reported_not_raised() -> None:
    results, failures = forecast_many({"001": pd.DataFrame({"period": ["2010", "2011"], "value": [1.0, 2.0]})}, 2015)
    assert not results and "2 published values" in failures["001"]


def test_driver_scenario_effect_is_coefficient_times_change() -> None:
    income_support = sotkanet_series(493, "208")
    unemployment = sotkanet_series(181, "208")
    result = forecast_series(income_support, 2016, BOUNDED,
                             (BaselineScenario(), DriverScenario(driver="unemployment_rate", from_year=2014, amount=2.0)),
                             {"unemployment_rate": unemployment}, area_code="208")
    outcome = next(o for o in result.outcomes if o.kind == "driver")
    assert outcome.error is None and outcome.effect_per_unit is not None
    # an additive regressor moves the forecast by coefficient x change
    assert outcome.end_value - outcome.baseline_end_value == pytest.approx(2.0 * outcome.effect_per_unit, abs=1e-6)
    rows = result.scenarios[result.scenarios["scenario"] == "driver:unemployment_rate:+2@2014"]
    assert rows["period"].tolist() == ["2012", "2013", "2014", "2015", "2016"]


def test_forecast_metric_on_bundled_database(bundled_engine) -> None:  # type: ignore[no-untyped-def]
    from metrics.catalog import load_catalog

    catalog = load_catalog()
    metric = catalog.get("unemployment_rate")
    assert settings_for_metric(metric).bounds == (0.0, 100.0)
    result = forecast_metric(bundled_engine, catalog, "unemployment_rate", ("208",), 2016, with_target=True,
                             scenarios=(BaselineScenario(),))
    area = result.get("208")
    assert area is not None and area.history["value"].iloc[-1] == 8.0  # Kalajoki 2011, THL Sotkanet
    direct = forecast_series(sotkanet_series(181, "208"), 2016, settings_for_metric(metric),
                             (BaselineScenario(), TargetScenario(value=8.0, year=2015)), area_code="208")
    assert [o.kind for o in area.outcomes] == ["baseline", "target"]  # the metric's own target (8 % by 2015)
    pd.testing.assert_frame_equal(area.forecast, direct.forecast)
    frame = result.to_frame()
    assert set(frame["kind"]) == {"history", "forecast", "baseline", "scenario"}


def test_cli_json_and_errors(bundled_engine) -> None:  # type: ignore[no-untyped-def]
    from cli.main import app

    runner = CliRunner()
    db = bundled_engine.url.render_as_string(hide_password=False)
    res = runner.invoke(app, ["forecast", "unemployment_rate", "--area", "208", "--until", "2014", "--json", "--db", db])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    area = data["areas"]["208"]
    assert [f["period"] for f in area["forecast"]] == ["2012", "2013", "2014"]
    assert area["history"][-1] == {"period": "2011", "value": 8.0}
    assert {b["model"] for b in area["backtest"]} == {"prophet", "naive", "drift"}
    assert area["explanation"] and "2014" in area["explanation"][0]
    res = runner.invoke(app, ["forecast", "no_such_metric", "--area", "208", "--db", db])
    assert res.exit_code == 2 and "no_such_metric" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["forecast", "unemployment_rate", "--area", "208", "--db", db, "--scenarios", "/nonexistent.yaml"])
    assert res.exit_code == 2 and "cannot read" in res.output
