"""Shared fixtures (see docs/contracts.md): a real PostgreSQL, per-test databases on both backends,
and a session-wide SQLite database with the bundled Sotkanet data.

Safe under pytest-xdist: each worker starts its own PostgreSQL on a free port; the bundled
SQLite file is built once per run under a file lock and then only read.

Browser tests (any directory) use `streamlit_server`, `public_app_url`, `chromium`, `browser_page`,
`app_db_url` and `screenshot_dir`, defined at the end of this file:

    def test_x(streamlit_server, browser_page, app_db_url):
        url = streamlit_server("app.py", env={"KUNTAMITTARI_DATABASE_URL": app_db_url})
        browser_page.goto(f"{url}/overview?lang=sv")
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from datamodel.bootstrap import ensure_database, forget, upgrade
from datamodel.engine import make_engine

ROOT = Path(__file__).resolve().parent.parent
PROJECT_ROOT = ROOT

# The suite's pages, stores and commands read metric files (tests copy and edit them); the
# catalogue in the warehouse (the production default) is tested with the setting set explicitly
# (tests/scale/). Set before any settings are read, and inherited by the servers tests start.
os.environ["KUNTAMITTARI_CATALOGUE_SOURCE"] = "directory"
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
def new_pg_database(pg_url: str) -> Callable[..., str]:
    """Make a fresh PostgreSQL database on the session's server (optionally a copy of a template
    database); returns its URL. One way for every test module that needs a database of its own."""
    return functools.partial(_pg_database, pg_url)


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


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Point the settings at test values for one test (an AppTest page reads them when it runs):
    `settings_env(DATABASE_URL=url, AUTH_MODE="none", PUBLIC_ONLY=None)` sets `KUNTAMITTARI_*`
    variables (None removes one); all are restored and the settings re-read afterwards."""
    from kuntamittari.settings import get_settings

    def use(**values: object) -> None:
        for key, value in values.items():
            if value is None:
                monkeypatch.delenv(f"KUNTAMITTARI_{key}", raising=False)
            else:
                monkeypatch.setenv(f"KUNTAMITTARI_{key}", str(value))
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


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


# ---------------------------------------------------------------------------- browser tests
# A Streamlit server on a free port and headless Debian Chromium (never `playwright install`).

CHROMIUM = os.environ.get("KUNTAMITTARI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"
STARTUP_TIMEOUT = 60.0


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    from metrics.readiness import server_check, wait_until

    if wait_until(lambda: [server_check(url, 2)], STARTUP_TIMEOUT, interval=0.2, gave_up=lambda: proc.poll() is not None)[0].ok:
        return
    if proc.poll() is not None:
        raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
    raise RuntimeError(f"streamlit did not answer within {STARTUP_TIMEOUT:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="session")
def app_db_url(bundled_engine: Engine) -> str:
    """URL of the session's prepared database (bundled Sotkanet data, read-only)."""
    return bundled_engine.url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def private_app_env(bundled_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """AppTest set-up on a private copy of the bundled database with open access (auth mode
    `none`), for a test module whose pages may write (usage counters, saved choices) without
    touching the session's shared database. Yields the copy's path; restored after the module."""
    from kuntamittari.settings import get_settings

    db = tmp_path_factory.mktemp("app-db") / "db.sqlite"
    shutil.copyfile(bundled_engine.url.database, db)  # type: ignore[arg-type]
    patch = pytest.MonkeyPatch()
    patch.setenv("KUNTAMITTARI_DATABASE_URL", f"sqlite:///{db}")
    patch.setenv("KUNTAMITTARI_AUTH_MODE", "none")
    get_settings.cache_clear()
    yield db
    patch.undo()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., str]]:
    """Factory: `streamlit_server(script="app.py", env=None, args=(), cli=False) -> base URL`.

    One server per distinct configuration for the session. `cli=True` starts it the way users do,
    `kuntamittari serve --port N *args` (e.g. `args=("--public",)`), instead of `streamlit run`.
    Auth mode is `none` unless `env` says otherwise. Each server runs in its own process group,
    so the Streamlit child of `kuntamittari serve` stops with it.
    """
    running: dict[tuple, tuple[subprocess.Popen[bytes], str]] = {}
    logs = tmp_path_factory.mktemp("streamlit-logs")

    def start(script: str = "app.py", env: dict[str, str] | None = None, args: tuple[str, ...] = (),
              cli: bool = False) -> str:
        key = (script, tuple(sorted((env or {}).items())), tuple(args), cli)
        if key in running:
            return running[key][1]
        if not Path(CHROMIUM).exists():
            if os.environ.get("CI"):
                pytest.fail(f"Chromium not installed at {CHROMIUM} (apt-get install -y chromium)")
            pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install -y chromium)")
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        full_env = {**os.environ, "KUNTAMITTARI_AUTH_MODE": "none", **(env or {})}
        full_env.pop("KUNTAMITTARI_PUBLIC_ONLY", None)
        full_env.setdefault("PYTHONUNBUFFERED", "1")
        log = logs / f"server-{port}.log"
        if cli:
            cmd = [sys.executable, "-m", "cli", "serve", "--port", str(port), *args]
        else:
            cmd = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / script),
                   "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
                   "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *args]
        with log.open("wb") as out:
            proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        running[key] = (proc, url)
        _wait_healthy(url, proc, log)
        return url

    yield start
    for proc, _url in running.values():
        _stop_group(proc, signal.SIGTERM)
    for proc, _url in running.values():
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _stop_group(proc, signal.SIGKILL)


def _stop_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="session")
def public_app_url(streamlit_server, bundled_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> str:  # type: ignore[no-untyped-def]
    """`kuntamittari serve --public` on the bundled data, local sign-in with no users (nobody can
    sign in): the public app as deployed. Session-wide, so the browser test modules that use it
    share one server per worker."""
    tmp = tmp_path_factory.mktemp("public-server")
    env = {"KUNTAMITTARI_DATABASE_URL": bundled_engine.url.render_as_string(hide_password=False),
           "KUNTAMITTARI_AUTH_MODE": "local", "KUNTAMITTARI_USERS_FILE": str(tmp / "no-users.toml")}
    return streamlit_server(env=env, args=("--public",), cli=True)


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """One headless Chromium per test module (skipped when the binary is missing outside CI).

    Module scope on purpose: Playwright's sync API allows one running instance per thread, so a
    module that starts its own `sync_playwright()` must not overlap with a session-wide one.
    """
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
        pytest.skip("Chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium: object) -> Iterator[object]:
    """A fresh page in its own context (1366x900, fi-FI), closed after the test."""
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="fi-FI")  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """var/screenshots/ (test artefacts; not committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
