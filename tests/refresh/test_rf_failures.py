"""A refresh that fails half-way writes nothing of the failing source and says which series failed;
an unreachable source gives one clear line; the API's published limits are respected."""

from __future__ import annotations

import hashlib

import pytest
from rf_releases import release
from sqlalchemy import select
from typer.testing import CliRunner

from datamodel.bootstrap import ensure_database
from datamodel.schema import Base, refresh_series_state
from cli.main import app
from refresh import run_refresh


def _dump(engine) -> str:  # type: ignore[no-untyped-def]
    """A digest of every row of every warehouse table except the refresh bookkeeping (run log, check times)."""
    h = hashlib.sha256()
    with engine.connect() as conn:
        for name, table in sorted(Base.metadata.tables.items()):
            if name in ("refresh_run", "refresh_series_state"):
                continue
            for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                h.update(repr(tuple(row)).encode())
    return h.hexdigest()


@pytest.mark.slow
def test_interrupted_mid_series_leaves_the_warehouse_as_it_was(warehouse, catalog, sources, configured):
    assert run_refresh(warehouse, catalog, send=False).status == "ok"
    before = _dump(warehouse)
    sources.release = release(2)
    sources.release.cube = release(1).cube  # StatFin has nothing new this time
    sources.interrupt = "/json?indicator=181"  # the connection drops in the middle of this answer
    report = run_refresh(warehouse, catalog, send=False)
    sotkanet = next(s for s in report.sources if s.source == "sotkanet")
    assert report.status == "partial" and sotkanet.status == "failed" and sotkanet.batch_id is None
    failed = {s.code: s for s in sotkanet.series if s.status == "failed"}
    assert list(failed) == ["sotkanet:181"]
    assert "RemoteProtocolError" in (failed["sotkanet:181"].reason or "") and "after 2 attempts" in failed["sotkanet:181"].reason
    assert next(s for s in sotkanet.series if s.code == "sotkanet:127").status == "not_loaded"
    assert _dump(warehouse) == before
    with warehouse.connect() as conn:  # the failed source's stamps stay those of release 1
        stamps = dict(conn.execute(select(refresh_series_state.c.series_code, refresh_series_state.c.source_updated)).all())
    assert stamps["sotkanet:181"] == stamps["sotkanet:127"] == "2013-01-15"
    # With the connection back, the same refresh loads release 2.
    sources.interrupt = None
    again = run_refresh(warehouse, catalog, send=False)
    assert next(s for s in again.sources if s.source == "sotkanet").status == "ok"
    assert _dump(warehouse) != before


def test_offline_source_one_line_per_source(warehouse, catalog, sources, configured, monkeypatch):
    monkeypatch.setenv("KUNTAMITTARI_SOTKANET_BASE_URL", "http://127.0.0.1:9/rest/1.1")  # nothing listens on port 9
    monkeypatch.setenv("KUNTAMITTARI_STATFIN_BASE_URL", "http://127.0.0.1:9/PxWeb/api/v1")
    monkeypatch.setenv("KUNTAMITTARI_METRICS_DIR", str(catalog.directory))
    from kuntamittari.settings import get_settings

    get_settings.cache_clear()
    ensure_database(warehouse)  # what every CLI command does first (bundled data)
    before = _dump(warehouse)
    result = CliRunner().invoke(app, ["refresh", "--db", str(warehouse.url)])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    source_lines = [ln for ln in lines if not ln.startswith("  ")]
    assert len(source_lines) == 2, result.output
    assert source_lines[0].startswith("THL Sotkanet: ") and "ConnectError" in source_lines[0]
    assert source_lines[1].startswith("Tilastokeskus (PxWeb): ") and "ConnectError" in source_lines[1]
    assert "Traceback" not in result.output
    assert _dump(warehouse) == before


def test_pxweb_limits_from_config_are_respected(warehouse, catalog, sources, configured, monkeypatch):
    # The API says: at most 3 calls per 1 s and 400 cells per query (11s5 has 308 areas a month).
    sources.config = {"maxValues": 400, "maxCalls": 3, "timeWindow": 1}
    monkeypatch.setenv("KUNTAMITTARI_STATFIN_MAX_CALLS", "30")
    from kuntamittari.settings import get_settings

    get_settings.cache_clear()
    report = run_refresh(warehouse, catalog, send=False)
    assert report.status == "ok"
    posts = [r for r in sources.requests if r[1] == "POST"]
    assert len(posts) == 2  # two months, one month (308 cells) per query
    statfin = sorted(t for t, _m, path in sources.requests if "/PxWeb/" in path)
    assert len(statfin) == 4  # ?config, metadata, two queries
    # No window of 1 s holds more than 3 StatFin requests.
    assert all(statfin[i + 3] - statfin[i] >= 0.95 for i in range(len(statfin) - 3))


def test_if_due_does_nothing_after_a_recent_refresh(warehouse, catalog, sources, configured, monkeypatch):
    monkeypatch.setenv("KUNTAMITTARI_METRICS_DIR", str(catalog.directory))
    from kuntamittari.settings import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    first = runner.invoke(app, ["refresh", "--if-due", "--db", str(warehouse.url)])
    assert first.exit_code == 0, first.output
    n = len(sources.requests)
    second = runner.invoke(app, ["refresh", "--if-due", "--db", str(warehouse.url)])
    assert second.exit_code == 0 and len(sources.requests) == n
    assert "Mitään ei tehty" in second.output
    status = runner.invoke(app, ["refresh-status", "--db", str(warehouse.url)])
    assert "Viimeksi päivitetty" in status.output and "Seuraava päivitys" in status.output
