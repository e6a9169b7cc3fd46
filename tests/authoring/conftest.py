"""Shared fixtures of the authoring tests: temporary copies of the metric directory and of the
bundled database, and open access (KUNTAMITTARI_AUTH_MODE=none) unless a test says otherwise."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from kuntamittari.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory: pytest.TempPathFactory, bundled_engine: Engine) -> Path:
    """One copy of the bundled database for the tests that must not write to it (they assert so)."""
    db = tmp_path_factory.mktemp("authoring-db") / "db.sqlite"
    shutil.copyfile(bundled_engine.url.database, db)  # type: ignore[arg-type]
    return db


def _configure(monkeypatch: pytest.MonkeyPatch, metrics: Path, db: Path) -> None:
    monkeypatch.setenv("KUNTAMITTARI_METRICS_DIR", str(metrics))
    monkeypatch.setenv("KUNTAMITTARI_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("KUNTAMITTARI_AUTH_MODE", "none")
    get_settings.cache_clear()


@pytest.fixture()
def env(tmp_path: Path, shared_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temp copy of the metrics directory (never the real one), the shared DB copy, open access."""
    metrics = tmp_path / "metrics" / "definitions"
    shutil.copytree(ROOT / "metrics" / "definitions", metrics)
    _configure(monkeypatch, metrics, shared_db)
    yield metrics
    get_settings.cache_clear()


@pytest.fixture()
def env_own_db(tmp_path: Path, bundled_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Like `env` but with a database copy of its own (for a test that loads data)."""
    metrics = tmp_path / "metrics" / "definitions"
    shutil.copytree(ROOT / "metrics" / "definitions", metrics)
    db = tmp_path / "own.sqlite"
    shutil.copyfile(bundled_engine.url.database, db)  # type: ignore[arg-type]
    _configure(monkeypatch, metrics, db)
    yield metrics
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def authoring_server(streamlit_server, bundled_engine: Engine,  # type: ignore[no-untyped-def]
                     tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A Streamlit server (`app.py`, sign-in off) on fresh copies of the metric directory and the
    database, one per test module; (base url, metrics directory)."""
    tmp = tmp_path_factory.mktemp("authoring-server")
    metrics = tmp / "metrics" / "definitions"
    shutil.copytree(ROOT / "metrics" / "definitions", metrics)
    db = tmp / "db.sqlite"
    shutil.copyfile(bundled_engine.url.database, db)  # type: ignore[arg-type]
    url = streamlit_server("app.py", env={
        "KUNTAMITTARI_DATABASE_URL": f"sqlite:///{db}",
        "KUNTAMITTARI_METRICS_DIR": str(metrics),
        "KUNTAMITTARI_AUTH_MODE": "none",
    })
    return url, metrics


def _settle(page: object) -> None:
    """Wait until the app has finished its rerun (three calm checks in a row, 0.3 s apart): a
    browser step taken during a rerun can land on a widget the rerun is about to replace."""
    calm = 0
    while calm < 3:
        page.wait_for_timeout(300)  # type: ignore[attr-defined]
        state = page.evaluate(  # type: ignore[attr-defined]
            "document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state')")
        calm = calm + 1 if state == "notRunning" else 0


@pytest.fixture()
def settle() -> object:
    """`settle(page)`: wait until the page's Streamlit rerun is over (for the browser tests)."""
    return _settle
