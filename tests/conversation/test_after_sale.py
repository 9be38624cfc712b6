"""After the sale over the REST channel, through the real servers: a manager corrects a model portfolio (a change
that does not add up is refused, a good one previewed and saved as the next version), an advisor reviews what they
pushed, a client follows an order that settled or failed (product closed before settlement) and cancels an
insurance order within its 犹豫期; an order above the per-order cap is refused at the push."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from bank.db import session_scope
from bank.directory import who_is
from bank.models import Client, Contact, Notification, Order, PortfolioPush, Product
from services.portfolio_edits import preview_weights, save_edit
from services.portfolios import find_portfolio
from services.settings import get_settings
from services.settlement import settle_orders
from tests.conversation.conftest import Say
from tests.conversation.test_push import (
    ADVISOR,
    Person,
    clients,  # noqa: F401  (fixture)
    payload,
    task_of,
    text_of,
)

pytestmark = pytest.mark.conversation
MANAGER = "chenjing"


def weights(url: str, name: str) -> dict[str, float]:
    with session_scope(url) as session:
        return {i.product.code: round(i.weight, 4) for i in find_portfolio(session, name).items}


def test_a_manager_corrects_a_model_portfolio(say: Say, demo_db_url: str) -> None:
    before = weights(demo_db_url, "进取组合")
    refused = say(ADVISOR, "把进取组合的黄金比例调到5%")
    assert refused == [text_of("utter_portfolio_edit_refused")]
    wrong = say(MANAGER, "进取组合改成远航沪深300指数A50%、远航黄金ETF联接A30%")
    assert any("加起来是80%" in line for line in wrong), wrong
    preview = say(MANAGER, "把进取组合的黄金比例调到5%")
    assert preview[0].startswith("进取组合（第1版）调整预览：") and "10%→5%" in preview[0], preview
    assert preview[-1] == text_of("utter_portfolio_edit_ask_confirm", version=2)
    assert weights(demo_db_url, "进取组合") == before  # nothing saved before 确认
    saved = say(MANAGER, "确认")
    assert saved[0] == text_of("utter_portfolio_edit_saved", portfolio="进取组合", version=2), saved
    after = weights(demo_db_url, "进取组合")
    assert after["GD001"] == 0.05 and round(sum(after.values()), 6) == 1.0
    again = say(MANAGER, "确认")  # a second 确认 saves nothing
    assert not any(line.startswith("已保存") for line in again), again
    with session_scope(demo_db_url) as session:
        assert find_portfolio(session, "进取组合").version == 2
    with session_scope(demo_db_url) as session:  # the original weights back as version 3 (other tests push it)
        manager = who_is(session, MANAGER)
        restored = save_edit(session, manager, preview_weights(session, manager, find_portfolio(session, "进取组合"),
                                                               before), dt.datetime.now())
        assert restored.version == 3
    assert weights(demo_db_url, "进取组合") == before


def test_an_order_above_the_cap_is_refused_at_the_push(say: Say,
                                                       clients: tuple[list[Person], list[Person]]) -> None:  # noqa: F811
    person = clients[0][-1]  # test_push.py and test_push_products.py use the first four
    preview = say(ADVISOR, f"把稳健组合推给{person.name}，每人600万")
    assert any("超过单笔上限5,000,000.00元" in line for line in preview), preview
    assert preview[-1] == text_of("utter_push_nobody_suitable"), preview


def _push_and_confirm(say: Say, url: str, person: Person, text: str) -> str:
    say(ADVISOR, text)
    assert say(ADVISOR, "确认")[0].startswith("已把"), "the push was not sent"
    task = task_of(url, person.id)
    assert say(person.external_id, payload("confirm_push", task))[0].startswith("已为您确认")
    return task


def test_a_client_follows_orders_and_cancels_a_policy(say: Say, demo_db_url: str,
                                                      clients: tuple[list[Person], list[Person]]) -> None:  # noqa: F811
    person = clients[0][-2]
    _push_and_confirm(say, demo_db_url, person, f"组合下单：福寿康宁重疾险，推给{person.name}")
    _push_and_confirm(say, demo_db_url, person, f"把稳健添利90天推给{person.name}，每人2万")
    pending = say(person.external_id, "我买的东西成交了吗")
    assert pending[0].startswith("您近期的订单：") and "稳健添利90天理财" in pending[0] and "处理中" in pending[0], pending
    with session_scope(demo_db_url) as session:  # the 理财 closes before its settlement day
        session.scalars(select(Product).where(Product.code == "WM090")).one().on_sale = False
    try:
        settle_orders(dt.datetime.now() + dt.timedelta(days=10), get_settings(), demo_db_url)
    finally:
        with session_scope(demo_db_url) as session:
            session.scalars(select(Product).where(Product.code == "WM090")).one().on_sale = True
    status = say(person.external_id, "我的订单现在什么状态")
    lines = status[0].splitlines()
    assert any("稳健添利90天理财" in line and "未成交" in line for line in lines), status
    assert any("福寿康宁重疾险" in line and "保单已生效" in line for line in lines), status
    with session_scope(demo_db_url) as session:
        policy = session.scalars(select(Order).join(PortfolioPush, PortfolioPush.id == Order.push_id).join(
            Product, Product.id == Order.product_id).where(Order.client_id == person.id, Product.code == "CI002")
            .order_by(Order.id.desc())).first()
        assert policy is not None and policy.status == "filled" and policy.holding_id is not None
    ask = say(person.external_id, "刚买的福寿康宁重疾险我想在犹豫期内退掉")
    assert ask[-1] == text_of("utter_policy_cancel_ask_confirm", product="福寿康宁重疾险",
                              refund="保费3,000.00元将全额退还，"), ask
    kept = say(person.external_id, "算了不撤了")
    assert kept == [text_of("utter_policy_cancel_kept")], kept
    say(person.external_id, "撤销我的重疾险保单")
    done = say(person.external_id, "是的")
    assert done[0].startswith("已撤销“福寿康宁重疾险”。保费3,000.00元将原路退还。"), done
    with session_scope(demo_db_url) as session:
        assert session.get(Order, policy.id).status == "cancelled"
    again = say(person.external_id, "撤销福寿康宁重疾险")
    assert any("没有可以在犹豫期内撤销的保单" in line for line in again), again
    staff = say(ADVISOR, "撤销保单")
    assert staff and "保单撤销" in staff[0], staff


def test_an_advisor_reviews_what_they_pushed(say: Say) -> None:  # after the pushes above, in this module
    answer = say(ADVISOR, "最近推的组合表现怎么样")
    assert answer[0].startswith("近30天您推送的组合和产品，至今表现："), answer
    assert any(line.startswith("· ") and "福寿康宁重疾险" in line for line in answer[0].splitlines()), answer
    named = say(ADVISOR, "上个月推的稳健组合表现怎么样")
    none = text_of("utter_push_review_none", period="上月", portfolio="稳健组合")
    assert named[0].startswith("上月您推送的稳健组合，至今表现：") or named == [none], named
    team = say(MANAGER, "最近团队推的组合表现怎么样")
    assert team[0].startswith("近30天团队推送的组合和产品，至今表现：") and "张敏于" in team[0], team


def test_an_advisor_sends_a_proposal_and_a_push_to_a_named_client(say: Say, demo_db_url: str,
                                                                  clients: tuple[list[Person], list[Person]]) -> None:  # noqa: F811
    person = clients[0][-3]
    proposal = say(ADVISOR, f"给{person.name}出一份建议书")
    assert proposal, proposal
    sent = say(ADVISOR, f"把这份建议书发给{person.name}")
    assert sent[0].startswith("已把建议书") and f"发给{person.name}" in sent[0] and "已记为一次联系" in sent[0], sent
    again = say(ADVISOR, f"把这份建议书发给{person.name}")
    assert again[0].startswith("已发送过："), again
    with session_scope(demo_db_url) as session:
        kinds = session.scalars(select(Contact.kind).where(Contact.client_id == person.id,
                                                           Contact.kind == "message")).all()
        shared = session.scalars(select(Notification).where(
            Notification.recipient == person.external_id, Notification.kind == "share")).all()
    assert len(kinds) == 1 and len(shared) == 1  # the second ask sent and recorded nothing
    other = say("liqiang", f"把这份建议书发给{person.name}")
    assert other and "已把" not in other[0], other  # 李强 may not send to 张敏's client
    with session_scope(demo_db_url) as session:
        assert session.scalar(select(func.count()).select_from(Notification).where(
            Notification.recipient == person.external_id, Notification.kind == "share")) == 1
    nobody = say(ADVISOR, "把这份建议书发过去")
    assert nobody == [text_of("utter_share_ask_who")], nobody


def test_a_client_assessed_lower_after_the_push_is_refused_at_confirmation(
        say: Say, demo_db_url: str, clients: tuple[list[Person], list[Person]]) -> None:  # noqa: F811
    person = clients[0][-4]
    say(ADVISOR, f"把稳健添利90天推给{person.name}，每人2万")
    assert say(ADVISOR, "确认")[0].startswith("已把稳健添利90天理财推送给1位客户")
    task = task_of(demo_db_url, person.id)
    with session_scope(demo_db_url) as session:  # re-assessed as C1 before confirming (R2 is above it)
        client = session.get(Client, person.id)
        level, client.risk_level = client.risk_level, "C1"
    try:
        refused = say(person.external_id, payload("confirm_push", task))
    finally:
        with session_scope(demo_db_url) as session:
            session.get(Client, person.id).risk_level = level
    assert refused[0].startswith("暂时无法为您下单：") and "C1" in refused[0] and "R2" in refused[0], refused
    with session_scope(demo_db_url) as session:
        push_id = session.scalar(select(PortfolioPush.id).where(PortfolioPush.task_id == task))
        assert session.scalar(select(func.count()).select_from(Order).where(Order.push_id == push_id)) == 0
