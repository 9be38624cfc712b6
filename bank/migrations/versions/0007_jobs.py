"""job_runs (one scheduled job's work per recipient and period, done once), staff_preferences (the briefing's
time, off or paused), reminders (briefing lines, to measure what advisors acted on); a contact's next step gets
its date

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'job_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job', sa.String(length=32), nullable=False),
        sa.Column('recipient', sa.String(length=64), nullable=False),
        sa.Column('period', sa.String(length=64), nullable=False),
        sa.Column('done_at', sa.DateTime(), nullable=False),
        sa.Column('notification_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
        sa.UniqueConstraint('job', 'recipient', 'period', name='uq_job_runs_job_recipient_period'),
    )
    op.create_table(
        'staff_preferences',
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('briefing_at', sa.String(length=5), nullable=True),
        sa.Column('briefing_off', sa.Boolean(), server_default='0', nullable=False),
        sa.Column('paused_from', sa.Date(), nullable=True),
        sa.Column('paused_until', sa.Date(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_preferences_staff_id_staff'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('staff_id', name=op.f('pk_staff_preferences')),
    )
    op.create_table(
        'reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('advisor_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['advisor_id'], ['staff.id'], name=op.f('fk_reminders_advisor_id_staff'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_reminders_client_id_clients'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders')),
        sa.UniqueConstraint('advisor_id', 'client_id', 'kind', 'day', name='uq_reminders_advisor_client_kind_day'),
    )
    op.create_index('ix_reminders_advisor_day', 'reminders', ['advisor_id', 'day'], unique=False)
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_step_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_contacts_next_step_on'), ['next_step_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_next_step_on'))
        batch_op.drop_column('next_step_on')
    op.drop_index('ix_reminders_advisor_day', table_name='reminders')
    op.drop_table('reminders')
    op.drop_table('staff_preferences')
    op.drop_table('job_runs')
