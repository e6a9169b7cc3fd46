"""`series_coverage`: equal to an aggregate over the facts after every write path, rolled back with
a failed load, backfilled by migration 0002 (both backends)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, delete, func, insert, inspect, select

from datamodel.areas import sync_areas
from datamodel.bootstrap import current_revision, downgrade, head_revision, upgrade
from datamodel.coverage import refresh_series_coverage
from datamodel.engine import make_engine
from datamodel.loaders.core import BatchInfo, SeriesMeta, load_observations
from datamodel.loaders.sotkanet import load_data_files
from datamodel.schema import area, fact, group, load_batch, period, series, series_coverage
from datamodel.synthetic import SyntheticSpec, load_synthetic

FIX = Path(__file__).parent / "fixtures"
REL1 = FIX / "sotkanet_data_181_release1.json"
REL2 = FIX / "sotkanet_data_181_release2.json"
FIELDS = ["first_year", "last_year", "last_period", "rows", "last_batch_id"]


def expected(conn: Connection) -> dict[int, dict]:
    """What the coverage must be, computed the way the metric layer used to: two aggregates over
    all facts (year/period over rows with a value; count and batch over every row)."""
    with_value = conn.execute(
        select(fact.c.series_id, func.min(period.c.year), func.max(period.c.year), func.max(period.c.code))
        .select_from(fact.join(period, period.c.period_id == fact.c.period_id))
        .where(fact.c.value.is_not(None)).group_by(fact.c.series_id)
    ).all()
    every = conn.execute(
        select(fact.c.series_id, func.count(), func.max(fact.c.batch_id)).group_by(fact.c.series_id)
    ).all()
    out = {sid: {"first_year": None, "last_year": None, "last_period": None, "rows": n, "last_batch_id": b}
           for sid, n, b in every}
    for sid, first, last, code in with_value:
        out[sid] |= {"first_year": first, "last_year": last, "last_period": code}
    return out


def actual(conn: Connection) -> dict[int, dict]:
    rows = conn.execute(select(series_coverage)).mappings().all()
    return {r["series_id"]: {k: r[k] for k in FIELDS} for r in rows}


def coverage_of(engine, code: str) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(series_coverage).join(series, series.c.series_id == series_coverage.c.series_id)
            .where(series.c.code == code)
        ).mappings().one_or_none()
    return dict(row) if row else None


@pytest.fixture
def engine(db_engine):
    """A migrated database with the area dimension (no facts)."""
    with db_engine.begin() as conn:
        sync_areas(conn)
    return db_engine


def test_bundled_load_coverage_equals_aggregate(bundled_engine) -> None:
    with bundled_engine.connect() as conn:
        want, got = expected(conn), actual(conn)
        n_series = conn.execute(select(func.count()).select_from(series)).scalar_one()
    assert len(got) == 48 == n_series
    assert got == want
    assert sum(c["rows"] for c in got.values()) == 224_431
    assert {c["last_year"] for c in got.values()} <= set(range(1990, 2012))


def test_second_release_updates_coverage(engine) -> None:
    first = load_data_files(engine, [REL1])
    cov1 = coverage_of(engine, "sotkanet:181")
    assert cov1 is not None
    assert (cov1["first_year"], cov1["last_year"], cov1["last_period"], cov1["rows"], cov1["last_batch_id"]) == (
        2011, 2012, "2012", 18, first.batch_id)

    second = load_data_files(engine, [REL2])  # one value revised, 2013 added
    assert second.rows_inserted == 9 and second.rows_updated == 1
    cov2 = coverage_of(engine, "sotkanet:181")
    assert (cov2["first_year"], cov2["last_year"], cov2["last_period"], cov2["rows"], cov2["last_batch_id"]) == (
        2011, 2013, "2013", 27, second.batch_id)
    assert cov2["refreshed_at"] >= cov1["refreshed_at"]
    with engine.connect() as conn:
        assert actual(conn) == expected(conn)

    assert load_data_files(engine, [REL2]).skipped  # a no-op load leaves it alone
    assert coverage_of(engine, "sotkanet:181") == cov2


@pytest.mark.parametrize("where", ["during the facts", "after the coverage refresh"])
def test_failed_load_leaves_coverage_unchanged(engine, monkeypatch, where: str) -> None:
    import datamodel.loaders.core as core

    load_data_files(engine, [REL1])
    with engine.connect() as conn:
        before = conn.execute(select(series_coverage)).mappings().all()
    assert len(before) == 1

    if where == "during the facts":
        monkeypatch.setattr(core, "CHUNK", 4)

        def boom(done: int, total: int) -> None:
            if done >= 8:
                raise RuntimeError("disk full (injected)")

        with pytest.raises(RuntimeError, match="injected"):
            load_data_files(engine, [REL2], on_progress=boom)
    else:
        real = core.refresh_series_coverage

        def refresh_then_fail(conn, ids):  # type: ignore[no-untyped-def]
            real(conn, ids)
            assert conn.execute(select(func.max(series_coverage.c.last_year))).scalar_one() == 2013
            raise RuntimeError("connection lost (injected)")

        monkeypatch.setattr(core, "refresh_series_coverage", refresh_then_fail)
        with pytest.raises(RuntimeError, match="injected"):
            load_data_files(engine, [REL2])
    with engine.connect() as conn:
        assert conn.execute(select(series_coverage)).mappings().all() == before
        assert actual(conn) == expected(conn)


def _meta(code: str) -> SeriesMeta:
    return SeriesMeta(code=code, source="own", source_id=code, title_fi=code, licence="CC BY 4.0", attribution="testi")


def test_nulls_quarters_and_months(engine) -> None:
    obs = pd.DataFrame([
        ("own:208:a", "208", "2010", "total", 1.0),
        ("own:208:a", "208", "2011Q3", "total", 2.0),
        ("own:208:a", "208", "2011M07", "total", 3.0),
        ("own:208:a", "208", "2012", "total", None),  # missing: counted, not "data up to 2012"
        ("own:208:b", "208", "2011", "total", None),
        ("own:208:b", "208", "2012", "total", None),
    ], columns=["series_code", "area_code", "period_code", "group_code", "value"])
    batch = BatchInfo(source="own", loader="test", location="memory", licence="CC BY 4.0", attribution="testi")
    result = load_observations(engine, obs, [_meta("own:208:a"), _meta("own:208:b")], batch, checksum="1" * 64)
    a, b = coverage_of(engine, "own:208:a"), coverage_of(engine, "own:208:b")
    # Periods order by code, as data_status always did: '2010' < '2011M07' < '2011Q3'.
    assert (a["first_year"], a["last_year"], a["last_period"], a["rows"], a["last_batch_id"]) == (
        2010, 2011, "2011Q3", 4, result.batch_id)
    assert (b["first_year"], b["last_year"], b["last_period"], b["rows"]) == (None, None, None, 2)
    with engine.connect() as conn:
        assert actual(conn) == expected(conn)


def test_refresh_rebuilds_and_drops_series_without_facts(engine) -> None:
    load_data_files(engine, [REL2])
    with engine.begin() as conn:
        sid = conn.execute(select(series.c.series_id).where(series.c.code == "sotkanet:181")).scalar_one()
        conn.execute(delete(fact).where(fact.c.series_id == sid, fact.c.period_id.in_(
            select(period.c.period_id).where(period.c.code == "2013"))))
        refresh_series_coverage(conn, [sid])
        assert actual(conn) == expected(conn) and actual(conn)[sid]["last_year"] == 2012
        conn.execute(delete(fact).where(fact.c.series_id == sid))
        refresh_series_coverage(conn, [sid])
        assert actual(conn) == {}
    with engine.begin() as conn:  # and the full rebuild
        assert refresh_series_coverage(conn, None) == 0


def test_synthetic_load_fills_coverage(db_engine) -> None:
    spec = SyntheticSpec(n_series=2, n_years=3, seed=1)
    result = load_synthetic(db_engine, spec)
    with db_engine.connect() as conn:
        got = actual(conn)
        assert got == expected(conn)
    assert len(got) == 2
    for cov in got.values():
        assert (cov["first_year"], cov["last_year"], cov["last_period"], cov["last_batch_id"]) == (
            2000, 2002, "2002", result.batch_id)
        assert cov["rows"] == 308 * 3 * 3


def test_migration_0002_backfills_existing_facts(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0001")
        assert not inspect(engine).has_table("series_coverage")
        now = datetime(2026, 1, 1, tzinfo=timezone.utc)
        with engine.begin() as conn:
            sync_areas(conn)
            a208, mk17 = (conn.execute(select(area.c.area_id).where(area.c.code == c)).scalar_one() for c in ("208", "MK17"))
            conn.execute(insert(period), [
                {"code": "2010", "grain": "year", "year": 2010},
                {"code": "2011", "grain": "year", "year": 2011},
                {"code": "2011Q2", "grain": "quarter", "year": 2011, "quarter": 2},
                {"code": "2012", "grain": "year", "year": 2012},
            ])
            conn.execute(insert(group), [{"code": "total", "gender": "total", "age_band": "all"}])
            conn.execute(insert(series), [
                {"code": c, "source": "own", "source_id": c, "title_fi": c, "licence": "x", "attribution": "x"}
                for c in ("own:208:a", "own:208:b", "own:208:empty")
            ])
            conn.execute(insert(load_batch), [
                {"source": "t", "loader": "t", "location": "t", "loaded_at": now, "licence": "x", "attribution": "x",
                 "checksum": str(i) * 64} for i in (1, 2)
            ])
            p = dict(conn.execute(select(period.c.code, period.c.period_id)).all())
            s = dict(conn.execute(select(series.c.code, series.c.series_id)).all())
            b1, b2 = sorted(conn.execute(select(load_batch.c.batch_id)).scalars())
            g = conn.execute(select(group.c.group_id)).scalar_one()
            rows = [
                ("own:208:a", a208, "2010", 1.0, b1), ("own:208:a", mk17, "2010", 1.5, b1),
                ("own:208:a", a208, "2011Q2", 2.0, b2), ("own:208:a", a208, "2012", None, b2),
                ("own:208:b", a208, "2011", None, b1),
            ]
            conn.execute(insert(fact), [
                {"series_id": s[sc], "area_id": aid, "period_id": p[pc], "group_id": g, "value": v, "status": "ok",
                 "batch_id": bid} for sc, aid, pc, v, bid in rows
            ])
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            got = actual(conn)
            assert got == expected(conn)
        assert got == {
            s["own:208:a"]: {"first_year": 2010, "last_year": 2011, "last_period": "2011Q2", "rows": 4, "last_batch_id": b2},
            s["own:208:b"]: {"first_year": None, "last_year": None, "last_period": None, "rows": 1, "last_batch_id": b1},
        }
        downgrade(engine, "0001")
        assert not inspect(engine).has_table("series_coverage")
        assert inspect(engine).has_table("fact_observation")
    finally:
        engine.dispose()
