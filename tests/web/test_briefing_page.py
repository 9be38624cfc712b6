"""The full briefing page (/briefing): only the advisor signed in sees their own, every section in full."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from bank.db import session_scope
from bank.models import Staff
from services.briefings import briefing_for
from services.settings import Settings
from tests.web.conftest import signed_in


def test_without_an_identity_it_asks_to_sign_in(client: httpx.Client) -> None:
    answer = client.get("/briefing", params={"day": "2026-11-30"})
    assert answer.status_code == 401 and "/auth/login?next=/briefing" in answer.text


def test_a_manager_is_refused(client: httpx.Client) -> None:
    answer = signed_in(client, "chenjing").get("/briefing")
    assert answer.status_code == 403 and "仅限理财经理" in answer.text


def test_the_advisor_sees_every_line_of_their_briefing(client: httpx.Client, demo_db_url: str) -> None:
    import datetime as dt

    answer = signed_in(client, "zhangmin").get("/briefing", params={"day": "2026-11-30"})
    assert answer.status_code == 200
    with session_scope(demo_db_url) as session:
        staff_id = session.scalar(select(Staff.id).where(Staff.wecom_userid == "zhangmin"))
        briefing = briefing_for(session, int(staff_id), dt.datetime(2026, 11, 30, 8, 30), Settings())
    assert "张敏的今日待办" in answer.text and briefing.ordered
    for section in briefing.ordered:
        assert f'data-section="{section.key}"' in answer.text
        assert all(line.text in answer.text for line in section.lines)  # all of them, not the message's few
