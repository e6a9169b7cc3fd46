"""Fixtures of the disclosure tests: the migration star of `dc_star` in a database and a catalogue."""

from __future__ import annotations

import os
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
def star_env(star_engine: Engine, star_metrics_dir: Path) -> Iterator[None]:
    """Point the settings at the star database and catalogue for this test only."""
    keys = ("KUNTAMITTARI_DATABASE_URL", "KUNTAMITTARI_METRICS_DIR", "KUNTAMITTARI_AUTH_MODE", "KUNTAMITTARI_PUBLIC_ONLY")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ["KUNTAMITTARI_DATABASE_URL"] = star_engine.url.render_as_string(hide_password=False)
    os.environ["KUNTAMITTARI_METRICS_DIR"] = str(star_metrics_dir)
    os.environ["KUNTAMITTARI_AUTH_MODE"] = "local"
    os.environ.pop("KUNTAMITTARI_PUBLIC_ONLY", None)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
