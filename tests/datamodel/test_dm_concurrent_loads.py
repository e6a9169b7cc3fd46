"""Two imports creating the same new series at once both succeed (one waits for the other), on
SQLite and PostgreSQL, with real threads and real processes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from datamodel.areas import sync_areas
from datamodel.loaders.core import SeriesMeta, upsert_series
from datamodel.loaders.own_data import import_own_data
from datamodel.schema import fact, load_batch, series

ROOT = Path(__file__).resolve().parents[2]
SERIES = "own:091:kotihoito"


def _file(areas: list[str], value: float) -> bytes:
    lines = ["Kunta;Vuosi;Arvo"] + [f"{a};{y};{value + y - 2000:.1f}".replace(".", ",") for a in areas
                                    for y in range(2000, 2024)]
    return "\r\n".join(lines).encode("utf-8")


FIRST = _file(["091", "049"], 1.0)
SECOND = _file(["092", "853"], 2.0)


@pytest.fixture
def engine(db_engine):
    with db_engine.begin() as conn:
        sync_areas(conn)
    return db_engine


def _state(engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(series).where(series.c.code == SERIES)).scalar_one(),
                conn.execute(select(func.count()).select_from(fact)).scalar_one(),
                conn.execute(select(func.count()).select_from(load_batch)).scalar_one())


def test_two_threads_create_the_same_series(engine) -> None:
    """The first import holds its transaction open (its progress hook sleeps) while the second
    starts: the second waits for the first instead of failing on the series' unique code."""
    results: dict[str, object] = {}
    first_writing = threading.Event()

    def slow_hook(done: int, total: int) -> None:
        first_writing.set()
        time.sleep(0.8)

    def run(name: str, data: bytes, hook) -> None:  # noqa: ANN001
        try:
            results[name] = import_own_data(engine, data, series_code=SERIES, filename=f"{name}.csv", on_progress=hook)[1]
        except Exception as exc:  # noqa: BLE001 - recorded and asserted below
            results[name] = exc

    first = threading.Thread(target=run, args=("first", FIRST, slow_hook))
    second = threading.Thread(target=run, args=("second", SECOND, None))
    first.start()
    assert first_writing.wait(30)  # the first has inserted the series and facts, not committed
    started = time.monotonic()
    second.start()
    first.join(60)
    second.join(60)
    assert not isinstance(results["first"], Exception), results["first"]
    assert not isinstance(results["second"], Exception), results["second"]
    assert results["first"].rows_inserted == 48 and results["second"].rows_inserted == 48
    assert time.monotonic() - started >= 0.5  # the second one waited for the first
    assert _state(engine) == (1, 96, 2)


def test_two_processes_create_the_same_series(engine, tmp_path) -> None:
    """Two interpreters, each ready (imports done) before a common start signal; each keeps its
    transaction open for a second, so the loads overlap."""
    url = engine.url.render_as_string(hide_password=False)
    go = tmp_path / "go"
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from datamodel.engine import make_engine\n"
        "from datamodel.loaders.own_data import import_own_data\n"
        "engine = make_engine(sys.argv[1])\n"
        "data = Path(sys.argv[2]).read_bytes()\n"
        "Path(sys.argv[2] + '.ready').touch()\n"
        "while not Path(sys.argv[3]).exists():\n"
        "    time.sleep(0.005)\n"
        "hold = lambda done, total: time.sleep(1.0)\n"
        f"result = import_own_data(engine, data, series_code={SERIES!r}, filename=sys.argv[2], on_progress=hold)[1]\n"
        "print(result.rows_inserted)\n"
    )
    paths = []
    for name, data in (("a.csv", FIRST), ("b.csv", SECOND)):
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)
    procs = [subprocess.Popen([sys.executable, "-c", script, url, str(p), str(go)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in paths]
    deadline = time.monotonic() + 120
    while not all(Path(f"{p}.ready").exists() for p in paths) and time.monotonic() < deadline:
        time.sleep(0.02)
    started = time.monotonic()
    go.touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-2000:]
        assert out.strip() == "48"
    assert time.monotonic() - started >= 2.0  # one after the other: each held its transaction for 1 s
    assert _state(engine) == (1, 96, 2)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_series_insert_waits_and_skips_on_postgresql(db_url) -> None:
    """Without any load lock: a second transaction inserting the same new series blocks on the
    unique index until the first commits, then skips the row (ON CONFLICT DO NOTHING) and reads
    the first one's id, instead of raising IntegrityError."""
    from datamodel.engine import make_engine

    engine = make_engine(db_url)
    meta = SeriesMeta(code=SERIES, source="own", source_id="kotihoito", title_fi="Kotihoito", licence="x", attribution="x")
    got: dict[str, object] = {}
    with engine.connect() as first:
        first.execute(text("SELECT 1"))
        ids_first = upsert_series(first, [meta])

        def second() -> None:
            try:
                with engine.begin() as conn:
                    got["ids"] = upsert_series(conn, [meta])
            except Exception as exc:  # noqa: BLE001
                got["ids"] = exc

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive()  # blocked on the uncommitted row
        first.commit()
        thread.join(30)
    assert got["ids"] == ids_first
    engine.dispose()
