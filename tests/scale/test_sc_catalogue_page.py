"""The authoring page on the warehouse's catalogue (AppTest): a draft saved through the page is a
database version that the dashboard shows; two sessions editing one metric, the second refused."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from datamodel.engine import make_engine
from kuntamittari.settings import get_settings
from metrics.catalogue_store import DatabaseMetricStore

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "authoring.py")


@pytest.fixture
def page_db(bundled_engine: Engine, tmp_path: Path, database_catalogue: None,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A private copy of the bundled database; catalogue in it; the shipped files as the seed."""
    path = tmp_path / "page.sqlite"
    shutil.copyfile(bundled_engine.url.database, path)  # type: ignore[arg-type]
    monkeypatch.setenv("KUNTAMITTARI_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("KUNTAMITTARI_AUTH_MODE", "none")
    monkeypatch.setenv("KUNTAMITTARI_METRICS_DIR", str(ROOT / "metrics" / "definitions"))
    get_settings.cache_clear()
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def _start(at: AppTest, mode: str, metric_id: str) -> None:
    at.radio(key="au_start_mode").set_value(mode).run()
    at.selectbox(key="au_start_metric").set_value(metric_id).run()
    at.button(key="au_start_button").click().run()


def test_page_saves_a_draft_as_a_database_version(page_db: Engine) -> None:
    at = AppTest.from_file(PAGE, default_timeout=90)
    at.run()
    assert not at.exception
    _start(at, "copy", "population")
    assert at.text_input(key="au_metric_id").value == "population_kopio"
    at.text_input(key="au_name_fi").input("Väkiluku, kokeilu").run()
    at.button(key="au_save").click().run()
    assert not at.exception
    assert [s.value for s in at.success if "population_kopio v1" in s.value], [s.value for s in at.success]
    store = DatabaseMetricStore(page_db)
    saved = store.open("population_kopio")
    assert saved.fingerprint == "1" and "Väkiluku, kokeilu" in saved.text and "status: draft" in saved.text
    assert not list((ROOT / "metrics" / "definitions").rglob("population_kopio.yaml"))  # no file written
    # the history on the page lists the database versions
    assert any(o == "1" for o in at.selectbox(key="au_history_version").options)


def test_two_sessions_editing_one_metric_second_refused(page_db: Engine) -> None:
    alice = AppTest.from_file(PAGE, default_timeout=90)
    bob = AppTest.from_file(PAGE, default_timeout=90)
    for at in (alice, bob):
        at.run()
        _start(at, "edit", "population")
    alice.text_input(key="au_owner").input("Alice").run()
    bob.text_input(key="au_owner").input("Bob").run()
    alice.button(key="au_save").click().run()
    bob.button(key="au_save").click().run()
    assert not alice.exception and not bob.exception
    assert any("population" in e.value and "conflict-" in e.value for e in bob.error), [e.value for e in bob.error]
    store = DatabaseMetricStore(page_db)
    assert "owner: Alice" in store.open("population").text
    conflict = next(h for h in store.history("population") if h.kind == "conflict")
    assert "owner: Bob" in store.read_version("population", conflict.version)
