"""A client's own orders (services/client_orders.py): where each stands after settlement, and which insurance order
a cancel request means; nobody cancels another client's policy. Also the staff's 售后检视 of what they pushed
(services/push_reviews.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from bank.db import session_scope
from bank.directory import who_is
from bank.models import Client, NavPoint, Order, PortfolioPush, Product
from services.after_sale import review_pushes
from services.client_orders import cancel_policy, policy_to_cancel, recent_orders
from services.push_decisions import confirm_push
from services.push_reviews import reviews_asked
from services.pushes import draft_push, push_portfolio
from services.settings import Settings
from services.settlement import NotCancellable, settle_orders
from tests.services.push_cast import NOW, Cast

MONDAY = dt.datetime(2026, 11, 30, 10, 0)
SETTLED = dt.datetime(2026, 12, 2, 21, 0)
REVIEWED = dt.date(2026, 12, 1)


def push_and_confirm(bank_url: str, cast: Cast, client: int, text: str) -> str:
    with session_scope(bank_url) as s:
        draft = draft_push(s, cast.advisor, text.format(name="他们"), NOW, shown_client_ids=[client])
        assert draft.preview is not None and draft.preview.suitable, draft
        task = push_portfolio(s, cast.advisor, draft.preview.portfolio_id, [client], draft.preview.amount,
                              NOW).sent[0].task_id
    with session_scope(bank_url) as s:
        assert confirm_push(s, task, client, MONDAY).status == "confirmed"
    return task


@pytest.fixture
def bought(bank_url: str, cast: Cast) -> int:
    """The cast's first client with a 理财 that closes before settlement, a fund and a policy, settled."""
    client = cast.suitable[0]
    for text in ("把稳健添利90天推给{name}，2万", "把福寿康宁重疾险推给{name}，5000", "把远航纯债推给{name}，1万"):
        push_and_confirm(bank_url, cast, client, text)
    with session_scope(bank_url) as s:
        s.scalars(select(Product).where(Product.code == "WM090")).one().on_sale = False
        fund = s.scalars(select(Product).where(Product.code == "BF001")).one()
        s.add(NavPoint(product_id=fund.id, date=MONDAY.date(), nav=Decimal("2.0812")))  # T's NAV, published
    settle_orders(SETTLED, Settings(), bank_url)
    return client


def test_each_order_says_where_it_stands(bank_url: str, bought: int) -> None:
    with session_scope(bank_url) as s:
        lines = {line.product: line.text(SETTLED.date()) for line in recent_orders(s, bought, SETTLED.date())}
    assert "未成交：“稳健添利90天理财”已停售" in lines["稳健添利90天理财"], lines
    assert "保单已生效，犹豫期至" in lines["福寿康宁重疾险"]
    assert "已确认" in lines["远航纯债债券A"] and "份（11月30日净值2.0812）" in lines["远航纯债债券A"]
    assert "10,000.00元" in lines["远航纯债债券A"]


def test_a_policy_is_cancelled_by_its_own_client_only(bank_url: str, bought: int, cast: Cast) -> None:
    with session_scope(bank_url) as s:
        line = policy_to_cancel(s, bought, "撤销我的保单", SETTLED)
        assert line.product == "福寿康宁重疾险" and line.status == "filled"
        with pytest.raises(NotCancellable, match="没有找到这份保单"):
            cancel_policy(s, cast.suitable[1], line.order_id, SETTLED)
        with pytest.raises(NotCancellable, match="没有可以在犹豫期内撤销的保单"):
            policy_to_cancel(s, cast.suitable[1], "撤销保单", SETTLED)
        with pytest.raises(NotCancellable, match="犹豫期已于"):
            policy_to_cancel(s, bought, "撤销保单", SETTLED + dt.timedelta(days=30))
        done = cancel_policy(s, bought, line.order_id, SETTLED)
        assert done.refund == Decimal("5000.00")
        assert s.get(Order, line.order_id).status == "cancelled"
    with session_scope(bank_url) as s, pytest.raises(NotCancellable, match="没有可以在犹豫期内撤销的保单"):
        policy_to_cancel(s, bought, "撤销福寿康宁重疾险", SETTLED)


def test_two_policies_in_their_period_need_a_name(bank_url: str, cast: Cast) -> None:
    client = cast.suitable[1]
    push_and_confirm(bank_url, cast, client, "把福寿康宁重疾险推给{name}，5000")
    push_and_confirm(bank_url, cast, client, "把安康守护重大疾病保险推给{name}，5000")
    with session_scope(bank_url) as s:
        with pytest.raises(NotCancellable, match="2份保单还在犹豫期内"):
            policy_to_cancel(s, client, "撤销保单", MONDAY)
        assert policy_to_cancel(s, client, "把安康守护重大疾病保险撤了", MONDAY).product == "安康守护重大疾病保险"


def test_staff_review_what_they_pushed(bank_url: str, cast: Cast) -> None:
    task = push_and_confirm(bank_url, cast, cast.suitable[2], "把稳健组合推给{name}，5万")
    settle_orders(SETTLED, Settings(), bank_url)
    with session_scope(bank_url) as s:
        found = reviews_asked(s, cast.advisor, "最近推的稳健组合表现怎么样", REVIEWED)
        assert found.portfolio == "稳健组合" and [t for t, _ in found.reviews] == [task]
        push = s.scalars(select(PortfolioPush).where(PortfolioPush.task_id == task)).one()
        expected = review_pushes(s, [push], REVIEWED)
        review = found.reviews[0][1]
        assert review.invested == expected.invested == Decimal("50000.00") and review.total == expected.total
        assert reviews_asked(s, cast.advisor, "最近推的平衡组合表现怎么样", REVIEWED).reviews == []
        manager = who_is(s, "chenjing")
        assert [t for t, _ in reviews_asked(s, manager, "最近团队推的组合", REVIEWED).reviews] == [task]
        other = who_is(s, "liqiang")
        assert reviews_asked(s, other, "最近推的组合", REVIEWED).reviews == []
        client = s.get(Client, cast.suitable[2])
        with pytest.raises(PermissionError):
            reviews_asked(s, who_is(s, client.wecom_external_userid), "最近推的组合", REVIEWED)
