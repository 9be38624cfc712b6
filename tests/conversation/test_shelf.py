"""The product shelf in chat (issue 17) over the REST channel, against the real Rasa and action servers: browsing,
filtering in everyday words, an unsuitable request (a C2 client asks for R4), an expired assessment, comparisons
(two kinds, two named products) and the hand-off about a product, which the advisor receives in the outbox."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from bank.db import session_scope
from bank.models import Client, Notification, Staff
from calc import clock
from services.shelf import browse
from tests.conversation.conftest import Chat, said, texts

pytestmark = pytest.mark.conversation


def _prepare(url: str, offset: int, level: str | None, days_ago: int | None) -> dict[str, Any]:
    """A demo client of the shared bank (far from the ones other tests use), set to `level` assessed `days_ago`."""
    with session_scope(url) as session:
        client = session.scalars(select(Client).where(Client.wecom_external_userid.is_not(None))
                                 .order_by(Client.id).offset(offset).limit(1)).one()
        client.risk_level = level
        client.risk_assessed_on = None if days_ago is None else clock.today() - dt.timedelta(days=days_ago)
        advisor = session.get(Staff, client.advisor_id)
        assert advisor is not None
        return {"id": client.id, "sender": client.wecom_external_userid, "advisor": advisor.wecom_userid,
                "advisor_name": advisor.name}


@pytest.fixture(scope="module")
def c2(demo_db_url: str) -> dict[str, Any]:
    return _prepare(demo_db_url, 40, "C2", 30)


@pytest.fixture(scope="module")
def expired(demo_db_url: str) -> dict[str, Any]:
    return _prepare(demo_db_url, 41, "C4", 500)


@pytest.fixture
def fresh(chat: Chat, c2: dict[str, Any]) -> dict[str, Any]:
    """The C2 client with nothing of an earlier test in view (a new conversation for the same person)."""
    chat(c2["sender"], "/restart")
    return c2


def expected(url: str, client_id: int, text: str) -> list[str]:
    with session_scope(url) as session:
        return [item.name for item in browse(session, client_id, text, limit=5).items]


def handoffs(url: str, userid: str) -> list[dict[str, Any]]:
    with session_scope(url) as session:
        return [dict(n.card or {}) for n in session.scalars(select(Notification).where(
            Notification.recipient == userid, Notification.kind == "handoff").order_by(Notification.id))]


def test_browsing_lists_what_suits_the_client_with_a_link_to_the_shelf(chat: Chat, fresh: dict[str, Any],
                                                                       demo_db_url: str) -> None:
    text = "有哪些一年以内的R2理财"
    answer = texts(chat(fresh["sender"], text))
    assert len(answer) == 1, answer
    names = expected(demo_db_url, fresh["id"], text)
    assert names and all(name in answer[0] for name in names)
    assert "按“R2、期限一年以内、理财”" in answer[0] and "C2" in answer[0] and "/auth/link/" in answer[0]
    assert "投资须谨慎" in answer[0] and len(answer[0].encode("utf-8")) <= 2048


@pytest.mark.parametrize(("text", "understood"), [
    ("随时能取的产品有哪些", "T+0随时可取"),
    ("起投一万以下的有吗", "起投一万以内"),
    ("比存款高一点的", "收益比定期存款高"),
    ("手头只有五千块，能买点啥", "起投五千块以内"),
    ("钱半年后要用，有没有合适的理财", "期限半年以内"),
    ("有没有风险小一点的债基", "R2及以下"),
])
def test_filtering_in_everyday_words(chat: Chat, fresh: dict[str, Any], demo_db_url: str, text: str,
                                     understood: str) -> None:
    answer = texts(chat(fresh["sender"], text))
    assert answer and understood in answer[0], answer
    assert all(name in answer[0] for name in expected(demo_db_url, fresh["id"], text))


def test_a_c2_client_asking_for_r4_is_shown_it_apart_with_the_way_to_reassess(chat: Chat,
                                                                              fresh: dict[str, Any]) -> None:
    answer = texts(chat(fresh["sender"], "有没有R4的股票基金"))
    assert "风险等级高于您的C2" in answer[0] and "不能向您销售" in answer[0] and "风险测评" in answer[0]
    assert "股票" in answer[0] and any("不超过您风险等级C2" in line for line in answer)


def test_an_expired_assessment_must_be_renewed_before_buying(chat: Chat, expired: dict[str, Any]) -> None:
    answer = texts(chat(expired["sender"], "随时能取的产品有哪些"))
    assert "已超过" in answer[0] and "重新测评" in answer[0]


def test_two_kinds_compared_with_the_verdict_then_the_advisor_asked_for_the_pick(
        chat: Chat, fresh: dict[str, Any], demo_db_url: str) -> None:
    answer = chat(fresh["sender"], "货币基金和纯债基金有什么区别，哪个适合我")
    lines = texts(answer)
    assert "哪个适合您：" in lines[0] and "更适合" in lines[0] and "为例" in lines[0]
    assert "过往业绩不代表未来表现" in lines[0] and "/auth/link/" in lines[0]
    assert any("/shelf/compare.png?codes=" in str(m.get("image")) for m in answer)
    before = len(handoffs(demo_db_url, fresh["advisor"]))
    replies = texts(chat(fresh["sender"], "这个产品我想买，帮我联系理财经理"))
    cards = handoffs(demo_db_url, fresh["advisor"])
    assert len(cards) == before + 1
    product = cards[-1]["product"]
    assert product["name"] in lines[0] and product["fit"].startswith("客户C2")
    assert replies == [said("utter_shelf_ask_sent", advisor=fresh["advisor_name"], product=product["name"])]


def test_two_named_products_compared(chat: Chat, fresh: dict[str, Any]) -> None:
    lines = texts(chat(fresh["sender"], "稳健添利90天理财和远航纯债债券A哪个好"))
    assert "稳健添利90天理财、远航纯债债券A对比" in lines[0] and "最大回撤" in lines[0]


def test_a_product_from_the_list_handed_to_the_advisor(chat: Chat, fresh: dict[str, Any], demo_db_url: str) -> None:
    names = expected(demo_db_url, fresh["id"], "有哪些一年以内的R2理财")
    chat(fresh["sender"], "有哪些一年以内的R2理财")
    before = len(handoffs(demo_db_url, fresh["advisor"]))
    replies = texts(chat(fresh["sender"], "第2款我想买，让理财经理联系我"))
    assert replies == [said("utter_shelf_ask_sent", advisor=fresh["advisor_name"], product=names[1])]
    cards = handoffs(demo_db_url, fresh["advisor"])
    assert len(cards) == before + 1 and cards[-1]["product"]["name"] == names[1]


def test_a_visitor_browses_without_suitability_and_is_told_to_assess(chat: Chat) -> None:
    answer = texts(chat(f"visitor-{uuid.uuid4().hex[:8]}", "随时能取的产品有哪些"))
    assert "完成风险测评" in answer[0] and "/shelf?q=" in answer[0]


def test_an_advisor_gets_the_list_without_client_suitability(chat: Chat) -> None:
    answer = texts(chat("zhangmin", "有哪些一年以内的R2理财"))
    assert "未按客户适当性筛选" in answer[0]
