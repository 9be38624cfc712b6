"""client_tags (an advisor's own labels on their clients), reward_benefits (the 成长权益 catalogue) and
reward_ledger (each client's benefits: earned, granted, redeemed or expired; once per client, rule and period)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'client_tags',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('advisor_id', sa.Integer(), nullable=False),
        sa.Column('tag', sa.String(length=12), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_client_tags_client_id_clients'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['advisor_id'], ['staff.id'], name=op.f('fk_client_tags_advisor_id_staff'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_client_tags')),
        sa.UniqueConstraint('client_id', 'advisor_id', 'tag', name='uq_client_tags_client_advisor_tag'),
    )
    op.create_index('ix_client_tags_advisor_tag', 'client_tags', ['advisor_id', 'tag'], unique=False)
    op.create_table(
        'reward_benefits',
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('gives', sa.String(length=200), nullable=False),
        sa.Column('rule_code', sa.String(length=32), nullable=True),
        sa.Column('points_cost', sa.Integer(), nullable=True),
        sa.Column('valid_days', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
        sa.CheckConstraint('valid_days > 0', name=op.f('ck_reward_benefits_valid_days')),
        sa.CheckConstraint('rule_code IS NOT NULL OR points_cost IS NOT NULL',
                           name=op.f('ck_reward_benefits_how_earned')),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_reward_benefits')),
        sa.UniqueConstraint('rule_code', name=op.f('uq_reward_benefits_rule_code')),
    )
    op.create_table(
        'reward_ledger',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('benefit_code', sa.String(length=32), nullable=False),
        sa.Column('rule_code', sa.String(length=32), nullable=False),
        sa.Column('period', sa.String(length=32), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('earned_at', sa.DateTime(), nullable=False),
        sa.Column('granted_at', sa.DateTime(), nullable=True),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        sa.Column('redeemed_at', sa.DateTime(), nullable=True),
        sa.Column('notification_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("state IN ('earned', 'granted', 'redeemed', 'expired')",
                           name=op.f('ck_reward_ledger_state')),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_reward_ledger_client_id_clients'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['benefit_code'], ['reward_benefits.code'],
                                name=op.f('fk_reward_ledger_benefit_code_reward_benefits')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reward_ledger')),
        sa.UniqueConstraint('client_id', 'rule_code', 'period', name='uq_reward_ledger_client_rule_period'),
    )
    op.create_index(op.f('ix_reward_ledger_client_id'), 'reward_ledger', ['client_id'], unique=False)
    op.create_index('ix_reward_ledger_state_expires', 'reward_ledger', ['state', 'expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_reward_ledger_state_expires', table_name='reward_ledger')
    op.drop_index(op.f('ix_reward_ledger_client_id'), table_name='reward_ledger')
    op.drop_table('reward_ledger')
    op.drop_table('reward_benefits')
    op.drop_index('ix_client_tags_advisor_tag', table_name='client_tags')
    op.drop_table('client_tags')
