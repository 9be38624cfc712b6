"""Faults injected for real, with signals and restarts, on the whole path: WeCom callback → inbox → Rasa →
action server → outbox → sender → (fake) WeCom. Each scenario records what the user saw, what was lost and
what was doubled (both must be nothing) and how long recovery took: the fault table in the summary.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bank.db import session_scope
from bank.directory import who_is
from bank.models import Client, ModelPortfolio, ModelPortfolioItem, Order, PortfolioPush, Proposal
from services.pushes import push_portfolio
from tests.domain_texts import responses
from tests.faults.stack import CRASH_BEFORE_REPLIES, OPEN_KFID, FaultStack
from tests.servers import wait_for
from wecom.inbox import Inbox
from wecom.tables import inbox

pytestmark = pytest.mark.slow

BUSY = responses()["utter_busy"][0]


def new_user() -> str:
    return "fault" + uuid.uuid4().hex[:8]


def exactly(stack: FaultStack, user: str, count: int, path: str = "message/send", settle_s: float = 3.0) -> list[str]:
    """Wait for `count` messages to `user`, then a little longer to catch any doubled one."""
    wait_for(lambda: len(stack.texts_to(user, path)) >= count, 120.0, f"{count} messages to {user}")
    time.sleep(settle_s)
    return stack.texts_to(user, path)


def test_rasa_killed_between_the_ack_and_the_reply(stack: FaultStack) -> None:
    user = new_user()
    attempts = stack.app.deliver(stack.app.text_xml(user, "你好"))
    stack.rasa.kill()  # the 200 is out; the turn has not finished
    killed = time.monotonic()
    assert [a.status for a in attempts] == [200]
    replied_before = stack.texts_to(user)
    stack.rasa.start().wait_ready(240.0)
    saw = exactly(stack, user, 1)
    recovered = time.monotonic() - killed
    stack.record("Rasa killed between the ACK and the reply" + (" (after replying)" if replied_before else ""),
                 saw, lost=0 if saw else 1, doubled=len(saw) - 1, recovered_s=recovered)
    assert saw == responses()["utter_greet_unknown"]


def test_rasa_killed_after_the_turn_and_before_its_replies_are_stored(stack: FaultStack) -> None:
    """The worst moment: the turn ran and Rasa saved the conversation (the form moved on), then the process died
    before the replies were stored. Running the turn again would take "35岁" for the form's next question; the
    restarted instance answers it from the tracker instead, exactly as the turn had."""
    prefix, crash_text = CRASH_BEFORE_REPLIES
    probe, user = new_user(), prefix + uuid.uuid4().hex[:8]
    expected: list[list[str]] = []
    for message in ("财富体检", crash_text, "2万"):  # what every user sees, from a conversation without faults
        before = len(stack.texts_to(probe))
        stack.app.deliver(stack.app.text_xml(probe, message))
        wait_for(lambda b=before: len(stack.texts_to(probe)) > b, 120.0, "the probe's reply")
        time.sleep(1.0)
        expected.append(stack.texts_to(probe))
    stack.app.deliver(stack.app.text_xml(user, "财富体检"))
    assert exactly(stack, user, len(expected[0]), settle_s=1.0) == expected[0]
    process = stack.rasa.process
    assert process is not None
    stack.app.deliver(stack.app.text_xml(user, crash_text))
    wait_for(lambda: process.poll() is not None, 60.0, "Rasa to die before storing the replies")
    died = time.monotonic()
    assert stack.texts_to(user) == expected[0]  # the turn's replies were not stored
    stack.rasa.start().wait_ready(240.0)
    saw = exactly(stack, user, len(expected[1]))
    stack.app.deliver(stack.app.text_xml(user, "2万"))  # the form continues where the tracker left it
    saw = exactly(stack, user, len(expected[2]))
    stack.record("Rasa killed after the turn, before its replies were stored", saw,
                 lost=max(len(expected[2]) - len(saw), 0), doubled=max(len(saw) - len(expected[2]), 0),
                 recovered_s=time.monotonic() - died)
    assert saw == expected[2], (saw, expected[2])


def proposals_for(stack: FaultStack, client_id: int) -> int:
    with session_scope(stack.bank_url) as session:
        return int(session.scalar(select(func.count()).select_from(Proposal).where(Proposal.client_id == client_id))
                   or 0)


def test_action_server_killed_mid_turn_after_writing_a_proposal(stack: FaultStack) -> None:
    with session_scope(stack.bank_url) as session:
        advisor = who_is(session, "zhangmin")
        assert advisor is not None
        client = session.scalars(select(Client).where(Client.advisor_id == advisor.staff_id)
                                 .order_by(Client.id).offset(7).limit(1)).one()
        client_id, name = client.id, client.name
    before = proposals_for(stack, client_id)
    sent_before = len(stack.texts_to("zhangmin"))
    stack.restart_actions(FAULT_CRASH_AFTER_ACTION="action_adv_make_proposal")
    try:
        stack.app.deliver(stack.app.text_xml("zhangmin", f"给{name}出一份体检建议书"))
        wait_for(lambda: BUSY in stack.texts_to("zhangmin")[sent_before:], 60.0, "the busy reply")
        died = time.monotonic()
        assert not stack.actions.running and proposals_for(stack, client_id) == before + 1  # written, then died
    finally:
        stack.restart_actions()
    saw = exactly(stack, "zhangmin", sent_before + 3)[sent_before:]
    recovered = time.monotonic() - died
    written = proposals_for(stack, client_id) - before
    stack.record("action server killed after writing a proposal, before answering", saw, lost=0,
                 doubled=written - 1 + max(0, saw.count(BUSY) - 1), recovered_s=recovered)
    assert saw[0] == BUSY and saw.count(BUSY) == 1 and "体检" in saw[1] and "体检" in saw[2] and len(saw) == 3
    assert written == 1


def test_wecom_send_api_failing_for_a_while(stack: FaultStack) -> None:
    users = [new_user() for _ in range(3)]
    stack.fake.inject("message/send", 500, 45009, 500, 45009, 502, 45009, 500, 500, 45009)
    stack.fake.expire_tokens()
    started = time.monotonic()
    for user in users:
        for text in ("你好", "谢谢", "再见"):
            assert stack.app.deliver(stack.app.text_xml(user, text))[-1].status == 200
    seen = {user: exactly(stack, user, 3, settle_s=0.0) for user in users}
    time.sleep(3.0)
    seen = {user: stack.texts_to(user) for user in users}
    recovered = time.monotonic() - started
    expected = (responses()["utter_greet_unknown"], responses()["utter_thank"], responses()["utter_goodbye"])
    in_order = all(len(texts) == 3 and all(t in e for t, e in zip(texts, expected, strict=True))
                   for texts in seen.values())
    stack.record("WeCom message/send: 5xx, 45009 and an expired token for a while (3 users × 3 messages)",
                 seen[users[0]], lost=sum(max(0, 3 - len(t)) for t in seen.values()),
                 doubled=sum(max(0, len(t) - 3) for t in seen.values()), recovered_s=recovered)
    assert in_order, seen


def test_redis_restart_while_a_message_is_in_flight(stack: FaultStack) -> None:
    user = new_user()
    stack.fake.expire_tokens()  # the next send must fetch a token while Redis is away
    stack.app.deliver(stack.app.text_xml(user, "你好"))
    stack.redis.stop()
    stopped = time.monotonic()
    try:
        time.sleep(3.0)
    finally:
        stack.redis.start()
    saw = exactly(stack, user, 1)
    stack.record("Redis (token cache) stopped for 3 s and started again", saw, lost=0 if saw else 1,
                 doubled=len(saw) - 1, recovered_s=time.monotonic() - stopped)
    assert saw == responses()["utter_greet_unknown"]


def test_postgresql_restart_with_messages_before_and_during_the_outage(stack: FaultStack) -> None:
    early, during = new_user(), new_user()
    stack.app.deliver(stack.app.text_xml(early, "你好"))  # stored; its turn meets the outage
    stack.postgres.stop("immediate")
    stopped = time.monotonic()
    restart = threading.Timer(3.0, stack.postgres.start)
    restart.start()
    try:
        attempts = stack.app.deliver(stack.app.text_xml(during, "谢谢"))  # 503 until the bank is back
    finally:
        restart.join()
    statuses = [a.status for a in attempts]
    assert statuses[-1] == 200 and 503 in statuses, statuses
    saw_early, saw_during = exactly(stack, early, 1, settle_s=0.0), exactly(stack, during, 1)
    stack.record(f"PostgreSQL crashed for 3 s (callbacks answered {'/'.join(map(str, statuses))})",
                 saw_early + saw_during, lost=2 - len(saw_early[:1] + saw_during[:1]),
                 doubled=len(saw_early) + len(saw_during) - 2, recovered_s=time.monotonic() - stopped)
    assert len(saw_early) == 1 and len(saw_during) == 1 and saw_during[0] in responses()["utter_thank"]


def test_push_confirmation_pressed_while_the_database_restarts(stack: FaultStack) -> None:
    with session_scope(stack.bank_url) as session:
        advisor = who_is(session, "zhangmin")
        assert advisor is not None and advisor.staff_id is not None
        client = session.scalars(select(Client).where(Client.advisor_id == advisor.staff_id,
                                                      Client.wecom_external_userid.is_not(None))
                                 .order_by(Client.id).offset(3).limit(1)).one()
        client.risk_level, client.risk_assessed_on = "C3", dt.date(2026, 6, 1)
        session.flush()
        result = push_portfolio(session, advisor, "稳健组合", [client.id], Decimal("50000"), dt.datetime.now())
        external, task = str(client.wecom_external_userid), result.sent[0].task_id
        push_id = result.sent[0].push_id
    press = f'/confirm_push{{"push_task": "{task}"}}'
    stack.fake.add_kf_message(OPEN_KFID, external, "确认", menu_id=press)
    assert stack.kf.deliver(stack.kf.kf_event_xml(OPEN_KFID, token="T" + uuid.uuid4().hex))[-1].status == 200
    stack.postgres.stop("immediate")  # the press is stored; the bank goes down under its turn
    stopped = time.monotonic()
    time.sleep(2.0)
    stack.postgres.start()
    stack.fake.add_kf_message(OPEN_KFID, external, "确认", menu_id=press)  # the client presses again
    stack.kf.deliver(stack.kf.kf_event_xml(OPEN_KFID, token="T" + uuid.uuid4().hex))
    saw = exactly(stack, external, 2, path="kf/send_msg")
    with session_scope(stack.bank_url) as session:
        orders = session.scalar(select(func.count()).select_from(Order).where(Order.push_id == push_id))
        status = session.scalar(select(PortfolioPush.status).where(PortfolioPush.id == push_id))
        lines = session.scalar(select(func.count()).select_from(ModelPortfolioItem).join(ModelPortfolio)
                               .where(ModelPortfolio.name == "稳健组合"))
    confirmed = [t for t in saw if "订单" in t]
    stack.record("a push confirmation pressed (twice) while PostgreSQL crashed and restarted", saw,
                 lost=0 if confirmed else 1, doubled=max(0, sum("已提交" in t for t in saw) - 1),
                 recovered_s=time.monotonic() - stopped)
    assert status == "confirmed" and orders == lines and lines  # one order per line: exactly one set
    assert sum("订单已提交" in t for t in saw) == 1 and sum("不会重复提交" in t for t in saw) == 1, saw


def json_lines(path: Path | None, request_id: str) -> list[dict[str, object]]:
    """The JSON log lines of a service's log file written under `request_id`."""
    assert path is not None and path.exists()
    found = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("request_id") == request_id:
                found.append(entry)
    return found


def test_one_request_id_from_the_callback_through_the_turn_and_the_actions_to_the_send(stack: FaultStack) -> None:
    user = new_user()
    stack.app.deliver(stack.app.text_xml(user, "你好"))
    exactly(stack, user, 1, settle_s=0.0)
    with Inbox.shared(stack.bank_url).engine.connect() as conn:
        meta = conn.execute(select(inbox.c.meta).where(inbox.c.sender == user)).scalar_one()
    request_id = str(meta["request_id"])
    assert len(request_id) == 32

    def logged() -> dict[str, list[dict[str, object]]]:
        return {name: json_lines(service.log_path, request_id)
                for name, service in (("rasa", stack.rasa), ("actions", stack.actions), ("sender", stack.sender))}

    def complete() -> dict[str, list[dict[str, object]]] | None:
        found = logged()
        return found if all(found.values()) else None

    lines = wait_for(complete, 30.0, "a line under the request id from each of Rasa, the action server and the sender")
    messages = {name: " | ".join(str(entry["message"]) for entry in entries) for name, entries in lines.items()}
    assert "callback stored" in messages["rasa"] and "turn for" in messages["rasa"], messages
    assert "answered 200" in messages["actions"], messages
    assert ": sent" in messages["sender"], messages
    assert {entry["service"] for entries in lines.values() for entry in entries} == {"rasa", "actions", "sender"}
    every_line = json.dumps(lines, ensure_ascii=False)
    assert user not in every_line and "你好" not in every_line  # ids masked, content never logged
