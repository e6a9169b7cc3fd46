"""The one way a CLI command opens the warehouse.

Every command takes `--db` (default: the configured URL) and needs the same three things: a bad
URL is a configuration error with a one-line message rather than SQLAlchemy's traceback, the
schema is migrated to head, and the bundled data is loaded into an empty warehouse unless the
command fills it itself (`bundled=False`, e.g. the synthetic generator).
"""

from __future__ import annotations

from sqlalchemy import Engine

from datamodel.errors import ConfigError


def open_engine(url: str | None, *, ready: bool = True, bundled: bool = True) -> Engine:
    """An engine for `url` (None: settings); migrated and seeded when `ready`."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from datamodel.bootstrap import ensure_database
    from datamodel.engine import make_engine

    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise ConfigError(f"bad database URL: {exc}") from exc
    if ready:
        ensure_database(engine, load_bundled=bundled)
    return engine
