"""The forecasting entry points: one series, many series, with or without the backtest.

- `forecast_series(history, until, settings, scenarios, drivers)`: pure, on one series; the
  result is cached in-process by content (`cache.RESULTS`), so a warm call costs a look-up;
- `forecast_many(histories, until, ...)`: several areas, cached ones from the cache, the rest
  fitted in parallel (`pool.run_plans`), reported area by area through `progress` and
  `on_result` (the page draws each area as it comes in);
- `metric_adapter.forecast_metric` / `forecast_frame` read a metric and call these.

`with_backtest=False` is the page's first draw: the models' forecasts with their own bands,
ready in a fraction of a second; the same call with the backtest later reuses those fits.
The modules behind it: `planning` (requests and plans), `series` (one area's parts put
together), `pool` (parallel tasks), `cache`, `results`, `metric_adapter`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from forecasting.base import ForecastError, ForecastSettings
from forecasting.cache import RESULTS, clear_cache
from forecasting.planning import MIN_POINTS, SeriesPlan, SeriesRequest, plan_series
from forecasting.pool import ExecutorKind, PlanOutcome, TaskFailure, run_plans
from forecasting.results import MetricForecast, ModelForecast, ScenarioOutcome, SeriesForecast
from forecasting.scenarios import Scenario
from forecasting.series import assemble, compute_series

logger = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
OnResult = Callable[[SeriesForecast], None]

__all__ = [
    "MIN_POINTS", "ExecutorKind", "MetricForecast", "ModelForecast", "ScenarioOutcome", "SeriesForecast",
    "clear_cache", "forecast_many", "forecast_series",
]


def _result_key(request: SeriesRequest, with_backtest: bool) -> tuple[str, bool]:
    return (request.key, with_backtest)


def forecast_series(history: pd.DataFrame, until: int, settings: ForecastSettings | None = None,
                    scenarios: Sequence[Scenario] = (), drivers: Mapping[str, pd.DataFrame] | None = None,
                    *, area_code: str = "", dropped: int = 0, with_backtest: bool = True) -> SeriesForecast:
    """Forecast one published series to the end of `until`: every model, backtest, bands, scenarios.

    `history` must already be free of suppressed values (`metric_adapter.published_history`);
    cached by content, so calling again with the same data and settings returns the same object.
    """
    request = SeriesRequest(area_code, history, until, settings or ForecastSettings(), tuple(scenarios),
                            dict(drivers or {}), dropped)
    key = _result_key(request, with_backtest)
    hit = RESULTS.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    result = compute_series(plan_series(request), with_backtest=with_backtest)
    RESULTS.put(key, result)
    return result


def forecast_many(histories: Mapping[str, pd.DataFrame], until: int, settings: ForecastSettings | None = None,
                  scenarios: Sequence[Scenario] = (), drivers: Mapping[str, Mapping[str, pd.DataFrame]] | None = None,
                  *, dropped: Mapping[str, int] | None = None, executor: ExecutorKind = "auto",
                  progress: Progress | None = None, on_result: OnResult | None = None,
                  with_backtest: bool = True) -> tuple[dict[str, SeriesForecast], dict[str, str]]:
    """Forecast several areas; cached ones come from the cache, the rest are fitted in parallel.

    Returns (results by area, error message by area). `progress(done, total, area)` is called
    after each area and `on_result(result)` with each result, in area order.
    """
    settings = settings or ForecastSettings()
    requests = [SeriesRequest(area, history, until, settings, tuple(scenarios), dict((drivers or {}).get(area, {})),
                              (dropped or {}).get(area, 0)) for area, history in histories.items()]
    tracker = _Tracker(len(requests), progress, on_result)
    plans: list[SeriesPlan] = []
    for request in requests:
        hit = RESULTS.get(_result_key(request, with_backtest))
        if hit is not None:
            tracker.done(request.area_code, hit)
            continue
        try:
            plans.append(plan_series(request))
        except (ForecastError, RuntimeError, ValueError) as exc:
            logger.info("area %s: no forecast: %s", request.area_code, exc)
            tracker.done(request.area_code, str(exc))
    for outcome in run_plans(plans, executor, with_backtest=with_backtest):
        result = _finish(outcome, with_backtest)
        if isinstance(result, SeriesForecast):
            RESULTS.put(_result_key(outcome.plan.request, with_backtest), result)
        tracker.done(outcome.plan.area_code, result)
    ordered = {area: tracker.results[area] for area in histories if area in tracker.results}
    return ordered, tracker.failures


def _finish(outcome: PlanOutcome, with_backtest: bool) -> SeriesForecast | str:
    """One area's result from its fitted parts, or the reason it has none."""
    if isinstance(outcome.forecasts, TaskFailure):
        return outcome.forecasts.message
    if isinstance(outcome.backtest, TaskFailure):
        return outcome.backtest.message
    if not outcome.forecasts:
        return f"area {outcome.plan.area_code}: no model could be fitted"
    try:
        return assemble(outcome.plan, outcome.forecasts, outcome.backtest if with_backtest else None)
    except (ForecastError, RuntimeError, ValueError) as exc:
        logger.info("area %s: no forecast: %s", outcome.plan.area_code, exc)
        return str(exc)


class _Tracker:
    """Counts finished areas and reports each one (progress bar, progressive drawing)."""

    def __init__(self, total: int, progress: Progress | None, on_result: OnResult | None) -> None:
        self.total, self.count = total, 0
        self.progress, self.on_result = progress, on_result
        self.results: dict[str, SeriesForecast] = {}
        self.failures: dict[str, str] = {}

    def done(self, area: str, result: SeriesForecast | str) -> None:
        if isinstance(result, str):
            self.failures[area] = result
        else:
            self.results[area] = result
            if self.on_result:
                self.on_result(result)
        self.count += 1
        if self.progress:
            self.progress(self.count, self.total, area)
