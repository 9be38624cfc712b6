"""model_portfolios: versions (version, superseded_at, change_note; a name is unique per version) so a push keeps
the weights it pushed; house_views: the managers' versions of the strategic allocation by client level;
contacts.kind gains 'message' (an item an advisor sent a client through the bot)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('model_portfolios') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch.add_column(sa.Column('superseded_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('change_note', sa.Text(), nullable=False, server_default=''))
        batch.drop_constraint('uq_model_portfolios_name', type_='unique')
        batch.create_unique_constraint('uq_model_portfolios_name_version', ['name', 'version'])
    with op.batch_alter_table('contacts') as batch:
        batch.drop_constraint(op.f('ck_contacts_kind'), type_='check')
        batch.create_check_constraint(op.f('ck_contacts_kind'), "kind IN ('phone', 'visit', 'salon', 'message')")
    op.create_table(
        'house_views',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('weights', sa.JSON(), nullable=False),
        sa.Column('change_note', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name=op.f('fk_house_views_created_by_id_staff')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_house_views')),
        sa.UniqueConstraint('version', name=op.f('uq_house_views_version')),
    )


def downgrade() -> None:
    op.drop_table('house_views')
    op.execute("DELETE FROM contacts WHERE kind = 'message'")
    with op.batch_alter_table('contacts') as batch:
        batch.drop_constraint(op.f('ck_contacts_kind'), type_='check')
        batch.create_check_constraint(op.f('ck_contacts_kind'), "kind IN ('phone', 'visit', 'salon')")
    op.execute("DELETE FROM model_portfolios WHERE superseded_at IS NOT NULL AND id NOT IN "
               "(SELECT portfolio_id FROM portfolio_pushes)")
    with op.batch_alter_table('model_portfolios') as batch:
        batch.drop_constraint('uq_model_portfolios_name_version', type_='unique')
        batch.create_unique_constraint('uq_model_portfolios_name', ['name'])
        batch.drop_column('change_note')
        batch.drop_column('superseded_at')
        batch.drop_column('version')
