"""The managers' weekly report with a controlled clock, the outbox and the fake WeCom API: on the first working day
of the week (Monday, or later after a holiday) each manager gets last week's team figures with the change from
the week before and who acted on their briefings' reminders, once, and not again after a re-run or from a second
scheduler."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from bank.db import session_scope
from bank.models import Contact, JobRun, Notification, Staff
from services import weekly_report
from services.dashboard import team_dashboard
from services.scheduler import Scheduler
from services.settings import Settings
from services.weekly_report import weekly_markdown
from tests.services.briefing_seed import AT, Seeded, seed
from tests.services.outbox_kit import drain, fake, worker
from tests.wecom_peer.fake_api import FakeWeCom

__all__ = ["fake"]  # fixture
MONDAY = dt.datetime(2026, 12, 7, 9, 0)
MANAGERS = ["chenjing", "zhaoli"]  # in the demo bank
LAST_WEEK = (dt.date(2026, 11, 30), dt.date(2026, 12, 6))
WEEK_BEFORE = (dt.date(2026, 11, 23), dt.date(2026, 11, 29))


@pytest.fixture
def seeded(bank_url: str) -> Seeded:
    """Tuesday's briefings went out (their client lines became reminders); on Wednesday 张敏 phoned her maturity
    client, and nobody else acted on anything."""
    situation = seed(bank_url)
    assert len(Scheduler(Settings(), bank_url).fire("briefing", AT).sent) == 7
    with session_scope(bank_url) as session:
        session.add(Contact(advisor_id=situation.advisor_id, client_id=situation.clients["maturities"][0],
                            kind="phone", happened_at=dt.datetime(2026, 12, 2, 10), note="谈到期续作"))
    return situation


def scheduler(url: str, **settings: object) -> Scheduler:
    return Scheduler(Settings(**settings), url)  # type: ignore[arg-type]


def reports(url: str) -> dict[str, int]:
    with session_scope(url) as session:
        return dict(session.execute(select(Notification.recipient, func.count())
                                    .where(Notification.kind == "weekly_report")
                                    .group_by(Notification.recipient)).tuples().all())


def figures(url: str, manager: str) -> tuple[dict, dict]:  # type: ignore[type-arg]
    with session_scope(url) as session:
        staff_id = session.scalar(select(Staff.id).where(Staff.wecom_userid == manager))
        return tuple(team_dashboard(session, int(staff_id), *week, acted_days=3, today=MONDAY.date())  # type: ignore[return-value]
                     for week in (LAST_WEEK, WEEK_BEFORE))


class TestOnMonday:
    def test_arrives_once_for_each_manager_with_the_changes_and_who_acted(
            self, fake: FakeWeCom, bank_url: str, seeded: Seeded) -> None:
        jobs = scheduler(bank_url)
        assert jobs.fire("weekly_report", MONDAY - dt.timedelta(minutes=15)).sent == []
        first = jobs.fire("weekly_report", MONDAY)
        assert first.sent == MANAGERS and first.period == "2026-W49"
        again = jobs.fire("weekly_report", MONDAY + dt.timedelta(minutes=15))
        assert again.sent == [] and again.already_done == MANAGERS
        sender = worker(bank_url)
        drain(sender, start=MONDAY)
        sender.close()
        assert reports(bank_url) == dict.fromkeys(MANAGERS, 1)
        received = fake.sent("message/send", to="chenjing")
        assert len(received) == 1 and received[0]["msgtype"] == "markdown"
        content = received[0]["markdown"]["content"]
        assert len(content.encode()) <= 2048
        assert content.startswith("**")
        assert content.endswith("/dashboard?start=2026-11-30&end=2026-12-06)")

        this, before = figures(bank_url, "chenjing")
        contacts, contacts_before = this["contacts"]["total"], before["contacts"]["total"]
        assert contacts == 1 and contacts_before > 1
        assert f"客户联系：**1** 次（较上周-{contacts_before - 1}）" in content
        assert f"建议书：**{this['proposals']['total']}** 份" in content
        conv = {row["name"]: row for row in this["conversion"]["by_advisor"]}
        assert conv["张敏"]["acted"] == 1 and conv["张敏"]["reminded"] >= 7
        assert f"> 张敏：提醒 {conv['张敏']['reminded']} 条，已跟进 1 条（{conv['张敏']['rate']:.1f}%）" in content
        assert conv["李强"]["reminded"] and not conv["李强"]["acted"] and not conv["李强"]["open"]
        assert f"> 李强：提醒 {conv['李强']['reminded']} 条，<font color=\"warning\">未跟进</font>" in content
        assert "（上周 无提醒）" in content  # no briefing went out the week before
        other = fake.sent("message/send", to="zhaoli")[0]["markdown"]["content"]
        assert "张敏" not in other and "周杰" in other  # each manager their own team

    def test_a_second_scheduler_that_read_before_the_first_committed_sends_nothing(
            self, bank_url: str, seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
        first = scheduler(bank_url).fire("weekly_report", MONDAY)
        monkeypatch.setattr(weekly_report, "done_for", lambda *args, **kwargs: set())  # saw nothing done yet
        second = scheduler(bank_url).fire("weekly_report", MONDAY + dt.timedelta(minutes=1))
        assert first.sent == MANAGERS and second.sent == [] and second.already_done == MANAGERS
        assert reports(bank_url) == dict.fromkeys(MANAGERS, 1)
        with session_scope(bank_url) as session:
            keys = session.execute(select(JobRun.recipient, JobRun.period).where(JobRun.job == "weekly_report")).all()
        assert sorted(keys) == [(m, "2026-W49") for m in MANAGERS]

    def test_a_missed_morning_is_caught_up_within_the_grace_period_only(self, bank_url: str, seeded: Seeded) -> None:
        assert scheduler(bank_url, weekly_report_grace_minutes=60).fire(
            "weekly_report", MONDAY + dt.timedelta(hours=2)).sent == []
        assert scheduler(bank_url).fire("weekly_report", MONDAY + dt.timedelta(hours=2)).sent == MANAGERS
        assert scheduler(bank_url).fire("weekly_report", MONDAY + dt.timedelta(days=1)).sent == []


class TestOtherDays:
    def test_nothing_on_other_days_or_when_the_job_is_off(self, bank_url: str, seeded: Seeded) -> None:
        for moment in (dt.datetime(2026, 12, 8, 9, 0), dt.datetime(2026, 12, 5, 9, 0), dt.datetime(2026, 12, 6, 9, 0)):
            assert scheduler(bank_url).fire("weekly_report", moment).sent == [], moment
        assert scheduler(bank_url, weekly_report_enabled=False).fire("weekly_report", MONDAY).sent == []
        assert "weekly_report" not in scheduler(bank_url, weekly_report_enabled=False).triggers()
        assert reports(bank_url) == {}

    def test_a_holiday_monday_moves_the_report_to_the_first_working_day(self, bank_url: str) -> None:
        assert scheduler(bank_url).fire("weekly_report", dt.datetime(2026, 10, 5, 9, 0)).sent == []  # 国庆
        thursday = scheduler(bank_url).fire("weekly_report", dt.datetime(2026, 10, 8, 9, 0))
        assert thursday.sent == MANAGERS and thursday.period == "2026-W40"  # 9月28日至10月4日
        with session_scope(bank_url) as session:
            text = session.scalar(select(Notification.text).where(Notification.recipient == "chenjing",
                                                                  Notification.kind == "weekly_report"))
        assert text is not None and "9月28日至10月4日" in text


def test_a_large_team_still_fits_with_the_link() -> None:
    week = {"team": {"name": "某支行理财一组"}, "period": {"start": "2026-11-30", "end": "2026-12-06"},
            "active_users": 3, "contacts": {"total": 4}, "proposals": {"total": 1}, "pushes": {"total": 2, "confirmed": 1},
            "orders": {"total": 0}, "sales_amount": "1234567.00",
            "conversion": {"acted_days": 3, "total": {"reminded": 600, "acted": 300, "open": 0, "rate": 50.0},
                           "by_advisor": [{"name": f"理财经理{i:02d}号", "reminded": 10, "acted": 5, "open": 0,
                                           "rate": 50.0} for i in range(60)]}}
    content = weekly_markdown(week, week, "http://localhost:8000/dashboard?start=2026-11-30&end=2026-12-06")
    assert len(content.encode()) <= 2048 and "位理财经理，见看板" in content
    assert content.endswith("(http://localhost:8000/dashboard?start=2026-11-30&end=2026-12-06)")
    assert "销售额：**123万**元（较上周持平）" in content


def test_the_scheduler_lists_the_job_every_quarter_hour(bank_url: str) -> None:
    trigger = scheduler(bank_url).triggers()["weekly_report"]
    from zoneinfo import ZoneInfo

    china = ZoneInfo("Asia/Shanghai")
    assert trigger.get_next_fire_time(None, dt.datetime(2026, 12, 7, 8, 50, tzinfo=china)) == \
        dt.datetime(2026, 12, 7, 9, 0, tzinfo=china)
