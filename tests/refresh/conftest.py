"""Fixtures for the refresh, digest and alert tests: a warehouse with areas only, a small
catalogue, two releases of the sources served on 127.0.0.1, a real SMTP server (aiosmtpd) and a
webhook receiver. A server that cannot start fails the test in CI (it never skips)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import Engine

from datamodel.areas import SOTKANET_DIR, sync_areas
from datamodel.bootstrap import upgrade
from datamodel.engine import make_engine
from kuntamittari.settings import PROJECT_ROOT, get_settings
from metrics.catalog import Catalog, load_catalog
from sources_server import (
    FIXTURES,
    Collector,
    Cube,
    Release,
    SourceServer,
    bundled_records,
    indicator_doc,
    start_source_server,
)

INDICATORS = {127: "Väestö 31.12.", 181: "Työttömät, % työvoimasta"}
R1_LAST_YEAR = 2009
STATFIN_METRIC = """\
schema_version: 1
id: population_monthly
status: draft
theme: economy_services
name: {fi: Väkiluku kuukauden lopussa, sv: Folkmängd vid månadens slut, en: Population at the end of the month}
description: {fi: Väestö kuukauden lopussa., sv: Befolkningen vid månadens slut., en: Population at the end of the month.}
kind: simple
series: statfin:11s5:vaesto_kuukausi
aggregation: sum
unit: {fi: henkilöä, sv: personer, en: persons}
decimals: 0
direction: neutral
update_frequency: monthly
min_count: 0
"""


def region_to_code() -> dict[int, str]:
    """Sotkanet region id -> municipality code, from the bundled area list (independent of the loaders)."""
    with (SOTKANET_DIR / "areas.csv").open(encoding="utf-8") as handle:
        return {int(r["sotkanet_region_id"]): r["municipality_code"] for r in csv.DictReader(handle)}


CODES = region_to_code()
REGION_OF = {code: rid for rid, code in CODES.items()}
# Revisions published in release 2: (indicator, municipality code, year) -> added amount.
REVISIONS = {(181, "208", 2008): 1.0, (127, "244", 2009): 37.0}
STATFIN_REVISION = ("KU208", 5.0)


def _sotkanet(last_year: int, revise: bool) -> dict[int, list[dict]]:
    out = {}
    for ind in INDICATORS:
        rows = []
        for rec in bundled_records(ind):
            if rec["year"] > last_year:
                continue
            rec = dict(rec)
            code = CODES.get(rec["region"])
            bump = REVISIONS.get((ind, code, rec["year"])) if revise else None
            if bump is not None and rec["value"] is not None:
                rec["value"] = round(rec["value"] + bump, 1)
            rows.append(rec)
        out[ind] = rows
    return out


def _cube(months: list[str], revise: bool, updated: str) -> Cube:
    doc = json.loads((FIXTURES / "statfin_11s5_kunta_population_2024M12_en.json").read_text(encoding="utf-8"))
    base = Cube.from_jsonstat(doc, "11s5")
    areas, metric = base.dims["alue"], base.dims["tiedot"][0]
    dec = {a: base.values[(a, "2024M12", metric)] for a in areas}
    values: dict[tuple[str, ...], float | None] = {}
    for a in areas:
        for m in months:
            v = dec[a]
            if v is not None:
                v = {"2024M11": v - 3, "2024M12": v, "2025M01": v + 2}[m]
                if revise and a == STATFIN_REVISION[0] and m == "2024M12":
                    v += STATFIN_REVISION[1]
            values[(a, m, metric)] = v
    return Cube("11s5", doc, {"alue": areas, "kuukausi": months, "tiedot": [metric]}, values, updated)


def release(n: int) -> Release:
    """Release 1: up to 2009 and 2024M11-M12. Release 2: up to 2011 (real bundled values),
    2025M01, and the revisions in `REVISIONS`/`STATFIN_REVISION`."""
    last = R1_LAST_YEAR if n == 1 else 2011
    stamp = "2013-01-15" if n == 1 else "2013-09-08"
    meta = {ind: indicator_doc(ind, title, stamp, 1990, last) for ind, title in INDICATORS.items()}
    months = ["2024M11", "2024M12"] + (["2025M01"] if n == 2 else [])
    return Release(_sotkanet(last, revise=n == 2), meta,
                   _cube(months, revise=n == 2, updated=f"2025-0{n}-28T08:00:00"))


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite warehouse with the area dimension and no data yet."""
    engine = make_engine(f"sqlite:///{tmp_path / 'refresh.sqlite'}")
    upgrade(engine)
    with engine.begin() as conn:
        sync_areas(conn)
    yield engine
    engine.dispose()


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    """Unemployment (thresholds, target, weighted by population), population, and a StatFin draft."""
    directory = tmp_path / "metrics"
    directory.mkdir()
    defs = PROJECT_ROOT / "metrics" / "definitions"
    shutil.copy(defs / "working_age" / "unemployment_rate.yaml", directory)
    shutil.copy(defs / "economy_services" / "population.yaml", directory)
    (directory / "population_monthly.yaml").write_text(STATFIN_METRIC, encoding="utf-8")
    cat = load_catalog(directory)
    assert sorted(cat.metrics) == ["population", "population_monthly", "unemployment_rate"], cat.issues
    return cat


def _fail_or_skip(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def sources() -> Iterator[SourceServer]:
    """The sources' server, serving release 1 until a test swaps `release`."""
    try:
        state, httpd = start_source_server(release(1))
    except OSError as exc:  # pragma: no cover - a machine without loopback sockets
        _fail_or_skip(f"cannot start the local source server: {exc}")
    yield state
    httpd.shutdown()
    httpd.server_close()


class Inbox:
    """Messages received by the local SMTP server."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1."""
    try:
        from aiosmtpd.controller import Controller

        inbox = Inbox()
        port = _free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
    except Exception as exc:  # noqa: BLE001 - any start failure must fail in CI
        _fail_or_skip(f"cannot start the local SMTP server: {exc}")
    yield inbox, port
    controller.stop()


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[type[Collector], str]]:
    """A real HTTP server on 127.0.0.1 that records webhook POSTs."""
    Collector.received = []
    try:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    except OSError as exc:  # pragma: no cover
        _fail_or_skip(f"cannot start the webhook receiver: {exc}")
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield Collector, f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, sources: SourceServer, smtp: tuple[Inbox, int]) -> Iterator[None]:
    """Settings pointing at the local servers, quick retries, the pilot group as the rank group."""
    env = {
        "KUNTAMITTARI_SOTKANET_BASE_URL": sources.sotkanet_url,
        "KUNTAMITTARI_STATFIN_BASE_URL": sources.statfin_url,
        "KUNTAMITTARI_REFRESH_RETRIES": "2",
        "KUNTAMITTARI_REFRESH_RETRY_WAIT_SECONDS": "0.01",
        "KUNTAMITTARI_SOTKANET_MAX_CALLS": "100",
        "KUNTAMITTARI_SMTP_HOST": "127.0.0.1",
        "KUNTAMITTARI_SMTP_PORT": str(smtp[1]),
        "KUNTAMITTARI_SMTP_TLS": "none",
        "KUNTAMITTARI_SMTP_SENDER": "kuntamittari@kunta.example",
        "KUNTAMITTARI_PUBLIC_BASE_URL": "https://mittari.kunta.example",
        "KUNTAMITTARI_DIGEST_RANK_GROUP": "pilot",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
