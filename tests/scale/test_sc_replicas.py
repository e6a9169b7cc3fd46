"""Two app replicas on one PostgreSQL, as deployed: `kuntamittari serve` twice (real processes),
the catalogue in the database, Chromium through Playwright.

- A draft saved on replica A's authoring page shows on replica B's overview (whose catalogue
  was cached before the save) at B's next rerun.
- Through nginx with the shipped configuration (deploy/nginx/): each browser sticks to one
  replica (route cookie, websocket included), and two browsers on two replicas editing one metric
  get exactly the refusal two sessions of one process get.

Sign-in is off (auth mode `none`): these tests are about the catalogue and the routing; signing
in across replicas is `test_sc_signin_replicas.py`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from datamodel.engine import make_engine
from kuntamittari.i18n import t
from metrics.catalogue_store import DatabaseMetricStore
from metrics.readiness import server_check, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.xdist_group("replicas")]

ROOT = Path(__file__).resolve().parents[2]
NGINX_DIR = ROOT / "deploy" / "nginx"
TIMEOUT_MS = 90_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def replicas(streamlit_server, replica_db: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Two `kuntamittari serve` processes on the one database (the catalogue in it)."""
    def env(name: str) -> dict[str, str]:
        return {"KUNTAMITTARI_DATABASE_URL": replica_db, "KUNTAMITTARI_CATALOGUE_SOURCE": "database",
                "KUNTAMITTARI_AUTH_MODE": "none", "KUNTAMITTARI_TEST_REPLICA": name}

    return streamlit_server("app.py", env=env("a"), cli=True), streamlit_server("app.py", env=env("b"), cli=True)


def _page(chromium: object, base: str | None = None):  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="fi-FI", base_url=base)  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return context, page


def _type(page: object, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)  # type: ignore[attr-defined]
    box.fill(value)
    box.press("Tab")
    page.wait_for_timeout(300)  # type: ignore[attr-defined]


def _wait_idle(page: object) -> None:
    """Until the app's script has finished its run (Streamlit marks it on the app root)."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()  # type: ignore[attr-defined]


def _open_in_form(page: object, mode_label: str, option: str) -> None:
    """On the authoring page: the full form's tab, copy/edit, the metric, and open it in the form."""
    page.get_by_role("tab", name=t("workshop.tab_full", "fi")).click()  # type: ignore[attr-defined]
    _wait_idle(page)
    page.get_by_text(mode_label, exact=True).click()  # type: ignore[attr-defined]
    _wait_idle(page)
    page.get_by_label("Mittari", exact=True).click()  # type: ignore[attr-defined]
    page.keyboard.type(option.strip("()"))  # type: ignore[attr-defined]  # the list is long: filter it
    page.get_by_role("option").filter(has_text=option).first.click()  # type: ignore[attr-defined]
    # the button's callback carries the choice of the run that drew it: wait until that rerun
    # has finished (a busy machine makes it slow to start; the opened message names the metric)
    page.wait_for_timeout(800)  # type: ignore[attr-defined]
    _wait_idle(page)
    page.get_by_role("button", name="Avaa lomakkeeseen").click()  # type: ignore[attr-defined]
    page.get_by_text(f"Lomakkeella on nyt mittari {option.strip('()')}").first.wait_for()  # type: ignore[attr-defined]
    _wait_idle(page)


def _screenshots(**pages: object) -> None:
    """Full-page screenshots of a failing test's pages (var/screenshots/, not committed)."""
    directory = ROOT / "var" / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    for name, page in pages.items():
        page.screenshot(path=str(directory / f"replicas-{name}.png"), full_page=True)  # type: ignore[attr-defined]
        print(f"screenshot: {directory / f'replicas-{name}.png'}")


def _overview_has(page: object, url: str, name: str) -> None:
    page.goto(f"{url}/?lang=fi&area=208")  # type: ignore[attr-defined]
    page.get_by_text("Näytä myös luonnokset").first.click()  # type: ignore[attr-defined]
    page.get_by_text(name).first.wait_for()  # type: ignore[attr-defined]


def test_draft_saved_on_one_replica_shows_on_the_other(replicas: tuple[str, str], chromium: object,
                                                       replica_db: str) -> None:
    a, b = replicas
    ctx_b, page_b = _page(chromium)
    ctx_a, page_a = _page(chromium)
    try:
        # B reads (and caches) the catalogue before the draft exists
        page_b.goto(f"{b}/?lang=fi&area=208")
        page_b.get_by_text("Näytä myös luonnokset").first.wait_for()
        page_a.goto(f"{a}/authoring?lang=fi")
        _open_in_form(page_a, "Kopioi olemassa oleva ja muokkaa", "(population)")
        _type(page_a, "Nimi (suomeksi)", "Väkiluku replikatesti")
        page_a.get_by_role("button", name="Tallenna luonnoksena").click()
        page_a.get_by_text("Tallennettu luonnoksena (population_kopio v1)").first.wait_for()
        _overview_has(page_b, b, "Väkiluku replikatesti")
    except Exception:
        _screenshots(page_a=page_a, page_b=page_b)
        raise
    finally:
        ctx_a.close()
        ctx_b.close()
    engine = make_engine(replica_db)
    try:
        assert "Väkiluku replikatesti" in DatabaseMetricStore(engine).open("population_kopio").text
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------- through nginx


def _nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def _nginx_config(directory: Path, port: int, a: str, b: str) -> Path:
    """The shipped maps, upstreams and locations, with the test's ports, in a minimal nginx.conf."""
    port_a, port_b = a.rsplit(":", 1)[1], b.rsplit(":", 1)[1]
    upstreams = (NGINX_DIR / "kuntamittari-upstreams.conf").read_text(encoding="utf-8")
    for shipped, ours in (("127.0.0.1:8501", f"127.0.0.1:{port_a}"), ("127.0.0.1:8502", f"127.0.0.1:{port_b}"),
                          ("127.0.0.1:8000", f"127.0.0.1:{_free_port()}")):
        assert shipped in upstreams
        upstreams = upstreams.replace(shipped, ours)
    (directory / "upstreams.conf").write_text(upstreams, encoding="utf-8")
    config = directory / "nginx.conf"
    config.write_text(f"""
pid {directory}/nginx.pid;
error_log {directory}/error.log;
daemon off;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {directory}/tmp; proxy_temp_path {directory}/tmp;
    fastcgi_temp_path {directory}/tmp; uwsgi_temp_path {directory}/tmp; scgi_temp_path {directory}/tmp;
    log_format route '$cookie_kuntamittari_route $upstream_addr $status $request_uri';
    access_log {directory}/access.log route;
    include {NGINX_DIR}/kuntamittari-maps.conf;
    include {directory}/upstreams.conf;
    server {{
        listen 127.0.0.1:{port};
        include {NGINX_DIR}/kuntamittari-locations.conf;
    }}
}}
""", encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def nginx(replicas: tuple[str, str]) -> Iterator[tuple[str, Path]]:
    """nginx (Debian's nginx-light, installed by scripts/test.sh) in front of the two replicas."""
    binary = _nginx_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("nginx not installed (apt-get install -y nginx-light)")
        pytest.skip("nginx not installed (apt-get install -y nginx-light)")
    directory = Path(tempfile.mkdtemp(prefix="kuntamittari-nginx-"))
    (directory / "tmp").mkdir()
    os.chmod(directory, 0o777)
    os.chmod(directory / "tmp", 0o777)
    port = _free_port()
    config = _nginx_config(directory, port, *replicas)
    check = subprocess.run([binary, "-t", "-c", str(config), "-p", str(directory)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([binary, "-c", str(config), "-p", str(directory)], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    if not wait_until(lambda: [server_check(url, 2)], 20, interval=0.2, gave_up=lambda: proc.poll() is not None)[0].ok:
        pytest.fail(f"nginx did not start: {(directory / 'error.log').read_text(errors='replace')[-2000:]}")
    try:
        yield url, directory / "access.log"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


def _log(access_log: Path) -> list[tuple[str, str, str, str]]:
    rows = []
    for line in access_log.read_text(encoding="utf-8").splitlines():
        parts = line.split(" ", 3)
        if len(parts) == 4:
            rows.append((parts[0], parts[1], parts[2], parts[3]))
    return rows


def _logged(access_log: Path, wanted: Callable[[tuple[str, str, str, str]], bool], seconds: float = 15) -> list[tuple[str, str, str, str]]:
    """The access log's rows that `wanted` picks, once there is one: nginx writes a request's line
    after it has answered it (a websocket's when it closes), so the line can come just after."""
    deadline = time.monotonic() + seconds
    while not (rows := [r for r in _log(access_log) if wanted(r)]):
        assert time.monotonic() < deadline, "the request is not in nginx's access log"
        time.sleep(0.1)
    return rows


def _routes_to_each_replica(url: str, access_log: Path, replicas: tuple[str, str]) -> dict[str, str]:
    """Route cookie values that the shipped hash sends to replica A and to replica B."""
    found: dict[str, str] = {}
    for n in range(64):
        value = f"probe{n}"
        request = urllib.request.Request(f"{url}/", headers={"Cookie": f"kuntamittari_route={value}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
        upstream = _logged(access_log, lambda row: row[0] == value)[-1][1]  # noqa: B023 - used at once
        which = "a" if upstream == replicas[0].removeprefix("http://") else "b"
        found.setdefault(which, value)
        if len(found) == 2:
            return found
    raise AssertionError(f"64 route values all went to one replica: {found}")


def test_nginx_sets_a_route_cookie_and_keeps_each_browser_on_one_replica(
        nginx: tuple[str, Path], replicas: tuple[str, str], chromium: object) -> None:
    url, access_log = nginx
    with urllib.request.urlopen(f"{url}/", timeout=10) as response:
        cookie = response.headers.get("Set-Cookie", "")
    assert cookie.startswith("kuntamittari_route=") and "HttpOnly" in cookie
    context, page = _page(chromium)
    try:
        page.goto(f"{url}/?lang=fi&area=208")
        page.get_by_text("Näytä myös luonnokset").first.wait_for()
        route = next(c["value"] for c in context.cookies() if c["name"] == "kuntamittari_route")
    finally:
        context.close()
    stream = _logged(access_log, lambda row: row[0] == route and row[3].startswith("/_stcore/stream"))
    served = {up for c, up, _s, _u in _log(access_log) if c == route}
    assert len(served) == 1 and served <= {r.removeprefix("http://") for r in replicas}
    assert stream and stream[0][2] == "101"  # the websocket went through, to that same replica


def test_two_browsers_on_two_replicas_editing_one_metric_second_refused(
        nginx: tuple[str, Path], replicas: tuple[str, str], chromium: object, replica_db: str) -> None:
    url, access_log = nginx
    routes = _routes_to_each_replica(url, access_log, replicas)
    pages = {}
    try:
        for name in ("a", "b"):
            context, page = _page(chromium)
            context.add_cookies([{"name": "kuntamittari_route", "value": routes[name], "url": url}])
            pages[name] = (context, page)
            page.goto(f"{url}/authoring?lang=fi")
            _open_in_form(page, "Muokkaa olemassa olevaa", "(voter_turnout)")
            _type(page, "Vastuuhenkilö", f"Replika {name.upper()}")
        pages["a"][1].get_by_role("button", name="Tallenna luonnoksena").click()
        pages["a"][1].get_by_text("Tallennettu luonnoksena (voter_turnout v2)").first.wait_for()
        pages["b"][1].get_by_role("button", name="Tallenna luonnoksena").click()
        pages["b"][1].get_by_text("Joku muu tallensi mittarin voter_turnout").first.wait_for()
    finally:
        for context, _page_ in pages.values():
            context.close()
    served = {name: {up for c, up, _s, _u in _log(access_log) if c == routes[name]} for name in routes}
    assert served["a"] == {replicas[0].removeprefix("http://")} and served["b"] == {replicas[1].removeprefix("http://")}
    engine = make_engine(replica_db)
    try:
        store = DatabaseMetricStore(engine)
        assert "Replika A" in store.open("voter_turnout").text
        conflict = next(h for h in store.history("voter_turnout") if h.kind == "conflict")
        assert "Replika B" in store.read_version("voter_turnout", conflict.version)
    finally:
        engine.dispose()


def test_a_replica_is_one_bounded_streamlit_process(replicas: tuple[str, str]) -> None:
    """`kuntamittari serve` replaced itself with the Streamlit server (no launcher holding its
    imports) and passed on the memory bounds of the settings' defaults."""
    import psutil

    for url in replicas:
        port = int(url.rsplit(":", 1)[1])
        pid = next(c.pid for c in psutil.net_connections(kind="tcp")
                   if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port)
        server = psutil.Process(pid)
        command = server.cmdline()
        assert command[1:4] == ["-m", "streamlit", "run"]
        assert command[command.index("--server.maxCacheDataSize") + 1] == "128mb"
        assert server.environ().get("MALLOC_ARENA_MAX") == "2"
        assert server.ppid() == os.getpid()  # started by this test process: no launcher in between
