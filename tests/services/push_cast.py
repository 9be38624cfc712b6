"""The advisor and clients a push test needs, in a private copy of the demo bank (tests.bank_files.copy_bank)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bank.db import session_scope
from bank.directory import Identity, who_is
from bank.models import Client, Staff

NOW = dt.datetime(2026, 11, 28, 10, 0)


@dataclass(frozen=True)
class Cast:
    """The advisor and the clients a push test needs (ids in the private bank)."""

    advisor: Identity
    suitable: list[int]
    low_risk: int
    expired: int
    other_advisors_client: int


def prepare(bank_url: str) -> Cast:
    """张敏's first five clients: three C3 with fresh assessments, one C1, one assessed two years ago."""
    with session_scope(bank_url) as s:
        advisor = who_is(s, "zhangmin")
        assert advisor is not None and advisor.staff_id is not None
        mine = s.scalars(select(Client).where(Client.advisor_id == advisor.staff_id,
                                              Client.wecom_external_userid.is_not(None)).order_by(Client.id).limit(5)).all()
        for client in mine[:3]:
            client.risk_level, client.risk_assessed_on = "C3", dt.date(2026, 6, 1)
        mine[3].risk_level, mine[3].risk_assessed_on = "C1", dt.date(2026, 6, 1)
        mine[4].risk_level, mine[4].risk_assessed_on = "C4", dt.date(2024, 6, 1)
        other = s.scalar(select(Client.id).join(Staff, Client.advisor_id == Staff.id)
                         .where(Staff.wecom_userid == "liqiang").order_by(Client.id).limit(1))
        assert other is not None
        return Cast(advisor, [c.id for c in mine[:3]], mine[3].id, mine[4].id, other)


@pytest.fixture
def cast(bank_url: str) -> Cast:
    """张敏 and three kinds of clients in this test's private bank copy (see `prepare`)."""
    return prepare(bank_url)
