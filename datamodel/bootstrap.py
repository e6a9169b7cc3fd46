"""Make a database ready at app start: migrate to head, load the bundled data once.

`ensure_database(engine)` runs on every start, so the already-done path is two cheap queries
(the Alembic revision and one `load_batch` row). A process-wide memo skips even those for an
engine URL already checked in this process.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from datamodel.errors import DatabaseNotReady
from datamodel.loaders.core import ProgressHook
from datamodel.schema import load_batch

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_done: set[str] = set()
_lock = threading.Lock()


def alembic_config() -> Config:
    """Alembic config pointing at the packaged migrations (works from an installed package)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest migration revision shipped with the code (read once per process)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run `alembic upgrade` on `engine` in one transaction."""
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Run `alembic downgrade` (tests, and undoing a failed deployment)."""
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def bundled_loaded(engine: Engine) -> bool:
    """Whether the bundled snapshot is in the database (one indexed query)."""
    from datamodel.loaders.sotkanet import BUNDLED_LOADER

    with engine.connect() as conn:
        stmt = select(load_batch.c.batch_id).where(load_batch.c.loader == BUNDLED_LOADER).limit(1)
        return conn.execute(stmt).first() is not None


def ensure_database(engine: Engine, *, load_bundled: bool = True, on_progress: ProgressHook | None = None) -> None:
    """Migrate to head and load areas + bundled data if not yet done. Idempotent and fast when done.

    Raises `DatabaseNotReady` when the database cannot be reached or migrated.
    """
    key = f"{engine.url.render_as_string(hide_password=False)}|{load_bundled}"
    if key in _done:
        return
    with _lock:
        if key in _done:
            return
        try:
            if current_revision(engine) != head_revision():
                logger.info("migrating %s to head", engine.url.render_as_string(hide_password=True))
                upgrade(engine)
            if load_bundled and not bundled_loaded(engine):
                from datamodel.areas import sync_areas
                from datamodel.loaders.sotkanet import load_bundled as _load

                with engine.begin() as conn:
                    sync_areas(conn)
                _load(engine, on_progress=on_progress)
                analyze(engine)
        except SQLAlchemyError as exc:
            raise DatabaseNotReady(f"database not ready ({type(exc).__name__}: {exc.args[0] if exc.args else exc})") from exc
        _done.add(key)


def analyze(engine: Engine) -> None:
    """Refresh planner statistics after a large load (SQLite has none until ANALYZE runs, and then
    picks the wrong index for the one-area query)."""
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def forget(engine: Engine | None = None) -> None:
    """Drop the in-process memo (tests that downgrade or recreate a database)."""
    with _lock:
        if engine is None:
            _done.clear()
        else:
            prefix = engine.url.render_as_string(hide_password=False) + "|"
            for key in [k for k in _done if k.startswith(prefix)]:
                _done.discard(key)


def has_schema(engine: Engine) -> bool:
    """Whether the star-schema tables exist (doctor)."""
    return inspect(engine).has_table("fact_observation")
