"""inbox, kf_cursors, idempotency_keys; the outbox (notifications) gains its delivery state

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'inbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('message_id', sa.String(length=128), nullable=False),
        sa.Column('sender', sa.String(length=64), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('meta', sa.JSON(), nullable=True),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('state', sa.String(length=16), server_default='pending', nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('lease_until', sa.DateTime(), nullable=True),
        sa.Column('busy_told_at', sa.DateTime(), nullable=True),
        sa.Column('done_at', sa.DateTime(), nullable=True),
        sa.Column('error', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox')),
        sa.UniqueConstraint('channel', 'message_id', name=op.f('uq_inbox_channel_message_id')),
    )
    op.create_index('ix_inbox_state_id', 'inbox', ['state', 'id'], unique=False)
    op.create_index('ix_inbox_sender_received', 'inbox', ['sender', 'received_at'], unique=False)
    op.create_table(
        'kf_cursors',
        sa.Column('open_kfid', sa.String(length=64), nullable=False),
        sa.Column('cursor', sa.String(length=256), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('open_kfid', name=op.f('pk_kf_cursors')),
    )
    op.create_table(
        'idempotency_keys',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_idempotency_keys')),
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('path', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('state', sa.String(length=16), server_default='pending', nullable=False))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('priority', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('route', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('source', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('external_id', sa.String(length=128), nullable=True))
        batch_op.create_index('ix_notifications_state_id', ['state', 'id'], unique=False)
    op.execute("UPDATE notifications SET state = 'sent' WHERE sent_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_state_id')
        for column in ('external_id', 'source', 'route', 'priority', 'next_attempt_at', 'attempts', 'state',
                       'payload', 'path'):
            batch_op.drop_column(column)
    op.drop_table('idempotency_keys')
    op.drop_table('kf_cursors')
    op.drop_index('ix_inbox_sender_received', table_name='inbox')
    op.drop_index('ix_inbox_state_id', table_name='inbox')
    op.drop_table('inbox')
