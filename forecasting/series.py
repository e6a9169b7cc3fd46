"""One area's forecast, put together from its parts: model forecasts, backtest, bands, scenarios.

`compute_series(plan)` fits every model on the published history (`fit_forecasts`), runs or
takes the backtest, calibrates each model's band on its own backtest errors
(`calibration.calibrate`), chooses the model to show (`choice.recommend`) and builds the
scenarios on the shown model's forecast. Each part is cached by content (`cache.PIECES`), so the
page's first draw (forecasts only, `with_backtest=False`) and the full result share the fits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from forecasting import calibration
from forecasting.backtest import BacktestResult, backtest_fold, summarise
from forecasting.base import (
    ForecastError,
    Grain,
    NotEnoughDataError,
    clip_to_bounds,
    period_from_ordinal,
)
from forecasting.cache import PIECES, frame_digest
from forecasting.choice import Recommendation, recommend
from forecasting.models import PROVISIONAL_MODEL, predict_models
from forecasting.planning import SeriesPlan
from forecasting.results import ModelForecast, ScenarioOutcome, SeriesForecast
from forecasting.scenarios import (
    BaselineScenario,
    DriverScenario,
    LevelShiftScenario,
    Scenario,
    ScenarioError,
    TargetScenario,
    TrendChangeScenario,
    apply_level_shift,
    apply_trend_change,
    driver_forecast,
    required_change_per_year,
    scenario_key,
    target_path,
)

logger = logging.getLogger(__name__)

SCENARIO_COLUMNS = ["scenario", "period", "yhat", "lower", "upper"]
_NO_SCENARIOS = pd.DataFrame(columns=SCENARIO_COLUMNS)  # shared by every result without scenarios: never mutated


def fit_forecasts(plan: SeriesPlan, times: dict[str, float] | None = None) -> dict[str, pd.DataFrame]:
    """Every model's forecast of the plan's periods from the whole history (cached)."""
    return PIECES.get_or_compute(plan.forecasts_key, lambda: predict_models(
        plan.clean, list(plan.periods), plan.settings, plan.names, times=times, context=f"area {plan.area_code}: "))


def run_backtest(plan: SeriesPlan) -> BacktestResult:
    """The plan's rolling-origin backtest, in this thread (cached)."""
    def backtest() -> BacktestResult:
        predictor, horizon = plan.predictor(for_backtest=True), plan.horizon
        errors = [error for fold, size in enumerate(plan.fold_sizes)
                  for error in backtest_fold(plan.clean, predictor, fold, size, horizon, axis=plan.axis,
                                             periods=plan.codes, actuals=plan.actuals)]
        return summarise(errors, plan.names, horizon)

    return PIECES.get_or_compute(plan.backtest_key, backtest)


def compute_series(plan: SeriesPlan, *, with_backtest: bool = True, backtest: BacktestResult | None = None) -> SeriesForecast:
    """One area's result. Without a backtest (`with_backtest=False` and none given) the bands
    are the models' own and the provisional model is shown: the page's first draw."""
    times: dict[str, float] = {}
    forecasts = fit_forecasts(plan, times)
    if not forecasts:
        raise NotEnoughDataError(f"area {plan.area_code}: no model could be fitted")
    if backtest is None and with_backtest:
        backtest = run_backtest(plan)
    return assemble(plan, forecasts, backtest, times)


def assemble(plan: SeriesPlan, forecasts: Mapping[str, pd.DataFrame], backtest: BacktestResult | None,
             times: dict[str, float] | None = None) -> SeriesForecast:
    """Bands, recommendation and scenarios from the fitted forecasts and the backtest (if any)."""
    settings = plan.settings
    models = []
    for name, frame in forecasts.items():
        cal = None if backtest is None else calibration.calibrate(name, backtest.errors_of(name), settings)
        models.append(ModelForecast(
            name=name, forecast=calibration.apply(frame, cal, plan.last_period, settings.bounds),
            raw=frame, bounds=settings.bounds, calibration=cal, score=None if backtest is None else backtest.score(name)))
    available = [m.name for m in models]
    if backtest is None:
        shown = PROVISIONAL_MODEL if PROVISIONAL_MODEL in available else available[0]
        choice = Recommendation(shown, False, (), False, 0)
    else:
        choice = recommend(backtest, available, PROVISIONAL_MODEL)
    shown_frame = next(m.forecast for m in models if m.name == choice.shown)
    scen_frame, outcomes = build_scenarios(plan, shown_frame)
    gaps, breaks = gaps_and_breaks(plan.codes, plan.values, plan.axis, plan.grain)
    request = plan.request
    return SeriesForecast(
        area_code=plan.area_code, history=plan.clean, models=tuple(models), backtest=backtest,
        recommendation=choice, scenarios=scen_frame, outcomes=outcomes, settings=settings,
        dropped=request.dropped, gaps=gaps, breaks=breaks, fit_seconds=dict(times or {}))


def gaps_and_breaks(codes: Sequence[str], values: np.ndarray, axis: np.ndarray,
                    grain: Grain) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Periods missing inside a history (its period codes, values, ordinals and grain, as a plan
    holds them), and periods with a jump over 4x the median change."""
    if len(codes) < 2:
        return (), ()
    x = axis.tolist()
    present = set(x)
    gaps = tuple(period_from_ordinal(grain, o) for o in range(x[0], x[-1] + 1) if o not in present)
    diffs = np.abs(np.diff(values))
    breaks: tuple[str, ...] = ()
    if len(diffs) >= 4:
        typical = float(np.median(diffs))
        if typical > 0:
            idx = np.flatnonzero(diffs > 4 * typical)
            breaks = tuple(str(codes[i + 1]) for i in idx.tolist())
    return gaps, breaks


def _end(frame: pd.DataFrame) -> tuple[str | None, float | None]:
    if frame.empty:
        return None, None
    return str(frame["period"].iloc[-1]), float(frame["yhat"].iloc[-1])


def build_scenarios(plan: SeriesPlan, forecast: pd.DataFrame) -> tuple[pd.DataFrame, tuple[ScenarioOutcome, ...]]:
    """Every requested scenario relative to `forecast` (the shown model's), with its outcome."""
    if not plan.request.scenarios:
        return _NO_SCENARIOS, ()
    frames: list[pd.DataFrame] = []
    outcomes: list[ScenarioOutcome] = []
    base = forecast[["period", "yhat", "lower", "upper"]]
    _, base_end = _end(base)
    for scenario in plan.request.scenarios:
        key = scenario_key(scenario)
        params = scenario.model_dump(exclude={"kind"})
        try:
            frame, extra = _scenario_frame(plan, scenario, base)
        except ForecastError as exc:
            logger.info("area %s: scenario %s not built: %s", plan.area_code, key, exc)
            outcomes.append(ScenarioOutcome(key, scenario.kind, params, None, None, base_end, error=str(exc)))
            continue
        frame = frame.assign(scenario=key)[SCENARIO_COLUMNS]
        frames.append(frame)
        end_period, end_value = _end(frame)
        outcomes.append(ScenarioOutcome(
            key=key, kind=scenario.kind, params=params, end_period=end_period, end_value=end_value,
            baseline_end_value=extra.pop("baseline_end_value", base_end), **extra))
    if frames:
        return pd.concat(frames, ignore_index=True), tuple(outcomes)
    return pd.DataFrame(columns=SCENARIO_COLUMNS), tuple(outcomes)


def _scenario_frame(plan: SeriesPlan, scenario: Scenario, base: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One scenario's values and the extra facts its outcome carries."""
    history, bounds, periods = plan.clean, plan.settings.bounds, list(plan.periods)
    last_period, last_value = plan.last_period, float(history["value"].iloc[-1])
    match scenario:
        case BaselineScenario():
            return base.copy(), {}
        case TargetScenario(value=value, year=year):
            change = required_change_per_year(last_period, last_value, year, value)
            return target_path(last_period, last_value, year, value, periods), {"required_change_per_year": change}
        case LevelShiftScenario(from_year=year, amount=amount):
            return clip_to_bounds(apply_level_shift(base, year, amount), bounds), {}
        case TrendChangeScenario(from_year=year, per_year=per_year):
            return clip_to_bounds(apply_trend_change(base, year, per_year), bounds), {}
        case DriverScenario(driver=driver, from_year=year, amount=amount):
            drivers = plan.request.drivers
            if driver not in drivers:
                raise ScenarioError(f"no data for driver {driver!r}")
            key = ("driver", plan.digest, frame_digest(drivers[driver]), repr(plan.settings), plan.periods, year, amount)
            result = PIECES.get_or_compute(key, lambda: driver_forecast(
                history, drivers[driver], periods, plan.settings, year, amount))
            frame = clip_to_bounds(result.changed[["period", "yhat", "lower", "upper"]], bounds)
            # the comparison point is the same model with the driver unchanged
            return frame, {"effect_per_unit": result.effect_per_unit, "baseline_end_value": _end(result.unchanged)[1]}
    raise ScenarioError(f"unknown scenario {scenario!r}")  # pragma: no cover
