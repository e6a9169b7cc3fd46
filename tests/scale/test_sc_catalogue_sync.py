"""Files <-> the warehouse's catalogue: a later seed never overwrites a local edit; export and
import round-trip, validate first, and refuse to overwrite an edit made in the app since the export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from datamodel.catalogue_schema import metric_version
from metrics.authoring import restore_version
from metrics.catalog import load_catalog, load_database_catalog
from metrics.catalogue_store import DatabaseMetricStore, catalogue_version, current_rows
from metrics.catalogue_sync import (
    VERSIONS_FILE,
    CatalogueSyncError,
    export_catalogue,
    import_catalogue,
    pending_shipped,
    seed_catalogue,
)

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "metrics" / "definitions"


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(metric_version)).scalar_one())


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    """A copy of the shipped definitions that a test can change as a new release would."""
    copy = tmp_path / "definitions"
    shutil.copytree(SHIPPED, copy)
    return copy


def test_later_seed_updates_untouched_metrics_and_holds_back_local_edits(catalogue_engine: Engine, shipped: Path) -> None:
    seed_catalogue(catalogue_engine, shipped)
    store = DatabaseMetricStore(catalogue_engine)
    opened = store.open("population")
    store.save("population", "economy_services", opened.text.replace("decimals: 0", "decimals: 1"), opened.fingerprint,
               author="local@kunta.fi")
    # a new release changes both population (edited here) and voter_turnout (untouched)
    population = next(shipped.rglob("population.yaml"))
    turnout = next(shipped.rglob("voter_turnout.yaml"))
    _edit(population, "fi: ", "fi: (uusi) ")
    _edit(turnout, "fi: ", "fi: (uusi) ")
    report = seed_catalogue(catalogue_engine, shipped)
    assert report.updated == ["voter_turnout"] and report.held_back == ["population"]
    assert store.open("voter_turnout").text == turnout.read_text(encoding="utf-8")
    local = store.open("population")
    assert "decimals: 1" in local.text and "(uusi)" not in local.text  # the local edit stays
    pending = pending_shipped(catalogue_engine)
    assert [(cur.metric_id, cur.author) for cur, _ in pending] == [("population", "local@kunta.fi")]
    label = pending[0][1].label
    assert label.startswith("shipped-") and "(uusi)" in store.read_version("population", label)
    assert [h.kind for h in store.history("population")][0] == "shipped"
    # the same release seeded again (every app start) adds nothing
    rows = _count(catalogue_engine)
    again = seed_catalogue(catalogue_engine, shipped)
    assert not again.updated and not again.held_back and _count(catalogue_engine) == rows
    # the administrator takes the shipped text: restore makes it current (as a draft, reviewed again)
    restore_version(store, "population", label, local.fingerprint, author="admin")
    assert "(uusi)" in store.open("population").text and "status: draft" in store.open("population").text
    assert not pending_shipped(catalogue_engine)


def test_export_import_round_trip(catalogue_engine: Engine, tmp_path: Path) -> None:
    seed_catalogue(catalogue_engine, SHIPPED)
    out = tmp_path / "export"
    report = export_catalogue(catalogue_engine, out)
    assert len(report.written) == 35
    for row in current_rows(catalogue_engine):
        assert (out / row.theme / f"{row.metric_id}.yaml").read_text(encoding="utf-8") == row.text
    exported = load_catalog(out)
    assert exported.metrics == load_catalog(SHIPPED).metrics and not exported.issues
    assert json.loads((out / VERSIONS_FILE).read_text())["population"] == 1
    # reviewed in git, then imported: only the changed file becomes a version, with its author
    _edit(out / "economy_services" / "population.yaml", "decimals: 0", "decimals: 2")
    before = catalogue_version(catalogue_engine)
    result = import_catalogue(catalogue_engine, out, author="git:merge-42")
    assert result.updated == ["population"] and len(result.unchanged) == 34
    assert catalogue_version(catalogue_engine) != before
    store = DatabaseMetricStore(catalogue_engine)
    assert store.history("population")[0].author == "git:merge-42"
    assert load_database_catalog(catalogue_engine, check_series=False).get("population").decimals == 2
    assert json.loads((out / VERSIONS_FILE).read_text())["population"] == 2
    # exporting again writes nothing new
    assert not export_catalogue(catalogue_engine, out).written


def test_import_refuses_invalid_files_and_edits_made_since_the_export(catalogue_engine: Engine, tmp_path: Path) -> None:
    seed_catalogue(catalogue_engine, SHIPPED)
    out = tmp_path / "export"
    export_catalogue(catalogue_engine, out)
    rows = _count(catalogue_engine)
    # a file with an error: nothing imported, the message names file and line
    broken = out / "economy_services" / "population.yaml"
    good_text = broken.read_text(encoding="utf-8")
    _edit(broken, "decimals: 0", "decimals: kaksi")
    with pytest.raises(CatalogueSyncError) as info:
        import_catalogue(catalogue_engine, out)
    assert "population.yaml" in str(info.value) and _count(catalogue_engine) == rows
    broken.write_text(good_text.replace("decimals: 0", "decimals: 3"), encoding="utf-8")
    # meanwhile someone edits population and voter_turnout in the app
    store = DatabaseMetricStore(catalogue_engine)
    opened = store.open("population")
    store.save("population", "economy_services", opened.text.replace("decimals: 0", "decimals: 1"), opened.fingerprint)
    turnout = next(out.rglob("voter_turnout.yaml"))
    _edit(turnout, "fi: ", "fi: (tiedostosta) ")
    with pytest.raises(CatalogueSyncError) as refused:
        import_catalogue(catalogue_engine, out)
    assert "population" in str(refused.value) and _count(catalogue_engine) == rows + 1  # all or nothing
    assert "(tiedostosta)" not in store.open("voter_turnout").text
    # --force: the reviewed files win, the app's edit stays in the history
    forced = import_catalogue(catalogue_engine, out, force=True, author="admin")
    assert sorted(forced.updated) == ["population", "voter_turnout"]
    assert "decimals: 3" in store.open("population").text
    assert "decimals: 1" in store.read_version("population", "2")
