"""The metric layer memoises the area dimension; an edited dim_area must still be seen at once."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import Engine, delete, update

from datamodel.engine import make_engine
from datamodel.schema import area, area_version
from metrics.catalog import load_catalog
from metrics.model import Selection
from metrics.service import list_areas, query_metric


def _copy(bundled_engine: Engine, tmp_path: Path) -> Engine:
    db = tmp_path / "copy.sqlite"
    shutil.copyfile(bundled_engine.url.database, db)  # type: ignore[arg-type]
    return make_engine(f"sqlite:///{db}")


def test_renamed_municipality_is_seen_by_the_next_query(bundled_engine: Engine, tmp_path: Path) -> None:
    engine = _copy(bundled_engine, tmp_path)
    catalog = load_catalog(None, engine)
    before = query_metric(engine, catalog, "unemployment_rate", Selection(areas=("208",)))
    assert set(before["area_name_fi"]) == {"Kalajoki"}
    with engine.begin() as conn:
        conn.execute(update(area).where(area.c.code == "208").values(name_fi="Kalajoki (uusi)"))
    after = query_metric(engine, catalog, "unemployment_rate", Selection(areas=("208",)))
    assert set(after["area_name_fi"]) == {"Kalajoki (uusi)"}
    assert after["value"].tolist() == before["value"].tolist()
    names = list_areas(engine, "kunta").set_index("code")["name_fi"]
    assert names["208"] == "Kalajoki (uusi)"


def test_two_in_memory_databases_are_not_confused() -> None:
    """Same URL (`sqlite://`), same fingerprint (two names swapped), different contents."""
    from datamodel.areas import sync_areas
    from datamodel.bootstrap import upgrade

    first, second = make_engine("sqlite://"), make_engine("sqlite://")
    for engine in (first, second):
        upgrade(engine)
        with engine.begin() as conn:
            sync_areas(conn)
    with second.begin() as conn:
        conn.execute(update(area).where(area.c.code == "208").values(name_fi="tmp"))
        conn.execute(update(area).where(area.c.code == "244").values(name_fi="Kalajoki"))
        conn.execute(update(area).where(area.c.code == "208").values(name_fi="Kempele"))
    first_names = list_areas(first, "kunta").set_index("code")["name_fi"]
    second_names = list_areas(second, "kunta").set_index("code")["name_fi"]
    assert (first_names["208"], first_names["244"]) == ("Kalajoki", "Kempele")
    assert (second_names["208"], second_names["244"]) == ("Kempele", "Kalajoki")


def test_without_the_change_counter_the_checksum_still_sees_edits(bundled_engine: Engine, tmp_path: Path) -> None:
    """A backend without triggers (DuckDB) has no counter row: the layer falls back to the checksum."""
    engine = _copy(bundled_engine, tmp_path)
    with engine.begin() as conn:
        conn.execute(delete(area_version))
    assert list_areas(engine, "kunta").set_index("code")["name_fi"]["208"] == "Kalajoki"
    with engine.begin() as conn:
        conn.execute(update(area).where(area.c.code == "208").values(name_fi="Kalajoki (uusi)"))
    assert list_areas(engine, "kunta").set_index("code")["name_fi"]["208"] == "Kalajoki (uusi)"


def test_a_rename_of_the_same_length_is_seen(bundled_engine: Engine, tmp_path: Path) -> None:
    """The checksum (sums of lengths) could not see this one; the database's counter does."""
    engine = _copy(bundled_engine, tmp_path)
    assert list_areas(engine, "kunta").set_index("code")["name_fi"]["208"] == "Kalajoki"
    with engine.begin() as conn:
        conn.execute(update(area).where(area.c.code == "208").values(name_fi="Kalajoke"))
    assert list_areas(engine, "kunta").set_index("code")["name_fi"]["208"] == "Kalajoke"
