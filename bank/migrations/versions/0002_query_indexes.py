"""indexes for the advisors' daily queries: maturities, contact history, a client's transactions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_holdings_maturity_date', 'holdings', ['maturity_date'], unique=False)
    op.create_index('ix_contacts_advisor_happened', 'contacts', ['advisor_id', 'happened_at'], unique=False)
    op.create_index('ix_transactions_client_date', 'transactions', ['client_id', 'trade_date'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_transactions_client_date', table_name='transactions')
    op.drop_index('ix_contacts_advisor_happened', table_name='contacts')
    op.drop_index('ix_holdings_maturity_date', table_name='holdings')
