"""series_coverage: per-series summary of fact_observation

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:00:00.000000

Creates `series_coverage` and fills it from the facts already loaded with one
`INSERT ... SELECT` (plain Core: the same statement on SQLite and PostgreSQL). From here on the
loaders keep it current (`datamodel.coverage.refresh_series_coverage`). The tables are declared
here rather than imported from `datamodel.schema`, so this migration stays as it was written.
"""
from datetime import datetime, timezone
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    coverage = op.create_table('series_coverage',
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('first_year', sa.Integer(), nullable=True),
    sa.Column('last_year', sa.Integer(), nullable=True),
    sa.Column('last_period', sa.String(length=10), nullable=True),
    sa.Column('rows', sa.BigInteger(), nullable=False),
    sa.Column('last_batch_id', sa.Integer(), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['last_batch_id'], ['load_batch.batch_id'], name=op.f('fk_series_coverage_last_batch_id_load_batch')),
    sa.ForeignKeyConstraint(['series_id'], ['dim_series.series_id'], name=op.f('fk_series_coverage_series_id_dim_series')),
    sa.PrimaryKeyConstraint('series_id', name=op.f('pk_series_coverage'))
    )

    # Backfill: one aggregate over every fact (year/period over rows with a value).
    fact = sa.table('fact_observation', sa.column('series_id'), sa.column('period_id'), sa.column('value'),
                    sa.column('batch_id'))
    period = sa.table('dim_period', sa.column('period_id'), sa.column('code'), sa.column('year'))
    has_value = fact.c.value.is_not(None)
    aggregate = (
        sa.select(
            fact.c.series_id,
            sa.func.min(sa.case((has_value, period.c.year))),
            sa.func.max(sa.case((has_value, period.c.year))),
            sa.func.max(sa.case((has_value, period.c.code))),
            sa.func.count(),
            sa.func.max(fact.c.batch_id),
            sa.literal(datetime.now(timezone.utc), sa.DateTime(timezone=True)),
        )
        .select_from(fact.join(period, period.c.period_id == fact.c.period_id))
        .group_by(fact.c.series_id)
    )
    op.execute(coverage.insert().from_select(
        ['series_id', 'first_year', 'last_year', 'last_period', 'rows', 'last_batch_id', 'refreshed_at'], aggregate,
    ))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('series_coverage')
