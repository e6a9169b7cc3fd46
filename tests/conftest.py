"""Shared fixtures (see docs/contracts.md): a real PostgreSQL, per-test databases on both backends,
and a session-wide SQLite database with the bundled Sotkanet data.

Safe under pytest-xdist: each worker starts its own PostgreSQL on a free port; the bundled
SQLite file is built once per run under a file lock and then only read.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from datamodel.bootstrap import ensure_database, forget, upgrade
from datamodel.engine import make_engine

ROOT = Path(__file__).resolve().parent.parent
PG_SCRIPT = ROOT / "scripts" / "pg_test_server.sh"
PG_ENV = "KUNTAMITTARI_TEST_PG_URL"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_binaries_present() -> bool:
    return any(Path("/usr/lib/postgresql").glob("*/bin/initdb")) or bool(os.environ.get("PG_BIN"))


def _shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory shared by all xdist workers of this run (the run's own dir without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a real PostgreSQL for this session (KUNTAMITTARI_TEST_PG_URL, or one started here)."""
    if os.environ.get(PG_ENV):
        yield os.environ[PG_ENV]
        return
    if not _pg_binaries_present():
        message = "PostgreSQL binaries not found (apt-get install -y postgresql, or set KUNTAMITTARI_TEST_PG_URL)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    directory = tempfile.mkdtemp(prefix="kuntamittari-pg-")
    proc = subprocess.run(
        [str(PG_SCRIPT), "start", directory, str(_free_port())], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        pytest.fail(f"could not start PostgreSQL: {proc.stderr.strip()[-500:]}")
    try:
        yield proc.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(PG_SCRIPT), "stop", directory], capture_output=True, check=False)
        shutil.rmtree(directory, ignore_errors=True)


def _pg_database(pg_url: str, template: str | None = None) -> str:
    """Create a fresh database on the server of `pg_url` (optionally from a template); its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        suffix = f" TEMPLATE {template}" if template else ""
        conn.execute(text(f"CREATE DATABASE {name}{suffix}"))
    admin.dispose()
    return pg_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def _pg_template(pg_url: str) -> str:
    """A migrated database used as the template of every test's PostgreSQL database."""
    url = _pg_database(pg_url)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url.rsplit("/", 1)[1]


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database migrated to head (tables empty), on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "test.sqlite"
        shutil.copyfile(template, path)
        url = f"sqlite:///{path}"
    else:
        pg = request.getfixturevalue("pg_url")
        url = _pg_database(pg, template=request.getfixturevalue("_pg_template"))
    yield url
    forget()


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    """An engine on `db_url`, disposed after the test."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all (migration tests)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}"
    return _pg_database(request.getfixturevalue("pg_url"))


@pytest.fixture(scope="session")
def bundled_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """Session-wide SQLite database: migrations + areas + bundled Sotkanet data. Read-only."""
    shared = _shared_dir(tmp_path_factory)
    path = shared / "bundled.sqlite"
    done = shared / "bundled.ready"
    with open(shared / "bundled.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():
                engine = make_engine(f"sqlite:///{path}")
                ensure_database(engine)
                with engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                engine.dispose()
                done.write_text("ok")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()
