"""transactions.kind gains 'refund': a premium paid back when an insurance order is cancelled within its
cooling-off period (the premium's own transaction stays: the trail is never deleted)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "'buy', 'sell', 'dividend', 'maturity', 'premium'"


def upgrade() -> None:
    with op.batch_alter_table('transactions') as batch:
        batch.drop_constraint(op.f('ck_transactions_kind'), type_='check')
        batch.create_check_constraint(op.f('ck_transactions_kind'), f"kind IN ({KINDS}, 'refund')")


def downgrade() -> None:
    op.execute("DELETE FROM transactions WHERE kind = 'refund'")
    with op.batch_alter_table('transactions') as batch:
        batch.drop_constraint(op.f('ck_transactions_kind'), type_='check')
        batch.create_check_constraint(op.f('ck_transactions_kind'), f"kind IN ({KINDS})")
