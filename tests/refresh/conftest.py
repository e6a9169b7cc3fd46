"""Fixtures for the refresh, digest and alert tests: a warehouse with areas only, a small
catalogue, two releases of the sources served on 127.0.0.1, a real SMTP server (aiosmtpd) and a
webhook receiver. A server that cannot start fails the test in CI (it never skips)."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import Engine

from datamodel.areas import sync_areas
from datamodel.bootstrap import upgrade
from datamodel.engine import make_engine
from kuntamittari.settings import get_settings
from metrics.catalog import Catalog, load_catalog
from rf_releases import release, source_env, write_catalog
from sources_server import Collector, SourceServer, start_source_server


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
    cat = load_catalog(write_catalog(tmp_path / "metrics"))
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
        **source_env(sources.sotkanet_url, sources.statfin_url),
        "KUNTAMITTARI_SMTP_HOST": "127.0.0.1",
        "KUNTAMITTARI_SMTP_PORT": str(smtp[1]),
        "KUNTAMITTARI_SMTP_TLS": "none",
        "KUNTAMITTARI_SMTP_SENDER": "kuntamittari@kunta.example",
        "KUNTAMITTARI_PUBLIC_BASE_URL": "https://mittari.kunta.example",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
