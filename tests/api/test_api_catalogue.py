"""The API serves the same catalogue as the pages: with the catalogue in the warehouse (the
default), a metric approved there (through the authoring page or `catalogue import`, on any
replica) is listed and answered by a running API without a restart, and never read from the
shipped files alone."""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import Engine

from datamodel.engine import make_engine
from metrics.catalogue_sync import import_catalogue

ROOT = Path(__file__).resolve().parents[2]
NEW_ID = "unemployment_rate_workshop"


def _copy_database(engine: Engine, target: Path) -> str:
    """A writable copy of the session's read-only bundled database (SQLite's backup API)."""
    source = sqlite3.connect(str(engine.url.database))
    copy = sqlite3.connect(str(target))
    with copy:
        source.backup(copy)
    source.close()
    copy.close()
    return f"sqlite:///{target}"


def _catalogue_with_a_new_metric(target: Path) -> Path:
    shutil.copytree(ROOT / "metrics" / "definitions", target)
    text = (target / "working_age" / "unemployment_rate.yaml").read_text(encoding="utf-8")
    (target / "working_age" / f"{NEW_ID}.yaml").write_text(text.replace("id: unemployment_rate", f"id: {NEW_ID}"),
                                                            encoding="utf-8")
    return target


def _listed(client: httpx.Client) -> set[str]:
    return {m["id"] for m in client.get("/api/v1/metrics").json()["metrics"]}


def test_a_metric_approved_in_the_warehouse_catalogue_is_served(api_server: Callable[..., str], bundled_engine: Engine,
                                                                 tmp_path: Path) -> None:
    url = _copy_database(bundled_engine, tmp_path / "warehouse.sqlite")
    server = api_server(url, env={"KUNTAMITTARI_CATALOGUE_SOURCE": "database"})
    with httpx.Client(base_url=server, timeout=60) as client:
        before = _listed(client)
        assert "unemployment_rate" in before and NEW_ID not in before
        engine = make_engine(url)
        try:
            report = import_catalogue(engine, _catalogue_with_a_new_metric(tmp_path / "definitions"), author="test")
        finally:
            engine.dispose()
        assert report.added == [NEW_ID] and not report.updated
        deadline = time.monotonic() + 60
        while NEW_ID not in _listed(client) and time.monotonic() < deadline:
            time.sleep(1)
        assert _listed(client) == before | {NEW_ID}
        answer = client.get("/api/v1/data", params={"metric": NEW_ID, "area": "208", "format": "json"})
        same = client.get("/api/v1/data", params={"metric": "unemployment_rate", "area": "208", "format": "json"})
        assert answer.status_code == 200 and same.status_code == 200
        rows = [(r["area"], r["period"], r["value"], r["status"]) for r in answer.json()["data"]]
        assert len(rows) > 10 and rows == [(r["area"], r["period"], r["value"], r["status"]) for r in same.json()["data"]]
