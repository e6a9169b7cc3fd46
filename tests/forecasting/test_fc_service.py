"""The service on real data: outputs, bounds, cache, parallel fits, disclosure, explanation, CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecasting.base import ForecastSettings
from readout.forecast import explain, fmt_number
from forecasting.scenarios import BaselineScenario, DriverScenario, LevelShiftScenario, TargetScenario, TrendChangeScenario
from forecasting.metric_adapter import bounds_for_metric, forecast_metric, published_history, settings_for_metric
from forecasting.models import KNOWN_MODELS
from forecasting.service import clear_cache, forecast_many, forecast_series
from kuntamittari.i18n import catalogue, t

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
    assert [m.name for m in kalajoki.models] == ["ets", "theta", "combination", "prophet", "drift", "naive"]
    assert kalajoki.model == kalajoki.recommendation.shown and kalajoki.model in KNOWN_MODELS
    assert fc["period"].tolist() == [str(y) for y in range(2012, 2031)]
    for m in kalajoki.models:  # every band, calibrated or not, stays in 0-100 % and holds its forecast
        f = m.forecast
        assert ((f["lower"] >= 0) & (f["upper"] <= 100) & (f["lower"] <= f["yhat"]) & (f["yhat"] <= f["upper"])).all(), m.name
        assert m.calibration is not None and m.calibration.calibrated and m.calibration.checked >= 10
        assert m.score is not None and m.score.folds == 10
    naive = kalajoki.get_model("naive").forecast
    assert (naive["yhat"] == kalajoki_unemployment["value"].iloc[-1]).all()
    # the shown band is yhat +- scale * sqrt(h), h counted from 2011 (before clipping)
    shown = kalajoki.shown
    half = (shown.forecast["upper"] - shown.forecast["yhat"]).to_numpy()
    np.testing.assert_allclose(half[:3], shown.calibration.scale * np.sqrt([1, 2, 3]))
    # scenarios against the baseline, by hand
    scen = kalajoki.scenarios.pivot(index="period", columns="scenario", values="yhat")
    base = scen["baseline"]
    np.testing.assert_allclose(scen["level_shift:-1@2015"]["2015":], (base["2015":] - 1.0).clip(lower=0))
    np.testing.assert_allclose(scen["level_shift:-1@2015"][:"2014"], base[:"2014"])
    assert scen["trend_change:-0.2/y@2013"]["2014"] == pytest.approx(max(base["2014"] - 0.4, 0.0))
    target = next(o for o in kalajoki.outcomes if o.kind == "target")
    assert target.required_change_per_year == pytest.approx((5.0 - 8.0) / 10)
    assert scen["target:5@2021"]["2021"] == pytest.approx(5.0)


def test_first_draw_without_backtest_shows_the_provisional_model_and_reuses_its_fits(kalajoki_unemployment: pd.DataFrame) -> None:
    # a horizon no other test asks for, so the fits are cold without clearing others' cache
    first = forecast_series(kalajoki_unemployment, 2017, BOUNDED, (BaselineScenario(),), area_code="208", with_backtest=False)
    assert first.pending and first.model == "combination" and all(m.calibration is None for m in first.models)
    assert "prophet" in first.fit_seconds and "ets" in first.fit_seconds
    full = forecast_series(kalajoki_unemployment, 2017, BOUNDED, (BaselineScenario(),), area_code="208")
    assert not full.pending and full.fit_seconds == {}  # the model fits came from the cache
    for a, b in zip(first.models, full.models, strict=True):
        pd.testing.assert_series_equal(a.forecast["yhat"], b.forecast["yhat"])


def test_json_structure_and_rounding(kalajoki) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(json.dumps(kalajoki.to_dict()))
    assert set(data) >= {"history", "forecast", "models", "backtest", "backtest_folds", "recommendation", "scenarios"}
    assert data["history"][-1] == {"period": "2011", "value": 8.0}
    assert data["backtest_folds"] == 10 and data["recommendation"]["model"] == kalajoki.model
    assert set(data["models"]) == {"ets", "theta", "combination", "prophet", "drift", "naive"}
    prophet = data["models"]["prophet"]
    assert set(prophet) == {"forecast", "own_interval", "interval", "backtest"}
    assert set(prophet["forecast"][0]) == {"period", "value", "lower", "upper"}
    cal = kalajoki.get_model("prophet").calibration
    assert prophet["interval"]["inside"] == cal.hits and prophet["interval"]["checked"] == cal.checked
    assert prophet["interval"]["nominal"] == 0.8
    assert prophet["backtest"]["folds"] == 10 and prophet["backtest"]["mae"] == round(kalajoki.backtest.score("prophet").mae, 6)
    assert data["forecast"][0]["value"] == round(float(kalajoki.forecast["yhat"].iloc[0]), 6)
    assert {b["model"] for b in data["backtest"]} == set(data["models"])


def test_cache_hit_and_miss(kalajoki, kalajoki_unemployment: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    assert forecast_series(kalajoki_unemployment, 2030, BOUNDED, SCENARIOS, area_code="208") is kalajoki
    changed = kalajoki_unemployment.copy()
    changed.loc[changed.index[-1], "value"] = 9.0
    other = forecast_series(changed, 2030, BOUNDED, SCENARIOS, area_code="208")
    assert other is not kalajoki and other.history["value"].iloc[-1] == 9.0


def test_explanation_in_three_languages(kalajoki) -> None:  # type: ignore[no-untyped-def]
    end = float(kalajoki.forecast["yhat"].iloc[-1])
    cal = kalajoki.shown.calibration
    texts = {lang: explain(kalajoki, lang, unit="%", decimals=1) for lang in ("fi", "sv", "en")}
    assert f"{fmt_number(end, 1, 'fi')}\u00a0%" in texts["fi"][0] and "2030" in texts["fi"][0]
    assert f"{fmt_number(end, 1, 'en')}\u00a0%" in texts["en"][0]
    assert f"{cal.hits} of {cal.checked} actual values" in texts["en"][1]
    assert f"{cal.hits}/{cal.checked} toteutunutta arvoa" in texts["fi"][1]
    assert "10 starting years" in texts["en"][2] and "10 lähtövuotta" in texts["fi"][2] and "10 startår" in texts["sv"][2]
    if kalajoki.recommendation.naive_as_good:
        assert "”Same as last year” is as good" in texts["en"][2]
    assert any("−0,3" in p and "2021" in p for p in texts["fi"])  # target needs -0.3 pp a year
    assert any("19 years past the last observation" in p for p in texts["en"])  # 2030 is far past 2011
    assert all(len(texts[lang]) == len(texts["fi"]) for lang in texts)


def test_metric_ranges() -> None:
    from metrics.catalog import load_catalog

    catalog = load_catalog()
    assert bounds_for_metric(catalog.get("unemployment_rate")) == (0.0, 100.0)
    assert bounds_for_metric(catalog.get("population")) == (0.0, math.inf)
    assert bounds_for_metric(catalog.get("primary_care_bed_days_75")) == (0.0, math.inf)  # can exceed 1 000
    assert bounds_for_metric(catalog.get("net_migration_rate")) is None
    assert bounds_for_metric(catalog.get("migration_balance_rate")) is None


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
    quick = ForecastSettings(backtest_folds=3, uncertainty_samples=100)
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
            for part in ("history", "forecast", "scenarios"):
                pd.testing.assert_frame_equal(getattr(serial[code], part), getattr(other[code], part))
            for mine, theirs in zip(serial[code].models, other[code].models, strict=True):  # every model's forecast
                assert mine.name == theirs.name
                pd.testing.assert_frame_equal(mine.forecast, theirs.forecast)
            assert serial[code].backtest == other[code].backtest
            assert serial[code].backtest.n_folds == 3
            assert serial[code].recommendation == other[code].recommendation
    # the parent process remembers what the workers fitted
    warm, _ = forecast_many(histories, 2013, quick, executor="process")
    assert all(warm[c] is parallel[c] for c in histories)


def test_a_plan_pickles_its_fields_only() -> None:
    """The pool's feeder thread pickles a plan while the submitting thread fills its cached
    properties (cache keys, backtest settings): the pickled state must not iterate those."""
    import pickle

    from forecasting.planning import SeriesRequest, plan_series

    plan = plan_series(SeriesRequest("009", sotkanet_series(181, "009"), 2013, BOUNDED))
    keys = (plan.forecasts_key, plan.backtest_key, plan.axis.tolist(), plan.actuals)  # fill the cached ones
    state = plan.__getstate__()
    assert set(state) == {"request", "clean", "settings", "grain", "periods", "digest", "names", "codes", "values"}
    copy = pickle.loads(pickle.dumps(plan))
    assert (copy.forecasts_key, copy.backtest_key, copy.axis.tolist(), copy.actuals) == keys
    pd.testing.assert_frame_equal(copy.clean, plan.clean)


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
    assert set(frame["kind"]) == {"history", "forecast", "scenario"}
    rows = frame[frame["kind"] == "forecast"]
    assert set(rows["model"]) == {m.name for m in area.models} and rows["recommended"].sum() == 5  # 2012-2016
    ets = rows[rows["model"] == "ets"].iloc[0]
    cal, score = area.get_model("ets").calibration, area.get_model("ets").score
    assert (ets["coverage_inside"], ets["coverage_checked"], ets["backtest_folds"]) == (cal.hits, cal.checked, 10)
    assert ets["backtest_mae"] == pytest.approx(score.mae)


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
    assert {b["model"] for b in area["backtest"]} == {"ets", "theta", "combination", "prophet", "naive", "drift"}
    for model in area["models"].values():  # per model: forecast, calibrated interval, coverage, errors, folds
        assert model["interval"]["calibrated"] and model["interval"]["checked"] > 0
        assert model["backtest"]["folds"] == 10 and model["backtest"]["mae"] > 0
        assert all(0 <= r["lower"] <= r["value"] <= r["upper"] <= 100 for r in model["forecast"])
    assert area["explanation"] and "2014" in area["explanation"][0]
    # the default horizon is 5 years past the data; a longer one is allowed with a warning
    res = runner.invoke(app, ["forecast", "unemployment_rate", "--area", "208", "--json", "--db", db])
    assert json.loads(res.stdout)["until"] == 2016
    res = runner.invoke(app, ["forecast", "unemployment_rate", "--area", "208", "--until", "2030", "--db", db])
    assert res.exit_code == 0 and t("forecasting.page.until_long", "fi", years=5, last=2011) in res.stderr
    res = runner.invoke(app, ["forecast", "no_such_metric", "--area", "208", "--db", db])
    assert res.exit_code == 2 and "no_such_metric" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["forecast", "unemployment_rate", "--area", "208", "--db", db, "--scenarios", "/nonexistent.yaml"])
    assert res.exit_code == 2 and "cannot read" in res.output
