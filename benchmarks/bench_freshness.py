"""What the per-run checks cost: the data version, the session lookup and the sign-in throttle.

    python benchmarks/bench_freshness.py [--db URL] [--pg] [--batches 300] [--repeat 2000]

Every page run reads the warehouse's data version once (`metrics.freshness.data_version`, the
key of every cached result) and, for a locally signed-in user, looks the session up once
(`accounts.sessions.SessionStore.resolve`). A sign-in attempt adds the throttle's `begin` and
`failed`/`succeeded` writes. The script prints the median and 95th percentile of each, on a
migrated SQLite file with `--batches` load batches (a busy warehouse after years of monthly
refreshes) and, with `--pg`, on a throw-away PostgreSQL (scripts/pg_test_server.sh) as well, or
on `--db URL`. Prints figures, asserts nothing; times on a shared machine vary.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine  # noqa: E402

from accounts.sessions import SessionPolicy, SessionStore  # noqa: E402
from accounts.throttle import SignInThrottle, ThrottlePolicy  # noqa: E402
from datamodel.bootstrap import upgrade  # noqa: E402
from datamodel.engine import make_engine  # noqa: E402
from datamodel.schema import load_batch  # noqa: E402
from metrics.freshness import data_version  # noqa: E402


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and 95th percentile in milliseconds (after 20 warm-up calls)."""
    for _ in range(20):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def fill_batches(engine: Engine, count: int) -> None:
    now = datetime.now(timezone.utc)
    rows = [{"source": "bench", "loader": "bench", "location": "-", "loaded_at": now, "licence": "-",
             "attribution": "-", "checksum": f"{i:064d}"} for i in range(count)]
    with engine.begin() as conn:
        conn.execute(load_batch.insert(), rows)


def measure(label: str, engine: Engine, repeat: int) -> None:
    from datetime import timedelta

    store = SessionStore(engine, b"bench-secret", SessionPolicy(timedelta(hours=2), timedelta(hours=12)))
    cookie = store.create("bench@kunta.fi", ["viewer"]).cookie
    policy = ThrottlePolicy(10**9, timedelta(minutes=15), timedelta(seconds=60), timedelta(hours=1))
    throttle = SignInThrottle(engine, policy, policy)
    counter = iter(range(10**9))

    def attempt() -> None:
        email = f"user{next(counter) % 50}@kunta.fi"
        throttle.begin(email, "192.0.2.1")
        throttle.failed(email, "192.0.2.1")

    print(f"\n{label}  (median / p95, ms)")
    print(f"  data version (once per page run)      {'%.3f / %.3f' % timed(lambda: data_version(engine), repeat)}")
    print(f"  session lookup (once per page run)    {'%.3f / %.3f' % timed(lambda: store.resolve(cookie), repeat)}")
    print(f"  sign-in attempt: begin + failed       {'%.3f / %.3f' % timed(attempt, max(50, repeat // 10))}")
    print(f"  data version = {data_version(engine)}")


@contextmanager
def postgres() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="km-bench-pg-") as tmp:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        script = str(ROOT / "scripts" / "pg_test_server.sh")
        url = subprocess.run(["bash", script, "start", tmp, str(port)], capture_output=True, text=True, check=True).stdout.strip()
        try:
            yield url
        finally:
            subprocess.run(["bash", script, "stop", tmp], capture_output=True, check=False)


def run_on(label: str, url: str, batches: int, repeat: int, fresh: bool) -> None:
    engine = make_engine(url)
    if fresh:
        upgrade(engine)
        fill_batches(engine, batches)
    measure(label, engine, repeat)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="an existing, migrated database (read and written: sessions, throttle rows)")
    parser.add_argument("--pg", action="store_true", help="also on a throw-away PostgreSQL")
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    if args.db:
        run_on(args.db.split(":", 1)[0], args.db, args.batches, args.repeat, fresh=False)
        return
    with tempfile.TemporaryDirectory(prefix="km-bench-") as tmp:
        run_on(f"SQLite file, {args.batches} batches", f"sqlite:///{Path(tmp) / 'bench.sqlite'}", args.batches, args.repeat, True)
    if args.pg:
        with postgres() as url:
            run_on(f"PostgreSQL 127.0.0.1, {args.batches} batches", url, args.batches, args.repeat, True)


if __name__ == "__main__":
    main()
