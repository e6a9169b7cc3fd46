"""Metric + areas -> history, forecast, baselines, backtest and scenarios: what the page and CLI show.

Two levels:

- `forecast_series(history, until, settings, scenarios, drivers)`: pure, on one series; the
  result is cached in-process by a hash of the data and every setting (so a warm call costs a
  dictionary look-up, and a changed value or setting is a new entry);
- `forecast_metric(engine, catalog, metric_id, areas, until, ...)`: reads the metric's values
  through `metrics.service.query_metric`, drops every value hidden by disclosure control (status
  `suppressed`, or numerator below the metric's `min_count`, via `metrics.disclosure`) *before*
  fitting, and forecasts each area, in parallel processes when several are not cached.

`MetricForecast.to_dict()` is the JSON of `kuntamittari forecast --json`; `to_frame()` is the
CSV the page offers for download. Both carry only published (non-suppressed) values.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import multiprocessing
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from forecasting.backtest import BacktestResult, FoldError, ModelFactory, backtest_fold, fold_sizes, rolling_origin, summarise
from forecasting.base import (
    PERIODS_PER_YEAR,
    ForecastError,
    ForecastSettings,
    NotEnoughDataError,
    clip_to_bounds,
    empty_forecast,
    future_periods,
    grain_of,
    ordinals,
    period_from_ordinal,
    period_year,
    prepare_history,
)
from forecasting.naive import DriftForecaster, NaiveForecaster, SeasonalNaiveForecaster
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

Executor_ = Literal["auto", "serial", "thread", "process"]
CACHE_SIZE = 512
MIN_POINTS = 3  # fewer than this and not even drift is meaningful


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class ScenarioOutcome:
    """The facts of one scenario that the table and the explanation need."""

    key: str
    kind: str
    params: dict[str, Any]
    end_period: str | None
    end_value: float | None
    baseline_end_value: float | None
    required_change_per_year: float | None = None
    effect_per_unit: float | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.key,
            "kind": self.kind,
            "params": self.params,
            "end_period": self.end_period,
            "end_value": _num(self.end_value),
            "baseline_end_value": _num(self.baseline_end_value),
            "required_change_per_year": _num(self.required_change_per_year),
            "effect_per_unit": _num(self.effect_per_unit),
            "error": self.error,
        }


@dataclass(frozen=True)
class SeriesForecast:
    """Everything shown for one area. Frames are shared with the cache: do not mutate them."""

    area_code: str
    history: pd.DataFrame  # period, value (published values only)
    forecast: pd.DataFrame  # period, yhat, lower, upper, model (the primary model)
    baselines: pd.DataFrame  # naive and drift forecasts, same columns
    backtest: BacktestResult
    scenarios: pd.DataFrame  # scenario, period, yhat, lower, upper
    outcomes: tuple[ScenarioOutcome, ...]
    model: str
    settings: ForecastSettings
    dropped: int = 0  # values hidden by disclosure control (not used, not shown)
    gaps: tuple[str, ...] = ()  # periods missing inside the history
    breaks: tuple[str, ...] = ()  # periods with an unusually large jump from the previous one
    fit_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def last_period(self) -> str | None:
        return None if self.history.empty else str(self.history["period"].iloc[-1])

    @property
    def last_value(self) -> float | None:
        return None if self.history.empty else float(self.history["value"].iloc[-1])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: history, forecast, baselines, backtest, scenarios (values rounded to 6 places)."""
        return {
            "area": self.area_code,
            "model": self.model,
            "history": [{"period": p, "value": _num(v)} for p, v in zip(self.history["period"], self.history["value"], strict=True)],
            "forecast": _records(self.forecast),
            "baselines": {
                name: _records(group) for name, group in self.baselines.groupby("model", sort=False)
            },
            "backtest": self.backtest.to_records(),
            "backtest_wins": _wins(self.backtest, self.model),
            "scenarios": self.scenario_records(),
            "dropped_suppressed": self.dropped,
            "gaps": list(self.gaps),
            "breaks": list(self.breaks),
        }

    def scenario_records(self) -> list[dict[str, Any]]:
        out = []
        for outcome in self.outcomes:
            rows = self.scenarios[self.scenarios["scenario"] == outcome.key]
            item = outcome.to_dict()
            item["values"] = _records(rows)
            out.append(item)
        return out


def _wins(backtest: BacktestResult, model: str) -> dict[str, Any] | None:
    if model == "naive" or backtest.score(model) is None:
        return None
    won, total = backtest.wins(model, "naive")
    return {"model": model, "against": "naive", "wins": won, "folds": total, "beats_naive": backtest.beats(model, "naive")}


def _num(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if not np.isfinite(number) else round(number, 6)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {"period": str(r.period), "value": _num(r.yhat), "lower": _num(r.lower), "upper": _num(r.upper)}
        for r in frame.itertuples(index=False)
    ]


@dataclass(frozen=True)
class MetricForecast:
    """One metric's forecasts for several areas, plus what failed and why."""

    metric_id: str
    until: int
    areas: tuple[SeriesForecast, ...]
    failures: dict[str, str] = field(default_factory=dict)

    def get(self, area_code: str) -> SeriesForecast | None:
        return next((a for a in self.areas if a.area_code == area_code), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric_id,
            "until": self.until,
            "areas": {a.area_code: a.to_dict() for a in self.areas},
            "failures": dict(self.failures),
        }

    def to_frame(self) -> pd.DataFrame:
        """Long table for CSV: area, kind (history/forecast/baseline/scenario), model, period, values."""
        parts = []
        for a in self.areas:
            parts.append(pd.DataFrame({"area": a.area_code, "kind": "history", "model": "", "period": a.history["period"],
                                       "value": a.history["value"], "lower": np.nan, "upper": np.nan}))
            for kind, frame in (("forecast", a.forecast), ("baseline", a.baselines)):
                parts.append(pd.DataFrame({"area": a.area_code, "kind": kind, "model": frame["model"], "period": frame["period"],
                                           "value": frame["yhat"], "lower": frame["lower"], "upper": frame["upper"]}))
            parts.append(pd.DataFrame({"area": a.area_code, "kind": "scenario", "model": a.scenarios["scenario"],
                                       "period": a.scenarios["period"], "value": a.scenarios["yhat"],
                                       "lower": a.scenarios["lower"], "upper": a.scenarios["upper"]}))
        parts = [p for p in parts if not p.empty]
        if not parts:
            return pd.DataFrame(columns=["area", "kind", "model", "period", "value", "lower", "upper"])
        return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------------------------
# One series


def _factories(settings: ForecastSettings, grain: str, *, for_backtest: bool) -> dict[str, ModelFactory]:
    from forecasting.prophet_model import ProphetForecaster

    fit_settings = dataclasses.replace(settings, uncertainty_samples=0) if for_backtest else settings
    out: dict[str, ModelFactory] = {}
    for name in settings.models:
        if name == "prophet":
            out[name] = lambda s=fit_settings: ProphetForecaster(s)
        elif name == "naive":
            out[name] = lambda s=fit_settings: NaiveForecaster(s)
        elif name == "drift":
            out[name] = lambda s=fit_settings: DriftForecaster(s)
        elif name == "seasonal_naive":
            out[name] = lambda s=fit_settings: SeasonalNaiveForecaster(s)
        else:
            raise ForecastError(f"unknown model {name!r} (known: prophet, naive, drift, seasonal_naive)")
    if grain != "year" and "seasonal_naive" not in out and "naive" in out:
        out["seasonal_naive"] = lambda s=fit_settings: SeasonalNaiveForecaster(s)
    return out


def _gaps_and_breaks(history: pd.DataFrame) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if len(history) < 2:
        return (), ()
    grain = grain_of(history["period"].tolist())
    x = ordinals(history)
    present = set(x.tolist())
    gaps = tuple(period_from_ordinal(grain, o) for o in range(int(x[0]), int(x[-1]) + 1) if o not in present)
    diffs = np.abs(np.diff(history["value"].to_numpy(dtype="float64")))
    breaks: tuple[str, ...] = ()
    if len(diffs) >= 4:
        typical = float(np.median(diffs))
        if typical > 0:
            idx = np.flatnonzero(diffs > 4 * typical)
            breaks = tuple(str(history["period"].iloc[i + 1]) for i in idx)
    return gaps, breaks


def _timed(times: dict[str, float], name: str, fn: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    import time

    start = time.perf_counter()
    try:
        return fn()
    finally:
        times[name] = times.get(name, 0.0) + time.perf_counter() - start


@dataclass(frozen=True)
class _Plan:
    """What every part of one area's forecast starts from: the published history, the settings
    that apply to it (bounded growth off when a value lies outside the bounds), its grain and
    the periods to forecast."""

    area_code: str
    clean: pd.DataFrame
    settings: ForecastSettings
    grain: str
    periods: list[str]
    digest: str

    @property
    def horizon(self) -> int:
        return PERIODS_PER_YEAR[self.grain]

    @property
    def fold_sizes(self) -> list[int]:
        return fold_sizes(len(self.clean), self.settings.backtest_folds, self.horizon,
                          max(self.settings.min_train, 2 * self.horizon))

    @property
    def backtest_key(self) -> tuple[Any, ...]:
        return ("backtest", self.digest, repr(dataclasses.replace(self.settings, uncertainty_samples=0)))

    def backtest_factories(self) -> dict[str, ModelFactory]:
        return _factories(self.settings, self.grain, for_backtest=True)


def _plan(area_code: str, history: pd.DataFrame, until: int, settings: ForecastSettings, *, log: bool = True) -> _Plan:
    clean = prepare_history(history, name=f"area {area_code}")
    if len(clean) < MIN_POINTS:
        raise NotEnoughDataError(
            f"area {area_code}: {len(clean)} published values, at least {MIN_POINTS} needed for a forecast")
    bounds = settings.bounds
    if bounds is not None and ((clean["value"] < bounds[0]).any() or (clean["value"] > bounds[1]).any()):
        if log:
            logger.warning("area %s: values outside %s, bounded growth switched off", area_code, bounds)
        settings = dataclasses.replace(settings, bounds=None)
    grain = grain_of(clean["period"].tolist())
    periods = future_periods(str(clean["period"].iloc[-1]), until)
    return _Plan(area_code, clean, settings, grain, periods, _frame_digest(clean))


def _compute_series(area_code: str, history: pd.DataFrame, until: int, settings: ForecastSettings,
                    scenarios: tuple[Scenario, ...], drivers: Mapping[str, pd.DataFrame], dropped: int,
                    with_backtest: bool = True) -> SeriesForecast:
    """One area's result. `with_backtest=False` leaves the backtest empty: the parallel path of
    `forecast_many` runs the folds as separate tasks and fills it in (`_fold_worker`)."""
    plan = _plan(area_code, history, until, settings)
    clean, settings, grain, periods, digest = plan.clean, plan.settings, plan.grain, plan.periods, plan.digest
    times: dict[str, float] = {}
    forecasts = _piece(("forecasts", digest, repr(settings), until),
                       lambda: _fit_forecasts(area_code, clean, periods, settings, grain, times))
    if not forecasts:
        raise NotEnoughDataError(f"area {area_code}: no model could be fitted")
    primary = next(n for n in ("prophet", "drift", "naive", "seasonal_naive") if n in forecasts)
    horizon = plan.horizon
    if with_backtest:
        backtest = _piece(plan.backtest_key,
                          lambda: rolling_origin(clean, plan.backtest_factories(), folds=settings.backtest_folds,
                                                 horizon=horizon, min_train=max(settings.min_train, 2 * horizon)))
    else:
        backtest = BacktestResult((), (), horizon)
    forecast = forecasts[primary]
    baselines_frames = [f for n, f in forecasts.items() if n != primary and not f.empty]
    baselines = pd.concat(baselines_frames, ignore_index=True) if baselines_frames else empty_forecast()
    scen_frames, outcomes = _scenarios(clean, forecast, periods, settings, scenarios, drivers, area_code)
    gaps, breaks = _gaps_and_breaks(clean)
    return SeriesForecast(
        area_code=area_code, history=clean, forecast=forecast, baselines=baselines, backtest=backtest,
        scenarios=scen_frames, outcomes=outcomes, model=primary, settings=settings, dropped=dropped,
        gaps=gaps, breaks=breaks, fit_seconds=times,
    )


def _fit_forecasts(area_code: str, clean: pd.DataFrame, periods: list[str], settings: ForecastSettings,
                   grain: str, times: dict[str, float]) -> dict[str, pd.DataFrame]:
    forecasts: dict[str, pd.DataFrame] = {}
    for name, factory in _factories(settings, grain, for_backtest=False).items():
        if not periods:
            forecasts[name] = empty_forecast()
            continue
        try:
            forecasts[name] = clip_to_bounds(_timed(times, name, lambda f=factory: f().fit(clean).predict(periods)), settings.bounds)
        except ForecastError as exc:  # too few points, or Prophet could not be fitted
            logger.info("area %s: %s", area_code, exc)
    return forecasts


def _end(frame: pd.DataFrame) -> tuple[str | None, float | None]:
    if frame.empty:
        return None, None
    return str(frame["period"].iloc[-1]), float(frame["yhat"].iloc[-1])


def _scenarios(history: pd.DataFrame, forecast: pd.DataFrame, periods: list[str], settings: ForecastSettings,
               scenarios: tuple[Scenario, ...], drivers: Mapping[str, pd.DataFrame],
               area_code: str) -> tuple[pd.DataFrame, tuple[ScenarioOutcome, ...]]:
    frames: list[pd.DataFrame] = []
    outcomes: list[ScenarioOutcome] = []
    base = forecast[["period", "yhat", "lower", "upper"]]
    _, base_end = _end(base)
    last_period = str(history["period"].iloc[-1])
    last_value = float(history["value"].iloc[-1])
    for scenario in scenarios:
        key = scenario_key(scenario)
        params = scenario.model_dump(exclude={"kind"})
        frame: pd.DataFrame | None = None
        extra: dict[str, Any] = {}
        try:
            match scenario:
                case BaselineScenario():
                    frame = base.copy()
                case TargetScenario(value=value, year=year):
                    extra["required_change_per_year"] = required_change_per_year(last_period, last_value, year, value)
                    frame = target_path(last_period, last_value, year, value, periods)
                case LevelShiftScenario(from_year=year, amount=amount):
                    frame = clip_to_bounds(apply_level_shift(base, year, amount), settings.bounds)
                case TrendChangeScenario(from_year=year, per_year=per_year):
                    frame = clip_to_bounds(apply_trend_change(base, year, per_year), settings.bounds)
                case DriverScenario(driver=driver, from_year=year, amount=amount):
                    if driver not in drivers:
                        raise ScenarioError(f"no data for driver {driver!r}")
                    result = driver_forecast(history, drivers[driver], periods, settings, year, amount)
                    frame = clip_to_bounds(result.changed[["period", "yhat", "lower", "upper"]], settings.bounds)
                    extra["effect_per_unit"] = result.effect_per_unit
                    # the comparison point is the same model with the driver unchanged
                    _, extra_base = _end(result.unchanged)
                    extra["baseline_end_value"] = extra_base
        except ForecastError as exc:
            logger.info("area %s: scenario %s not built: %s", area_code, key, exc)
            outcomes.append(ScenarioOutcome(key, scenario.kind, params, None, None, base_end, error=str(exc)))
            continue
        assert frame is not None
        frame = frame.assign(scenario=key)[["scenario", "period", "yhat", "lower", "upper"]]
        frames.append(frame)
        end_period, end_value = _end(frame)
        outcomes.append(ScenarioOutcome(
            key=key, kind=scenario.kind, params=params, end_period=end_period, end_value=end_value,
            baseline_end_value=extra.pop("baseline_end_value", base_end), **extra))
    if frames:
        return pd.concat(frames, ignore_index=True), tuple(outcomes)
    return pd.DataFrame(columns=["scenario", "period", "yhat", "lower", "upper"]), tuple(outcomes)


# --------------------------------------------------------------------------------------------
# Cache


_CACHE: OrderedDict[str, SeriesForecast] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _frame_digest(frame: pd.DataFrame) -> str:
    periods = "|".join(str(p) for p in frame["period"])
    values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype="float64")
    return hashlib.sha256(periods.encode() + b"#" + values.tobytes()).hexdigest()


def cache_key(area_code: str, history: pd.DataFrame, until: int, settings: ForecastSettings,
              scenarios: Sequence[Scenario], drivers: Mapping[str, pd.DataFrame], dropped: int = 0) -> str:
    """A hash of everything the result depends on: data, horizon, settings, scenarios, drivers."""
    parts = [
        area_code, _frame_digest(history), str(until), repr(settings), str(dropped),
        json.dumps([s.model_dump(mode="json") for s in scenarios], sort_keys=True),
        json.dumps({k: _frame_digest(v) for k, v in sorted(drivers.items())}),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


_PIECES: OrderedDict[tuple[Any, ...], Any] = OrderedDict()


def _piece(key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    """Cache a part of a result (model forecasts, backtest) that does not depend on scenarios,
    so changing a scenario or the horizon on the page does not refit the backtest."""
    with _CACHE_LOCK:
        if key in _PIECES:
            _PIECES.move_to_end(key)
            return _PIECES[key]
    value = compute()
    with _CACHE_LOCK:
        _PIECES[key] = value
        while len(_PIECES) > 2 * CACHE_SIZE:
            _PIECES.popitem(last=False)
    return value


def _remember_pieces(result: SeriesForecast, until: int) -> None:
    """After a fit in a worker process, keep its parts in this process's cache too."""
    settings, digest = result.settings, _frame_digest(result.history)
    forecasts = {result.model: result.forecast}
    for name, group in result.baselines.groupby("model", sort=False):
        forecasts[str(name)] = group.reset_index(drop=True)
    with _CACHE_LOCK:
        _PIECES[("forecasts", digest, repr(settings), until)] = forecasts
        _PIECES[("backtest", digest, repr(dataclasses.replace(settings, uncertainty_samples=0)))] = result.backtest


def clear_cache() -> None:
    """Forget every cached fit (tests and benchmarks measure cold runs with this)."""
    with _CACHE_LOCK:
        _CACHE.clear()
        _PIECES.clear()


def _cache_get(key: str) -> SeriesForecast | None:
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
        return hit


def _cache_put(key: str, value: SeriesForecast) -> None:
    with _CACHE_LOCK:
        _CACHE[key] = value
        _CACHE.move_to_end(key)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)


def forecast_series(history: pd.DataFrame, until: int, settings: ForecastSettings | None = None,
                    scenarios: Sequence[Scenario] = (), drivers: Mapping[str, pd.DataFrame] | None = None,
                    *, area_code: str = "", dropped: int = 0) -> SeriesForecast:
    """Forecast one published series to the end of `until` with baselines, backtest and scenarios.

    `history` must already be free of suppressed values (forecast_metric does that); cached by
    content, so calling again with the same data and settings returns the same object.
    """
    settings = settings or ForecastSettings()
    drivers = dict(drivers or {})
    scen = tuple(scenarios)
    key = cache_key(area_code, history, until, settings, scen, drivers, dropped)
    hit = _cache_get(key)
    if hit is not None:
        return hit
    result = _compute_series(area_code, history, until, settings, scen, drivers, dropped)
    _cache_put(key, result)
    return result


def _worker(args: tuple[Any, ...]) -> SeriesForecast | str:
    """Pool entry: compute one series (without its backtest when args[7] is False); a
    ForecastError comes back as its message."""
    area_code, history, until, settings, scen, drivers, dropped = args[:7]
    with_backtest = bool(args[7]) if len(args) > 7 else True
    try:
        return _compute_series(area_code, history, until, settings, scen, drivers, dropped, with_backtest)
    except (ForecastError, RuntimeError, ValueError) as exc:  # one area's failure is not everyone's
        logger.info("area %s: no forecast: %s", area_code, exc)
        return str(exc)


def _fold_worker(args: tuple[Any, ...]) -> list[FoldError] | str:
    """Pool entry: one backtest fold of one area (all models), as `rolling_origin` runs it."""
    plan, fold, size = args
    try:
        return backtest_fold(plan.clean, plan.backtest_factories(), fold, size, plan.horizon)
    except (ForecastError, RuntimeError, ValueError) as exc:
        logger.info("area %s: no forecast: %s", plan.area_code, exc)
        return str(exc)


def _process_worker_init() -> None:
    """Runs once in each worker process of the pool, never in the app process: Prophet's calls
    there use object strings instead of pyarrow-backed ones (`prophet_model.use_object_strings`:
    about a quarter less Python time per fit, same numbers, same dtypes in what comes back)."""
    from forecasting.prophet_model import use_object_strings

    use_object_strings()


def _make_executor(kind: Executor_, jobs: int) -> Executor | None:
    workers = min(jobs, os.cpu_count() or 1)
    if kind == "serial" or workers < 2:
        return None
    if kind == "thread":
        return ThreadPoolExecutor(max_workers=workers)
    if kind == "auto" and threading.current_thread() is not threading.main_thread():
        # forking a multi-threaded process (a Streamlit script thread) risks deadlocks; cmdstan
        # runs as a subprocess, so threads still overlap most of a fit
        return ThreadPoolExecutor(max_workers=workers)
    # "process" and "auto" on the main thread: fork keeps the already imported Prophet
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        return ThreadPoolExecutor(max_workers=workers)
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_process_worker_init)


def forecast_many(histories: Mapping[str, pd.DataFrame], until: int, settings: ForecastSettings | None = None,
                  scenarios: Sequence[Scenario] = (), drivers: Mapping[str, Mapping[str, pd.DataFrame]] | None = None,
                  *, dropped: Mapping[str, int] | None = None, executor: Executor_ = "auto",
                  progress: Callable[[int, int, str], None] | None = None) -> tuple[dict[str, SeriesForecast], dict[str, str]]:
    """Forecast several areas; cached ones come from the cache, the rest are fitted in parallel.

    Returns (results by area, error message by area). `progress(done, total, area)` is called
    after each area (the page drives its progress bar with it).
    """
    settings = settings or ForecastSettings()
    drivers = drivers or {}
    dropped = dropped or {}
    scen = tuple(scenarios)
    total = len(histories)
    results: dict[str, SeriesForecast] = {}
    failures: dict[str, str] = {}
    todo: dict[str, tuple[str, tuple[Any, ...]]] = {}
    done = 0
    for area, history in histories.items():
        area_drivers = dict(drivers.get(area, {}))
        key = cache_key(area, history, until, settings, scen, area_drivers, dropped.get(area, 0))
        hit = _cache_get(key)
        if hit is not None:
            results[area] = hit
            done += 1
            if progress:
                progress(done, total, area)
        else:
            todo[area] = (key, (area, history, until, settings, scen, area_drivers, dropped.get(area, 0)))
    if todo:
        from forecasting.prophet_model import load_prophet

        if "prophet" in settings.models:
            load_prophet()  # import once in the parent, inherited by forked workers
        # one area is six Prophet fits (forecast, five backtest folds): worth a pool on its own
        tasks = len(todo) * (1 + settings.backtest_folds)
        pool = _make_executor(executor, tasks) if tasks > 1 else None
        if pool is None:
            outputs = ((area, _worker(args)) for area, (_, args) in todo.items())
            _collect(outputs, todo, results, failures, progress, done, total)
        else:
            with pool:
                outputs = _submit_all(pool, todo)
                _collect(outputs, todo, results, failures, progress, done, total)
    ordered = {area: results[area] for area in histories if area in results}
    return ordered, failures


def _submit_all(pool: Executor, todo: dict[str, tuple[str, tuple[Any, ...]]]) -> Any:
    """Submit every area as 1 + 5 tasks (forecasts and scenarios; each backtest fold), then yield
    (area, result) in area order as each area's tasks finish.

    Six tasks of one Prophet fit each instead of one task of six fits: with 10 areas on 2 workers
    the last worker no longer runs alone for most of an area (measured: workers finished 0.3 s
    apart with one task per area). An area whose backtest is already cached, or whose history
    cannot be used, is one task as before (the task finds the cache, or reports the error).
    """
    jobs: dict[str, tuple[Any, _Plan | None, list[Any]]] = {}
    for area, (_, args) in todo.items():
        area_code, history, until, settings = args[:4]
        try:
            plan: _Plan | None = _plan(area_code, history, until, settings, log=False)
        except (ForecastError, RuntimeError, ValueError):
            plan = None  # the whole-series task reports it, with the same message
        with _CACHE_LOCK:
            cached = plan is not None and plan.backtest_key in _PIECES
        if plan is None or cached or not plan.fold_sizes:
            jobs[area] = (pool.submit(_worker, args), None, [])
            continue
        main = pool.submit(_worker, tuple(args[:7]) + (False,))
        folds = [pool.submit(_fold_worker, (plan, fold, size)) for fold, size in enumerate(plan.fold_sizes)]
        jobs[area] = (main, plan, folds)
    for area, (main, plan, folds) in jobs.items():
        output = main.result()
        fold_outputs = [f.result() for f in folds]
        if isinstance(output, str) or plan is None:
            yield area, output
            continue
        error = next((o for o in fold_outputs if isinstance(o, str)), None)
        if error is not None:
            yield area, error
            continue
        errors = [e for fold_errors in fold_outputs for e in fold_errors]
        backtest = summarise(errors, list(plan.backtest_factories()), plan.horizon)
        yield area, dataclasses.replace(output, backtest=backtest)


def output_until(args: tuple[Any, ...]) -> int:
    return int(args[2])


def _collect(outputs: Any, todo: dict[str, tuple[str, tuple[Any, ...]]], results: dict[str, SeriesForecast],
             failures: dict[str, str], progress: Callable[[int, int, str], None] | None, done: int, total: int) -> None:
    for area, output in outputs:
        if isinstance(output, str):
            failures[area] = output
        else:
            _cache_put(todo[area][0], output)
            _remember_pieces(output, output_until(todo[area][1]))
            results[area] = output
        done += 1
        if progress:
            progress(done, total, area)


# --------------------------------------------------------------------------------------------
# Metrics


def bounds_for_metric(metric: Any) -> tuple[float, float] | None:
    """(0, 100) for a metric whose unit is per cent (a rate that lives in 0-100 %), else None."""
    unit = getattr(metric, "unit", None)
    texts: list[str] = []
    if unit is None:
        return None
    if isinstance(unit, str):
        texts = [unit]
    elif hasattr(unit, "as_dict"):
        texts = list(unit.as_dict().values())
    elif isinstance(unit, Mapping):
        texts = [str(v) for v in unit.values()]
    joined = " ".join(texts).lower()
    if "%" in joined or "prosent" in joined or "per cent" in joined or "percent" in joined or "procent" in joined:
        return (0.0, 100.0)
    return None


def settings_for_metric(metric: Any, base: ForecastSettings | None = None) -> ForecastSettings:
    """The default settings with bounded growth where the metric's unit is per cent."""
    base = base or ForecastSettings()
    return dataclasses.replace(base, bounds=bounds_for_metric(metric))


def target_for(metric: Any, area_code: str, after_year: int) -> TargetScenario | None:
    """The metric's first target after `after_year` for this area (area-specific wins over general)."""
    targets = list(getattr(metric, "targets", ()) or ())
    candidates = [t for t in targets if getattr(t, "year", 0) > after_year
                  and getattr(t, "area", None) in (None, "", area_code)]
    if not candidates:
        return None
    candidates.sort(key=lambda t: (t.year, 0 if getattr(t, "area", None) == area_code else 1))
    chosen = candidates[0]
    return TargetScenario(value=float(chosen.value), year=int(chosen.year))


def published_history(frame: pd.DataFrame, min_count: int) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Split a metric frame by area into published (period, value) histories and dropped counts.

    Rows with status 'suppressed', or a numerator below `min_count` (metrics.disclosure's rule),
    are dropped before anything is fitted, and their values never leave this function.
    """
    if frame.empty:
        return {}, {}
    df = frame.copy()
    status_suppressed = df["status"].astype(str).str.lower().eq("suppressed") if "status" in df.columns else False
    df["suppressed"] = pd.Series(status_suppressed, index=df.index).astype(bool)
    try:
        from metrics.disclosure import apply_disclosure, visible

        keys = [c for c in ("area_code", "period", "group_code") if c in df.columns]
        shown = visible(apply_disclosure(df.drop(columns=["group_code"], errors="ignore"), min_count,
                                         key_columns=[k for k in keys if k != "group_code"]))
    except ImportError:  # pragma: no cover - the disclosure module is part of metrics
        numer = pd.to_numeric(df.get("numerator"), errors="coerce") if "numerator" in df.columns else None
        below = (numer < min_count) & numer.notna() if numer is not None else False
        shown = df[~(df["suppressed"] | below)]
    shown = shown[pd.to_numeric(shown["value"], errors="coerce").notna()]
    histories: dict[str, pd.DataFrame] = {}
    dropped: dict[str, int] = {}
    for area, group in df.groupby("area_code", sort=False):
        pub = shown[shown["area_code"] == area]
        histories[str(area)] = pub[["period", "value"]].reset_index(drop=True)
        dropped[str(area)] = max(0, int((group["value"].notna() | group["suppressed"]).sum()) - len(pub))
    return histories, dropped


def forecast_metric(engine: Any, catalog: Any, metric_id: str, areas: Sequence[str], until: int, *,
                    settings: ForecastSettings | None = None, scenarios: Sequence[Scenario] = (),
                    with_target: bool = False, executor: Executor_ = "auto",
                    progress: Callable[[int, int, str], None] | None = None) -> MetricForecast:
    """Forecast `metric_id` for each area to `until`, reading the values from the database.

    Driver scenarios read the driver metric for the same areas. See `forecast_frame`.
    """
    from metrics.model import Selection
    from metrics.service import query_metric

    metric = catalog.get(metric_id)
    frame = query_metric(engine, catalog, metric_id, Selection(areas=tuple(areas)))
    driver_frames = {
        driver_id: query_metric(engine, catalog, driver_id, Selection(areas=tuple(areas)))
        for driver_id in sorted({s.driver for s in scenarios if isinstance(s, DriverScenario)})
    }
    driver_min = {d: int(getattr(catalog.get(d), "min_count", 5)) for d in driver_frames}
    return forecast_frame(frame, metric, areas, until, settings=settings, scenarios=scenarios,
                          with_target=with_target, driver_frames=driver_frames, driver_min_counts=driver_min,
                          executor=executor, progress=progress)


def forecast_frame(frame: pd.DataFrame, metric: Any, areas: Sequence[str], until: int, *,
                   settings: ForecastSettings | None = None, scenarios: Sequence[Scenario] = (),
                   with_target: bool = False, driver_frames: Mapping[str, pd.DataFrame] | None = None,
                   driver_min_counts: Mapping[str, int] | None = None, executor: Executor_ = "auto",
                   progress: Callable[[int, int, str], None] | None = None) -> MetricForecast:
    """Forecast a metric frame already read by `metrics.service.query_metric` (the page reads it
    through its own cache, then calls this).

    Suppressed values are dropped first (`published_history`). `with_target` adds the metric's
    own target path for each area with a target after its last observation.
    """
    metric_id = str(getattr(metric, "id", "metric"))
    settings = settings_for_metric(metric, settings)
    histories, dropped = published_history(frame, int(getattr(metric, "min_count", 5)))
    histories = {a: histories.get(a, pd.DataFrame({"period": [], "value": []})) for a in areas}
    drivers: dict[str, dict[str, pd.DataFrame]] = {a: {} for a in areas}
    for driver_id, driver_frame in (driver_frames or {}).items():
        min_count = int((driver_min_counts or {}).get(driver_id, 5))
        driver_hist, _ = published_history(driver_frame, min_count)
        for area in areas:
            drivers[area][driver_id] = driver_hist.get(area, pd.DataFrame({"period": [], "value": []}))
    per_area_scen: dict[str, tuple[Scenario, ...]] = {}
    for area in areas:
        scen = tuple(scenarios)
        if with_target and not histories[area].empty:
            last_year = max(period_year(str(p)) for p in histories[area]["period"])
            target = target_for(metric, area, last_year)
            if target is not None:
                scen = scen + (target,)
        per_area_scen[area] = scen
    # areas with the same scenario list are fitted together (the common case: all of them)
    results: dict[str, SeriesForecast] = {}
    failures: dict[str, str] = {}
    groups: dict[tuple[Scenario, ...], list[str]] = {}
    for area in areas:
        groups.setdefault(per_area_scen[area], []).append(area)
    done_before = 0
    for scen, group_areas in groups.items():

        def _progress(done: int, total: int, area: str, offset: int = done_before) -> None:
            if progress:
                progress(offset + done, len(areas), area)

        res, fail = forecast_many({a: histories[a] for a in group_areas}, until, settings, scen,
                                  {a: drivers[a] for a in group_areas}, dropped=dropped,
                                  executor=executor, progress=_progress)
        results.update(res)
        failures.update(fail)
        done_before += len(group_areas)
    ordered = tuple(results[a] for a in areas if a in results)
    return MetricForecast(metric_id, until, ordered, failures)
