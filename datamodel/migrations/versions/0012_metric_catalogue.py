"""the metric catalogue in the warehouse: every version of every metric definition

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-02 12:00:00.000000

`metric_version` holds each metric's YAML text, version by version (author, time, kind), so
every app replica reads and writes one catalogue; the unique key on (metric_id, version) makes
two concurrent saves of the same version refuse the second. Written out here, not imported from
`datamodel.catalogue_schema`, so this migration stays as it was written.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('metric_version',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('theme', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=True),
    sa.Column('yaml_text', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('based_on', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version_id', name=op.f('pk_metric_version')),
    sa.UniqueConstraint('metric_id', 'version', name='uq_metric_version_key')
    )
    op.create_index('ix_metric_version_metric', 'metric_version', ['metric_id', 'version_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_metric_version_metric', table_name='metric_version')
    op.drop_table('metric_version')
