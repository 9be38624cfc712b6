"""The monthly statement job (services/statements.py): one own link per client within 微信客服's window, one
advisor-confirmed mass send per advisor otherwise, nothing for a client who opted out, nothing twice; the
statement's figures in yuan to the fen; its token refused when unknown or expired."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from bank.db import session_scope
from bank.models import Client, ClientStatement, Holding, JobRun, Notification, Staff
from bank.preferences import statements_opted_out
from calc.money import fmt_yuan
from services import routes
from services.briefings import briefing_for
from services.scheduler import Scheduler
from services.settings import Settings
from services.statements import (
    JOB,
    MASS_KIND,
    StatementExpired,
    StatementNotFound,
    find_statement,
    mass_text,
    send_statements,
    set_statements,
    statement_link,
)
from services.wealth import client_statement
from tests.services.outbox_kit import client_wrote, fake, worker  # noqa: F401
from tests.wecom_peer.fake_api import FakeWeCom

NOW = dt.datetime(2026, 12, 1, 10, 0)  # Tuesday, the first working day of December: November's statements
SETTINGS = Settings()


def zhangmin_clients(url: str, count: int) -> list[tuple[int, str]]:
    """(id, external userid) of 张敏's first clients with holdings."""
    with session_scope(url) as session:
        rows = session.execute(
            select(Client.id, Client.wecom_external_userid).join(Staff, Client.advisor_id == Staff.id)
            .where(Staff.wecom_userid == "zhangmin", Client.wecom_external_userid.is_not(None),
                   Client.id.in_(select(Holding.client_id))).order_by(Client.id).limit(count)).all()
    return [(cid, str(ext)) for cid, ext in rows]


def notes(url: str, kind: str) -> list[Notification]:
    with session_scope(url) as session:
        return list(session.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)))


def opt_out(url: str, client_id: int, wanted: bool = False) -> None:
    with session_scope(url) as session:
        set_statements(session, client_id, wanted)


@pytest.fixture
def situation(bank_url: str) -> dict[str, list[tuple[int, str]]]:
    """Two of 张敏's clients wrote an hour ago (in the window), a third opted out, the rest did nothing."""
    first = zhangmin_clients(bank_url, 4)
    for _, external in first[:2]:
        client_wrote(bank_url, external, NOW - dt.timedelta(hours=1))
    opt_out(bank_url, first[2][0])
    return {"in_window": first[:2], "opted_out": [first[2]], "outside": [first[3]]}


def test_own_links_in_the_window_one_mass_send_per_advisor_else(bank_url: str, situation: dict) -> None:
    report = send_statements(NOW, SETTINGS, bank_url)

    own = notes(bank_url, JOB)
    assert sorted(n.recipient for n in own) == sorted(ext for _, ext in situation["in_window"])
    for note in own:
        assert "11月财富账单" in note.text and re.search(r"/statements/[A-Za-z0-9_-]{32}$", note.card["url"])
    tasks = notes(bank_url, MASS_KIND)
    with session_scope(bank_url) as session:
        advisors = set(session.scalars(select(Staff.wecom_userid).join(Client, Client.advisor_id == Staff.id)
                                       .where(Client.id.in_(select(Holding.client_id)))))
    assert sorted(t.recipient for t in tasks) == sorted(advisors)  # one task per advisor with clients
    mine = next(t for t in tasks if t.recipient == "zhangmin")
    assert (mine.path, mine.payload["sender"], mine.text) == (routes.MASS_SEND, "zhangmin", mass_text("2026-11"))
    assert mine.payload["text"] == {"content": "您的11月财富账单已生成，回复'账单'查看"}
    addressed = mine.payload["external_userid"]
    assert situation["outside"][0][1] in addressed
    assert not {ext for _, ext in situation["in_window"] + situation["opted_out"]} & set(addressed)
    everyone = [ext for t in tasks for ext in t.payload["external_userid"]] + [n.recipient for n in own]
    assert len(everyone) == len(set(everyone))  # nobody told twice
    assert situation["opted_out"][0][1] not in everyone
    assert set(report.sent) == advisors | {ext for _, ext in situation["in_window"]}


def test_a_rerun_or_a_second_scheduler_sends_nothing_twice(bank_url: str, situation: dict) -> None:
    first = send_statements(NOW, SETTINGS, bank_url)
    count = len(notes(bank_url, JOB)) + len(notes(bank_url, MASS_KIND))
    client_wrote(bank_url, situation["outside"][0][1], NOW + dt.timedelta(hours=2))  # now in the window too
    again = Scheduler(SETTINGS, bank_url, now=lambda: NOW + dt.timedelta(hours=3)).fire("statement")
    assert again.sent == [] and len(again.already_done) >= len(first.sent)
    assert len(notes(bank_url, JOB)) + len(notes(bank_url, MASS_KIND)) == count
    with session_scope(bank_url) as session:
        keys = session.execute(select(JobRun.recipient, JobRun.period).where(JobRun.job == JOB)).all()
    assert len(keys) == len(set(keys)) and {period for _, period in keys} == {"2026-11"}


def test_an_opted_out_client_gets_nothing_and_may_opt_back_in(bank_url: str) -> None:
    (client_id, external), = zhangmin_clients(bank_url, 1)
    client_wrote(bank_url, external, NOW - dt.timedelta(hours=1))
    opt_out(bank_url, client_id)
    with session_scope(bank_url) as session:
        assert statements_opted_out(session, [client_id]) == {client_id}
        assert set_statements(session, client_id, False) is False  # already off: nothing changes
    send_statements(NOW, SETTINGS, bank_url)
    assert all(n.recipient != external for n in notes(bank_url, JOB))
    assert all(external not in t.payload["external_userid"] for t in notes(bank_url, MASS_KIND))

    opt_out(bank_url, client_id, wanted=True)
    with session_scope(bank_url) as session:
        assert statements_opted_out(session, [client_id]) == set()


@pytest.mark.parametrize("moment", [dt.datetime(2026, 12, 1, 8, 0), dt.datetime(2026, 12, 8, 10, 0),
                                    dt.datetime(2026, 12, 5, 10, 0)])
def test_nothing_before_its_time_or_after_its_grace(bank_url: str, moment: dt.datetime) -> None:
    assert send_statements(moment, SETTINGS, bank_url).sent == []
    assert notes(bank_url, MASS_KIND) == []


def test_the_statement_shows_the_months_figures_in_yuan_and_refuses_bad_tokens(bank_url: str) -> None:
    (client_id, _), = zhangmin_clients(bank_url, 1)
    with session_scope(bank_url) as session:
        link = statement_link(session, client_id, NOW, SETTINGS)  # the reply to "账单" makes it on demand
        assert link is not None and link == statement_link(session, client_id, NOW, SETTINGS)
        token = link.rsplit("/", 1)[1]
        made = find_statement(session, token, NOW)
        view = client_statement(session, client_id, "this_month", dt.date(2026, 11, 30))
        assert view is not None
        rows = dict(made.payload["rows"])
        assert rows["本月投资收益"] == fmt_yuan(view.statement.profit)
        assert re.fullmatch(r"-?[\d,]+\.\d{2}元", rows["月末持仓市值"])
        assert made.payload["month"] == "2026-11" and made.payload["subject"].endswith("*")
        for bad in ("short", "x" * 32, "../../etc/passwd"):
            with pytest.raises(StatementNotFound):
                find_statement(session, bad, NOW)
        with pytest.raises(StatementExpired):
            find_statement(session, token, made.expires_at)
        assert session.scalar(select(ClientStatement.id).where(ClientStatement.client_id == client_id)) == made.id


def test_the_outbox_sends_an_advisors_task_as_one_mass_send(fake: FakeWeCom, bank_url: str,  # noqa: F811
                                                           situation: dict) -> None:
    send_statements(NOW, SETTINGS, bank_url)
    mine = next(t for t in notes(bank_url, MASS_KIND) if t.recipient == "zhangmin")
    worker(bank_url).run_once(NOW + dt.timedelta(minutes=1))
    calls = [b for b in fake.sent(routes.MASS_SEND) if b.get("sender") == "zhangmin"]
    assert len(calls) == 1 and calls[0]["external_userid"] == mine.payload["external_userid"]
    assert calls[0]["text"]["content"] == mass_text("2026-11")
    with session_scope(bank_url) as session:
        task = session.get(Notification, mine.id)
        assert task is not None and task.state == "awaiting_advisor"  # sent only once 张敏 confirms it
        told = session.scalars(select(Notification).where(Notification.kind == "mass_pending",
                                                          Notification.recipient == "zhangmin")).all()
    assert len(told) == 1
    with session_scope(bank_url) as session:
        staff_id = session.scalar(select(Staff.id).where(Staff.wecom_userid == "zhangmin"))
        waiting = briefing_for(session, staff_id, NOW + dt.timedelta(minutes=30), SETTINGS)
    assert len(waiting.sections["statements"].lines) == 1  # handed to WeCom, awaiting her confirmation
    sender = worker(bank_url)
    assert sender.check_mass_sends(NOW + dt.timedelta(hours=1))["waiting"] >= 1  # 张敏 has not confirmed yet
    for external in mine.payload["external_userid"]:
        fake.mass_result(str(task.external_id), external, 1)  # she confirmed: WeCom sent it to each client
    sender.check_mass_sends(NOW + dt.timedelta(hours=2))
    with session_scope(bank_url) as session:
        assert session.get(Notification, mine.id).state == "sent"  # type: ignore[union-attr]
        staff_id = session.scalar(select(Staff.id).where(Staff.wecom_userid == "zhangmin"))
        briefing = briefing_for(session, staff_id, NOW + dt.timedelta(hours=3), SETTINGS)
    assert "statements" not in briefing.sections or not briefing.sections["statements"].lines  # confirmed: gone


def test_the_briefing_shows_the_unconfirmed_statement_task(bank_url: str, situation: dict) -> None:
    send_statements(NOW, SETTINGS, bank_url)
    count = len(next(t for t in notes(bank_url, MASS_KIND) if t.recipient == "zhangmin").payload["external_userid"])
    with session_scope(bank_url) as session:
        staff_id = session.scalar(select(Staff.id).where(Staff.wecom_userid == "zhangmin"))
        briefing = briefing_for(session, staff_id, NOW + dt.timedelta(hours=1), SETTINGS)
    lines = briefing.sections["statements"].lines
    assert len(lines) == 1 and f"{count}位客户" in lines[0].text and "11月财富账单" in lines[0].text
