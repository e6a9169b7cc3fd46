"""Load figures: N concurrent sessions against the app, N HTTP clients against the API and the
static public site, all on 127.0.0.1. Prints figures; asserts nothing.

Every part is optional and skipped when its target is not given; every run is bounded (at most
MAX_CONCURRENCY clients at a time, MAX_SESSIONS sessions, a timeout per session).

    # the app already running (one URL per replica, sessions round-robin), 10/25/50 at a time:
    python benchmarks/bench_load.py --app http://127.0.0.1:8501 --levels 10,25,50
    # start 1 and then 2 replicas on a prepared database (`kuntamittari init --db ...`) itself:
    python benchmarks/bench_load.py --db postgresql+psycopg://... --replicas 1,2 --levels 10,25,50
    # the API (a base URL and paths) and the static site (a directory served here, or a URL):
    python benchmarks/bench_load.py --api http://127.0.0.1:8000 --api-path /api/v1/areas \
        --static site/ --levels 10,50
    # light protocol-level app sessions (Streamlit's own websocket messages, no browser):
    python benchmarks/bench_load.py --app http://127.0.0.1:8501 --client ws --levels 50 --rounds 2

An app session is a fresh Playwright context in Debian Chromium (own cookies, own websocket)
opening the public municipal summary (`/public_summary?area=..&lang=..`, rotating municipalities
and languages); its time to content is until the first data table (`table.km-table`) is
visible. An HTTP client GETs its paths one after another; time to content is the whole body.
Server memory is the RSS (psutil) of the processes listening on the targets' ports: before,
the peak while the clients run, and `--settle` seconds after the last one closed (what a
server keeps after its visitors have left).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import itertools
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
MAX_CONCURRENCY = 100
MAX_SESSIONS = 1000
CHROMIUM = os.environ.get("KUNTAMITTARI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LANGS = ("fi", "sv", "en")


@dataclass
class Outcome:
    ok: bool
    seconds: float | None = None
    error: str = ""


@dataclass
class Figures:
    """One run: outcomes and server RSS (MB) before, at peak, and after the sessions closed."""

    label: str
    outcomes: list[Outcome] = field(default_factory=list)
    rss_before: float = 0.0
    rss_peak: float = 0.0
    rss_after: float = 0.0
    wall: float = 0.0

    def line(self) -> str:
        times = sorted(o.seconds for o in self.outcomes if o.ok and o.seconds is not None)
        ok = len(times)
        med = statistics.median(times) if times else float("nan")
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))] if times else float("nan")
        errors = sorted({o.error for o in self.outcomes if not o.ok})[:3]
        return (f"{self.label:<28} ok {ok:>3}/{len(self.outcomes):<3} median {med:6.2f} s  p95 {p95:6.2f} s  "
                f"wall {self.wall:6.1f} s  RSS MB before {self.rss_before:6.0f} peak {self.rss_peak:6.0f} "
                f"after {self.rss_after:6.0f}  load {os.getloadavg()[0]:.0f}" + (f"  errors: {errors}" if errors else ""))


# ---------------------------------------------------------------------------- targets and memory


def loopback(url: str) -> str:
    """Refuse anything but this machine: the script must never load someone else's server."""
    host = urlparse(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing {url}: only 127.0.0.1 / localhost targets are allowed")
    return url.rstrip("/")


def municipalities() -> list[str]:
    with open(ROOT / "datamodel" / "data" / "sotkanet-2013" / "areas.csv", encoding="utf-8") as handle:
        return [row["municipality_code"] for row in csv.DictReader(handle)]


def session_targets(urls: Sequence[str], areas: Sequence[str]) -> Iterator[tuple[str, str, str]]:
    """(base URL, area, language) per session: round-robin URLs, rotating areas and languages."""
    for n in itertools.count():
        yield urls[n % len(urls)], areas[n % len(areas)], LANGS[(n // len(areas)) % len(LANGS)]


def listening_pids(urls: Sequence[str]) -> list[int]:
    """The processes listening on the URLs' ports (the Streamlit servers)."""
    import psutil

    ports = {urlparse(u).port for u in urls}
    return sorted({c.pid for c in psutil.net_connections(kind="tcp")
                   if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port in ports and c.pid})


def rss_mb(pids: Sequence[int]) -> float:
    import psutil

    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


class PeakSampler:
    """Samples the RSS of `pids` every half second in a thread; `peak` is the highest sum seen."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids, self.peak, self._stop = list(pids), 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pids))
            self._stop.wait(0.5)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb(self.pids))


# ---------------------------------------------------------------------------- clients


async def ws_session(base: str, area: str, lang: str, timeout: float) -> Outcome:
    """One session the way the browser opens it: the websocket, one rerun request, the answer."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    started = time.perf_counter()
    request = BackMsg()
    request.rerun_script.page_name = "public_summary"
    request.rerun_script.query_string = f"area={area}&lang={lang}"
    try:
        async with asyncio.timeout(timeout):
            async with websockets.connect(base.replace("http", "ws", 1) + "/_stcore/stream", origin=base,
                                          subprotocols=["streamlit"], max_size=None) as ws:
                await ws.send(request.SerializeToString())
                async for raw in ws:
                    message = ForwardMsg()
                    message.ParseFromString(raw)
                    element = message.delta.new_element if message.WhichOneof("type") == "delta" else None
                    if element is not None and element.WhichOneof("type") == "html" and "<table" in element.html.body:
                        return Outcome(True, time.perf_counter() - started)
                    if (message.WhichOneof("type") == "script_finished"
                            and message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY):
                        return Outcome(False, error="finished without a table")
    except TimeoutError:
        return Outcome(False, error="timeout")
    except (OSError, websockets.WebSocketException) as exc:
        return Outcome(False, error=type(exc).__name__)
    return Outcome(False, error="closed")


async def bounded(jobs: Sequence[Callable[[], Awaitable[Outcome]]], concurrency: int) -> list[Outcome]:
    gate = asyncio.Semaphore(concurrency)

    async def run(job: Callable[[], Awaitable[Outcome]]) -> Outcome:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(run(job) for job in jobs)))


async def run_ws(urls: Sequence[str], areas: Sequence[str], sessions: int, concurrency: int,
                 timeout: float) -> list[Outcome]:
    targets = itertools.islice(session_targets(urls, areas), sessions)
    jobs = [lambda t=t: ws_session(t[0], t[1], t[2], timeout) for t in targets]
    return await bounded(jobs, concurrency)


async def run_browser(urls: Sequence[str], areas: Sequence[str], sessions: int, concurrency: int,
                      timeout: float) -> list[Outcome]:
    """Each session: a fresh browser context (own cookies, own websocket), the page, its table."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)

        async def visit(base: str, area: str, lang: str) -> Outcome:
            context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale=f"{lang}-FI")
            try:
                page = await context.new_page()
                started = time.perf_counter()
                await page.goto(f"{base}/public_summary?area={area}&lang={lang}", timeout=timeout * 1000)
                await page.locator("table.km-table").first.wait_for(timeout=timeout * 1000)
                return Outcome(True, time.perf_counter() - started)
            except PlaywrightError as exc:
                return Outcome(False, error=type(exc).__name__)
            finally:
                await context.close()

        targets = itertools.islice(session_targets(urls, areas), sessions)
        jobs = [lambda t=t: visit(*t) for t in targets]
        try:
            return await bounded(jobs, concurrency)
        finally:
            await browser.close()


async def run_http(urls: Sequence[str], paths: Sequence[str], requests: int, concurrency: int,
                   timeout: float) -> list[Outcome]:
    """Plain GETs (the API, a static site): time to the whole body, 2xx counts as success."""
    import httpx

    async with httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=concurrency)) as client:
        async def get(url: str) -> Outcome:
            started = time.perf_counter()
            try:
                response = await client.get(url)
                await response.aread()
            except httpx.HTTPError as exc:
                return Outcome(False, error=type(exc).__name__)
            if response.is_success:
                return Outcome(True, time.perf_counter() - started)
            return Outcome(False, error=f"HTTP {response.status_code}")

        targets = [f"{u}{p}" for u, p in itertools.islice(itertools.cycle(itertools.product(urls, paths)), requests)]
        return await bounded([lambda t=t: get(t) for t in targets], concurrency)


def measure(label: str, pids: Sequence[int], settle: float, work: Callable[[], Awaitable[list[Outcome]]]) -> Figures:
    """Run `work` while sampling server memory; RSS again `settle` seconds after it ended."""
    figures = Figures(label, rss_before=rss_mb(pids))
    started = time.perf_counter()
    with PeakSampler(pids) as sampler:
        figures.outcomes = asyncio.run(work())
    figures.wall = time.perf_counter() - started
    figures.rss_peak = sampler.peak
    time.sleep(settle)
    figures.rss_after = rss_mb(pids)
    return figures


# ---------------------------------------------------------------------------- replicas for the matrix


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_replicas(count: int, db_url: str, log_dir: Path) -> list[tuple[subprocess.Popen[bytes], str]]:
    """`kuntamittari serve` `count` times on `db_url` (catalogue in the database), each ready."""
    from metrics.readiness import server_check, wait_until

    env = {**os.environ, "KUNTAMITTARI_DATABASE_URL": db_url, "KUNTAMITTARI_CATALOGUE_SOURCE": "database",
           "KUNTAMITTARI_AUTH_MODE": "none", "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"}
    started = []
    for _ in range(count):
        port = _free_port()
        log = (log_dir / f"replica-{port}.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        started.append((proc, f"http://127.0.0.1:{port}"))
    for proc, url in started:
        ready = wait_until(lambda: [server_check(url, 2)], 120, interval=0.3, gave_up=lambda: proc.poll() is not None)  # noqa: B023 - called before the loop moves on
        if not ready[0].ok:
            raise SystemExit(f"replica {url} did not start; see {log_dir}")
    return started


def stop_replicas(started: Sequence[tuple[subprocess.Popen[bytes], str]]) -> None:
    import signal

    for proc, _url in started:
        os.killpg(proc.pid, signal.SIGTERM)
    for proc, _url in started:
        proc.wait(timeout=30)


def app_levels(label: str, urls: Sequence[str], args: argparse.Namespace, areas: Sequence[str]) -> None:
    """A warm-up session per replica (imports, first queries), then every level in turn."""
    runner = run_browser if args.client == "browser" else run_ws
    pids = listening_pids(urls)
    warm = measure(f"{label}: warm-up", pids, 0, lambda: runner(urls, areas[:len(urls)], len(urls), len(urls),
                                                                 args.timeout))
    print(warm.line(), flush=True)
    for level in args.levels:
        figures = measure(f"{label}: {level} sessions", pids, args.settle,
                          lambda level=level: runner(urls, areas, level * args.rounds, level, args.timeout))
        print(figures.line(), flush=True)


def http_levels(label: str, base: str, paths: Sequence[str], args: argparse.Namespace) -> None:
    """N clients at a time, `--requests` GETs each, over `paths` in turn."""
    pids = listening_pids([base])
    for level in args.levels:
        figures = measure(f"{label}: {level} clients", pids, args.settle,
                          lambda level=level: run_http([base], paths, level * args.requests, level, args.timeout))
        print(figures.line(), flush=True)


def serve_directory(directory: Path, log_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A plain web server (`python -m http.server`) on `directory`: no Python of ours behind it."""
    import urllib.request

    port = _free_port()
    log = (log_dir / f"static-{port}.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                             "--directory", str(directory)], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"static server on {directory} did not start")


def static_paths(directory: Path, limit: int = 200) -> list[str]:
    """The site's pages (HTML files, up to `limit`, index first) as URL paths."""
    pages = sorted(directory.rglob("*.html"), key=lambda p: (p.name != "index.html", str(p)))[:limit]
    if not pages:
        raise SystemExit(f"no .html files under {directory}")
    return ["/" + page.relative_to(directory).as_posix() for page in pages]


def _areas(spec: str) -> list[str]:
    if spec == "all":
        return municipalities()
    if spec == "pilot":
        from kuntamittari.settings import PILOT_MUNICIPALITIES

        return list(PILOT_MUNICIPALITIES)
    return [code.strip() for code in spec.split(",") if code.strip()]


def _ints(spec: str) -> list[int]:
    return [int(x) for x in spec.split(",") if x.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app", action="append", default=[], help="A running app's base URL (repeatable: replicas).")
    parser.add_argument("--db", help="Start replicas of the app on this prepared database (instead of --app).")
    parser.add_argument("--replicas", type=_ints, default=[1, 2], help="With --db: replica counts in turn (1,2).")
    parser.add_argument("--client", choices=("browser", "ws"), default="browser", help="App session client.")
    parser.add_argument("--api", help="The API's base URL; no API part without it.")
    parser.add_argument("--api-path", action="append", default=[], help="API path(s) to GET (repeatable).")
    parser.add_argument("--static", help="The static site: a directory (served here by http.server) or a URL.")
    parser.add_argument("--static-path", action="append", default=[], help="Static paths (default: its pages or /).")
    parser.add_argument("--levels", type=_ints, default=[10], help="Concurrent sessions/clients, e.g. 10,25,50.")
    parser.add_argument("--rounds", type=int, default=1, help="App sessions per level = level x rounds.")
    parser.add_argument("--requests", type=int, default=10, help="GETs per HTTP client.")
    parser.add_argument("--areas", default="pilot", help="pilot | all | comma-separated municipality codes.")
    parser.add_argument("--timeout", type=float, default=180.0, help="Seconds per session / request.")
    parser.add_argument("--settle", type=float, default=10.0, help="Seconds after the last client before RSS.")
    return parser


def _check_bounds(args: argparse.Namespace) -> None:
    if not args.levels or not all(1 <= n <= MAX_CONCURRENCY for n in args.levels):
        raise SystemExit(f"levels must be 1..{MAX_CONCURRENCY}")
    if max(args.levels) * args.rounds > MAX_SESSIONS or max(args.levels) * args.requests > MAX_SESSIONS * 10:
        raise SystemExit(f"at most {MAX_SESSIONS} sessions / {MAX_SESSIONS * 10} requests per level")
    if not (args.app or args.db or args.api or args.static):
        raise SystemExit("nothing to load: give --app or --db, --api, --static")


def main(argv: Sequence[str] | None = None) -> None:
    import tempfile

    args = _parser().parse_args(argv)
    _check_bounds(args)
    apps = [loopback(u) for u in args.app]
    areas = _areas(args.areas)
    log_dir = Path(tempfile.mkdtemp(prefix="kuntamittari-load-"))
    load = os.getloadavg()
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}  {os.cpu_count()} CPUs  load average {load[0]:.1f} {load[1]:.1f} "
          f"{load[2]:.1f}  client {args.client}  areas {args.areas} ({len(areas)})  logs {log_dir}", flush=True)
    if apps:
        app_levels(f"app x{len(apps)}", apps, args, areas)
    elif args.db:
        for count in args.replicas:
            started = start_replicas(count, args.db, log_dir)
            try:
                app_levels(f"{count} replica(s)", [url for _proc, url in started], args, areas)
            finally:
                stop_replicas(started)
    else:
        print("# app: skipped (no --app or --db)")
    if args.api:
        http_levels("API", loopback(args.api), args.api_path or ["/"], args)
    else:
        print("# API: skipped (no --api)")
    if args.static:
        directory = Path(args.static)
        if directory.is_dir():
            proc, url = serve_directory(directory, log_dir)
            try:
                http_levels("static (http.server)", url, args.static_path or static_paths(directory), args)
            finally:
                os.killpg(proc.pid, 15)
                proc.wait(timeout=10)
        else:
            http_levels("static", loopback(args.static), args.static_path or ["/"], args)
    else:
        print("# static site: skipped (no --static)")


if __name__ == "__main__":
    main()
