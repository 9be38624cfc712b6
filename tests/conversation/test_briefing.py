"""The morning briefing in chat, over the REST channel against the real Rasa and action servers: "今天有什么要做的"
answers with the same briefing the scheduler's job sends, and the advisor's own settings change in the bank."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bank.db import session_scope
from bank.models import StaffPreference
from calc import clock
from services.briefing_job import briefing_url
from services.briefings import briefing_for, briefing_markdown, briefing_text
from services.settings import get_settings
from tests.conversation.conftest import Chat, said, texts

pytestmark = pytest.mark.conversation


def test_today_s_todo_is_the_briefing_the_job_sends(chat: Chat, demo_db_url: str) -> None:
    answer = texts(chat("zhangmin", "今天有什么要做的"))
    settings = get_settings()
    now = clock.now_in(settings.scheduler_timezone)
    with session_scope(demo_db_url) as session:
        briefing = briefing_for(session, _staff_id(session, "zhangmin"), now, settings)
    url = briefing_url(briefing.day)
    assert "\n".join(answer) == "\n".join(briefing_text(briefing, settings.briefing_max_lines, url))
    job_message = briefing_markdown(briefing, settings.briefing_max_lines, url)
    assert job_message.replace("**", "").replace(f"[打开]({url})", url) == "\n".join(answer)
    assert answer[0].startswith("张敏，今天") and "/briefing?day=" in answer[-1]


def test_a_client_is_told_it_is_for_advisors(chat: Chat, demo_db_url: str) -> None:
    from bank.models import Client

    with session_scope(demo_db_url) as session:
        client = session.scalar(select(Client.wecom_external_userid).where(
            Client.wecom_external_userid.is_not(None)).order_by(Client.id))
    assert texts(chat(str(client), "今天有什么要做的")) == [said("utter_adv_staff_only")]


def test_the_advisor_sets_a_time_then_pauses_tomorrow_then_stops(chat: Chat, demo_db_url: str) -> None:
    assert texts(chat("wanglei", "每天9点提醒我")) == [said("utter_adv_briefing_time_set", time="09:00")]
    assert _choice(demo_db_url, "wanglei")[:2] == ("09:00", False)
    assert texts(chat("wanglei", "明天不用提醒我")) == [said("utter_adv_briefing_paused", period="明天")]
    tomorrow = clock.now_in(get_settings().scheduler_timezone).date() + dt.timedelta(days=1)
    assert _choice(demo_db_url, "wanglei")[2:] == (tomorrow, tomorrow)
    assert texts(chat("wanglei", "以后不要再发每日提醒了")) == [said("utter_adv_briefing_stopped")]
    assert _choice(demo_db_url, "wanglei")[1] is True


def _staff_id(session: object, userid: str) -> int:
    from bank.models import Staff

    return int(session.scalar(select(Staff.id).where(Staff.wecom_userid == userid)))  # type: ignore[attr-defined]


def _choice(url: str, userid: str) -> tuple[object, ...]:
    with session_scope(url) as session:
        row = session.get(StaffPreference, _staff_id(session, userid))
        assert row is not None
        return (row.briefing_at, row.briefing_off, row.paused_from, row.paused_until)
