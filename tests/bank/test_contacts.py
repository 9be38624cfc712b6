"""bank.contacts: who may record a contact, what is stored, and which purchases follow a contact."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.access import AccessDenied
from bank.contacts import NotStaff, contact_kind, contact_outcomes, record_contact, split_note
from bank.directory import Identity
from bank.models import Client, Contact, Product, Transaction


@pytest.fixture
def session(scratch_session: Session) -> Session:
    """The bank these tests read (see tests/demo_staff.py)."""
    return scratch_session


def own_client(session: Session, advisor: Identity) -> Client:
    client = session.scalars(select(Client).where(Client.advisor_id == advisor.staff_id).order_by(Client.id)).first()
    assert client is not None
    return client


class TestContactKind:
    @pytest.mark.parametrize(("text", "kind"), [
        ("刚给张伟打了电话", "phone"), ("电访王芳", "phone"), ("上午拜访了李娜", "visit"), ("和他面谈了一次", "visit"),
        ("陈明来参加了养老沙龙", "salon"), ("客户来网点咨询", "visit")])
    def test_kind_from_words(self, text: str, kind: str) -> None:
        assert contact_kind(text) == kind

    def test_no_kind(self) -> None:
        assert contact_kind("帮我记一下") is None


class TestSplitNote:
    def test_the_brief_example(self) -> None:
        assert split_note("刚给张伟打了电话，他想了解养老，下周再约", "张伟") == ("他想了解养老", "下周再约")

    def test_without_next_step(self) -> None:
        assert split_note("面访王芳，她对定投感兴趣", "王芳") == ("她对定投感兴趣", None)

    def test_only_a_header_keeps_the_whole_text_as_note(self) -> None:
        assert split_note("给李娜打电话", "李娜") == ("给李娜打电话", None)


class TestRecordContact:
    def test_advisor_records_for_own_client(self, session: Session, zhangmin: Identity) -> None:
        client = own_client(session, zhangmin)
        when = dt.datetime(2026, 11, 28, 10, 0)
        contact = record_contact(session, zhangmin, client.id, "phone", "想了解养老", "下周再约", when)
        stored = session.get(Contact, contact.id)
        assert stored is not None
        assert (stored.advisor_id, stored.client_id, stored.kind, stored.note, stored.next_step, stored.happened_at) == (
            zhangmin.staff_id, client.id, "phone", "想了解养老", "下周再约", when)

    def test_another_advisors_client_is_refused(self, session: Session, zhangmin: Identity, liqiang: Identity) -> None:
        theirs = own_client(session, liqiang)
        before = session.scalar(select(Contact.id).order_by(Contact.id.desc()).limit(1))
        with pytest.raises(AccessDenied):
            record_contact(session, zhangmin, theirs.id, "visit", "x")
        assert session.scalar(select(Contact.id).order_by(Contact.id.desc()).limit(1)) == before

    def test_manager_records_for_a_team_client_but_not_another_team(
            self, session: Session, chenjing: Identity, zhaoli: Identity, zhangmin: Identity) -> None:
        client = own_client(session, zhangmin)
        assert record_contact(session, chenjing, client.id, "salon", "沙龙").advisor_id == chenjing.staff_id
        with pytest.raises(AccessDenied):
            record_contact(session, zhaoli, client.id, "salon", "沙龙")

    def test_clients_and_strangers_cannot_record(self, session: Session, zhangmin: Identity) -> None:
        client = own_client(session, zhangmin)
        as_client = Identity("wm-x", "client", client.name, None, client.id, None)
        for viewer in (as_client, None):
            with pytest.raises(NotStaff):
                record_contact(session, viewer, client.id, "phone", "x")

    def test_unknown_kind(self, session: Session, zhangmin: Identity) -> None:
        with pytest.raises(ValueError, match="kind"):
            record_contact(session, zhangmin, own_client(session, zhangmin).id, "email", "x")


class TestContactOutcomes:
    def test_purchase_within_30_days_follows_the_contact_and_later_ones_do_not(
            self, session: Session, zhangmin: Identity) -> None:
        client = own_client(session, zhangmin)
        product = session.scalars(select(Product).order_by(Product.id)).first()
        assert product is not None
        day = dt.date(2030, 1, 10)  # after every demo transaction
        contact = record_contact(session, zhangmin, client.id, "phone", "聊了理财", None,
                                 dt.datetime.combine(day, dt.time(9)))
        session.add_all([
            Transaction(client_id=client.id, product_id=product.id, kind="buy", amount=Decimal("50000.00"),
                        trade_date=day + dt.timedelta(days=30)),
            Transaction(client_id=client.id, product_id=product.id, kind="buy", amount=Decimal("7000.00"),
                        trade_date=day + dt.timedelta(days=31)),
            Transaction(client_id=client.id, product_id=product.id, kind="sell", amount=Decimal("9000.00"),
                        trade_date=day + dt.timedelta(days=3)),
        ])
        session.flush()
        outcome = next(o for o in contact_outcomes(session, zhangmin, client_id=client.id) if o.contact_id == contact.id)
        assert [p.amount for p in outcome.purchases] == [Decimal("50000.00")]
        assert outcome.purchased == Decimal("50000.00")
        assert outcome.kind_zh == "电访"

    def test_only_visible_clients_and_newest_first(self, session: Session, zhangmin: Identity) -> None:
        outcomes = contact_outcomes(session, zhangmin, limit=20)
        own = set(session.scalars(select(Client.id).where(Client.advisor_id == zhangmin.staff_id)))
        assert outcomes and all(o.client_id in own for o in outcomes)
        times = [o.happened_at for o in outcomes]
        assert times == sorted(times, reverse=True)

    def test_period_filter(self, session: Session, zhangmin: Identity) -> None:
        start, end = dt.date(2026, 11, 1), dt.date(2026, 11, 28)
        outcomes = contact_outcomes(session, zhangmin, start=start, end=end)
        assert outcomes and all(start <= o.happened_at.date() <= end for o in outcomes)

    def test_unknown_viewer_sees_nothing(self, session: Session) -> None:
        assert contact_outcomes(session, None) == []
