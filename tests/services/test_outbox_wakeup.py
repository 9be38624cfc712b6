"""services/outbox_wakeup.py on a real PostgreSQL: a stored message wakes the sender's listener (whichever way it
was stored), a lost connection degrades to a pause and is reopened, and SQLite has no listener."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from bank import db
from bank import notifications as outbox_rows
from services.outbox_wakeup import Listener, listener
from tests.postgres import postgres_server
from wecom.outbox import enqueue

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres_server() as url:
        db.upgrade(url)
        yield url


@pytest.fixture
def wakeups(pg_url: str) -> Iterator[Listener]:
    found = listener(pg_url)
    assert found is not None
    assert found.wait(0.05, threading.Event()) is False  # connected and listening, nothing stored yet
    yield found
    found.close()


def later(action: object) -> threading.Thread:
    thread = threading.Timer(0.3, action)  # type: ignore[arg-type]
    thread.start()
    return thread


def test_a_message_stored_by_the_rasa_process_wakes_the_sender(pg_url: str, wakeups: Listener) -> None:
    engine = create_engine(pg_url)
    thread = later(lambda: enqueue(engine, "zhangmin", "message/send", {"msgtype": "text"}, text="你好"))
    assert wakeups.wait(60.0, threading.Event()) is True
    thread.join()
    assert wakeups.wait(0.2, threading.Event()) is False  # one message, one wake-up: nothing left waiting
    engine.dispose()


def test_a_message_stored_by_a_service_wakes_the_sender(pg_url: str, wakeups: Listener) -> None:
    def store() -> None:
        with db.session_scope(pg_url) as session:
            outbox_rows.add_notification(session, "zhangmin", "提醒：王芳的理财下周到期", kind="reminder")

    thread = later(store)
    assert wakeups.wait(60.0, threading.Event()) is True
    thread.join()


def test_without_a_message_it_waits_until_stopped_or_timed_out(wakeups: Listener) -> None:
    stop = threading.Event()
    stop.set()
    assert wakeups.wait(60.0, stop) is False  # a stop request ends the wait at once
    assert wakeups.wait(0.3, threading.Event()) is False


def test_a_lost_connection_pauses_then_listens_again(pg_url: str, wakeups: Listener) -> None:
    engine = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        killed = conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   "WHERE query LIKE 'LISTEN%'")).scalars().all()
    assert killed == [True]
    assert wakeups.wait(0.5, threading.Event()) is False  # no error: a pause, as a poll would
    assert wakeups.wait(0.05, threading.Event()) is False  # reconnected and listening again
    thread = later(lambda: enqueue(engine, "liqiang", "message/send", {"msgtype": "text"}, text="在吗"))
    assert wakeups.wait(60.0, threading.Event()) is True
    thread.join()
    engine.dispose()


def test_other_databases_are_polled(tmp_path: object) -> None:
    assert listener("sqlite:///var/bank.db") is None
