"""sign-in sessions and failed-sign-in throttling in the warehouse

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-01 12:00:00.000000

`auth_session` keeps the SHA-256 of each sign-in session's random id with the user, the roles at
sign-in, creation, last-seen, expiry and revocation times; `auth_throttle` keeps counted sign-in
attempts and lockouts per user and per client under the SHA-256 of their key. Both live in the
warehouse so that every app replica on one database shares them. Tables are written out here,
not imported from `datamodel.schema`, so this migration stays as it was written.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('auth_session',
    sa.Column('session_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('client_hash', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('session_hash', name=op.f('pk_auth_session'))
    )
    op.create_index(op.f('ix_auth_session_email'), 'auth_session', ['email'], unique=False)
    op.create_index(op.f('ix_auth_session_expires_at'), 'auth_session', ['expires_at'], unique=False)
    op.create_table('auth_throttle',
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('lockouts', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_auth_throttle'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('auth_throttle')
    op.drop_index(op.f('ix_auth_session_expires_at'), table_name='auth_session')
    op.drop_index(op.f('ix_auth_session_email'), table_name='auth_session')
    op.drop_table('auth_session')
