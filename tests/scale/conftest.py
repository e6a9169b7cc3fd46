"""Set-up for the scale-out tests: the metric catalogue in the warehouse (`catalogue_source` =
database, which the rest of the suite switches off), on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from datamodel.bootstrap import ensure_database
from datamodel.engine import make_engine
from kuntamittari.settings import get_settings
from metrics.catalogue_sync import forget_seeded, seed_catalogue

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "metrics" / "definitions"


@pytest.fixture
def database_catalogue(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The catalogue read from and saved to the database, as in production."""
    monkeypatch.setenv("KUNTAMITTARI_CATALOGUE_SOURCE", "database")
    get_settings.cache_clear()
    forget_seeded()
    yield
    get_settings.cache_clear()
    forget_seeded()


@pytest.fixture
def catalogue_engine(db_engine: Engine, database_catalogue: None) -> Engine:
    """A fresh migrated database (SQLite and PostgreSQL) with the database catalogue switched on."""
    return db_engine


@pytest.fixture(scope="module")
def replica_db(new_pg_database: Callable[..., str]) -> str:
    """A new PostgreSQL database prepared as `kuntamittari init` prepares it (before any replica)."""
    url = new_pg_database()
    engine = make_engine(url)
    ensure_database(engine)
    seed_catalogue(engine, SHIPPED)
    engine.dispose()
    return url
