"""What the briefings achieve (services/reminders.py): a reminder counts as acted on when the same advisor contacts,
proposes to or pushes to that client within the window (the reminder's day to the end of the N-th working day
after it); later, earlier, for another client or by another advisor does not. Figures by advisor and by kind, in
the team dashboard too, from one SQL statement whatever the number of advisors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bank.db import session_scope
from bank.models import Client, Contact, ModelPortfolio, PortfolioPush, Proposal, Reminder, Staff
from services.dashboard import team_dashboard
from services.reminders import conversion

TUESDAY = dt.date(2026, 12, 1)
FRIDAY = dt.date(2026, 12, 4)
LATER = dt.date(2026, 12, 31)  # every window closed


@dataclass(frozen=True)
class Situation:
    zhangmin: int
    liqiang: int
    manager: int
    team: list[int]  # the team's advisors


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


@pytest.fixture
def situation(bank_url: str) -> Situation:
    return seed_conversion(bank_url)


def seed_conversion(bank_url: str) -> Situation:
    """张敏 (5 reminders) and 李强 (2), same team: 4 of the 7 acted on.

    张敏: maturities (contact two days later: acted), birthdays (contact after the window), losses (a contact with
    another client), risk (a proposal the same day: acted), drift on a Friday (contact the next Tuesday, still
    within three working days: acted). 李强: maturities (a push the next day: acted), pushes (a contact before the
    reminder, and one by 张敏 within the window: neither is 李强 acting)."""
    with session_scope(bank_url) as s:
        ids = dict(s.execute(select(Staff.wecom_userid, Staff.id)).tuples().all())
        zm, lq = ids["zhangmin"], ids["liqiang"]
        manager = s.scalar(select(Staff.id).where(Staff.wecom_userid == "chenjing"))
        team_id = s.scalar(select(Staff.team_id).where(Staff.id == zm))
        team = list(s.scalars(select(Staff.id).where(Staff.team_id == team_id, Staff.role == "advisor")
                              .order_by(Staff.id)))
        a, b, c, d, e, h = s.scalars(select(Client.id).where(Client.advisor_id == zm).order_by(Client.id)).all()[:6]
        f, g = s.scalars(select(Client.id).where(Client.advisor_id == lq).order_by(Client.id)).all()[:2]
        portfolio = s.scalars(select(ModelPortfolio.id).order_by(ModelPortfolio.id)).first()
        s.add_all([Reminder(advisor_id=zm, client_id=a, kind="maturities", day=TUESDAY),
                   Reminder(advisor_id=zm, client_id=b, kind="birthdays", day=TUESDAY),
                   Reminder(advisor_id=zm, client_id=c, kind="losses", day=TUESDAY),
                   Reminder(advisor_id=zm, client_id=e, kind="risk", day=TUESDAY),
                   Reminder(advisor_id=zm, client_id=h, kind="drift", day=FRIDAY),
                   Reminder(advisor_id=lq, client_id=f, kind="maturities", day=TUESDAY),
                   Reminder(advisor_id=lq, client_id=g, kind="pushes", day=TUESDAY)])
        s.add_all([Contact(advisor_id=zm, client_id=a, kind="phone", happened_at=_at(dt.date(2026, 12, 3), 15)),
                   Contact(advisor_id=zm, client_id=b, kind="phone", happened_at=_at(dt.date(2026, 12, 7))),
                   Contact(advisor_id=zm, client_id=d, kind="visit", happened_at=_at(dt.date(2026, 12, 2))),
                   Contact(advisor_id=zm, client_id=h, kind="phone", happened_at=_at(dt.date(2026, 12, 8), 17)),
                   Contact(advisor_id=lq, client_id=g, kind="phone", happened_at=_at(dt.date(2026, 11, 30))),
                   Contact(advisor_id=zm, client_id=g, kind="phone", happened_at=_at(dt.date(2026, 12, 2)))])
        s.add(Proposal(kind="checkup", client_id=e, created_by_id=zm, payload={}, share_token="conv-e",
                       expires_at=_at(dt.date(2026, 12, 30)), created_at=_at(TUESDAY, 11)))
        s.add(PortfolioPush(portfolio_id=portfolio, advisor_id=lq, client_id=f, status="pending", task_id="conv-f",
                            expires_at=_at(dt.date(2026, 12, 10)), created_at=_at(dt.date(2026, 12, 2))))
    return Situation(zm, lq, int(manager), team)


def _figures(url: str, advisors: list[int], today: dt.date = LATER, acted_days: int = 3,
             start: dt.date = TUESDAY, end: dt.date = dt.date(2026, 12, 7)) -> dict[str, object]:
    with session_scope(url) as session:
        return conversion(session, advisors, start, end, acted_days, today)


class TestActed:
    def test_by_advisor(self, bank_url: str, situation: Situation) -> None:
        figures = _figures(bank_url, [situation.zhangmin, situation.liqiang])
        rows = {row["staff_id"]: row for row in figures["by_advisor"]}  # type: ignore[attr-defined]
        assert rows[situation.zhangmin] | {"name": ""} == {"staff_id": situation.zhangmin, "name": "",
                                                          "reminded": 5, "acted": 3, "open": 0, "rate": 60.0}
        assert rows[situation.liqiang]["name"] == "李强"
        assert (rows[situation.liqiang]["reminded"], rows[situation.liqiang]["acted"]) == (2, 1)
        assert rows[situation.liqiang]["rate"] == 50.0
        assert figures["total"] == {"reminded": 7, "acted": 4, "open": 0, "rate": 57.1}
        assert figures["acted_days"] == 3

    def test_by_kind_in_the_briefings_order(self, bank_url: str, situation: Situation) -> None:
        figures = _figures(bank_url, [situation.zhangmin, situation.liqiang])
        kinds = [(k["kind"], k["name"], k["reminded"], k["acted"], k["rate"])
                 for k in figures["by_kind"]]  # type: ignore[attr-defined]
        assert kinds == [("maturities", "到期", 2, 2, 100.0), ("pushes", "推送待确认", 1, 0, 0.0),
                         ("losses", "持仓浮亏", 1, 0, 0.0), ("risk", "风险测评", 1, 1, 100.0),
                         ("drift", "配置偏离", 1, 1, 100.0), ("birthdays", "生日", 1, 0, 0.0)]

    def test_a_shorter_window_drops_what_came_later(self, bank_url: str, situation: Situation) -> None:
        # With one working day: the Tuesday's contact on Thursday and the Friday's on Tuesday no longer count.
        figures = _figures(bank_url, [situation.zhangmin], acted_days=1)
        assert figures["total"]["acted"] == 1  # type: ignore[index]  # only the same-day proposal

    def test_windows_still_running_are_open_not_failed(self, bank_url: str, situation: Situation) -> None:
        figures = _figures(bank_url, [situation.zhangmin], today=dt.date(2026, 12, 2))
        # Seen on Wednesday, the Tuesday windows still run: the two not acted on are open, not yet failed.
        assert figures["total"] == {"reminded": 5, "acted": 3, "open": 2, "rate": 60.0}

    def test_only_the_period_and_the_advisors_asked_for(self, bank_url: str, situation: Situation) -> None:
        friday_only = _figures(bank_url, [situation.zhangmin, situation.liqiang], start=FRIDAY, end=FRIDAY)
        assert friday_only["total"]["reminded"] == 1  # type: ignore[index]
        nobody = _figures(bank_url, [situation.liqiang], start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30))
        assert nobody["total"] == {"reminded": 0, "acted": 0, "open": 0, "rate": None}
        assert nobody["by_kind"] == [] and [r["reminded"] for r in nobody["by_advisor"]] == [0]  # type: ignore[attr-defined]


def test_the_team_dashboard_shows_the_teams_advisors(bank_url: str, situation: Situation) -> None:
    with session_scope(bank_url) as session:
        figures = team_dashboard(session, situation.manager, TUESDAY, dt.date(2026, 12, 7), acted_days=3, today=LATER)
    shown = figures["conversion"]
    assert [row["staff_id"] for row in shown["by_advisor"]] == situation.team
    assert shown["total"] == {"reminded": 7, "acted": 4, "open": 0, "rate": 57.1}




def test_queries_do_not_grow_with_advisors_or_reminders(bank_url: str, situation: Situation,
                                                        statements: list[str]) -> None:
    with session_scope(bank_url) as session:
        everyone = list(session.scalars(select(Staff.id).where(Staff.role == "advisor")))
        statements.clear()
        conversion(session, [situation.liqiang], TUESDAY, TUESDAY, 3, LATER)
        for_one = len(statements)
        statements.clear()
        figures = conversion(session, everyone, dt.date(2026, 1, 1), dt.date(2026, 12, 31), 3, LATER)
        for_all = len(statements)
    assert figures["total"]["reminded"] == 7
    assert for_all == for_one <= 2, statements
