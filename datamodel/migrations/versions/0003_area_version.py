"""dim_area_version: a change counter on dim_area kept by triggers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 19:00:00.000000

The metric layer memoises the area dimension and used to check it with a checksum over every
area row on each query (~0.4 ms on SQLite); reading this one row costs ~0.05 ms. SQLite gets
row triggers, PostgreSQL a statement trigger (TRUNCATE included). Other backends (DuckDB has no
triggers) get the table without its row, and the metric layer keeps the checksum there. The
statements are written out here rather than imported from `datamodel.schema`, so this migration
stays as it was written.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_SQLITE_OPS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('dim_area_version',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dim_area_version'))
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("INSERT INTO dim_area_version (id, version) VALUES (1, 0)")
        for name in _SQLITE_OPS:
            op.execute(f"CREATE TRIGGER dim_area_version_on_{name.lower()} AFTER {name} ON dim_area "
                       "BEGIN UPDATE dim_area_version SET version = version + 1 WHERE id = 1; END")
    elif dialect == "postgresql":
        op.execute("INSERT INTO dim_area_version (id, version) VALUES (1, 0)")
        op.execute("CREATE OR REPLACE FUNCTION dim_area_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN UPDATE dim_area_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$")
        op.execute("CREATE TRIGGER dim_area_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dim_area "
                   "FOR EACH STATEMENT EXECUTE FUNCTION dim_area_version_bump()")


def downgrade() -> None:
    """Downgrade schema."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in _SQLITE_OPS:
            op.execute(f"DROP TRIGGER IF EXISTS dim_area_version_on_{name.lower()}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS dim_area_version_bump ON dim_area")
        op.execute("DROP FUNCTION IF EXISTS dim_area_version_bump()")
    op.drop_table('dim_area_version')
