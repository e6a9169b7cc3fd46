"""Bootstrap: migrations + bundled data, idempotent, and the area dimension's facts."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from datamodel.areas import AreaIndex
from datamodel.bootstrap import bundled_loaded, current_revision, ensure_database, forget, head_revision
from datamodel.engine import make_engine
from datamodel.loaders.core import count_rows
from datamodel.loaders.sotkanet import load_bundled
from datamodel.schema import area, fact, load_batch, period, series


def test_bundled_engine_has_real_numbers(bundled_engine) -> None:
    with bundled_engine.connect() as conn:
        counts = count_rows(conn)
        assert counts["fact_observation"] == 224_431
        assert counts["dim_series"] == 48
        assert counts["load_batch"] == 1
        # Kalajoki (208), population 31.12.2011 (indicator 127), as in the snapshot file.
        value = conn.execute(
            select(fact.c.value)
            .join(area, area.c.area_id == fact.c.area_id)
            .join(series, series.c.series_id == fact.c.series_id)
            .join(period, period.c.period_id == fact.c.period_id)
            .where(area.c.code == "208", series.c.code == "sotkanet:127", period.c.code == "2011")
        ).scalar_one()
        assert value == 12_616  # indicator_127.json: region 95, 2011
        batch = conn.execute(select(load_batch)).mappings().one()
        assert batch["attribution"] == "Lähde: THL, Sotkanet"
        assert batch["licence"] == "CC BY 4.0"


def test_area_dimension_facts(bundled_engine) -> None:
    with bundled_engine.connect() as conn:
        index = AreaIndex.load(conn)
        rows = {code: dict(row) for code, row in index.rows.items()}
        n_muni = conn.execute(select(func.count()).select_from(area).where(area.c.area_type == "kunta")).scalar_one()
    kalajoki = rows["208"]
    assert (kalajoki["region_code"], kalajoki["county_code"], kalajoki["subregion_code"]) == ("MK17", "HVA19", "SK585")
    assert kalajoki["size_class"] == "10000_19999"
    assert rows["678"]["name_sv"] == "Brahestad"
    assert rows["425"]["name_sv"] == "Limingo"
    assert rows["MK17"]["name_en"] == "North Ostrobothnia"
    assert rows["HVA19"]["name_fi"] == "Pohjois-Pohjanmaan hyvinvointialue"
    assert rows["SSS"]["area_type"] == "maa"
    assert n_muni == 320
    merged = {c: r for c, r in rows.items() if r["area_type"] == "kunta" and r["valid_to"] is not None}
    assert len(merged) == 12  # 11 merged 2014-2021, Pertunmaa 2026
    assert merged["099"]["successor_code"] == "214"  # Honkajoki -> Kankaanpää
    assert index.resolve("KU208") == "208"
    assert index.resolve("brahestad") == "678"


def test_ensure_database_is_idempotent(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    ensure_database(engine, load_bundled=False)
    assert current_revision(engine) == head_revision()
    assert not bundled_loaded(engine)
    forget(engine)
    ensure_database(engine, load_bundled=False)
    with engine.connect() as conn:
        assert count_rows(conn)["fact_observation"] == 0
    engine.dispose()


def test_loading_bundled_twice_changes_nothing(db_engine) -> None:
    """Full first start on both backends, then a second start and an explicit reload: no change."""
    ensure_database(db_engine)
    with db_engine.connect() as conn:
        before = count_rows(conn)
        kalajoki = conn.execute(
            select(func.count()).select_from(fact).join(area, area.c.area_id == fact.c.area_id)
            .where(area.c.code == "208")
        ).scalar_one()
    assert before["fact_observation"] == 224_431 and before["load_batch"] == 1
    import gzip
    import json

    from datamodel.loaders.sotkanet import bundled_files

    in_files = sum(1 for f in bundled_files() for r in json.load(gzip.open(f)) if r["region"] == 95)
    assert kalajoki == in_files  # Kalajoki is Sotkanet region 95
    result = load_bundled(db_engine)
    assert result.skipped
    forget()
    start = time.perf_counter()
    ensure_database(db_engine)
    elapsed = time.perf_counter() - start
    with db_engine.connect() as conn:
        assert count_rows(conn) == before
    print(f"ensure_database when already done: {elapsed * 1000:.1f} ms")
