"""The inbox and the outbox writer of the Rasa process, on a migrated bank database (SQLite here; the fault
suite runs them on PostgreSQL): stored once, claimed by one worker, kept pending after a failed turn."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import Integer, String, select

from bank import db
from bank.models import Base
from wecom import tables
from wecom.inbox import DONE, FAILED, Inbox
from wecom.outbox import enqueue, failed_by_wecom, has_replies


@pytest.fixture()
def inbox(tmp_path: Path) -> Inbox:
    url = f"sqlite:///{tmp_path / 'bank.db'}"
    db.upgrade(url)
    return Inbox(url)


def test_core_tables_restate_the_models_columns() -> None:
    for table in tables.metadata.sorted_tables:
        model = Base.metadata.tables[table.name]
        for column in table.columns:
            assert column.name in model.columns, (table.name, column.name)
            theirs = model.columns[column.name].type
            assert type(column.type).__name__ == type(theirs).__name__ or (
                isinstance(column.type, Integer | String) and isinstance(theirs, type(column.type))), column.name
            if isinstance(column.type, String) and column.type.length:
                assert column.type.length == theirs.length, column.name


def test_a_retried_callback_is_stored_once(inbox: Inbox) -> None:
    assert inbox.accept("app", "msg:1", "zhangmin", "你好", {"agent_id": "1"})
    assert not inbox.accept("app", "msg:1", "zhangmin", "你好")
    assert inbox.accept("kf", "msg:1", "wmX", "你好")  # the same id on another channel is another message
    assert inbox.counts() == {"pending": 2}


def test_one_message_per_sender_at_a_time_in_arrival_order(inbox: Inbox) -> None:
    for n, sender in enumerate(["a", "a", "b"]):
        inbox.accept("app", f"m{n}", sender, f"t{n}")
    first = inbox.claimable(("app",))
    assert [(e.sender, e.text) for e in first] == [("a", "t0"), ("b", "t2")]
    assert inbox.claim(first[0].id, 30)
    assert [e.sender for e in inbox.claimable(("app",))] == ["b"]  # a's next waits behind the leased one
    inbox.done(first[0].id)
    assert [(e.sender, e.text) for e in inbox.claimable(("app",))] == [("a", "t1"), ("b", "t2")]


def test_only_one_of_many_workers_wins_a_claim(inbox: Inbox) -> None:
    inbox.accept("app", "m1", "a", "t")
    entry = inbox.claimable(("app",))[0]
    others = [Inbox(engine=inbox.engine) for _ in range(8)]
    wins: list[bool] = []
    threads = [threading.Thread(target=lambda i=i: wins.append(i.claim(entry.id, 30))) for i in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wins.count(True) == 1


def test_a_failed_turn_stays_pending_with_its_reason_and_comes_back(inbox: Inbox) -> None:
    inbox.accept("app", "m1", "a", "t")
    entry = inbox.claimable(("app",))[0]
    assert inbox.claim(entry.id, 30)
    inbox.retry_later(entry.id, "action server down", after_s=0.0, busy_told=True)
    again = inbox.claimable(("app",))[0]
    assert (again.id, again.attempts, again.busy_told, again.error) == (entry.id, 1, True, "action server down")
    assert inbox.claim(again.id, 30)
    inbox.failed(again.id, "no reply")
    assert inbox.claimable(("app",)) == [] and inbox.counts() == {FAILED: 1}


def test_an_expired_lease_lets_another_worker_take_the_message(inbox: Inbox) -> None:
    inbox.accept("app", "m1", "a", "t")
    entry = inbox.claimable(("app",))[0]
    assert inbox.claim(entry.id, 0.05)  # the worker holding it dies
    assert not inbox.claim(entry.id, 30)
    threading.Event().wait(0.1)
    assert inbox.claim(entry.id, 30)
    inbox.done(entry.id)
    assert inbox.counts() == {DONE: 1}


def test_the_kf_cursor_is_saved_and_replaced(inbox: Inbox) -> None:
    assert inbox.cursor("wk1") == ""
    inbox.save_cursor("wk1", "c1")
    inbox.save_cursor("wk1", "c2")
    inbox.save_cursor("wk2", "x")
    assert (inbox.cursor("wk1"), inbox.cursor("wk2")) == ("c2", "x")


def test_replies_go_to_the_outbox_and_wecom_failures_mark_them_dead(inbox: Inbox) -> None:
    note = enqueue(inbox.engine, "wmX", "kf/send_msg", {"touser": "wmX", "msgtype": "text", "text": {"content": "好"}},
                   text="好", source="kf:m1")
    assert has_replies(inbox.engine, "kf:m1") and not has_replies(inbox.engine, "kf:m2")
    with inbox.engine.begin() as conn:
        conn.execute(tables.notifications.update().values(external_id="WX1"))
    assert failed_by_wecom(inbox.engine, "WX1", "msg_send_fail") == 1
    with inbox.engine.connect() as conn:
        row = conn.execute(select(tables.notifications).where(tables.notifications.c.id == note)).mappings().one()
    assert (row["state"], row["error"], row["priority"], row["created_at"].date()) == (
        "dead", "msg_send_fail", 0, dt.date.today())
