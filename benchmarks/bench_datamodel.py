"""Benchmark the data layer: synthetic national-scale load rate and the two hot queries.

Backends: SQLite file (the embedded default), DuckDB file (the alternative we measured) and
PostgreSQL (production). Same synthetic data (datamodel.synthetic, seeded) on each.

    python benchmarks/bench_datamodel.py --scale 0.1            # quick (~1.2 M rows)
    python benchmarks/bench_datamodel.py --scale 1              # national scale (~11.5 M rows)
    python benchmarks/bench_datamodel.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5433/postgres
    python benchmarks/bench_datamodel.py --no-pg --no-duckdb

Without --pg-url a throw-away PostgreSQL is started with scripts/pg_test_server.sh when the
binaries exist. Prints figures; asserts nothing (timings belong here, not in tests).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from datamodel.bootstrap import analyze, upgrade  # noqa: E402
from datamodel.engine import make_engine  # noqa: E402
from datamodel.synthetic import GENDERS, SyntheticSpec, generate_frame, load_synthetic  # noqa: E402

HOT_AREA = "208"
HOT_YEAR = "2020"
Q1 = """
SELECT s.code AS series_code, p.code AS period, g.code AS group_code, f.value
FROM fact_observation f
JOIN dim_area a ON a.area_id = f.area_id
JOIN dim_series s ON s.series_id = f.series_id
JOIN dim_period p ON p.period_id = f.period_id
JOIN dim_group g ON g.group_id = f.group_id
WHERE a.code = :area AND s.series_id BETWEEN :s_first AND :s_last
ORDER BY s.code, p.code, g.code
"""
Q2 = """
SELECT a.code AS area_code, f.value
FROM fact_observation f
JOIN dim_area a ON a.area_id = f.area_id
JOIN dim_series s ON s.series_id = f.series_id
JOIN dim_period p ON p.period_id = f.period_id
JOIN dim_group g ON g.group_id = f.group_id
WHERE s.code = :series AND p.code = :year AND g.code = 'total' AND a.area_type = 'kunta'
ORDER BY a.code
"""


def median_ms(engine: Engine, sql: str, params: dict, repeat: int) -> tuple[float, int]:
    """Median wall time of `sql` over `repeat` runs after one warm-up; and the row count."""
    times = []
    with engine.connect() as conn:
        rows = len(conn.execute(text(sql), params).all())
        for _ in range(repeat):
            start = time.perf_counter()
            conn.execute(text(sql), params).all()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), rows


def hot_queries(engine: Engine, n_series: int, repeat: int) -> dict[str, float]:
    with engine.connect() as conn:
        first = conn.execute(text("SELECT min(series_id) FROM dim_series WHERE code LIKE 'synthetic:%'")).scalar_one()
    many = min(n_series, 50)
    q1, n1 = median_ms(engine, Q1, {"area": HOT_AREA, "s_first": first, "s_last": first + many - 1}, repeat)
    q2, n2 = median_ms(engine, Q2, {"series": "synthetic:1", "year": HOT_YEAR}, repeat)
    return {"q1_ms": q1, "q1_rows": n1, "q2_ms": q2, "q2_rows": n2, "q1_series": many}


def bench_sqlite(workdir: Path, spec: SyntheticSpec, repeat: int) -> tuple[dict, Path]:
    path = workdir / "bench.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    result = load_synthetic(engine, spec)
    start = time.perf_counter()
    analyze(engine)
    print(f"SQLite ANALYZE after the load: {time.perf_counter() - start:.1f} s")
    out = {"backend": "SQLite (file, WAL)", "rows": result.rows, "load_s": result.seconds}
    out |= hot_queries(engine, spec.n_series, repeat)
    out["size_mb"] = sum(p.stat().st_size for p in workdir.glob("bench.sqlite*")) / 1e6
    engine.dispose()
    return out, path


def bench_postgres(url: str, spec: SyntheticSpec, repeat: int) -> dict:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    db_url = url.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        result = load_synthetic(engine, spec)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        out = {"backend": "PostgreSQL 15 (COPY)", "rows": result.rows, "load_s": result.seconds}
        out |= hot_queries(engine, spec.n_series, repeat)
        with engine.connect() as conn:
            out["size_mb"] = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one() / 1e6
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()
    return out


def bench_duckdb(workdir: Path, sqlite_path: Path, spec: SyntheticSpec, repeat: int) -> dict:
    """Same dimensions (copied from the SQLite run) and the same generated facts, loaded with
    DuckDB's bulk path (`register` + INSERT ... SELECT); no secondary indexes (DuckDB's default)."""
    import duckdb

    src = create_engine(f"sqlite:///{sqlite_path}")
    dims = {t: pd.read_sql_table(t, src) for t in ("dim_area", "dim_period", "dim_series", "dim_group")}
    src.dispose()
    path = workdir / "bench.duckdb"
    con = duckdb.connect(str(path))
    for name, frame in dims.items():
        con.register("src", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM src")
        con.unregister("src")
    con.execute("""CREATE TABLE fact_observation (area_id INTEGER, series_id INTEGER, group_id INTEGER,
                   period_id INTEGER, value DOUBLE, status VARCHAR, batch_id INTEGER)""")
    area = dims["dim_area"]
    area_ids = np.array(sorted(area[(area.area_type == "kunta") & area.valid_to.isna()].area_id), dtype=np.int64)
    years = [str(spec.first_year + i) for i in range(spec.n_years)]
    pmap = dict(zip(dims["dim_period"].code, dims["dim_period"].period_id, strict=True))
    gmap = dict(zip(dims["dim_group"].code, dims["dim_group"].group_id, strict=True))
    smap = dict(zip(dims["dim_series"].code, dims["dim_series"].series_id, strict=True))
    period_ids = np.array([pmap[y] for y in years], dtype=np.int64)
    group_ids = np.array([gmap[g] for g in GENDERS], dtype=np.int64)
    series_ids = np.array([smap[f"synthetic:{n}"] for n in range(1, spec.n_series + 1)], dtype=np.int64)
    start = time.perf_counter()
    rows = 0
    per_chunk = max(1, 200_000 // (len(area_ids) * spec.n_years * len(GENDERS)))
    con.execute("BEGIN")
    for first in range(0, spec.n_series, per_chunk):
        chunk = pd.concat([generate_frame(spec, area_ids, period_ids, group_ids, series_ids, i)
                           for i in range(first, min(first + per_chunk, spec.n_series))], ignore_index=True)
        chunk["status"] = "ok"
        chunk["batch_id"] = 1
        con.register("chunk", chunk)
        con.execute("INSERT INTO fact_observation SELECT area_id, series_id, group_id, period_id, value, status, "
                    "batch_id FROM chunk")
        con.unregister("chunk")
        rows += len(chunk)
    con.execute("COMMIT")
    load_s = time.perf_counter() - start
    con.close()
    engine = create_engine(f"duckdb:///{path}")
    out = {"backend": "DuckDB (file, no index)", "rows": rows, "load_s": load_s}
    out |= hot_queries(engine, spec.n_series, repeat)
    engine.dispose()
    out["size_mb"] = path.stat().st_size / 1e6
    return out


def start_pg() -> tuple[str, Callable[[], None]] | None:
    script = ROOT / "scripts" / "pg_test_server.sh"
    directory = tempfile.mkdtemp(prefix="kuntamittari-bench-pg-")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.run([str(script), "start", directory, str(port)], capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"(PostgreSQL not started: {proc.stderr.strip()[-200:]})")
        shutil.rmtree(directory, ignore_errors=True)
        return None

    def stop() -> None:
        subprocess.run([str(script), "stop", directory], capture_output=True)
        shutil.rmtree(directory, ignore_errors=True)

    return proc.stdout.strip().splitlines()[-1], stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=0.1, help="1 = 500 series (~11.5 M rows)")
    parser.add_argument("--repeat", type=int, default=21, help="runs per query (median reported)")
    parser.add_argument("--pg-url", default=None, help="PostgreSQL server URL (a temporary database is created)")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-duckdb", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    spec = SyntheticSpec.scaled(args.scale)
    print(f"synthetic: {spec.n_series} series x 308 municipalities x {spec.n_years} years x 3 genders, seed {spec.seed}")
    results = []
    with tempfile.TemporaryDirectory(prefix="kuntamittari-bench-") as tmp:
        work = Path(tmp)
        sqlite_result, sqlite_path = bench_sqlite(work, spec, args.repeat)
        results.append(sqlite_result)
        if not args.no_duckdb:
            results.append(bench_duckdb(work, sqlite_path, spec, args.repeat))
        if not args.no_pg:
            stop = None
            url = args.pg_url
            if url is None:
                started = start_pg()
                if started:
                    url, stop = started
            if url:
                try:
                    results.append(bench_postgres(url, spec, args.repeat))
                finally:
                    if stop:
                        stop()
    print()
    print(f"{'backend':26} {'rows':>11} {'load s':>8} {'rows/s':>10} {'Q1 ms':>8} {'Q2 ms':>8} {'MB':>8}")
    for r in results:
        print(f"{r['backend']:26} {r['rows']:>11,} {r['load_s']:>8.1f} {r['rows'] / r['load_s']:>10,.0f} "
              f"{r['q1_ms']:>8.2f} {r['q2_ms']:>8.2f} {r['size_mb']:>8.0f}")
    r = results[0]
    print(f"\nQ1 = one area ({HOT_AREA}) x {r['q1_series']} series x all years x 3 genders ({r['q1_rows']} rows); "
          f"Q2 = one series x all municipalities x one year ({r['q2_rows']} rows); median of {args.repeat} runs.")


if __name__ == "__main__":
    main()
