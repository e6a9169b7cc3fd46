"""Fixtures of the API tests: `kuntamittari serve-api` as a real process on 127.0.0.1, called with httpx.

Two servers per test module at most: one on the bundled Sotkanet data, one on the migration star
of `tests/disclosure/dc_star.py` (small counts, a draft metric). Tokens are made with the real
generator; the servers know only their hashes (KUNTAMITTARI_API_TOKENS).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from accounts.tokens import new_token
from datamodel.engine import make_engine

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "disclosure"))

from dc_star import DEFINITIONS, MIGRATION_METRICS, fill_migration_star  # noqa: E402

STARTUP_TIMEOUT = 120.0
DRAFT_ID = "in_migrants_draft"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def tokens() -> dict[str, str]:
    """role -> a fresh token (only the hashes go to the servers)."""
    return {role: new_token(role)[0] for role in ("viewer", "author")}


def _token_setting(tokens: dict[str, str]) -> str:
    from accounts.tokens import token_hash

    return json.dumps({token_hash(token): role for role, token in tokens.items()})


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory, tokens: dict[str, str]) -> Iterator[Callable[..., str]]:
    """Factory: `api_server(db_url, metrics_dir=None, env=None) -> base URL` of `kuntamittari serve-api`
    (`env`: more settings for the server process)."""
    running: list[subprocess.Popen[bytes]] = []
    logs = tmp_path_factory.mktemp("api-logs")

    def start(db_url: str, metrics_dir: Path | None = None, env: dict[str, str] | None = None) -> str:
        port = _free_port()
        settings = {**os.environ, "KUNTAMITTARI_DATABASE_URL": db_url, "KUNTAMITTARI_API_TOKENS": _token_setting(tokens),
                    "PYTHONUNBUFFERED": "1", **(env or {})}
        if metrics_dir is not None:
            settings["KUNTAMITTARI_METRICS_DIR"] = str(metrics_dir)
        log = logs / f"api-{port}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "cli", "serve-api", "--port", str(port)], cwd=ROOT, env=settings,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        running.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"serve-api exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=5).status_code == 200:
                    return url
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"serve-api did not answer within {STARTUP_TIMEOUT:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")

    yield start
    for proc in running:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def bundled_api(api_server: Callable[..., str], bundled_engine: Engine) -> str:
    """The API on the session's bundled database (read-only)."""
    return api_server(bundled_engine.url.render_as_string(hide_password=False))


@pytest.fixture(scope="module")
def star_db(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[Engine]:
    """The migration star of tests/disclosure in its own SQLite file, for one module."""
    path = tmp_path_factory.mktemp("api-star") / "star.sqlite"
    shutil.copyfile(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    fill_migration_star(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def star_metrics(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped migration metrics, plus a draft copy of in_migrants (an internal metric)."""
    root = tmp_path_factory.mktemp("api-star-metrics") / "definitions"
    directory = root / "economy_services"
    directory.mkdir(parents=True)
    for name in MIGRATION_METRICS:
        shutil.copyfile(DEFINITIONS / f"{name}.yaml", directory / f"{name}.yaml")
    text = (DEFINITIONS / "in_migrants.yaml").read_text(encoding="utf-8")
    draft = text.replace("id: in_migrants", f"id: {DRAFT_ID}").replace("status: approved", "status: draft")
    assert f"id: {DRAFT_ID}" in draft and "status: draft" in draft
    (directory / f"{DRAFT_ID}.yaml").write_text(draft, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def draft_id() -> str:
    """The id of the draft metric in `star_metrics`."""
    return DRAFT_ID


@pytest.fixture(scope="module")
def star_api(api_server: Callable[..., str], star_db: Engine, star_metrics: Path) -> str:
    return api_server(star_db.url.render_as_string(hide_password=False), star_metrics)
