"""Engine factory: the database URL alone selects the backend.

The embedded default is a SQLite file (WAL mode, so the dashboard can read while the CLI loads);
PostgreSQL is the production backend. See README "Why SQLite" for the measurements behind it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from kuntamittari.settings import get_settings

logger = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    """An engine for `url` (default: the configured URL); creates the SQLite file's folder."""
    url = url or get_settings().resolved_database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def backend_name(engine: Engine) -> str:
    """'sqlite', 'postgresql' or 'duckdb': for the few places where dialects differ (upserts)."""
    return engine.dialect.name
