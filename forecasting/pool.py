"""The worker pool: each area's fits as typed tasks, run in parallel, results back in area order.

An area is `1 + folds` tasks: `ForecastTask` fits every model on the whole history, and one
`FoldTask` per backtest origin fits every model on the history up to it. Tasks of one fit round
each (instead of one task per area) keep both cores busy to the end: with one task per area the
last worker ran alone for most of an area. A task returns its result or a `TaskFailure` (one
area's bad data is not everyone's error).

Executors: a fork-based process pool from the main thread (CLI, benchmark: fork keeps the
imported Prophet and statsmodels), a thread pool inside Streamlit's script thread (forking a
multi-threaded server risks deadlocks; cmdstan runs as a subprocess, so threads still overlap
Prophet's fits), or serial. Worker processes run Prophet's frame work with object strings
(`process_worker_init`), never the app process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from forecasting.backtest import BacktestResult, FoldError, backtest_fold, summarise
from forecasting.base import ForecastError
from forecasting.cache import PIECES
from forecasting.planning import SeriesPlan
from forecasting.series import fit_forecasts, run_backtest

logger = logging.getLogger(__name__)

ExecutorKind = Literal["auto", "serial", "thread", "process"]
Forecasts = dict[str, pd.DataFrame]


@dataclass(frozen=True)
class TaskFailure:
    """Why one area could not be forecast (a technical English sentence, for the log)."""

    area_code: str
    message: str


@dataclass(frozen=True, eq=False)
class ForecastTask:
    """Every model fitted on one area's whole history."""

    plan: SeriesPlan

    def run(self) -> Forecasts | TaskFailure:
        try:
            return fit_forecasts(self.plan)
        except (ForecastError, RuntimeError, ValueError) as exc:
            logger.info("area %s: no forecast: %s", self.plan.area_code, exc)
            return TaskFailure(self.plan.area_code, str(exc))


@dataclass(frozen=True, eq=False)
class FoldTask:
    """Every model fitted on one area's history up to one backtest origin."""

    plan: SeriesPlan
    fold: int
    size: int

    def run(self) -> list[FoldError] | TaskFailure:
        try:
            plan = self.plan
            return backtest_fold(plan.clean, plan.predictor(for_backtest=True), self.fold, self.size, plan.horizon,
                                 axis=plan.axis, periods=plan.codes, actuals=plan.actuals)
        except (ForecastError, RuntimeError, ValueError) as exc:
            logger.info("area %s: backtest fold %d failed: %s", self.plan.area_code, self.fold, exc)
            return TaskFailure(self.plan.area_code, str(exc))


@dataclass(frozen=True, eq=False)
class PlanOutcome:
    """One area's fitted parts, as they come back from the pool."""

    plan: SeriesPlan
    forecasts: Forecasts | TaskFailure
    backtest: BacktestResult | TaskFailure | None  # None: not asked for


def run_task(task: ForecastTask | FoldTask) -> object:
    """Pool entry (a module-level function, so process pools can pickle it)."""
    return task.run()


def process_worker_init() -> None:
    """Runs once in each worker process, never in the app process: Prophet's calls there use
    object strings instead of pyarrow-backed ones (`prophet_model.use_object_strings`: about a
    quarter less Python time per fit, same numbers, same dtypes in what comes back)."""
    from forecasting.prophet_model import use_object_strings

    use_object_strings()


def make_executor(kind: ExecutorKind, jobs: int) -> Executor | None:
    """The executor for `jobs` tasks, or None to run them here one by one."""
    workers = min(jobs, os.cpu_count() or 1)
    if kind == "serial" or workers < 2:
        return None
    if kind == "thread" or (kind == "auto" and threading.current_thread() is not threading.main_thread()):
        return ThreadPoolExecutor(max_workers=workers)
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        return ThreadPoolExecutor(max_workers=workers)
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=process_worker_init)


def preload(plans: Sequence[SeriesPlan]) -> None:
    """Import the model libraries once here, so forked workers inherit them."""
    names = {n for plan in plans for n in plan.names}
    if "prophet" in names:
        from forecasting.prophet_model import load_prophet

        load_prophet()
    if names & {"ets", "theta", "combination"}:
        from forecasting.statsmodels_models import load_statsmodels

        load_statsmodels()


def run_plans(plans: Sequence[SeriesPlan], kind: ExecutorKind = "auto", *, with_backtest: bool = True) -> Iterator[PlanOutcome]:
    """Fit every plan's models (and backtests), yielding each area's parts in plan order."""
    if not plans:
        return
    preload(plans)
    tasks = sum(1 + (len(p.fold_sizes) if with_backtest else 0) for p in plans)
    pool = make_executor(kind, tasks) if tasks > 1 else None
    if pool is None:
        for plan in plans:
            yield _run_here(plan, with_backtest)
        return
    with pool:
        yield from _run_pooled(pool, plans, with_backtest)


def _run_here(plan: SeriesPlan, with_backtest: bool) -> PlanOutcome:
    forecasts = ForecastTask(plan).run()
    if not with_backtest or isinstance(forecasts, TaskFailure):
        return PlanOutcome(plan, forecasts, None)
    try:
        return PlanOutcome(plan, forecasts, run_backtest(plan))
    except (ForecastError, RuntimeError, ValueError) as exc:
        return PlanOutcome(plan, forecasts, TaskFailure(plan.area_code, str(exc)))


def _run_pooled(pool: Executor, plans: Sequence[SeriesPlan], with_backtest: bool) -> Iterator[PlanOutcome]:
    """Submit every task first, then collect area by area (cached parts are not resubmitted)."""
    submitted: list[tuple[SeriesPlan, Future[object] | None, list[Future[object]]]] = []
    for plan in plans:
        main = None if plan.forecasts_key in PIECES else pool.submit(run_task, ForecastTask(plan))
        folds: list[Future[object]] = []
        if with_backtest and plan.backtest_key not in PIECES:
            folds = [pool.submit(run_task, FoldTask(plan, fold, size)) for fold, size in enumerate(plan.fold_sizes)]
        submitted.append((plan, main, folds))
    for plan, main, folds in submitted:
        forecasts = PIECES.get(plan.forecasts_key) if main is None else main.result()
        backtest: BacktestResult | TaskFailure | None = None
        if with_backtest:
            backtest = _collect_backtest(plan, [f.result() for f in folds])
        if not isinstance(forecasts, TaskFailure):
            PIECES.put(plan.forecasts_key, forecasts)
        yield PlanOutcome(plan, forecasts, backtest)  # type: ignore[arg-type]


def _collect_backtest(plan: SeriesPlan, outputs: list[object]) -> BacktestResult | TaskFailure:
    cached = PIECES.get(plan.backtest_key)
    if cached is not None and not outputs:
        return cached  # type: ignore[no-any-return]
    failure = next((o for o in outputs if isinstance(o, TaskFailure)), None)
    if failure is not None:
        return failure
    errors = [e for fold_errors in outputs for e in fold_errors]  # type: ignore[attr-defined]
    backtest = summarise(errors, plan.names, plan.horizon)
    PIECES.put(plan.backtest_key, backtest)
    return backtest
