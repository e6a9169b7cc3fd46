"""`dim_area_version`: the database raises the counter on every kind of dim_area write, in the
writer's transaction, after migrations and after `create_all` alike (both backends)."""

from __future__ import annotations

from sqlalchemy import create_engine, delete, select, text, update

from datamodel.areas import sync_areas
from datamodel.engine import make_engine
from datamodel.schema import Base, area, area_version


def _version(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(area_version.c.version)).scalar_one()


def test_every_write_raises_the_counter(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        start = _version(engine)
        with engine.begin() as conn:
            sync_areas(conn)
        loaded = _version(engine)
        assert loaded > start
        with engine.begin() as conn:  # a rename of the same length: a length checksum misses it
            conn.execute(update(area).where(area.c.code == "208").values(name_fi="Kalajoke"))
        renamed = _version(engine)
        assert renamed > loaded
        with engine.connect() as conn:  # rolled back: the counter is part of the transaction
            conn.execute(update(area).where(area.c.code == "208").values(name_fi="x"))
            conn.rollback()
        assert _version(engine) == renamed
        with engine.begin() as conn:
            conn.execute(delete(area).where(area.c.code == "SSS").where(area.c.area_type == "maa"))
        assert _version(engine) > renamed
    finally:
        engine.dispose()


def test_create_all_gets_the_counter_and_its_triggers() -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    Base.metadata.create_all(engine)  # idempotent: no second row, no duplicate triggers
    with engine.begin() as conn:
        assert conn.execute(select(area_version)).all() == [(1, 0)]
        conn.execute(text("INSERT INTO dim_area (code, area_type, name_fi, valid_from) VALUES ('X', 'kunta', 'X', 1900)"))
        assert conn.execute(select(area_version.c.version)).scalar_one() == 1
