"""Loaders on both backends: idempotency, revisions, atomicity, Sotkanet client and StatFin."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect, select

from datamodel.areas import sync_areas
from datamodel.errors import DataError, SourceFormatError, SourceUnavailable
from datamodel.loaders.core import count_rows
from datamodel.loaders.sotkanet import load_data_files
from datamodel.schema import area, fact, fact_revision, group, load_batch, period, series
from datamodel.sources.sotkanet import SotkanetClient, fetch_and_load
from datamodel.sources.statfin import StatFinClient, load_jsonstat, load_jsonstat_file, variable_code

FIX = Path(__file__).parent / "fixtures"
REL1 = FIX / "sotkanet_data_181_release1.json"
REL2 = FIX / "sotkanet_data_181_release2.json"


@pytest.fixture
def engine(db_engine):
    """A migrated database with the area dimension (no facts)."""
    with db_engine.begin() as conn:
        sync_areas(conn)
    return db_engine


def value_of(engine, series_code: str, area_code: str, period_code: str, group_code: str = "total"):
    stmt = (
        select(fact.c.value, fact.c.numerator)
        .join(area, area.c.area_id == fact.c.area_id).join(series, series.c.series_id == fact.c.series_id)
        .join(period, period.c.period_id == fact.c.period_id).join(group, group.c.group_id == fact.c.group_id)
        .where(series.c.code == series_code, area.c.code == area_code, period.c.code == period_code,
               group.c.code == group_code)
    )
    with engine.connect() as conn:
        return conn.execute(stmt).one_or_none()


def test_sotkanet_release_then_revision(engine) -> None:
    first = load_data_files(engine, [REL1])
    # 6 region-years x 3 genders; the hospital-district row (region 833) is skipped, not an error.
    assert (first.rows_inserted, first.rows_updated) == (18, 0)
    assert first.details["regions_skipped"] == 1
    assert tuple(value_of(engine, "sotkanet:181", "208", "2012")) == (9.9, 1243)
    assert tuple(value_of(engine, "sotkanet:181", "MK17", "2011", "female")) == (7.9, 35000 - 19250)

    again = load_data_files(engine, [REL1])
    assert again.skipped
    with engine.connect() as conn:
        assert count_rows(conn)["load_batch"] == 1

    second = load_data_files(engine, [REL2])
    assert (second.rows_inserted, second.rows_updated, second.rows_unchanged) == (9, 1, 17)
    assert second.details["years_added"] == [2013]
    assert second.details["revised_sample"] == ["sotkanet:181|208|2012|total: 9.9 -> 10.1"]
    assert tuple(value_of(engine, "sotkanet:181", "208", "2012")) == (10.1, 1267)
    with engine.connect() as conn:
        revs = conn.execute(select(fact_revision)).mappings().all()
        batches = conn.execute(select(load_batch).order_by(load_batch.c.batch_id)).mappings().all()
    assert len(revs) == 1
    assert (revs[0]["value"], revs[0]["numerator"]) == (9.9, 1243)
    assert revs[0]["batch_id"] == first.batch_id and revs[0]["superseded_by_batch_id"] == second.batch_id
    assert batches[1]["details"]["revised"] == 1 and batches[1]["rows_updated"] == 1


def test_failure_half_way_leaves_database_unchanged(engine, monkeypatch) -> None:
    import datamodel.loaders.core as core

    load_data_files(engine, [REL1])
    with engine.connect() as conn:
        before = count_rows(conn)
        values_before = conn.execute(select(fact.c.observation_id, fact.c.value).order_by(fact.c.observation_id)).all()

    monkeypatch.setattr(core, "CHUNK", 4)  # several chunks, so the hook fires after real writes
    monkeypatch.setattr(core, "BULK_FK_THRESHOLD", 1)  # PostgreSQL: also the drop/re-add-FK bulk path
    calls: list[int] = []

    def boom(done: int, total: int) -> None:
        calls.append(done)
        if done >= 8:
            raise RuntimeError("disk full (injected)")

    with pytest.raises(RuntimeError, match="injected"):
        load_data_files(engine, [REL2], on_progress=boom)
    assert calls and calls[-1] >= 8  # rows had been written before the failure
    with engine.connect() as conn:
        assert count_rows(conn) == before
        assert conn.execute(select(fact.c.observation_id, fact.c.value).order_by(fact.c.observation_id)).all() == values_before
    assert len(inspect(engine).get_foreign_keys("fact_observation")) == 5  # constraints intact after rollback
    # The bulk path itself (foreign keys dropped and re-added on PostgreSQL) loads correctly.
    ok = load_data_files(engine, [REL2])
    assert ok.rows_inserted == 9 and len(inspect(engine).get_foreign_keys("fact_observation")) == 5


def test_poisoned_row_rolls_back_everything(engine, tmp_path) -> None:
    rows = json.loads(REL1.read_text())
    rows.append(dict(rows[0]))  # the same key twice
    bad = tmp_path / "dupe.json"
    bad.write_text(json.dumps(rows))
    with pytest.raises(DataError, match="share a key"):
        load_data_files(engine, [bad])
    rows = json.loads(REL1.read_text())
    rows[5]["value"] = "9,4"
    bad.write_text(json.dumps(rows))
    with pytest.raises(SourceFormatError, match=r"item 5: value is not a number"):
        load_data_files(engine, [bad])
    with engine.connect() as conn:
        counts = count_rows(conn)
    assert counts["fact_observation"] == 0 and counts["load_batch"] == 0 and counts["dim_series"] == 0


def _sotkanet_transport(calls: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        path = request.url.path
        if path.endswith("/indicators/186"):
            return httpx.Response(200, content=(FIX / "indicator_186.json").read_bytes())
        if path.endswith("/regions"):
            return httpx.Response(200, content=(FIX / "sotkanet_regions_sample.json").read_bytes())
        if path.endswith("/json"):
            rows = [dict(r, indicator=186) for r in json.loads(REL1.read_text())]
            years = {int(y) for y in request.url.params.get_list("years")}
            return httpx.Response(200, json=[r for r in rows if r["year"] in years])
        return httpx.Response(404)

    return httpx.MockTransport(handler)


def test_sotkanet_client_metadata_and_data(engine) -> None:
    calls: list[httpx.Request] = []
    with SotkanetClient("https://sotkanet.example/rest/1.1", transport=_sotkanet_transport(calls)) as client:
        meta = client.indicator(186)
        assert meta.title_en == "Mortality per 100 000 inhabitants"
        assert meta.title_sv == "Dödlighet / 100 000 invånare"
        assert meta.decimals == 1 and "<" not in (meta.description_fi or "")
        assert {r["id"] for r in client.regions()} == {95, 312, 503}
        result = fetch_and_load(engine, client, [186], [2012])
    data_call = next(c for c in calls if c.url.path.endswith("/json"))
    assert data_call.url.params.get_list("genders") == ["total", "male", "female"]
    assert result.rows_inserted == 9
    assert tuple(value_of(engine, "sotkanet:186", "208", "2012", "male")) == (10.9, 684)
    with engine.connect() as conn:
        title = conn.execute(select(series.c.title_en).where(series.c.code == "sotkanet:186")).scalar_one()
    assert title == "Mortality per 100 000 inhabitants"


def test_sotkanet_client_offline_is_a_clear_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Name or service not known", request=request)

    with SotkanetClient("https://sotkanet.example/rest/1.1", transport=httpx.MockTransport(refuse)) as client:
        with pytest.raises(SourceUnavailable, match="sotkanet.example.*ConnectError"):
            client.indicator(186)


def test_statfin_population_files(engine) -> None:
    result = load_jsonstat_file(engine, FIX / "statfin_11s5_kunta_population_2024M12_en.json")
    assert result.rows_inserted == 308
    assert value_of(engine, "statfin:11s5:vaesto_kuukausi", "208", "2024M12")[0] == 12_271
    three = load_jsonstat_file(engine, FIX / "statfin_11re_query_three_cities_2025.json")
    assert three.rows_inserted == 3
    assert value_of(engine, "statfin:11re:vaerak-vaesto", "049", "2025")[0] == 325_716
    assert value_of(engine, "statfin:11re:vaerak-vaesto", "091", "2025")[0] == 694_392
    with engine.connect() as conn:
        grain = conn.execute(select(period.c.grain, period.c.month).where(period.c.code == "2024M12")).one()
    assert tuple(grain) == ("month", 12)
    assert load_jsonstat_file(engine, FIX / "statfin_11re_query_three_cities_2025.json").skipped


def test_statfin_client_posts_jsonstat2_query(engine) -> None:
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, content=(FIX / "statfin_11re_metadata_fi.json").read_bytes())
        seen.append(json.loads(request.content))
        return httpx.Response(200, content=(FIX / "statfin_11re_query_three_cities_2025.json").read_bytes())

    client = StatFinClient("https://pxdata.example/PxWeb/api/v1", transport=httpx.MockTransport(handler))
    meta = client.metadata("11re")
    area_var = variable_code(meta, "alue")
    assert area_var == "alue_23_20260101"
    query = {"query": [{"code": area_var, "selection": {"filter": "item", "values": ["KU049", "KU091", "KU092"]}}]}
    doc, raw = client.query("11re", query)
    result = load_jsonstat(engine, doc, raw, table="11re", location="test")
    client.close()
    assert seen[0]["response"] == {"format": "json-stat2"}
    assert result.rows_inserted == 3
    assert value_of(engine, "statfin:11re:vaerak-vaesto", "092", "2025")[0] == 252_956
