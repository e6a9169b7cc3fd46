"""Requests per second and latency of the HTTP API for typical calls; prints figures, asserts nothing.

    python benchmarks/bench_api.py                         # bundled data, then synthetic at --scale 0.05
    python benchmarks/bench_api.py --scale 0.2 --repeat 50 --clients 4
    python benchmarks/bench_api.py --no-synthetic

For each database `kuntamittari serve-api` runs as its own process (one uvicorn worker) on
127.0.0.1 and is called with httpx over keep-alive connections:

- the first answer of each call in a fresh server (the publication's disclosure decisions and
  the call's published table are computed once per data version, then memoised);
- warm: median and 95th percentile latency of --repeat sequential calls, and requests/second
  (a public answer asked again in the same data version comes from the per-ETag memory);
- new each time: the same calls for another municipality each time (computed from the
  memoised published table, not from the answer memory);
- concurrent: --clients threads calling the mix at once (requests/second of the whole server).

Databases: the bundled Sotkanet 2013 data (35 metrics), and the national-scale synthetic
warehouse of `datamodel.synthetic` (all municipalities x 500 x --scale series x 25 years x 3
genders, plus the bundled data) with --metrics metric files on synthetic series, as
benchmarks/bench_pages.py builds it. The machine is shared: compare figures within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

PILOTS = "009,208,244,425,436,494,535,563,678,691"


def calls(metric: str, five: Sequence[str]) -> dict[str, str]:
    """The typical calls: name -> path and query."""
    return {
        "catalogue": "/api/v1/metrics",
        "areas": "/api/v1/areas?type=kunta",
        "one area + comparisons (json)": f"/api/v1/data?metric={metric}&area=208&compare=region,county,finland",
        "one area + comparisons (jsonstat)": f"/api/v1/data?metric={metric}&area=208&compare=region,county,finland&format=jsonstat",
        "5 metrics x 10 areas (csv)": f"/api/v1/data?metric={','.join(five)}&area={PILOTS}&format=csv",
        "bulk download, all areas (csv)": f"/api/v1/metrics/{metric}/download?format=csv",
        "bulk download (datapackage)": f"/api/v1/metrics/{metric}/download?format=datapackage",
    }


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db_url: str, metrics_dir: Path | None) -> tuple[subprocess.Popen[bytes], str]:
    port = _port()
    env = {**os.environ, "KUNTAMITTARI_DATABASE_URL": db_url}
    if metrics_dir is not None:
        env["KUNTAMITTARI_METRICS_DIR"] = str(metrics_dir)
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve-api", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=5).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("serve-api did not start")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(url: str, mix: dict[str, str], repeat: int, clients: int) -> None:
    with httpx.Client(base_url=url, timeout=600) as http:
        print(f"{'call':<36}{'first s':>9}{'median ms':>11}{'p95 ms':>9}{'req/s':>8}{'bytes':>10}")
        etag = ""
        for name, path in mix.items():
            start = time.perf_counter()
            response = http.get(path)
            first = time.perf_counter() - start
            response.raise_for_status()
            etag = etag or response.headers.get("etag", "")
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                http.get(path).raise_for_status()
                times.append(time.perf_counter() - start)
            print(f"{name:<36}{first:>9.2f}{statistics.median(times) * 1000:>11.1f}"
                  f"{_percentile(times, 0.95) * 1000:>9.1f}{len(times) / sum(times):>8.1f}{len(response.content):>10}")
        distinct(http, mix, repeat)
        path = next(iter(mix.values()))
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            assert http.get(path, headers={"If-None-Match": etag}).status_code == 304
            times.append(time.perf_counter() - start)
        print(f"{'revalidation (If-None-Match: 304)':<36}{'':>9}{statistics.median(times) * 1000:>11.1f}"
              f"{_percentile(times, 0.95) * 1000:>9.1f}{len(times) / sum(times):>8.1f}{0:>10}")
    concurrent(url, list(mix.values())[:5], repeat, clients)


def distinct(http: httpx.Client, mix: dict[str, str], repeat: int) -> None:
    """Warm calls that are each a new question (another municipality each time), so none is
    answered from the per-ETag memory: the cost of computing an answer from the published table."""
    towns = [a["code"] for a in http.get("/api/v1/areas?type=kunta").json()["areas"]][: repeat + 10]
    for name in ("one area + comparisons (json)", "5 metrics x 10 areas (csv)"):
        template = mix[name]
        times = []
        for i in range(repeat):
            if "area=208" in template:
                path = template.replace("area=208", f"area={towns[i]}")
            else:
                path = template.replace(f"area={PILOTS}", "area=" + ",".join(towns[i:i + 10]))
            start = time.perf_counter()
            http.get(path).raise_for_status()
            times.append(time.perf_counter() - start)
        print(f"{name + ', new each time':<36}{'':>9}{statistics.median(times) * 1000:>11.1f}"
              f"{_percentile(times, 0.95) * 1000:>9.1f}{len(times) / sum(times):>8.1f}")


def concurrent(url: str, paths: list[str], repeat: int, clients: int) -> None:
    latencies: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(base_url=url, timeout=600) as http:
            for i in range(repeat):
                start = time.perf_counter()
                http.get(paths[i % len(paths)]).raise_for_status()
                with lock:
                    latencies.append(time.perf_counter() - start)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    print(f"{clients} clients, mix of the first 5 calls: {len(latencies) / elapsed:.1f} req/s, median "
          f"{statistics.median(latencies) * 1000:.1f} ms, p95 {_percentile(latencies, 0.95) * 1000:.1f} ms")


def bench(label: str, db_url: str, metrics_dir: Path | None, metric: str, five: Sequence[str], repeat: int, clients: int) -> None:
    print(f"\n== {label}")
    started = time.perf_counter()
    proc, url = start_server(db_url, metrics_dir)
    print(f"server up in {time.perf_counter() - started:.1f} s ({url})")
    try:
        measure(url, calls(metric, five), repeat, clients)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--scale", type=float, default=0.05, help="synthetic scale: 1.0 = 500 series (~11.5 M facts)")
    parser.add_argument("--metrics", type=int, default=20, help="metric files on synthetic series")
    parser.add_argument("--no-synthetic", action="store_true")
    args = parser.parse_args()
    from datamodel.bootstrap import ensure_database
    from datamodel.engine import make_engine

    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        bundled = f"sqlite:///{Path(tmp) / 'bundled.sqlite'}"
        ensure_database(make_engine(bundled))
        five = ["unemployment_rate", "population", "in_migrants", "demographic_dependency_ratio", "depression_medication"]
        bench("bundled Sotkanet data (35 metrics, 2013)", bundled, None, "unemployment_rate", five, args.repeat, args.clients)
        if args.no_synthetic:
            return
        from bench_pages import prepare_database, write_metrics

        synthetic = f"sqlite:///{Path(tmp) / 'synthetic.sqlite'}"
        prepare_database(synthetic, args.scale)
        directory = Path(tmp) / "metrics"
        write_metrics(directory, args.metrics)
        for path in directory.rglob("*.yaml"):  # the catalogue now asks what a weight is to the rate
            path.write_text(path.read_text(encoding="utf-8") + "weight_basis: denominator\n", encoding="utf-8")
        five = [f"syn_{n:04d}" for n in range(1, 6)]
        bench(f"synthetic warehouse, scale {args.scale} ({args.metrics} metrics on synthetic series)", synthetic,
              directory, "syn_0001", five, args.repeat, args.clients)
    print(json.dumps({"note": "one uvicorn worker; shared 2-core machine: figures vary with load"}))


if __name__ == "__main__":
    main()
