"""On PostgreSQL, every insert into the outbox (`notifications`) notifies the channel `outbox`, so that the
sender worker (services/outbox_wakeup.py) wakes at once instead of polling; other databases are polled

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE OR REPLACE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS "
               "$$ BEGIN PERFORM pg_notify('outbox', ''); RETURN NULL; END $$")
    op.execute("CREATE TRIGGER notifications_notify AFTER INSERT ON notifications "
               "FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS notifications_notify ON notifications")
    op.execute("DROP FUNCTION IF EXISTS notify_outbox()")
