"""Writes keyed by the message they answer (bank/idempotency.py): a turn replayed after a crash finds the
first result and writes nothing twice; without a key every call writes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bank.contacts import record_contact
from bank.idempotency import recall, remember
from bank.models import Contact, IdempotencyKey, PortfolioPush, Proposal
from bank.proposals import create_proposal
from services.pushes import push_portfolio
from tests.services.push_cast import NOW, Cast


@pytest.fixture
def session(copy_session: Session) -> Session:
    return copy_session


def count(session: Session, model: type) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_key_is_remembered_once_and_recalled(session: Session) -> None:
    assert recall(session, "m1:a") is None and recall(session, None) is None
    remember(session, "m1:a", {"x": 1})
    assert recall(session, "m1:a") == {"x": 1}
    remember(session, None, {"ignored": True})
    assert count(session, IdempotencyKey) == 1


def test_a_replayed_proposal_is_the_first_one(session: Session) -> None:
    before = count(session, Proposal)
    first = create_proposal(session, kind="checkup", payload={"title": "体检"}, request_key="kf:m1:checkup")
    again = create_proposal(session, kind="checkup", payload={"title": "体检"}, request_key="kf:m1:checkup")
    other = create_proposal(session, kind="checkup", payload={"title": "体检"}, request_key="kf:m2:checkup")
    unkeyed = [create_proposal(session, kind="checkup", payload={"title": "体检"}) for _ in range(2)]
    assert again.share_token == first.share_token and other.share_token != first.share_token
    assert unkeyed[0].share_token != unkeyed[1].share_token
    assert count(session, Proposal) == before + 4


def test_a_replayed_contact_is_recorded_once(session: Session, cast: Cast) -> None:
    before = count(session, Contact)
    client = cast.suitable[0]
    first = record_contact(session, cast.advisor, client, "phone", "聊了到期安排", "下周回访", request_key="app:m1:log")
    again = record_contact(session, cast.advisor, client, "phone", "聊了到期安排", "下周回访", request_key="app:m1:log")
    assert again.id == first.id and count(session, Contact) == before + 1


def test_a_replayed_push_creates_no_second_set_and_says_so(session: Session, cast: Cast) -> None:
    before = count(session, PortfolioPush)
    ids = [*cast.suitable, cast.low_risk]
    first = push_portfolio(session, cast.advisor, "稳健组合", ids, Decimal("50000"), NOW, request_key="app:m9:push")
    again = push_portfolio(session, cast.advisor, "稳健组合", ids, Decimal("50000"), NOW + dt.timedelta(seconds=5),
                           request_key="app:m9:push")
    assert count(session, PortfolioPush) == before + len(cast.suitable)
    assert not first.replayed and again.replayed
    assert [(s.push_id, s.task_id, s.client_name, s.amount) for s in again.sent] == [
        (s.push_id, s.task_id, s.client_name, s.amount) for s in first.sent]
    assert again.skipped_with_reasons == first.skipped_with_reasons and again.portfolio_name == first.portfolio_name
