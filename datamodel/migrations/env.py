"""Alembic environment: targets `datamodel.schema.Base.metadata`.

Used programmatically (`datamodel.bootstrap`) with a connection passed in
`config.attributes["connection"]`, or from the command line with the URL from the settings.
`render_as_batch` lets ALTER-style migrations work on SQLite.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from datamodel.schema import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from datamodel.engine import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url") or None)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


def run_migrations_offline() -> None:
    from kuntamittari.settings import get_settings

    context.configure(
        url=config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
