"""Alembic: upgrade head on an empty database, downgrade to base, and no drift from schema.py."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from datamodel.bootstrap import current_revision, downgrade, head_revision, upgrade
from datamodel.engine import make_engine
from datamodel.schema import Base


def test_upgrade_downgrade_and_no_drift(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        assert diff == []
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) & set(Base.metadata.tables) == set()
        upgrade(engine)  # and back again
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
