"""How long one report takes: the council summary, the monthly report and the indicator annex.

Each report is timed in its steps (readout, document with charts, typesetting) on the bundled
data, after one warm-up run that pays the one-off costs (vl-convert's engine, Typst's fonts,
Prophet's import), which are reported separately.

    python benchmarks/bench_reports.py                  # Kalajoki 208, 3 runs each
    python benchmarks/bench_reports.py --area 244 --runs 5

Prints figures; asserts nothing. The machine is shared: compare the steps within one run.
"""

from __future__ import annotations

import argparse
import io
import logging
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from datamodel.bootstrap import ensure_database  # noqa: E402
from datamodel.engine import make_engine  # noqa: E402
from forecasting.service import clear_cache  # noqa: E402
from metrics.catalog import load_catalog  # noqa: E402
from reports.annex import annex_document  # noqa: E402
from reports.annex_output import write_annex  # noqa: E402
from reports.engine import render_pdf  # noqa: E402
from reports.monthly import TEMPLATE as MONTHLY, internal_data, monthly_document  # noqa: E402
from reports.summary import TEMPLATE as SUMMARY, public_summary_data, summary_document  # noqa: E402


CPU: list[float] = []  # process CPU seconds of each timed step (all threads), less load-sensitive than wall time


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    CPU.append(time.process_time() - cpu)
    return time.perf_counter() - start, out


def _pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def _row(name: str, steps: dict[str, list[float]], pages: int | None = None) -> None:
    total = [sum(values) for values in zip(*steps.values(), strict=True)]
    parts = "  ".join(f"{k} {statistics.median(v):6.2f}" for k, v in steps.items())
    extra = f"  pages {pages}" if pages is not None else ""
    runs = len(total)
    cpu = sum(CPU[-runs * len(steps):]) / runs
    print(f"{name:<28} {parts}  total median {statistics.median(total):6.2f} s  (min {min(total):.2f}), "
          f"CPU {cpu:.2f} s{extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--area", default="208")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    engine = make_engine(None)
    ensure_database(engine)
    catalog = load_catalog(None, engine)

    first, _ = _timed(lambda: render_pdf(SUMMARY, summary_document(*public_summary_data(engine, catalog, args.area), "fi")))
    print(f"first council summary in this process (vl-convert and Typst start): {first:.2f} s")
    for lang in ("fi", "sv", "en"):
        steps: dict[str, list[float]] = {"readout": [], "document+charts": [], "typst": []}
        pdf = b""
        for _ in range(args.runs):
            t1, (data, readout) = _timed(lambda: public_summary_data(engine, catalog, args.area))  # type: ignore[misc]
            t2, doc = _timed(lambda: summary_document(data, readout, lang))
            t3, pdf = _timed(lambda: render_pdf(SUMMARY, doc))  # type: ignore[arg-type]
            for key, value in zip(steps, (t1, t2, t3), strict=True):
                steps[key].append(value)
        _row(f"council summary {args.area} {lang}", steps, _pages(pdf))  # type: ignore[arg-type]

    steps = {"readout": [], "document+forecasts": [], "typst": []}
    pdf = b""
    for run in range(args.runs + 1):  # the first run pays Prophet's import: not counted
        clear_cache()  # every run fits its forecasts (a warm process would answer from the cache)
        t1, (data, readout) = _timed(lambda: internal_data(engine, catalog, args.area))  # type: ignore[misc]
        t2, doc = _timed(lambda: monthly_document(engine, catalog, data, readout, 2026, 11, "fi"))
        t3, pdf = _timed(lambda: render_pdf(MONTHLY, doc))  # type: ignore[arg-type]
        if run == 0:
            print(f"first monthly report in this process (Prophet import and fits): {t1 + t2 + t3:.2f} s")
            continue
        for key, value in zip(steps, (t1, t2, t3), strict=True):
            steps[key].append(value)
    _row(f"monthly report {args.area} fi", steps, _pages(pdf))  # type: ignore[arg-type]

    for fmt in ("pdf", "docx", "csv"):
        steps = {"readout": [], "document": [], "write": []}
        for _ in range(args.runs):
            t1, (data, readout) = _timed(lambda: public_summary_data(engine, catalog, args.area))  # type: ignore[misc]
            t2, doc = _timed(lambda: annex_document(data, readout, None, "fi"))
            t3, _out = _timed(lambda: write_annex(doc, fmt))  # type: ignore[arg-type]
            for key, value in zip(steps, (t1, t2, t3), strict=True):
                steps[key].append(value)
        _row(f"annex {args.area} fi {fmt}", steps)


if __name__ == "__main__":
    main()
