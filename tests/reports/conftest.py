"""Fixtures of the report tests: the shipped catalogue on the bundled data (session-wide,
read-only), and the small-count migration star of tests/disclosure for disclosure checks."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from metrics.catalog import Catalog, load_catalog

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "disclosure"))

from dc_star import star_database  # noqa: E402


@pytest.fixture(scope="session")
def shipped_catalog(bundled_engine: Engine) -> Catalog:
    return load_catalog(None, bundled_engine)


@pytest.fixture
def star(tmp_path: Path, _sqlite_template: Path) -> Iterator[tuple[Engine, Catalog]]:
    """The migration star (Sottunga 766 and its small counts) with the shipped migration metrics."""
    engine, definitions = star_database(tmp_path, _sqlite_template)
    yield engine, load_catalog(definitions, engine)
    engine.dispose()


