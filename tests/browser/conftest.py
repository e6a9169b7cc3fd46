"""Real-browser fixtures: a Streamlit server on a free port and headless Debian Chromium.

Reusable by every engineer's browser tests:

    def test_x(streamlit_server, browser_page, app_db_url):
        url = streamlit_server("app.py", env={"KUNTAMITTARI_DATABASE_URL": app_db_url})
        browser_page.goto(f"{url}/overview?lang=sv")

`streamlit_server(script, env=..., args=...)` starts `streamlit run <script>` once per distinct
(script, env, args) for the session and returns its base URL; the servers stop at session end.
The server gets auth mode `none` unless `env` says otherwise. Chromium is /usr/bin/chromium
(never `playwright install`: no downloads here); screenshots go to var/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("KUNTAMITTARI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = ROOT / "var" / "screenshots"
STARTUP_TIMEOUT = 60.0

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"streamlit did not answer within {STARTUP_TIMEOUT:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="session")
def app_db_url(bundled_engine: Engine) -> str:
    """URL of the session's prepared database (bundled Sotkanet data, read-only)."""
    return bundled_engine.url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., str]]:
    """Factory: `streamlit_server(script="app.py", env=None, args=()) -> base URL` (reused per config)."""
    running: dict[tuple, tuple[subprocess.Popen[bytes], str]] = {}
    logs = tmp_path_factory.mktemp("streamlit-logs")

    def start(script: str = "app.py", env: dict[str, str] | None = None, args: tuple[str, ...] = ()) -> str:
        key = (script, tuple(sorted((env or {}).items())), tuple(args))
        if key in running:
            return running[key][1]
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        full_env = {**os.environ, "KUNTAMITTARI_AUTH_MODE": "none", **(env or {})}
        full_env.setdefault("PYTHONUNBUFFERED", "1")
        log = logs / f"server-{port}.log"
        cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / script),
               "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *args]
        with log.open("wb") as out:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
        running[key] = (proc, url)
        _wait_healthy(url, proc, log)
        return url

    yield start
    for proc, _url in running.values():
        proc.terminate()
    for proc, _url in running.values():
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


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
