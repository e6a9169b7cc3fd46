"""Benchmark the static public site: generation speed, size, and how fast plain web servers serve it.

    python benchmarks/bench_static_site.py                       # 6 municipalities, fi/sv/en, PDFs, 2 workers
    python benchmarks/bench_static_site.py --areas 20 --no-pdf --jobs 2
    python benchmarks/bench_static_site.py --site path/to/site   # serve an existing site only

Publishes the first N municipalities of the database (default: the settings' database, the
bundled data on a fresh checkout) with `publish.site.publish_site` into a temporary directory,
prints pages/second and seconds per municipality, the size (total, per municipality and per kind
of file) and an estimate for every municipality; then serves the site from 127.0.0.1 with
`python -m http.server` and, when installed, nginx, and drives each with the same client
(`--concurrency` threads with keep-alive connections over the site's pages, charts and
downloads) for `--seconds`, printing requests/second and the median and 95th percentile latency.
The client is Python on the same machine, so with few cores it limits nginx before nginx does;
the ratio of the two servers measured side by side is the figure to keep. Asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from datamodel.engine import make_engine  # noqa: E402
from metrics.catalog import load_catalog  # noqa: E402
from publish.site import Options, municipalities, publish_site  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(port: int, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if proc.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


def generate(args: argparse.Namespace, out: Path) -> Path:
    logging.disable(logging.WARNING)
    engine = make_engine(args.db)
    catalog = load_catalog(None, engine)
    codes = tuple(municipalities(engine)[: args.areas])
    total = len(municipalities(engine))
    options = Options(areas=codes, pdf=not args.no_pdf, jobs=args.jobs)
    result = publish_site(engine, catalog, out, options)
    assert result.path is not None, [a.error for a in result.failed]
    per_area = result.seconds / len(codes)
    kinds = Counter()
    for path in result.path.rglob("*"):
        if path.is_file():
            kinds[path.suffix or path.name] += path.stat().st_size
    area_bytes = result.bytes / len(codes)
    print(f"generate: {len(codes)} municipalities x {len(options.langs)} languages, pdf={options.pdf}, jobs={args.jobs}, "
          f"cores={os.cpu_count()}")
    print(f"  {result.pages} HTML pages in {result.seconds:.1f} s: {result.pages / result.seconds:.2f} pages/s, "
          f"{per_area:.1f} s per municipality (all languages)")
    print(f"  size {result.bytes / 1e6:.1f} MB ({area_bytes / 1e6:.2f} MB per municipality): "
          + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in kinds.most_common()))
    print(f"  estimate for all {total} municipalities: {total * per_area / 60:.0f} min, {total * area_bytes / 1e9:.2f} GB")
    return result.path


def _targets(site: Path) -> list[str]:
    paths = [p for p in site.rglob("*") if p.is_file() and p.suffix in (".html", ".svg", ".css", ".csv")]
    return ["/" + str(p.relative_to(site)) for p in sorted(paths)]


def drive(port: int, targets: list[str], concurrency: int, seconds: float) -> tuple[int, int, list[float]]:
    """(ok, failed, latencies) of `concurrency` keep-alive clients requesting `targets` round robin."""
    stop = time.perf_counter() + seconds
    lock = threading.Lock()
    ok, failed, latencies = [0], [0], []

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine, i = [], offset
        good = bad = 0
        while time.perf_counter() < stop:
            path = targets[i % len(targets)]
            i += concurrency
            start = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    good += 1
                else:
                    bad += 1
                if response.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            mine.append(time.perf_counter() - start)
        with lock:
            ok[0] += good
            failed[0] += bad
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ok[0], failed[0], latencies


def _report(name: str, ok: int, failed: int, latencies: list[float], seconds: float) -> None:
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    print(f"  {name}: {ok / seconds:.0f} requests/s ({ok} ok, {failed} failed), latency median "
          f"{statistics.median(latencies) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")


def serve_python(site: Path, targets: list[str], args: argparse.Namespace) -> None:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(site)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(port, proc)
        _report("python -m http.server", *drive(port, targets, args.concurrency, args.seconds), args.seconds)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


NGINX_CONF = """
daemon off;
worker_processes {workers};
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
{user}
events {{ worker_connections 1024; }}
http {{
  include /etc/nginx/mime.types;
  access_log off;
  sendfile on;
  keepalive_requests 100000;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fcgi;
  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  server {{ listen 127.0.0.1:{port}; root {site}; }}
}}
"""


def serve_nginx(site: Path, targets: list[str], args: argparse.Namespace) -> None:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        print("  nginx: not installed")
        return
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="km-nginx-") as tmp:
        user = "user root;" if os.geteuid() == 0 else ""
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(workers=os.cpu_count() or 1, tmp=tmp, user=user, port=port,
                                          site=site.resolve()), encoding="utf-8")
        proc = subprocess.Popen([nginx, "-c", str(conf), "-p", tmp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait(port, proc)
            _report(f"nginx ({os.cpu_count()} workers)", *drive(port, targets, args.concurrency, args.seconds), args.seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=None, help="Database URL (default: settings)")
    parser.add_argument("--areas", type=int, default=6, help="Municipalities to publish (the first N by code)")
    parser.add_argument("--jobs", type=int, default=2, help="Worker processes (0: one per core)")
    parser.add_argument("--no-pdf", action="store_true", help="Leave out the council summary PDFs")
    parser.add_argument("--site", type=Path, default=None, help="Serve this site instead of generating one")
    parser.add_argument("--concurrency", type=int, default=8, help="Concurrent HTTP clients")
    parser.add_argument("--seconds", type=float, default=10.0, help="Seconds of load per server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="km-site-") as tmp:
        site = args.site or generate(args, Path(tmp) / "site")
        targets = _targets(site)
        print(f"serve: {len(targets)} files (HTML, SVG, CSS, CSV), {args.concurrency} clients, {args.seconds:.0f} s each, 127.0.0.1")
        serve_python(site, targets, args)
        serve_nginx(site, targets, args)


if __name__ == "__main__":
    main()
