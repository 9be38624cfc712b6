"""orders: settlement fields (trade and confirmation dates, NAV, fee, units, when settled or why not, the end of
an insurance order's cooling-off period, the holding and transaction it made)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ('trade_date', sa.Date()),
    ('confirm_date', sa.Date()),
    ('nav', sa.Numeric(precision=12, scale=4)),
    ('fee', sa.Numeric(precision=18, scale=2)),
    ('units', sa.Numeric(precision=18, scale=4)),
    ('settled_at', sa.DateTime()),
    ('reason', sa.String(length=200)),
    ('cooling_off_until', sa.Date()),
    ('holding_id', sa.Integer()),
    ('transaction_id', sa.Integer()),
)


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column('orders', sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
