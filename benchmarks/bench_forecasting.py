"""Forecast accuracy, interval coverage and speed on real data: 10 pilot municipalities x every approved metric.

    python benchmarks/bench_forecasting.py [--db URL] [--timing-metrics a,b,c] [--timing-models m,n] [--sections 1,2,3,4]

Data: the bundled THL Sotkanet snapshot (1990-2011) loaded into a temporary SQLite database (or
`--db`), read through the metric layer and the product's disclosure filter, as the page gets it.
Prints, all from one run (figures only, nothing asserted; the machine's load is printed too):

1. import cost of each model library (fresh interpreter each);
2. per model over every series: backtest MAE (relative to naive, geometric mean over series),
   MAPE, folds, the calibrated 80 % band's measured coverage beside its nominal 80 % (and the
   model's own interval where the backtest has one), how often the model is shown, and the
   product's wall time for the whole set (process pool); then MAE and coverage per metric;
3. per model: the product's time (`forecast_many`, serial, cold cache: planning, backtest,
   calibration, choice, results) beside the same model calls made directly (the same fits in a
   plain loop), run in alternation, and their ratio;
4. the forecast page (AppTest, warm process, cold forecast cache): when the first area's forecast
   is drawn, and when all ten areas are checked.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forecasting.accuracy import load_histories, run_backtests, summarise, until_year  # noqa: E402
from forecasting.base import ForecastSettings  # noqa: E402
from forecasting.cache import clear_cache  # noqa: E402
from forecasting.metric_adapter import settings_for_metric  # noqa: E402
from forecasting.models import factory, single_threaded_blas  # noqa: E402
from forecasting.planning import SeriesPlan, SeriesRequest, plan_series  # noqa: E402
from forecasting.service import forecast_many  # noqa: E402
from forecasting.statsmodels_models import ETS_CANDIDATES, MIN_POINTS_TREND, load_statsmodels, regular_tail  # noqa: E402
from kuntamittari.settings import PILOT_MUNICIPALITIES  # noqa: E402

MODELS = ("ets", "theta", "combination", "prophet", "drift", "naive")
TIMED = ("prophet", "ets", "theta", "drift", "naive")
DEFAULT_TIMING = ("unemployment_rate", "population", "sickness_allowance_recipients", "tax_revenue_per_resident")
IMPORTS = {
    "prophet": "import prophet",
    "statsmodels (ETSModel, ThetaModel)": "from statsmodels.tsa.exponential_smoothing.ets import ETSModel; "
                                          "from statsmodels.tsa.forecasting.theta import ThetaModel",
}

Series = dict[str, dict[str, pd.DataFrame]]  # metric -> area -> history


def load_series(url: str | None) -> tuple[Series, Any, str]:
    """Published histories of every approved metric for the pilot municipalities (and the URL)."""
    from datamodel.bootstrap import ensure_database
    from datamodel.engine import make_engine
    from metrics.catalog import load_catalog

    url = url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    engine = make_engine(url)
    ensure_database(engine)
    catalog = load_catalog()
    return load_histories(engine, catalog, PILOT_MUNICIPALITIES), catalog, url


def import_costs() -> None:
    print("\n## 1. Import cost (fresh interpreter, median of 3)")
    for label, statement in IMPORTS.items():
        code = f"import time, warnings; warnings.simplefilter('ignore'); t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
        runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
                for _ in range(3)]
        print(f"- {label}: {statistics.median(runs):.2f} s (runs {', '.join(f'{r:.2f}' for r in runs)})")


def accuracy(series: Series, catalog: Any) -> dict[str, dict[str, Any]]:
    """Every metric through the product (process pool): results by metric and area."""
    start = time.perf_counter()
    results = run_backtests(series, catalog, executor="process")
    wall = time.perf_counter() - start
    n = sum(len(r) for r in results.values())
    print(f"\n## 2. Accuracy and coverage ({n} series, {len(results)} metrics; product wall time "
          f"{wall:.1f} s with the process pool, {wall / max(n, 1) * 1000:.0f} ms per series)")
    return results


def _pct(hits: int, checked: int, digits: int = 1) -> str:
    return f"{hits / checked:.{digits}%} ({hits}/{checked})" if checked else "n/a"


def model_table(results: dict[str, dict[str, Any]]) -> None:
    """The library's summary (`forecasting.accuracy.summarise`, what the transparency page shows) as a table."""
    summary = summarise(results, MODELS)
    print("\n| model | MAE / naive's (geo-mean) | median MAPE % | folds (median) | 80 % band: measured coverage | model's own 80 % interval | shown on |")
    print("|---|---|---|---|---|---|---|")
    for m in summary.models:
        rel = m.relative_mae if m.relative_mae is not None else float("nan")
        mape = m.median_mape if m.median_mape is not None else float("nan")
        own = f"{m.own_hits / m.own_checked:.0%} ({m.own_checked})" if m.own_checked else "n/a"
        print(f"| {m.model} | {rel:.3f} | {mape:.1f} | {m.median_folds} | {_pct(m.hits, m.checked)} | {own} | {m.shown} series |")


def choice_summary(results: dict[str, dict[str, Any]]) -> None:
    recs = [r.recommendation for by_area in results.values() for r in by_area.values()]
    clear = sum(1 for c in recs if c.clear)
    naive_good = sum(1 for c in recs if c.naive_as_good)
    print(f"\nRecommendation: a clear winner (better than every other model by > 2 standard errors of the "
          f"fold differences) in {clear} of {len(recs)} series; \"same as last year\" as good as the best in "
          f"{naive_good}; otherwise the page says the models are equally good.")


def metric_table(results: dict[str, dict[str, Any]]) -> None:
    print("\n| metric | " + " | ".join(f"{m}: MAE, cov" for m in MODELS) + " |")
    print("|---|" + "---|" * len(MODELS))
    for metric_id, by_area in results.items():
        cells = []
        for model in MODELS:
            maes, inside, checked = [], 0, 0
            for r in by_area.values():
                m = r.get_model(model)
                if m is not None and m.score is not None and m.score.folds:
                    maes.append(m.score.mae)
                    inside, checked = inside + m.calibration.hits, checked + m.calibration.checked
            cells.append(f"{np.mean(maes):.3g}, {inside / checked:.0%}" if checked else (f"{np.mean(maes):.3g}, n/a" if maes else "–"))
        print(f"| {metric_id} | " + " | ".join(cells) + " |")


def _direct_statsmodels(name: str, y: np.ndarray, steps: int, alpha: float) -> np.ndarray:
    """The library calls the ETS/Theta adapters make, written out."""
    ets_model, theta_model = load_statsmodels()
    series = pd.Series(y)
    if name == "theta":
        result = theta_model(series, period=1, deseasonalize=False).fit()
        result.prediction_intervals(steps, alpha=alpha)
        return result.forecast(steps).to_numpy()
    fits = [ets_model(series, error="add", trend=tr, damped_trend=d).fit(disp=False)
            for tr, d in ETS_CANDIDATES if tr is None or len(y) >= MIN_POINTS_TREND]
    best = min(fits, key=lambda r: r.aicc if np.isfinite(r.aicc) else np.inf)
    return best.get_prediction(start=len(y), end=len(y) + steps - 1).summary_frame(alpha=alpha)["mean"].to_numpy()


def _direct_fit(name: str, plan: SeriesPlan, train: pd.DataFrame, periods: list[str], settings: ForecastSettings) -> None:
    if name in ("ets", "theta"):
        tail = regular_tail(train)
        if len(tail) >= 4:
            last = int(tail["period"].iloc[-1])
            _direct_statsmodels(name, tail["value"].to_numpy(dtype="float64"), int(periods[-1]) - last, 0.2)
        return
    factory(name, settings)().fit(train).predict(periods)


def direct_calls(name: str, plans: list[SeriesPlan]) -> None:
    """The same fits as the product makes for `name`, in a plain loop (no planning, caching,
    calibration or assembling): the whole history once, and each backtest origin."""
    with warnings.catch_warnings(), single_threaded_blas():
        warnings.simplefilter("ignore")
        for plan in plans:
            _direct_fit(name, plan, plan.clean, list(plan.periods), plan.settings)
            periods = plan.clean["period"].tolist()
            for size in plan.fold_sizes:
                last = int(periods[size - 1])
                test = [p for p in periods[size:] if int(p) - last <= plan.horizon]
                _direct_fit(name, plan, plan.clean.iloc[:size], test, plan.backtest_settings)


def overhead(series: Series, catalog: Any, timing: tuple[str, ...], repeat: int, models: tuple[str, ...] = TIMED) -> None:
    chosen = {m: series[m] for m in timing if m in series}
    n = sum(len(h) for h in chosen.values())
    print(f"\n## 3. Product vs direct model calls (serial, cold cache, {n} series of {', '.join(chosen)}; "
          f"median of {repeat} alternating pairs)")
    print("\n| model | fits | direct s | product s | ms per fit (direct) | product / direct |")
    print("|---|---|---|---|---|---|")
    for name in models:
        settings_by = {m: settings_for_metric(catalog.get(m), ForecastSettings(models=(name,))) for m in chosen}
        plans = [plan_series(SeriesRequest(a, h, until_year(hs), settings_by[m])) for m, hs in chosen.items() for a, h in hs.items()]
        fits = sum(1 + len(p.fold_sizes) for p in plans)

        def product() -> None:
            clear_cache()
            for m, hs in chosen.items():
                forecast_many(hs, until_year(hs), settings_by[m], executor="serial")

        pairs = [(_timed(lambda: direct_calls(name, plans)), _timed(product)) for _ in range(repeat)]
        direct, prod = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
        ratio = statistics.median(p[1] / p[0] for p in pairs)
        print(f"| {name} | {fits} | {direct:.2f} | {prod:.2f} | {direct / fits * 1000:.1f} | {ratio:.2f}x |")


def _timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class _Marks(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def page_timing(url: str) -> None:
    """The forecast page in AppTest: warm process (libraries imported, metric values cached),
    cold forecast cache, one area and then all ten; the page logs when it drew the first area."""
    from streamlit.testing.v1 import AppTest

    from kuntamittari.settings import get_settings

    os.environ.update(KUNTAMITTARI_DATABASE_URL=url, KUNTAMITTARI_AUTH_MODE="none")
    get_settings.cache_clear()
    marks = _Marks()
    root = logging.getLogger()
    root.addHandler(marks)
    root.setLevel(logging.INFO)
    print("\n## 4. The forecast page (AppTest; warm process: libraries imported, metric values cached; "
          "cold forecast cache; times from the page's own log)")
    at = AppTest.from_file(str(ROOT / "pages" / "forecast.py"), default_timeout=600)
    at.query_params["metric"], at.query_params["area"] = "unemployment_rate", "208"
    at.run()  # warm-up: imports, metric values
    for label, areas in (("1 area (Kalajoki)", ["208"]), ("10 pilot areas", list(PILOT_MUNICIPALITIES))):
        at.multiselect(key="fc_areas").set_value(areas).run()  # metric values for these areas, cached
        for until in (2015, 2017):
            clear_cache()
            marks.messages.clear()
            at.selectbox(key="fc_until").select(until).run()
            drawn = [m.removeprefix("forecast page: ") for m in marks.messages if m.startswith("forecast page:")]
            print(f"- {label}, until {until}: " + "; ".join(drawn) + (f" (exception: {at.exception})" if at.exception else ""))
    root.removeHandler(marks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite with the bundled data)")
    parser.add_argument("--timing-metrics", default=",".join(DEFAULT_TIMING), help="metrics of the overhead section")
    parser.add_argument("--repeat", type=int, default=3, help="alternating product/direct pairs per model")
    parser.add_argument("--timing-models", default=",".join(TIMED), help="models of the overhead section")
    parser.add_argument("--sections", default="1,2,3,4", help="which sections to run (comma-separated)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")
    sections = set(args.sections.split(","))
    if "1" in sections:
        import_costs()
    series, catalog, url = load_series(args.db)
    if "2" in sections:
        results = accuracy(series, catalog)
        model_table(results)
        choice_summary(results)
        metric_table(results)
    if "3" in sections:
        overhead(series, catalog, tuple(args.timing_metrics.split(",")), args.repeat, tuple(args.timing_models.split(",")))
    if "4" in sections:
        page_timing(url)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
