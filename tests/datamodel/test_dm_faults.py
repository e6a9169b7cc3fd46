"""Real faults (a locked database, a read-only file, a full disk, PostgreSQL stopped mid-load, an
unreachable server) become one line a person can act on: no SQL, no data values, no traceback,
and the warehouse is unchanged."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from sqlalchemy import text
from typer.testing import CliRunner
from warehouse_state import REL1, fingerprint

from datamodel import faults
from datamodel.areas import sync_areas
from datamodel.engine import make_engine
from datamodel.loaders.core import BatchInfo, SeriesMeta, load_observations
from datamodel.loaders.sotkanet import load_data_files
from kuntamittari.i18n import t

ROOT = Path(__file__).resolve().parents[2]
PG_SCRIPT = ROOT / "scripts" / "pg_test_server.sh"
CITIES = ["091", "049", "092", "853", "837", "564", "179", "405", "398", "109", "286", "743", "905", "609", "638",
          "491", "167", "297", "444", "106"]
META = [SeriesMeta(code="own:091:big", source="own", source_id="big", title_fi="Iso sarja", licence="CC BY 4.0",
                   attribution="Lähde: testi")]
BATCH = BatchInfo(source="own", loader="fault-test", location="big.csv", licence="CC BY 4.0", attribution="Lähde: testi")
SECRET = 98765.4321  # a data value that must never appear in a message


def big_release() -> pd.DataFrame:
    """20 cities x 30 years of months x 3 groups = 21 600 rows: large enough to fill a small disk."""
    return pd.DataFrame([
        {"series_code": "own:091:big", "area_code": a, "period_code": f"{y}M{m:02d}", "group_code": g, "value": SECRET}
        for a in CITIES for y in range(1995, 2025) for m in range(1, 13) for g in ("total", "male", "female")
    ])


def assert_one_clean_line(message: str, kind: str) -> None:
    assert message == t(f"faults.{kind}", "en") or message.startswith(t(f"faults.{kind}", "en")[:20]), message
    assert "\n" not in message and "[SQL" not in message and "INSERT" not in message and "SELECT" not in message
    assert str(SECRET) not in message and "98765" not in message and "Traceback" not in message


def load_error(engine, frame: pd.DataFrame | None = None, **kwargs) -> BaseException:
    with pytest.raises(Exception) as exc:  # noqa: PT011 - any fault: the point is its message
        load_observations(engine, big_release() if frame is None else frame, META, BATCH, checksum="big", **kwargs)
    return exc.value


@pytest.fixture
def sqlite_db(tmp_path) -> Path:
    """A migrated SQLite file with the areas (about 240 KB), checkpointed."""
    from datamodel.bootstrap import upgrade

    path = tmp_path / "w.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as conn:
        sync_areas(conn)
    load_data_files(engine, [REL1])
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


# ------------------------------------------------------------------ SQLite: locked, read-only, full

def test_locked_database_through_the_cli(bundled_engine, tmp_path, monkeypatch) -> None:
    import datamodel.loaders.core as core
    from cli.main import app

    copy = tmp_path / "locked.sqlite"
    shutil.copyfile(bundled_engine.url.database, copy)
    engine = make_engine(f"sqlite:///{copy}")
    before = fingerprint(engine)
    monkeypatch.setattr(core, "LOAD_WAIT_SECONDS", 0.3)
    holder = sqlite3.connect(copy, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        result = CliRunner().invoke(app, ["load-sotkanet", str(REL1), "--db", f"sqlite:///{copy}"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0] == "error: " + t("faults.locked", "fi")
    assert "[SQL" not in result.output and "Traceback" not in result.output
    assert fingerprint(engine) == before
    engine.dispose()


def _make_read_only(path: Path) -> None:
    if os.geteuid() == 0:  # root ignores permission bits: make the file immutable instead
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0:
            return
        if os.environ.get("CI"):
            pytest.fail("cannot make a file read-only as root (chattr +i failed)")
        pytest.skip("chattr +i not supported here")
    path.chmod(0o444)


def test_read_only_file(sqlite_db) -> None:
    engine = make_engine(f"sqlite:///{sqlite_db}")
    before = fingerprint(engine)
    engine.dispose()
    _make_read_only(sqlite_db)
    try:
        engine = make_engine(f"sqlite:///{sqlite_db}")
        error = load_error(engine)
        assert faults.describe(error).kind is faults.FaultKind.READ_ONLY
        assert_one_clean_line(faults.one_line(error, "en"), "read_only")
        assert fingerprint(engine) == before
        engine.dispose()
    finally:
        subprocess.run(["chattr", "-i", str(sqlite_db)], capture_output=True)
        sqlite_db.chmod(0o644)


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A real 512 KB tmpfs (ENOSPC when it fills); mounting needs root."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("mounting a tmpfs is not permitted here (the max_page_count variant covers SQLITE_FULL)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill_and_check(path: Path, engine) -> None:
    before = fingerprint(engine)
    engine.dispose()
    error = load_error(engine)
    assert faults.describe(error).kind is faults.FaultKind.DISK_FULL
    assert_one_clean_line(faults.one_line(error, "en"), "disk_full")
    engine.dispose()
    again = make_engine(f"sqlite:///{path}")
    assert fingerprint(again) == before
    again.dispose()


def test_disk_full_on_a_small_tmpfs(sqlite_db, small_disk) -> None:
    path = small_disk / "w.sqlite"
    shutil.copyfile(sqlite_db, path)
    _fill_and_check(path, make_engine(f"sqlite:///{path}"))


def test_disk_full_by_page_limit(sqlite_db) -> None:
    """SQLite's own size cap answers SQLITE_FULL exactly as a full disk does."""
    from sqlalchemy import event

    engine = make_engine(f"sqlite:///{sqlite_db}")
    pages = int(sqlite_db.stat().st_size // 4096) + 40

    @event.listens_for(engine, "connect")
    def cap(dbapi_connection, _record) -> None:  # noqa: ANN001
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    _fill_and_check(sqlite_db, engine)


def test_full_disk_on_a_plain_file_write() -> None:
    with pytest.raises(OSError) as exc:  # noqa: PT011
        with open("/dev/full", "w") as handle:  # noqa: PTH123
            handle.write("x" * 10)
    assert faults.describe(exc.value).kind is faults.FaultKind.DISK_FULL


def test_unknown_schema_and_damaged_file(tmp_path) -> None:
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    error = load_error(empty)
    assert faults.describe(error).kind is faults.FaultKind.NOT_MIGRATED
    assert "kuntamittari init" in faults.one_line(error, "fi")
    empty.dispose()
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database " * 400)
    broken = make_engine(f"sqlite:///{junk}")
    assert faults.describe(load_error(broken)).kind is faults.FaultKind.CORRUPT
    broken.dispose()


# ------------------------------------------------------------------ PostgreSQL and the network

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def own_pg() -> Iterator[tuple[str, str]]:
    """A PostgreSQL server of this test only (it is stopped and restarted): (URL, data folder)."""
    if not any(Path("/usr/lib/postgresql").glob("*/bin/initdb")) and not os.environ.get("PG_BIN"):
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries not found")
        pytest.skip("PostgreSQL binaries not found")
    folder = tempfile.mkdtemp(prefix="kuntamittari-pg-fault-")
    started = subprocess.run([str(PG_SCRIPT), "start", folder, str(_free_port())], capture_output=True, text=True)
    if started.returncode != 0:
        pytest.fail(f"could not start PostgreSQL: {started.stderr[-500:]}")
    yield started.stdout.strip().splitlines()[-1], folder
    subprocess.run([str(PG_SCRIPT), "stop", folder], capture_output=True)
    shutil.rmtree(folder, ignore_errors=True)


def _pg_ctl(folder: str, *args: str) -> None:
    pg_bin = os.environ.get("PG_BIN") or str(sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1])
    command = [f"{pg_bin}/pg_ctl", "-D", f"{folder}/data", "-w", *args]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, capture_output=True, check=True)


@pytest.mark.postgres
def test_postgresql_stopped_mid_load(own_pg, monkeypatch) -> None:
    import datamodel.loaders.core as core
    from datamodel.bootstrap import upgrade

    url, folder = own_pg
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        sync_areas(conn)
    load_data_files(engine, [REL1])
    before = fingerprint(engine)
    monkeypatch.setattr(core, "CHUNK", 2000)
    stopped: list[int] = []

    def stop_server(done: int, total: int) -> None:
        if not stopped:
            stopped.append(done)  # rows were written in this transaction: now the server goes away
            _pg_ctl(folder, "-m", "immediate", "stop")

    error = load_error(engine, on_progress=stop_server)
    assert stopped and stopped[0] == 2000
    assert faults.describe(error).kind is faults.FaultKind.CONNECTION_LOST
    assert_one_clean_line(faults.one_line(error, "en"), "connection_lost")
    # A new connection while the server is down: cannot connect.
    refused = load_error(engine)
    assert faults.describe(refused).kind in (faults.FaultKind.UNREACHABLE, faults.FaultKind.CONNECTION_LOST)
    port = url.rsplit(":", 1)[1].split("/")[0]
    _pg_ctl(folder, "-l", f"{folder}/log", "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {folder}", "start")
    engine.dispose()
    engine = make_engine(url)
    assert fingerprint(engine) == before
    engine.dispose()


@pytest.mark.postgres
def test_postgresql_messages(pg_url) -> None:
    closed = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/postgres"
    engine = make_engine(closed)
    with pytest.raises(Exception) as exc:  # noqa: PT011
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    assert faults.describe(exc.value).kind is faults.FaultKind.UNREACHABLE
    engine.dispose()
    engine = make_engine(pg_url)
    with pytest.raises(Exception) as exc:  # noqa: PT011
        with engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table_here"))
    assert faults.describe(exc.value).kind is faults.FaultKind.NOT_MIGRATED
    table = f"fault_probe_{os.getpid()}"
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {table} (code text PRIMARY KEY)"))
    try:  # two sessions want the same key: the second gives up after lock_timeout
        with engine.connect() as first, engine.connect() as second:
            first.execute(text(f"INSERT INTO {table} VALUES ('x')"))
            second.execute(text("SET lock_timeout = '200ms'"))
            with pytest.raises(Exception) as exc:  # noqa: PT011
                second.execute(text(f"INSERT INTO {table} VALUES ('x')"))
            first.rollback()
        assert faults.describe(exc.value).kind is faults.FaultKind.LOCKED
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {table}"))
        engine.dispose()


def test_unreachable_source_and_unexpected_errors() -> None:
    port = _free_port()
    with pytest.raises(httpx.HTTPError) as exc:
        httpx.get(f"http://127.0.0.1:{port}/rest/1.1/json?indicator=181", timeout=2)
    fault = faults.describe(exc.value)
    assert fault.kind is faults.FaultKind.SOURCE_UNREACHABLE and "?" not in fault.params["url"]
    assert f"127.0.0.1:{port}" in fault.message("sv")
    message = faults.one_line(RuntimeError(f"secret row {SECRET}"), "fi")
    assert message == t("faults.unexpected", "fi", name="RuntimeError") and str(SECRET) not in message


def test_every_fault_has_a_message_in_every_language() -> None:
    from kuntamittari.i18n import catalogue

    for kind in faults.FaultKind:
        for lang in ("fi", "sv", "en"):
            assert f"faults.{kind.value}" in catalogue(lang), (kind, lang)
    fi = {k for k in catalogue("fi") if k.startswith(("faults.", "valuecheck."))}
    for lang in ("sv", "en"):
        assert {k for k in catalogue(lang) if k.startswith(("faults.", "valuecheck."))} == fi, lang


def test_page_frame_shows_the_fault_line() -> None:
    """The page frame's guard shows the fault's line for a database fault, the generic one otherwise."""
    from streamlit.testing.v1 import AppTest

    script = (
        "import sqlite3\n"
        "from ui.frame import guarded\n"
        "with guarded('en'):\n"
        "    raise sqlite3.OperationalError('database is locked')\n"
    )
    at = AppTest.from_string(script).run(timeout=30)
    assert [e.value for e in at.error] == [t("faults.locked", "en")]


def test_lock_waits_for_a_short_holder(sqlite_db, monkeypatch) -> None:
    """Within LOAD_WAIT_SECONDS a load waits for the other writer instead of failing."""
    import datamodel.loaders.core as core

    monkeypatch.setattr(core, "LOAD_WAIT_SECONDS", 10)
    holder = sqlite3.connect(sqlite_db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
    timer.start()
    engine = make_engine(f"sqlite:///{sqlite_db}")
    small = big_release().head(30)
    result = load_observations(engine, small, META, BATCH, checksum="small")
    timer.join()
    holder.close()
    assert result.rows_inserted == 30
    engine.dispose()
