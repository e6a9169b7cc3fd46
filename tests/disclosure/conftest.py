"""Fixtures of the disclosure tests: the migration star of `dc_star` in a database and a catalogue."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from dc_star import DEFINITIONS, MIGRATION_METRICS, fill_migration_star
from sqlalchemy import Engine

from datamodel.engine import make_engine
from kuntamittari.settings import get_settings


@pytest.fixture
def star_engine(tmp_path: Path, _sqlite_template: Path) -> Iterator[Engine]:
    """A fresh SQLite database (from the migrated template) holding the migration star."""
    path = tmp_path / "star.sqlite"
    shutil.copyfile(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    fill_migration_star(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def star_metrics_dir(tmp_path: Path) -> Path:
    """The shipped migration and population metric files, unchanged."""
    directory = tmp_path / "definitions" / "economy_services"
    directory.mkdir(parents=True)
    for name in MIGRATION_METRICS:
        shutil.copyfile(DEFINITIONS / f"{name}.yaml", directory / f"{name}.yaml")
    return tmp_path / "definitions"


@pytest.fixture
def star_env(star_engine: Engine, star_metrics_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings pointing at the star database and catalogue, for this test only."""
    monkeypatch.setenv("KUNTAMITTARI_DATABASE_URL", star_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("KUNTAMITTARI_METRICS_DIR", str(star_metrics_dir))
    monkeypatch.setenv("KUNTAMITTARI_AUTH_MODE", "local")
    monkeypatch.delenv("KUNTAMITTARI_PUBLIC_ONLY", raising=False)
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()
