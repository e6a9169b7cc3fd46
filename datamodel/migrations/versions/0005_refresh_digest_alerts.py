"""refresh runs, per-series source stamps, change digest, alert subscriptions and deliveries

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-30 18:00:00.000000

`refresh_run` records every `kuntamittari refresh` (a run that finds nothing new writes no
load batch yet counts as a refresh for the schedule); `refresh_series_state` keeps the source's
update stamp of each series so an unchanged series is not downloaded again; `digest_item` holds
what changed per municipality and metric, keyed by the load batch; `alert_subscription` and
`alert_delivery` make the e-mail/webhook alerts idempotent (one delivery per subscription and
batch). Tables are written out here, not imported from `datamodel.schema`, so this migration
stays as it was written.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('refresh_run',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('batch_ids', sa.JSON(), nullable=True),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('run_id', name=op.f('pk_refresh_run'))
    )
    op.create_index(op.f('ix_refresh_run_started_at'), 'refresh_run', ['started_at'], unique=False)
    op.create_table('refresh_series_state',
    sa.Column('series_code', sa.String(length=120), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('source_updated', sa.String(length=40), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['refresh_run.run_id'], name=op.f('fk_refresh_series_state_run_id_refresh_run')),
    sa.PrimaryKeyConstraint('series_code', name=op.f('pk_refresh_series_state'))
    )
    op.create_table('digest_item',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('area_code', sa.String(length=10), nullable=False),
    sa.Column('metric_id', sa.String(length=80), nullable=False),
    sa.Column('theme', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['load_batch.batch_id'], name=op.f('fk_digest_item_batch_id_load_batch')),
    sa.ForeignKeyConstraint(['run_id'], ['refresh_run.run_id'], name=op.f('fk_digest_item_run_id_refresh_run')),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_digest_item')),
    sa.UniqueConstraint('batch_id', 'area_code', 'metric_id', 'kind', 'period', name='uq_digest_item_key')
    )
    op.create_index(op.f('ix_digest_item_batch_id'), 'digest_item', ['batch_id'], unique=False)
    op.create_index('ix_digest_item_area', 'digest_item', ['area_code', 'batch_id'], unique=False)
    op.create_table('alert_subscription',
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('areas', sa.JSON(), nullable=False),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('subscription_id', name=op.f('pk_alert_subscription')),
    sa.UniqueConstraint('channel', 'address', name=op.f('uq_alert_subscription_channel'))
    )
    op.create_table('alert_delivery',
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['load_batch.batch_id'], name=op.f('fk_alert_delivery_batch_id_load_batch')),
    sa.ForeignKeyConstraint(['subscription_id'], ['alert_subscription.subscription_id'], name=op.f('fk_alert_delivery_subscription_id_alert_subscription'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('delivery_id', name=op.f('pk_alert_delivery')),
    sa.UniqueConstraint('subscription_id', 'batch_id', name='uq_alert_delivery_key')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('alert_delivery')
    op.drop_table('alert_subscription')
    op.drop_index('ix_digest_item_area', table_name='digest_item')
    op.drop_index(op.f('ix_digest_item_batch_id'), table_name='digest_item')
    op.drop_table('digest_item')
    op.drop_table('refresh_series_state')
    op.drop_index(op.f('ix_refresh_run_started_at'), table_name='refresh_run')
    op.drop_table('refresh_run')
