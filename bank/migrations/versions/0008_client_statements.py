"""client_preferences (a client's opt-out of the monthly statement), client_statements (each client's monthly
财富账单 behind a share token)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'client_preferences',
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('statements_off', sa.Boolean(), server_default='0', nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_client_preferences_client_id_clients'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('client_id', name=op.f('pk_client_preferences')),
    )
    op.create_table(
        'client_statements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('share_token', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_client_statements_client_id_clients'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_client_statements')),
        sa.UniqueConstraint('client_id', 'month', name='uq_client_statements_client_month'),
        sa.UniqueConstraint('share_token', name=op.f('uq_client_statements_share_token')),
    )


def downgrade() -> None:
    op.drop_table('client_statements')
    op.drop_table('client_preferences')
