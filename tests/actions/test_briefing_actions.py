"""The briefing's chat actions over a private bank: the briefing for advisors only, the advisor's own settings
(time, pause, stop, or a question back), and a logged contact's next step stored with its date."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from actions.advisor.briefing import ActionBriefing, ActionBriefingSettings
from actions.advisor.contacts import ActionLogContact
from bank.db import session_scope
from bank.models import Contact, Staff, StaffPreference
from calc.clock import frozen
from tests.actions.kit import make_tracker, run_action

NOW = dt.datetime(2026, 12, 1, 10, 0)  # a Tuesday


def preference(userid: str) -> StaffPreference | None:
    with session_scope() as session:
        staff_id = session.scalar(select(Staff.id).where(Staff.wecom_userid == userid))
        return session.get(StaffPreference, staff_id)


def settings_said(userid: str, text: str) -> list[dict[str, object]]:
    with frozen(NOW):
        messages, _ = run_action(ActionBriefingSettings(), make_tracker(userid, text, "briefing_settings"))
    return messages


@pytest.mark.usefixtures("bank_env")
class TestSettings:
    def test_a_time_sets_it(self) -> None:
        said = settings_said("zhangmin", "每天早上八点半提醒我")
        assert [(m["response"], m["time"]) for m in said] == [("utter_adv_briefing_time_set", "08:30")]
        row = preference("zhangmin")
        assert row is not None and (row.briefing_at, row.briefing_off) == ("08:30", False)

    def test_tomorrow_pauses_one_day_and_next_week_seven(self) -> None:
        assert settings_said("zhangmin", "明天不用提醒我")[0]["response"] == "utter_adv_briefing_paused"
        row = preference("zhangmin")
        assert row is not None and (row.paused_from, row.paused_until) == (dt.date(2026, 12, 2), dt.date(2026, 12, 2))
        settings_said("zhangmin", "下周休年假，不用推送待办")
        row = preference("zhangmin")
        assert row is not None and (row.paused_from, row.paused_until) == (dt.date(2026, 12, 7), dt.date(2026, 12, 13))

    def test_stop_words_turn_it_off_and_a_time_turns_it_back_on(self) -> None:
        assert settings_said("zhangmin", "以后不要再发每日提醒了")[0]["response"] == "utter_adv_briefing_stopped"
        assert preference("zhangmin").briefing_off is True  # type: ignore[union-attr]
        settings_said("zhangmin", "每天9点提醒我")
        assert preference("zhangmin").briefing_off is False  # type: ignore[union-attr]

    def test_without_a_time_or_a_day_it_asks(self) -> None:
        assert settings_said("zhangmin", "提醒的事情调一下")[0]["response"] == "utter_adv_briefing_settings_ask"
        assert preference("zhangmin") is None

    def test_a_manager_is_refused_and_nothing_changes(self) -> None:
        assert settings_said("chenjing", "每天9点提醒我")[0]["response"] == "utter_adv_staff_only"
        assert preference("chenjing") is None


@pytest.mark.usefixtures("bank_env")
def test_the_briefing_answers_an_advisor_in_lines_with_the_page_link() -> None:
    with frozen(NOW):
        messages, _ = run_action(ActionBriefing(), make_tracker("zhangmin", "今天有什么要做的", "my_briefing"))
    text = "\n".join(str(m["text"]) for m in messages)
    assert text.startswith("张敏，今天（12月01日 周二）要做的事") and "/briefing?day=2026-12-01" in text


@pytest.mark.usefixtures("bank_env")
def test_a_logged_next_step_gets_its_date() -> None:
    with frozen(NOW):
        messages, _ = run_action(ActionLogContact(), make_tracker(
            "zhangmin", "刚给张伟尾号6397打了电话，他想了解养老，下周三回访", "log_contact"))
    assert messages[0]["due"] == "（12月09日提醒）"
    with session_scope() as session:
        last = session.scalars(select(Contact).order_by(Contact.id.desc())).first()
        assert last is not None and (last.next_step, last.next_step_on) == ("下周三回访", dt.date(2026, 12, 9))


@pytest.mark.usefixtures("bank_env")
def test_a_briefing_narrowed_to_a_segment_names_only_its_clients() -> None:
    from services.briefings import briefing_for
    from services.segments import segment_members
    from services.settings import get_settings

    with frozen(NOW):
        messages, _ = run_action(ActionBriefing(), make_tracker("zhangmin", "测评过期的客户今天要跟进什么", "my_briefing"))
        with session_scope() as session:
            staff_id = session.scalar(select(Staff.id).where(Staff.wecom_userid == "zhangmin"))
            members = {m.client_id for m in segment_members(session, staff_id, "risk_expired", NOW.date())}
            full = briefing_for(session, staff_id, NOW, get_settings())
    assert members and messages[0]["text"].startswith(f"只看测评过期（{len(members)}位）的待办")
    text = "\n".join(str(m["text"]) for m in messages[1:])
    shown = {line.client_id for section in full.ordered for line in section.lines if line.client_id}
    others = [line.text for section in full.ordered for line in section.lines
              if line.client_id and line.client_id not in members]
    assert shown - members and not any(other.split("（")[0] + "（" in text for other in others[:5])
