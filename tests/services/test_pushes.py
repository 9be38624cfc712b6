"""services.pushes: suitability per client, one push each, and confirmations that create the order set exactly once."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bank.db import session_scope
from bank.directory import who_is
from bank.models import Client, Order, PortfolioPush
from services.portfolios import default_amount, portfolio_named_in, split_amount
from services.push_decisions import confirm_push, decline_push
from services.pushes import (
    PushExpired,
    PushNotFound,
    names_in_text,
    pending_pushes,
    preview_push,
    push_portfolio,
    resolve_names,
    view_push,
)
from tests.services.push_cast import NOW, Cast


@pytest.fixture
def session(copy_session: Session) -> Session:
    """The bank these tests read (see tests/demo_staff.py)."""
    return copy_session

STEADY = "稳健组合"  # R2: DP01Y, CM001 (R1), WM090 (R2, min 10,000 at 30%), BF001 (R2)
AGGRESSIVE = "进取组合"  # R4


def order_count(session: Session, push_id: int | None = None) -> int:
    query = select(func.count()).select_from(Order)
    if push_id is not None:
        query = query.where(Order.push_id == push_id)
    return session.execute(query).scalar_one()


class TestSplitAmount:
    @pytest.mark.parametrize("total", ["0.01", "1.00", "999.99", "33333.33", "100000.00"])
    def test_parts_add_up_to_the_total(self, total: str) -> None:
        weights = [0.3, 0.15, 0.3, 0.25]
        assert sum(split_amount(Decimal(total), weights)) == Decimal(total)

    def test_default_amount_meets_the_minimum_in_thousands(self) -> None:
        assert default_amount(Decimal("33333.34")) == Decimal("34000")
        assert default_amount(Decimal("34000")) == Decimal("34000")


class TestPreviewAndPush:
    def test_unsuitable_expired_and_foreign_clients_are_skipped_with_reasons(self, session: Session, cast: Cast) -> None:
        ids = [*cast.suitable, cast.low_risk, cast.expired, cast.other_advisors_client]
        preview = preview_push(session, cast.advisor, STEADY, ids, None, NOW)
        assert [r.client_id for r in preview.suitable] == cast.suitable
        reasons = {s.client_id: s.reason for s in preview.skipped}
        assert "C1低于" in reasons[cast.low_risk] and "R2" in reasons[cast.low_risk]
        assert "已过期" in reasons[cast.expired]
        assert None in reasons and cast.other_advisors_client not in reasons  # not named, not disclosed
        assert preview.amount == Decimal("34000") and preview.minimum == Decimal("33333.33")

    def test_a_riskier_portfolio_skips_c3_clients(self, session: Session, cast: Cast) -> None:
        preview = preview_push(session, cast.advisor, AGGRESSIVE, cast.suitable, Decimal("50000"), NOW)
        assert preview.suitable == [] and all("C3低于" in s.reason and "R4" in s.reason for s in preview.skipped)

    def test_amount_below_an_item_minimum_is_skipped(self, session: Session, cast: Cast) -> None:
        preview = preview_push(session, cast.advisor, STEADY, cast.suitable[:1], Decimal("20000"), NOW)
        assert preview.suitable == [] and "低于起购额" in preview.skipped[0].reason

    def test_one_pending_push_per_suitable_client_with_unguessable_task_ids(self, session: Session, cast: Cast) -> None:
        before = session.execute(select(func.count()).select_from(PortfolioPush)).scalar_one()
        result = push_portfolio(session, cast.advisor, STEADY, [*cast.suitable, cast.low_risk], Decimal("50000"), NOW)
        assert [s.client_id for s in result.sent] == cast.suitable
        assert [s.client_id for s in result.skipped_with_reasons] == [cast.low_risk]
        pushes = session.scalars(select(PortfolioPush).where(PortfolioPush.id.in_([s.push_id for s in result.sent]))).all()
        assert session.execute(select(func.count()).select_from(PortfolioPush)).scalar_one() == before + 3
        assert {p.status for p in pushes} == {"pending"} and {p.amount for p in pushes} == {Decimal("50000.00")}
        assert {p.expires_at for p in pushes} == {NOW + dt.timedelta(days=7)}
        tasks = [p.task_id for p in pushes]
        assert len(set(tasks)) == 3 and all(len(t) >= 32 for t in tasks)

    def test_a_client_with_a_pending_push_of_the_same_portfolio_is_not_pushed_twice(
        self, session: Session, cast: Cast
    ) -> None:
        push_portfolio(session, cast.advisor, STEADY, cast.suitable[:1], None, NOW)
        again = push_portfolio(session, cast.advisor, STEADY, cast.suitable[:2], None, NOW)
        assert [s.client_id for s in again.sent] == cast.suitable[1:2]
        assert "等客户确认" in again.skipped_with_reasons[0].reason

    def test_clients_cannot_push(self, session: Session, cast: Cast) -> None:
        client = session.get(Client, cast.suitable[0])
        assert client is not None and client.wecom_external_userid
        viewer = who_is(session, client.wecom_external_userid)
        assert viewer is not None
        with pytest.raises(PermissionError):
            push_portfolio(session, viewer, STEADY, cast.suitable, None, NOW)


class TestNames:
    def test_names_in_text_and_namesakes_need_a_phone_tail(self, session: Session, cast: Cast) -> None:
        mine = session.scalars(select(Client).where(Client.advisor_id == cast.advisor.staff_id)).all()
        counts = {name: sum(c.name == name for c in mine) for name in {c.name for c in mine}}
        unique = [c for c in mine if counts[c.name] == 1 and not any(c.name in o.name for o in mine if o is not c)][:2]
        names = [c.name for c in unique]
        found = names_in_text(session, cast.advisor, f"把稳健组合推给{names[0]}、{names[1]}，每人5万")
        assert found == names
        ids, unknown = resolve_names(session, cast.advisor, [*found, "欧阳不存在"], NOW.date())
        assert ids == [c.id for c in unique] and unknown[0].reason == "没有找到这位客户"
        assert portfolio_named_in(session, "推一下稳健的那个").name == STEADY  # type: ignore[union-attr]

    def test_two_clients_with_one_name_are_told_apart_by_the_phone_tail(self, session: Session, cast: Cast) -> None:
        # 张敏 has two clients named 张伟 (planted by the demo bank).
        ids, skipped = resolve_names(session, cast.advisor, ["张伟"], NOW.date())
        assert ids == [] and "2位同名客户" in skipped[0].reason
        tail = skipped[0].reason.split("（")[1][2:6]
        ids, skipped = resolve_names(session, cast.advisor, [f"张伟尾号{tail}"], NOW.date())
        assert len(ids) == 1 and skipped == []


class TestConfirm:
    def _one(self, session: Session, cast: Cast, amount: str = "50000") -> tuple[str, int]:
        sent = push_portfolio(session, cast.advisor, STEADY, cast.suitable[:1], Decimal(amount), NOW).sent[0]
        session.commit()
        return sent.task_id, sent.client_id

    def test_confirming_creates_one_order_per_product_adding_up_to_the_amount(
        self, session: Session, cast: Cast
    ) -> None:
        task, client_id = self._one(session, cast)
        result = confirm_push(session, task, client_id, NOW + dt.timedelta(hours=1))
        assert result.status == "confirmed" and result.created
        assert len(result.orders) == 4 and sum(o.amount for o in result.orders) == Decimal("50000.00")
        orders = session.scalars(select(Order).where(Order.push_id == result.push_id)).all()
        assert {o.client_id for o in orders} == {client_id} and {o.status for o in orders} == {"pending"}
        assert result.advisor_userid == "zhangmin"

    def test_five_deliveries_including_concurrent_ones_make_one_order_set(
        self, bank_url: str, session: Session, cast: Cast
    ) -> None:
        task, client_id = self._one(session, cast)
        outcomes: list[tuple[str, bool]] = []
        barrier = threading.Barrier(4)

        def deliver() -> None:
            barrier.wait()
            with session_scope(bank_url) as own:
                result = confirm_push(own, task, client_id, NOW + dt.timedelta(hours=1))
                outcomes.append((result.status, result.created))

        threads = [threading.Thread(target=deliver) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        with session_scope(bank_url) as own:
            outcomes.append((confirm_push(own, task, client_id, NOW + dt.timedelta(hours=2)).status, False))
        assert [status for status, _ in outcomes] == ["confirmed"] * 5
        assert sum(created for _, created in outcomes) == 1
        with session_scope(bank_url) as own:
            push_id = own.scalar(select(PortfolioPush.id).where(PortfolioPush.task_id == task))
            assert order_count(own, push_id) == 4

    def test_expired_push_is_refused_and_creates_nothing(self, session: Session, cast: Cast) -> None:
        task, client_id = self._one(session, cast)
        later = NOW + dt.timedelta(days=7, minutes=1)
        with pytest.raises(PushExpired):
            view_push(session, task, later)
        result = confirm_push(session, task, client_id, later)
        assert result.status == "expired" and not result.orders and order_count(session, result.push_id) == 0
        assert confirm_push(session, task, client_id, NOW).status == "expired"  # stays expired

    def test_suitability_is_checked_again_at_confirmation(self, session: Session, cast: Cast) -> None:
        task, client_id = self._one(session, cast)
        client = session.get(Client, client_id)
        assert client is not None
        client.risk_level = "C1"  # re-assessed lower after the push
        result = confirm_push(session, task, client_id, NOW + dt.timedelta(hours=1))
        assert result.status == "refused" and "C1低于" in result.reason and order_count(session, result.push_id) == 0
        client.risk_level, client.risk_assessed_on = "C2", dt.date(2025, 11, 1)  # suitable level, but lapsed
        result = confirm_push(session, task, client_id, NOW + dt.timedelta(hours=1))
        assert result.status == "refused" and "已过期" in result.reason
        client.risk_assessed_on = dt.date(2026, 11, 1)
        assert confirm_push(session, task, client_id, NOW + dt.timedelta(hours=2)).created

    def test_minimums_are_checked_again_at_confirmation(self, session: Session, cast: Cast) -> None:
        task, client_id = self._one(session, cast, amount="34000")
        push = session.scalar(select(PortfolioPush).where(PortfolioPush.task_id == task))
        assert push is not None
        push.amount = Decimal("20000")  # e.g. the product's minimum was raised: the split no longer qualifies
        result = confirm_push(session, task, client_id, NOW)
        assert result.status == "refused" and "起购额" in result.reason

    def test_another_clients_or_a_malformed_task_id_is_not_found(self, session: Session, cast: Cast) -> None:
        task, _ = self._one(session, cast)
        for task_id, client_id in ((task, cast.suitable[1]), ("../../etc", cast.suitable[0]), ("x" * 40, 1)):
            with pytest.raises(PushNotFound):
                confirm_push(session, task_id, client_id, NOW)

    def test_declined_push_cannot_be_confirmed_later(self, session: Session, cast: Cast) -> None:
        task, client_id = self._one(session, cast)
        assert pending_pushes(session, client_id, NOW)[0].task_id == task
        first = decline_push(session, task, client_id, NOW)
        assert first.status == "declined" and first.created
        assert not decline_push(session, task, client_id, NOW).created
        result = confirm_push(session, task, client_id, NOW)
        assert result.status == "declined" and order_count(session, result.push_id) == 0
        assert pending_pushes(session, client_id, NOW) == []

    def test_a_confirmed_push_is_not_declined_afterwards(self, session: Session, cast: Cast) -> None:
        task, client_id = self._one(session, cast)
        confirm_push(session, task, client_id, NOW)
        assert decline_push(session, task, client_id, NOW).status == "confirmed"
        assert view_push(session, task, NOW + dt.timedelta(days=30)).status == "confirmed"
