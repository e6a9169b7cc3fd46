"""The models' measured accuracy summary: known numbers, a straight trend, the store and the CLI."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from datamodel.engine import make_engine
from forecasting.accuracy import AccuracySummary, model_accuracy, summarise, until_year
from forecasting.accuracy_store import load_summary, save_summary
from forecasting.backtest import BacktestResult, FoldError, ModelScore
from forecasting.base import ForecastSettings
from forecasting.calibration import Calibration
from forecasting.choice import Recommendation
from forecasting.results import ModelForecast, SeriesForecast
from forecasting.service import forecast_many
from refresh import refresh_status

EMPTY = pd.DataFrame()


def _error(model: str, actual: float, lower: float | None, upper: float | None) -> FoldError:
    return FoldError(model, 0, "2000", "2001", 1, actual, actual, lower, upper)


def _result(maes: dict[str, float], hits: dict[str, tuple[int, int]], errors: list[FoldError], shown: str) -> SeriesForecast:
    """A series' forecast with hand-set backtest MAEs and calibrated-band hits (nothing fitted)."""
    models = tuple(ModelForecast(m, EMPTY, EMPTY, None, Calibration(m, 0.8, 1.0, 10, *hits[m]), ModelScore(m, mae, None, 5))
                   for m, mae in maes.items())
    backtest = BacktestResult(tuple(errors), tuple(m.score for m in models), 1)
    history = pd.DataFrame({"period": ["2009", "2010", "2011"], "value": [1.0, 2.0, 3.0]})
    return SeriesForecast("001", history, models, backtest, Recommendation(shown, False, (), False, 5), EMPTY, (),
                          ForecastSettings())


def test_measured_as_far_ahead_as_the_page_forecasts() -> None:
    """The default horizon (`forecasting.horizon`): 5 years past the newest value of any area."""
    histories = {"208": pd.DataFrame({"period": ["2017", "2018", "2019"], "value": [1.0, 2.0, 3.0]}),
                 "244": pd.DataFrame({"period": ["2019", "2020", "2021"], "value": [1.0, 2.0, 3.0]})}
    assert until_year(histories) == 2026


def test_known_numbers_geometric_mean_and_coverage_counts() -> None:
    a = _result({"naive": 2.0, "drift": 1.0}, {"naive": (7, 10), "drift": (9, 10)},
                [_error("drift", 5.0, 4.0, 6.0), _error("drift", 5.0, 6.0, 7.0), _error("drift", 5.0, None, None)], "drift")
    b = _result({"naive": 1.0, "drift": 2.0}, {"naive": (3, 4), "drift": (1, 4)}, [_error("drift", 1.0, 0.0, 1.0)], "naive")
    zero = _result({"naive": 0.0, "drift": 0.5}, {"naive": (0, 0), "drift": (2, 2)}, [], "naive")  # naive exact: no ratio
    summary = summarise({"m1": {"001": a, "002": b}, "m2": {"001": zero}}, ("drift", "naive"), areas=("001", "002"),
                        data_batch=7, measured_at=datetime(2026, 11, 30, tzinfo=UTC))
    drift, naive = summary.get("drift"), summary.get("naive")
    assert drift is not None and naive is not None
    assert drift.relative_mae == pytest.approx(1.0)  # 0.5 and 2.0: geometric mean 1 (the arithmetic one would be 1.25)
    assert (drift.series, drift.ratio_series, drift.hits, drift.checked) == (3, 2, 12, 16)
    assert drift.coverage == pytest.approx(0.75)
    assert (drift.own_hits, drift.own_checked) == (2, 3)  # 4 <= 5 <= 6 and 0 <= 1 <= 1 inside; 6..7 not; no interval skipped
    assert (drift.shown, naive.shown) == (1, 2)
    assert naive.relative_mae == pytest.approx(1.0) and naive.ratio_series == 2 and (naive.hits, naive.checked) == (10, 14)
    assert (summary.series, summary.metrics, summary.newest_year, summary.data_batch) == (3, ("m1", "m2"), 2011, 7)
    assert model_accuracy("ets", [a, b]).series == 0 and model_accuracy("ets", [a, b]).relative_mae is None
    assert AccuracySummary.from_dict(json.loads(json.dumps(summary.to_dict()))) == summary


def test_straight_trend_drift_beats_naive_and_coverage_is_the_calibrations() -> None:
    t = np.arange(20, dtype="float64")
    histories = {code: pd.DataFrame({"period": [str(1990 + i) for i in range(20)],
                                     "value": 10 + slope * t + 0.1 * (-1) ** t})
                 for code, slope in (("001", 2.0), ("002", -1.0))}
    settings = ForecastSettings(models=("drift", "naive"))
    results, failures = forecast_many(histories, 2012, settings, executor="serial")
    assert not failures
    summary = summarise({"line": results}, settings.models)
    drift, naive = summary.get("drift"), summary.get("naive")
    assert drift is not None and naive is not None and drift.series == naive.series == 2
    assert drift.relative_mae is not None and drift.relative_mae < 0.2 and naive.relative_mae == pytest.approx(1.0)
    for m in (drift, naive):
        calibrations = [r.get_model(m.model).calibration for r in results.values()]
        assert (m.hits, m.checked) == (sum(c.hits for c in calibrations), sum(c.checked for c in calibrations))
        assert m.checked > 0 and m.median_folds == 10
    assert drift.shown == 2


def _summary(series: int = 4) -> AccuracySummary:
    from forecasting.accuracy import ModelAccuracy

    return AccuracySummary(datetime(2026, 11, 30, 12, tzinfo=UTC), ("208", "091"), ("population", "unemployment_rate"),
                           series, 2011, 3, 0.8, (ModelAccuracy("theta", series, 0.91, series, 41, 50),
                                                  ModelAccuracy("naive", series, 1.0, series, 38, 50)))


def test_store_keeps_the_newest_and_is_no_refresh(db_engine: Engine) -> None:
    assert load_summary(db_engine) is None
    save_summary(db_engine, _summary(3))
    save_summary(db_engine, _summary(4))
    assert load_summary(db_engine) == _summary(4)
    status = refresh_status(db_engine)
    assert status.last_refreshed is None and status.last_status is None and not status.running and status.due


@pytest.fixture(scope="module")
def measured_db(bundled_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:  # type: ignore[type-arg]
    """A copy of the bundled database after `forecast accuracy --write` on 2 areas x 2 metrics."""
    from cli.main import app

    path = tmp_path_factory.mktemp("accuracy") / "measured.sqlite"
    shutil.copyfile(str(bundled_engine.url.database), path)
    url = f"sqlite:///{path}"
    res = CliRunner().invoke(app, ["forecast", "accuracy", "--areas", "208,091", "-m", "unemployment_rate",
                                   "-m", "population", "--write", "--json", "--db", url])
    assert res.exit_code == 0, res.output
    return url, json.loads(res.stdout)


def test_cli_measures_prints_and_stores(measured_db: tuple[str, dict]) -> None:  # type: ignore[type-arg]
    url, printed = measured_db
    assert printed["series"] == 4 and printed["areas"] == ["208", "091"]
    assert printed["metrics"] == ["population", "unemployment_rate"] and printed["newest_year"] == 2011
    models = {m["model"]: m for m in printed["models"]}
    assert set(models) == set(ForecastSettings().models)
    assert models["naive"]["relative_mae"] == pytest.approx(1.0)
    assert all(m["series"] == 4 and 0 < m["hits"] <= m["checked"] for m in models.values())
    engine = make_engine(url)
    try:
        stored = load_summary(engine)
    finally:
        engine.dispose()
    assert stored is not None and json.loads(json.dumps(stored.to_dict())) == printed


def test_cli_words_and_errors(bundled_engine: Engine, tmp_path: Path) -> None:
    from cli.main import app

    db = bundled_engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    res = runner.invoke(app, ["forecast", "accuracy", "--areas", "208", "-m", "no_such_metric", "--db", db])
    assert res.exit_code == 2 and "no_such_metric" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["forecast", "accuracy", "--areas", "999999", "-m", "population", "--db", db, "--lang", "en"])
    assert res.exit_code == 2 and "999999" in res.output and "Traceback" not in res.output
    # the one-metric forecast is still `forecast METRIC --area CODE`
    res = runner.invoke(app, ["forecast", "unemployment_rate", "--area", "208", "--until", "2012", "--json", "--db", db])
    assert res.exit_code == 0 and json.loads(res.stdout)["until"] == 2012
