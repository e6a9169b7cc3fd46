"""Benchmark of table-wide disclosure control; prints figures, asserts nothing.

    python benchmarks/bench_disclosure.py [--db URL] [--area 766] [--repeat 5]

On the bundled Sotkanet data (all 320 municipalities of 2013; Sottunga 766 has in- and
out-migrant counts below 5) it prints:
1. the publication's decisions (every municipality, region, county and Finland for the metrics
   that can be hidden): query time, decision time, cells and hidden cells by reason;
2. one municipality's full public table (every approved metric, all levels and years): its
   cells, `disclose_table` time with the publication's decisions, and, side by side in the same
   run, the former per-metric `apply_disclosure` on the same cells;
3. the public readout's `collect_public` for the municipality, warm.
Without --db a temporary SQLite database is built (migrations + bundled data, ~10 s).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from datamodel.bootstrap import ensure_database  # noqa: E402
from datamodel.engine import make_engine  # noqa: E402
from metrics.catalog import load_catalog  # noqa: E402
from metrics.disclosure import apply_disclosure  # noqa: E402
from metrics.disclosure_publication import (  # noqa: E402
    _counted_series,
    area_hierarchy,
    present_areas,
    publication_cells,
    publication_context,
    publication_metrics,
)
from metrics.disclosure_table import DisclosureContext, disclose_table, suppression_counts  # noqa: E402
from metrics.model import Selection  # noqa: E402
from metrics.service import comparison_areas, list_areas, query_metric  # noqa: E402
from readout.build import collect_public  # noqa: E402


def timed(func: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall time in milliseconds over `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def raw_page(engine: object, catalog: object, code: str) -> pd.DataFrame:
    """The cells of one municipality's public summary before disclosure (as collect_public queries them)."""
    levels = [code] + [c for kind in ("region", "county", "finland") for c in comparison_areas(engine, code, kind)[:1]]
    frames = []
    for metric in catalog.approved():  # type: ignore[attr-defined]
        frames.append(query_metric(engine, catalog, metric.id, Selection(areas=tuple(levels))))  # type: ignore[arg-type]
        if metric.filters.gender is None:
            frames += [query_metric(engine, catalog, metric.id, Selection(areas=(code,), gender=g)) for g in ("male", "female")]  # type: ignore[arg-type]
    return pd.concat([f for f in frames if not f.empty], ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite with the bundled data)")
    parser.add_argument("--area", default="766", help="municipality code (default 766 Sottunga)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    tmp = None
    if args.db:
        engine = make_engine(args.db)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="bench-disclosure-"))
        engine = make_engine(f"sqlite:///{tmp / 'bench.sqlite'}")
        started = time.perf_counter()
        ensure_database(engine)
        print(f"built bundled database in {time.perf_counter() - started:.1f} s")
    try:
        catalog = load_catalog(engine=engine)
        print("figures are medians on a shared machine: compare ratios within one run")

        started = time.perf_counter()
        areas = list_areas(engine)
        metrics = publication_metrics(catalog, _counted_series(engine))
        cells = publication_cells(engine, catalog, metrics, areas)
        query_ms = (time.perf_counter() - started) * 1000
        context = DisclosureContext(hierarchy=area_hierarchy(areas), present=present_areas(cells))
        decide_ms, decided = timed(lambda: disclose_table(cells, catalog, context=context), max(1, args.repeat // 2))
        print(f"\n1. publication: {len(metrics)} metrics ({', '.join(m.id for m in metrics)})")
        print(f"   query {query_ms:.0f} ms, decisions {decide_ms:.0f} ms, {suppression_counts(decided)}")  # type: ignore[arg-type]

        context = publication_context(engine, catalog)
        page_cells = raw_page(engine, catalog, args.area)
        table_ms, table = timed(lambda: disclose_table(page_cells, catalog, context=context), args.repeat)
        by_metric = {m.id: m.min_count for m in catalog.approved()}
        old_ms, _ = timed(lambda: [apply_disclosure(g, by_metric[str(k)]) for k, g in page_cells.groupby("metric_id")], args.repeat)
        print(f"\n2. municipality {args.area}: {len(page_cells)} cells, {page_cells['metric_id'].nunique()} metrics")
        print(f"   disclose_table {table_ms:.1f} ms vs per-metric apply_disclosure {old_ms:.1f} ms "
              f"(x{table_ms / max(old_ms, 1e-9):.1f}); {suppression_counts(table)}")  # type: ignore[arg-type]

        warm_ms, _ = timed(lambda: collect_public(engine, catalog, args.area), args.repeat)
        print(f"\n3. collect_public({args.area}) warm: {warm_ms:.0f} ms")
    finally:
        engine.dispose()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
