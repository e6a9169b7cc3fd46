"""The authoring path in a real browser (Debian Chromium via Playwright), through app.py.

Starts `streamlit run app.py` on a free port with a temporary copy of the metric directory and of
the bundled database (open access: KUNTAMITTARI_AUTH_MODE=none), opens the "Uusi mittari" page,
defines the ratio in-migrants / population x 1000 by typing and picking from the searched series
lists, waits for the live file and the preview chart, saves, and checks the draft file on disk.
The deep link is the server's first request, so Streamlit runs the page alone first: this also
guards the fix that keeps typed values and the default metric kind across that first rerun.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("authoring_browser")]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 60_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(bundled_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A Streamlit server on copies of the metric directory and the database; (url, metrics dir)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not installed (apt-get install -y chromium)")
    tmp = tmp_path_factory.mktemp("authoring-server")
    metrics = tmp / "metrics" / "definitions"
    shutil.copytree(ROOT / "metrics" / "definitions", metrics)
    db = tmp / "db.sqlite"
    shutil.copyfile(bundled_engine.url.database, db)  # type: ignore[arg-type]
    port = _free_port()
    env = dict(os.environ)
    env.update(
        KUNTAMITTARI_DATABASE_URL=f"sqlite:///{db}",
        KUNTAMITTARI_METRICS_DIR=str(metrics),
        KUNTAMITTARI_AUTH_MODE="none",
    )
    env.pop("KUNTAMITTARI_PUBLIC_ONLY", None)
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
        "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
    ]
    log_path = tmp / "server.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"server did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.3)
        yield url, metrics
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _type(page: object, label: str, text: str) -> None:
    """Fill a text input or area and leave it, so Streamlit commits the value."""
    box = page.get_by_label(label, exact=True)  # type: ignore[attr-defined]
    box.fill(text)
    box.press("Tab")
    page.wait_for_timeout(300)  # type: ignore[attr-defined]


def _choose(page: object, label: str, option_text: str) -> None:
    """Open a selectbox by its label and click the option containing `option_text`."""
    page.get_by_label(label, exact=True).click()  # type: ignore[attr-defined]
    page.get_by_role("option").filter(has_text=option_text).first.click()  # type: ignore[attr-defined]
    page.wait_for_timeout(300)  # type: ignore[attr-defined]


def test_define_ratio_metric_in_browser_and_save_draft(server: tuple[str, Path], browser: object) -> None:
    url, metrics = server
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fi-FI")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{url}/authoring?lang=fi")
        page.get_by_role("heading", name="Uusi mittari").first.wait_for()
        _type(page, "Nimi (suomeksi)", "Tulomuuttajat tuhatta asukasta kohti")
        _type(page, "Tunnus", "tulomuutto_1000")
        _type(page, "Kuvaus (suomeksi)", "Kuntaan muuttaneet suhteessa väestöön.")
        _choose(page, "Teema", "Elinympäristö ja turvallisuus")
        _type(page, "Hae aikasarjaa nimellä: Osoittaja", "tulomuut")
        _choose(page, "Osoittaja", "sotkanet:3196")
        _type(page, "Hae aikasarjaa nimellä: Nimittäjä", "väestö 31")
        _choose(page, "Nimittäjä", "sotkanet:127")
        _type(page, "Kerroin", "1000")
        _type(page, "Yksikkö (suomeksi)", "/ 1000 asukasta")
        _choose(page, "Suunta", "suurempi on parempi")
        page.get_by_text("Lomake on kunnossa ja mittarin voi tallentaa.").wait_for()
        page.get_by_text("numerator: sotkanet:3196").first.wait_for()
        page.locator('[data-testid="stVegaLiteChart"] svg').first.wait_for()
        page.get_by_role("button", name="Tallenna luonnoksena").click()
        page.get_by_text("Tallennettu luonnoksena").first.wait_for()
    except Exception:
        shot = metrics.parent / "failure.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failing page: {shot}")
        raise
    finally:
        context.close()
    saved = metrics / "living_environment_safety" / "tulomuutto_1000.yaml"
    assert saved.is_file()
    text = saved.read_text(encoding="utf-8")
    assert "status: draft" in text and "denominator: sotkanet:127" in text and "scale: 1000" in text
