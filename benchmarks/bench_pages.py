"""Page script timings in AppTest on national-scale synthetic data.

    python benchmarks/bench_pages.py [--scale 1.0] [--metrics 60] [--db URL] [--repeat 5]

Builds (or reuses) a SQLite database with the bundled Sotkanet data plus `datamodel.synthetic`
(all municipalities x 500 series x 25 years x 3 genders at --scale 1), writes --metrics metric
YAMLs on synthetic series into a temporary catalogue (KUNTAMITTARI_METRICS_DIR), then runs every
dashboard page with AppTest:

- first request: the first page in a fresh process, module imports included (once per server start),
- cold: first run after clearing Streamlit's caches (st.cache_data and st.cache_resource; the
  process has already imported everything, as a running server has),
- warm: median of --repeat reruns with the same choices (what a widget click or reload costs).

Targets (issue 4): warm <= 300 ms, cold <= 2 s per page. Prints one line per page; no asserts.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = {
    "overview": ("pages/overview.py", {}),
    "compare": ("pages/compare.py", {"metric": "syn_0001"}),
    "metric_detail": ("pages/metric_detail.py", {"metric": "syn_0001"}),
    "data_status": ("pages/data_status.py", {}),
}
THEMES = ["children_families", "young_people", "working_age", "older_people", "health",
          "inclusion_equality", "living_environment_safety", "economy_services"]


def prepare_database(url: str, scale: float) -> None:
    from datamodel.bootstrap import ensure_database
    from datamodel.engine import make_engine
    from datamodel.synthetic import SyntheticSpec, load_synthetic

    engine = make_engine(url)
    start = time.perf_counter()
    ensure_database(engine)
    result = load_synthetic(engine, SyntheticSpec.scaled(scale))
    state = "reused" if result.skipped else f"loaded {result.rows:,} facts"
    print(f"database: {url} ({state}; {time.perf_counter() - start:.1f} s)")
    engine.dispose()


def write_metrics(directory: Path, count: int) -> None:
    """`count` simple metrics on synthetic:2.. weighted by synthetic:1, spread over the themes."""
    import yaml

    for n in range(1, count + 1):
        theme = THEMES[n % len(THEMES)]
        folder = directory / theme
        folder.mkdir(parents=True, exist_ok=True)
        texts = {"fi": f"Synteettinen mittari {n}", "sv": f"Syntetisk indikator {n}", "en": f"Synthetic metric {n}"}
        doc = {
            "schema_version": 1, "id": f"syn_{n:04d}", "status": "approved", "theme": theme,
            "name": dict(texts), "description": dict(texts), "unit": {"fi": "%", "sv": "%", "en": "%"}, "decimals": 1,
            "direction": "higher_is_better" if n % 2 else "lower_is_better",
            "kind": "simple", "series": f"synthetic:{n + 1}", "aggregation": "weighted_mean", "weight": "synthetic:1",
            "targets": [{"year": 2030, "value": 100.0}] if n % 3 == 0 else [],
            "source": "synteettinen", "licence": "CC0",
        }
        if not doc["targets"]:
            del doc["targets"]
        (folder / f"syn_{n:04d}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def bench(repeat: int) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    # A running server imports the page modules (Altair, pandas, Prophet for the forecast page, ...)
    # once, on its first request: report that separately, then time every page with caches empty.
    first = next(iter(PAGES))
    start = time.perf_counter()
    for path, params in PAGES.values():
        st.cache_data.clear()
        st.cache_resource.clear()
        warmup = AppTest.from_file(str(ROOT / path), default_timeout=300)
        for key, value in params.items():
            warmup.query_params[key] = value
        warmup.run()
        if path == PAGES[first][0]:
            print(f"first request of a fresh process ({first}, imports included): {time.perf_counter() - start:.2f} s")
    print(f"{'page':<15}{'cold s':>9}{'warm ms (median)':>19}{'warm ms (max)':>16}  elements")
    for name, (path, params) in PAGES.items():
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / path), default_timeout=300)
        for key, value in params.items():
            at.query_params[key] = value
        start = time.perf_counter()
        at.run()
        cold = time.perf_counter() - start
        if at.exception or at.error:
            print(f"{name:<15} FAILED: {[e.value for e in at.exception] + [e.value for e in at.error]}")
            continue
        warm = []
        for _ in range(repeat):
            start = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - start)
        print(f"{name:<15}{cold:>9.2f}{statistics.median(warm) * 1000:>19.0f}{max(warm) * 1000:>16.0f}  {len(list(at.main))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="synthetic scale: 1.0 = 500 series")
    parser.add_argument("--metrics", type=int, default=60, help="metric YAMLs to generate on synthetic series")
    parser.add_argument("--db", default="", help="database URL (default: var/bench_pages_<scale>.sqlite)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    url = args.db or f"sqlite:///{ROOT / 'var' / f'bench_pages_{args.scale:g}.sqlite'}"
    metrics = min(args.metrics, max(1, round(500 * args.scale)) - 1)
    prepare_database(url, args.scale)
    with tempfile.TemporaryDirectory(prefix="km-bench-metrics-") as tmp:
        write_metrics(Path(tmp), metrics)
        os.environ.update(KUNTAMITTARI_DATABASE_URL=url, KUNTAMITTARI_METRICS_DIR=tmp, KUNTAMITTARI_AUTH_MODE="none")
        from kuntamittari.settings import get_settings

        get_settings.cache_clear()
        print(f"catalogue: {metrics} synthetic metrics in {tmp}")
        bench(args.repeat)


if __name__ == "__main__":
    main()
