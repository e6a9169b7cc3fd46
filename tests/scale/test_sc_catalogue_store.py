"""The metric catalogue in the warehouse: the same validation as files, versions with author and
time, refused concurrent saves across engines (replicas) and threads, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from datamodel.catalogue_schema import metric_version
from datamodel.engine import make_engine
from kuntamittari.i18n import t
from kuntamittari.settings import get_settings
from metrics.authoring import AuthoringContext, MetricForm, approve_metric, restore_version, save_metric
from metrics.authoring_store import AlreadyExistsError, ConflictError, StoreError
from metrics.catalog import load_catalog, load_database_catalog
from metrics.catalogue_store import DatabaseMetricStore, catalogue_version, current_rows
from metrics.catalogue_sync import seed_catalogue
from metrics.model import MetricStatus

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "metrics" / "definitions"
BROKEN = ROOT / "tests" / "metrics" / "broken"
SERIES = ("sotkanet:3196", "sotkanet:127")
FORM = MetricForm(
    metric_id="tulomuutto_1000", name_fi="Tulomuuttajat / 1000 asukasta", description_fi="Kuntaan muuttaneet.",
    unit_fi="/ 1000 asukasta", theme="living_environment_safety", kind="ratio", numerator="sotkanet:3196",
    denominator="sotkanet:127", scale="1000", direction="higher_is_better", owner="Alku",
)
FULL = replace(FORM, name_sv="Inflyttare per 1000 invånare", name_en="In-migrants per 1,000 residents",
               description_sv="Inflyttare.", description_en="In-migrants.", unit_sv="/ 1000 invånare",
               unit_en="/ 1000 residents")
EDIT = AuthoringContext(series_codes=SERIES, is_new=False)


def _rows(engine: Engine, metric_id: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(metric_version.c.metric_id == metric_id)).scalar_one())


def test_seeded_catalogue_equals_the_shipped_files(catalogue_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    report = seed_catalogue(catalogue_engine, SHIPPED)
    files = load_catalog(SHIPPED)
    assert sorted(report.added) == sorted(files.metrics) and len(files.metrics) == 35
    from_db = load_database_catalog(catalogue_engine, check_series=False)
    assert from_db.source == "database" and not from_db.issues
    assert from_db.metrics == files.metrics  # the same models, field for field
    # the configured source (no directory given) is the configured database: this test's one
    # (never the project's default file, which other tests running at the same time may be creating)
    monkeypatch.setenv("KUNTAMITTARI_DATABASE_URL", catalogue_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    assert load_catalog().metrics.keys() == files.metrics.keys()


def _issue_keys(catalog, shown) -> set[tuple[str, str, int | None]]:  # type: ignore[no-untyped-def]
    return {(Path(shown(i.file)).stem, i.code, i.line) for i in catalog.issues}


def test_database_texts_get_exactly_the_file_validation(catalogue_engine: Engine) -> None:
    """Every broken fixture file gives the same issue codes and lines from the database as from
    its file, except what only a file system can get wrong (a folder that disagrees with the theme,
    two files of one id, an id that cannot be a file name)."""
    report = seed_catalogue(catalogue_engine, BROKEN)
    assert any("population" in line for line in report.skipped)  # the second file of the id
    files = load_catalog(BROKEN)
    from_db = load_database_catalog(catalogue_engine, check_series=False, seed=False)
    file_only = {"theme-folder", "duplicate-id"}
    seeded = set(report.added)
    expected = {k for k in _issue_keys(files, str) if k[0] in seeded and k[1] not in file_only}
    got = {k for k in _issue_keys(from_db, str) if k[1] not in file_only}
    assert got == expected
    assert len(expected) >= 25
    assert all(i.file.startswith("catalogue:") for i in from_db.issues)
    assert sorted(from_db.metrics) == sorted(m for m in files.metrics if m in seeded)


def test_save_open_history_with_author_and_time(catalogue_engine: Engine) -> None:
    store = DatabaseMetricStore(catalogue_engine)
    before = catalogue_version(catalogue_engine)
    first = save_metric(store, FORM, store.new(FORM.metric_id), AuthoringContext(series_codes=SERIES), author="alice@kunta.fi")
    assert (first.version, first.fingerprint, first.label) == (1, "1", "tulomuutto_1000 v1")
    assert catalogue_version(catalogue_engine) != before
    second = save_metric(store, replace(FORM, owner="Toinen"), store.open(FORM.metric_id), EDIT, author="bob@kunta.fi")
    assert second.version == 2
    history = store.history(FORM.metric_id)
    assert [(h.version, h.author) for h in history] == [("2", "bob@kunta.fi"), ("1", "alice@kunta.fi")]
    assert history[0].saved_at >= history[1].saved_at
    assert "owner: Toinen" in store.open(FORM.metric_id).text
    assert "owner: Alku" in store.read_version(FORM.metric_id, "1")
    catalog = load_database_catalog(catalogue_engine, check_series=False)
    assert catalog.get(FORM.metric_id).status is MetricStatus.DRAFT


def test_two_replicas_editing_one_metric_second_refused_nothing_lost(catalogue_engine: Engine) -> None:
    """Two engines on one database stand for two app processes: the one that saves second is
    refused, exactly as two sessions of one process are, and its text is kept."""
    url = catalogue_engine.url.render_as_string(hide_password=False)
    other = make_engine(url)
    try:
        a, b = DatabaseMetricStore(catalogue_engine), DatabaseMetricStore(other)
        save_metric(a, FORM, a.new(FORM.metric_id), AuthoringContext(series_codes=SERIES))
        alice, bob = a.open(FORM.metric_id), b.open(FORM.metric_id)
        save_metric(a, replace(FORM, owner="Alice"), alice, EDIT, author="alice")
        with pytest.raises(ConflictError) as info:
            save_metric(b, replace(FORM, owner="Bob"), bob, EDIT, author="bob")
        assert "owner: Alice" in b.open(FORM.metric_id).text
        copy = info.value.params["conflict_copy"]
        assert "owner: Bob" in b.read_version(FORM.metric_id, copy)
        assert [h.kind for h in b.history(FORM.metric_id)] == ["conflict", "saved", "saved"]
        assert copy in t(info.value.key, "fi", **info.value.params)
        # a new metric whose id another replica took meanwhile
        with pytest.raises(AlreadyExistsError):
            save_metric(b, FORM, b.new(FORM.metric_id), AuthoringContext(series_codes=SERIES))
        with pytest.raises(StoreError):  # a file fingerprint is no version of this catalogue
            b.save(FORM.metric_id, "living_environment_safety", "x", "ab" * 32)
    finally:
        other.dispose()


def test_racing_saves_from_many_engines_only_one_wins(catalogue_engine: Engine) -> None:
    url = catalogue_engine.url.render_as_string(hide_password=False)
    store = DatabaseMetricStore(catalogue_engine)
    save_metric(store, FORM, store.new(FORM.metric_id), AuthoringContext(series_codes=SERIES))
    token = store.open(FORM.metric_id).fingerprint
    engines = [make_engine(url) for _ in range(6)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(engines))

    def race(n: int) -> None:
        racer = DatabaseMetricStore(engines[n])
        barrier.wait()
        try:
            racer.save(FORM.metric_id, "living_environment_safety", f"# racer {n}\n" + store.read_version(FORM.metric_id, "1"),
                       token, author=f"racer{n}")
            outcomes.append("saved")
        except ConflictError:
            outcomes.append("refused")

    threads = [threading.Thread(target=race, args=(n,)) for n in range(len(engines))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert sorted(outcomes) == ["refused"] * 5 + ["saved"]
    assert [r.version for r in current_rows(catalogue_engine)] == [2]
    assert _rows(catalogue_engine, FORM.metric_id) == 7  # v1, the winner, five kept conflicts


def test_approve_and_restore_through_the_database_store(catalogue_engine: Engine) -> None:
    store = DatabaseMetricStore(catalogue_engine)
    save_metric(store, FULL, store.new(FULL.metric_id), AuthoringContext(series_codes=SERIES), author="alice")
    approve_metric(store, FULL.metric_id, store.open(FULL.metric_id).fingerprint, "reviewer@kunta.fi")
    catalog = load_database_catalog(catalogue_engine, check_series=False)
    assert catalog.get(FULL.metric_id).status is MetricStatus.APPROVED
    assert store.history(FULL.metric_id)[0].author == "reviewer@kunta.fi"
    restore_version(store, FULL.metric_id, "1", store.open(FULL.metric_id).fingerprint, author="alice")
    assert store.open(FULL.metric_id).fingerprint == "3"
    assert store.open(FULL.metric_id).text == store.read_version(FULL.metric_id, "1")


def test_replicas_seeding_at_once_write_each_metric_once(catalogue_engine: Engine) -> None:
    url = catalogue_engine.url.render_as_string(hide_password=False)
    engines = [make_engine(url) for _ in range(3)]
    errors: list[BaseException] = []

    def start(engine: Engine) -> None:
        try:
            seed_catalogue(engine, SHIPPED)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert not errors, errors
    with catalogue_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(metric_version)).scalar_one() == 35
