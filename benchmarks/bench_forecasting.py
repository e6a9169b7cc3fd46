"""Forecasting speed on real data: 10 pilot municipalities x 1 metric, cold and warm.

    python benchmarks/bench_forecasting.py [--indicator 181] [--until 2030] [--repeat 3]

Series: the bundled THL Sotkanet snapshot (datamodel/data/sotkanet-2013, 1991-2011) for the ten
pilot municipalities, as the page gets them. "Cold" = empty fit cache, Prophet already imported
(its import is printed separately); it includes the main fit, naive and drift, and the 5-fold
rolling-origin backtest of all three, for every municipality. "Warm" = the same call again
(content-hash cache). Also Prophet's fit+predict time beside a baseline's for one series.
Prints figures only; nothing is asserted (timings vary with the machine's load, also printed).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forecasting.base import ForecastSettings  # noqa: E402
from forecasting.naive import DriftForecaster, NaiveForecaster  # noqa: E402
from forecasting.prophet_model import ProphetForecaster, load_prophet  # noqa: E402
from forecasting.scenarios import BaselineScenario, LevelShiftScenario, TargetScenario  # noqa: E402
from forecasting.service import clear_cache, forecast_many  # noqa: E402
from kuntamittari.settings import PILOT_MUNICIPALITIES  # noqa: E402

DATA = ROOT / "datamodel" / "data" / "sotkanet-2013"


def pilot_series(indicator: int) -> dict[str, pd.DataFrame]:
    """The indicator's yearly values for the ten pilot municipalities (bundled real data)."""
    with (DATA / "areas.csv").open(encoding="utf-8") as handle:
        region = {r["municipality_code"]: int(r["sotkanet_region_id"]) for r in csv.DictReader(handle)}
    with gzip.open(DATA / "data" / f"indicator_{indicator}.json.gz", "rt", encoding="utf-8") as handle:
        rows = json.load(handle)
    out = {}
    for code in PILOT_MUNICIPALITIES:
        points = sorted((r["year"], r["value"]) for r in rows if r["region"] == region[code] and r["value"] is not None)
        out[code] = pd.DataFrame({"period": [str(y) for y, _ in points], "value": [float(v) for _, v in points]})
    return out


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (cmdstan runs as a child process)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--indicator", type=int, default=181, help="Sotkanet indicator id (181 = unemployment %%)")
    parser.add_argument("--until", type=int, default=2030)
    parser.add_argument("--repeat", type=int, default=3, help="cold runs per executor (median shown)")
    args = parser.parse_args()

    series = pilot_series(args.indicator)
    settings = ForecastSettings(bounds=(0.0, 100.0))  # a rate in per cent, as the service sets it
    scenarios = (BaselineScenario(), LevelShiftScenario(from_year=2015, amount=-1.0), TargetScenario(value=8.0, year=2025))
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")
    print(f"series: indicator {args.indicator}, {len(series)} municipalities, "
          f"{min(len(s) for s in series.values())}-{max(len(s) for s in series.values())} yearly points each")
    print(f"Prophet import: {timed(load_prophet):.2f} s")

    clear_cache()
    before = cpu_seconds()
    forecast_many(series, args.until, settings, scenarios, executor="serial")
    work = cpu_seconds() - before
    print(f"cold work (CPU time, serial, incl. cmdstan): {work:.2f} s "
          f"-> about {work / 2:.2f} s wall on 2 idle cores (load-independent estimate)")

    for executor in ("serial", "thread", "process"):
        runs = []
        for _ in range(args.repeat):
            clear_cache()
            runs.append(timed(lambda: forecast_many(series, args.until, settings, scenarios, executor=executor)))
        print(f"cold, {executor:<7}: median {statistics.median(runs):.2f} s  (runs: {', '.join(f'{r:.2f}' for r in runs)})")

    single = {"208": series["208"]}  # the page opens on one municipality
    for executor in ("serial", "thread"):
        runs = []
        for _ in range(args.repeat):
            clear_cache()
            runs.append(timed(lambda: forecast_many(single, args.until, settings, scenarios, executor=executor)))
        print(f"cold, one municipality (the page's default view), {executor:<6}: median {statistics.median(runs):.2f} s")

    clear_cache()
    forecast_many(series, args.until, settings, scenarios)
    warm = [timed(lambda: forecast_many(series, args.until, settings, scenarios)) for _ in range(20)]
    print(f"warm (cached): median {statistics.median(warm) * 1000:.1f} ms, max {max(warm) * 1000:.1f} ms")

    one = series["208"]
    periods = [str(y) for y in range(2012, args.until + 1)]
    for label, factory in (
        ("prophet (logistic, 300 samples)", lambda: ProphetForecaster(settings)),
        ("prophet (backtest: no samples)", lambda: ProphetForecaster(ForecastSettings(bounds=(0.0, 100.0), uncertainty_samples=0))),
        ("naive", lambda: NaiveForecaster(settings)),
        ("drift", lambda: DriftForecaster(settings)),
    ):
        times = [timed(lambda f=factory: f().fit(one).predict(periods)) for _ in range(7)]
        print(f"fit+predict, Kalajoki, {label:<32}: median {statistics.median(times) * 1000:8.2f} ms")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
