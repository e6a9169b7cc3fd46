"""Municipal division per series, data-quality issues, provenance of own uploads

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00.000000

- `dim_series.division`: the municipal division (the year of the borders) the series' history is
  on; null means the area dimension's base division (2013, the bundled area list), which is what
  every series loaded before this migration is on. `dim_series.zero_implausible` marks series for
  which a value of exactly 0 cannot be real; `dim_series.source_name` names the publisher.
- `load_batch.source_name` and `load_batch.uploaded_by`: the provenance of an own upload.
- `data_quality_issue`: source values the loader did not take at face value, with the value as
  the source gave it.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # Plain ADD COLUMN (nullable, no default): no table rebuild on SQLite, no rewrite on PostgreSQL.
    op.add_column('dim_series', sa.Column('source_name', sa.String(length=200), nullable=True))
    op.add_column('dim_series', sa.Column('division', sa.Integer(), nullable=True))
    op.add_column('dim_series', sa.Column('zero_implausible', sa.Boolean(), nullable=True))
    op.add_column('load_batch', sa.Column('source_name', sa.String(length=200), nullable=True))
    op.add_column('load_batch', sa.Column('uploaded_by', sa.String(length=120), nullable=True))
    big_id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
    op.create_table('data_quality_issue',
    sa.Column('issue_id', big_id, autoincrement=True, nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['area_id'], ['dim_area.area_id'], name=op.f('fk_data_quality_issue_area_id_dim_area')),
    sa.ForeignKeyConstraint(['batch_id'], ['load_batch.batch_id'], name=op.f('fk_data_quality_issue_batch_id_load_batch')),
    sa.ForeignKeyConstraint(['group_id'], ['dim_group.group_id'], name=op.f('fk_data_quality_issue_group_id_dim_group')),
    sa.ForeignKeyConstraint(['period_id'], ['dim_period.period_id'], name=op.f('fk_data_quality_issue_period_id_dim_period')),
    sa.ForeignKeyConstraint(['series_id'], ['dim_series.series_id'], name=op.f('fk_data_quality_issue_series_id_dim_series')),
    sa.PrimaryKeyConstraint('issue_id', name=op.f('pk_data_quality_issue'))
    )
    op.create_index(op.f('ix_data_quality_issue_batch_id'), 'data_quality_issue', ['batch_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_data_quality_issue_batch_id'), table_name='data_quality_issue')
    op.drop_table('data_quality_issue')
    # DROP COLUMN in place (SQLite >= 3.35): rebuilding load_batch would break the facts' foreign keys.
    for table, column in (('load_batch', 'uploaded_by'), ('load_batch', 'source_name'),
                          ('dim_series', 'zero_implausible'), ('dim_series', 'division'),
                          ('dim_series', 'source_name')):
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
