"""model_portfolios.kind: 'model' (a house model portfolio), 'single' (one product pushed on its own) or 'adhoc'
(a mix an advisor named for a push); the last two are made by pushes and listed nowhere

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('model_portfolios', sa.Column('kind', sa.String(length=8), nullable=False,
                                                server_default='model'))


def downgrade() -> None:
    with op.batch_alter_table('model_portfolios') as batch:
        batch.drop_column('kind')
