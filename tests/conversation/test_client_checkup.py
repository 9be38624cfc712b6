"""Client journeys over the REST channel against the real servers: check-up, risk assessment, statement, score,
rewards — happy paths, a correction, a digression, a cancel and invalid values; never a product above the level."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from bank.db import session_scope
from bank.directory import Identity
from bank.models import Client, Product, Proposal, UsageEvent
from bank.models import Identity as IdentityRow
from calc.risk import QUESTIONNAIRE, is_suitable, score_answers
from services.risk import validity_words
from tests.conversation.conftest import Chat, said, texts
from tests.servers import Service, get

pytestmark = pytest.mark.conversation


def card_of(answer: list[dict[str, Any]]) -> dict[str, Any]:
    cards = [m["custom"] for m in answer if isinstance(m.get("custom"), dict) and m["custom"].get("type") == "card"]
    assert len(cards) == 1, answer
    return cards[0]


def proposal_for(db_url: str, card: dict[str, Any]) -> Proposal:
    token = card["url"].rstrip("/").rsplit("/", 1)[-1]
    with session_scope(db_url) as session:
        row = session.scalars(select(Proposal).where(Proposal.share_token == token)).one()
        session.expunge(row)
        return row


GUEST_ANSWERS = ["35岁", "2万", "8000", "1", "存款5000，基金20万", "没有"]


def run_guest_checkup(chat: Chat, sender: str, answers: list[str] = GUEST_ANSWERS) -> list[dict[str, Any]]:
    first = texts(chat(sender, "我想做个财富体检"))
    assert first == [said("utter_checkup_intro_guest"), said("utter_ask_checkup_age")]
    answer: list[dict[str, Any]] = []
    for text in answers:
        answer = chat(sender, text)
    return answer


def assert_result(answer: list[dict[str, Any]]) -> dict[str, Any]:
    """Summary lines, the allocation chart image and the proposal card, in that order."""
    assert answer[0]["text"].startswith("体检得分")
    assert "随时要用的钱" in answer[0]["text"] and "主要发现" in answer[0]["text"]
    assert answer[1]["image"].endswith("/charts/allocation.png") and "/proposals/" in answer[1]["image"]
    card = card_of(answer)
    assert card["button_text"] == "查看建议书" and answer[1]["image"].startswith(card["url"] + "/charts/")
    assert len(answer) <= 5  # WeCom 微信客服 allows five messages per customer message
    return card


class TestCheckupAsAVisitor:
    def test_happy_path_gives_pots_findings_chart_link_and_no_products(
        self, chat: Chat, visitor: str, demo_db_url: str, web: Service
    ) -> None:
        answer = run_guest_checkup(chat, visitor)
        card = assert_result(answer)
        path = urlsplit(card["url"]).path
        status, page = get(f"{web.url}{path}")
        assert status == 200 and "财富体检" in page.decode("utf-8") and "风险提示" in page.decode("utf-8")
        status, png = get(f"{web.url}{urlsplit(answer[1]['image']).path}")
        assert status == 200 and png.startswith(b"\x89PNG"), "the chart in the chat reply should load"
        assert "还差" in answer[0]["text"]  # 5,000 cash against 24,000-48,000 needed
        offer = next(m for m in answer if m.get("buttons"))
        assert offer["text"].startswith("您还没有做过风险测评") and offer["buttons"][0]["payload"] == "/risk_assessment"
        proposal = proposal_for(demo_db_url, card)
        assert proposal.kind == "checkup" and proposal.client_id is None
        assert proposal.payload["products"] == [] and proposal.payload["subject"] == "访客"
        assert proposal.payload["charts"][0]["name"] == "allocation"
        assert proposal.payload["charts"][0]["kind"] == "pie_pair"
        with session_scope(demo_db_url) as session:
            used = session.scalars(select(UsageEvent).where(UsageEvent.actor_id == visitor)).all()
            assert [u.feature for u in used] == ["checkup"]

    def test_correction_of_an_earlier_answer(self, chat: Chat, visitor: str, demo_db_url: str) -> None:
        run_guest_checkup(chat, visitor, ["35岁", "2万"])
        replies = texts(chat(visitor, "不对，收入是3万"))
        assert replies == [said("utter_checkup_updated", field="月收入", value="30,000.00元"),
                           said("utter_ask_checkup_expenses")]
        for text in ("8000", "0", "存款10万", "重疾险50万"):
            answer = chat(visitor, text)
        assert_result(answer)
        # life cover target = 10 x 12 x 30,000, said the way a planner says it
        assert "建议360万–540万元" in answer[0]["text"]

    def test_question_in_the_middle_is_answered_and_the_form_resumes(self, chat: Chat, visitor: str) -> None:
        run_guest_checkup(chat, visitor, ["40岁"])
        replies = texts(chat(visitor, "重疾险和医疗险有什么区别？"))
        assert len(replies) >= 2 and replies[-1] == said("utter_ask_checkup_income")
        assert texts(chat(visitor, "1.5万")) == [said("utter_ask_checkup_expenses")]

    def test_cancel_leaves_the_form(self, chat: Chat, visitor: str) -> None:
        run_guest_checkup(chat, visitor, ["40岁", "2万"])
        assert texts(chat(visitor, "算了，不做了")) == [said("utter_form_cancelled")]
        assert texts(chat(visitor, "算了")) == [said("utter_nothing_to_cancel")]

    @pytest.mark.parametrize(("answers", "invalid", "ask"), [
        (["300岁"], "utter_checkup_invalid_age", "utter_ask_checkup_age"),
        (["35岁", "-5"], "utter_checkup_invalid_income", "utter_ask_checkup_income"),
        (["35岁", "2万", "8000", "一百个"], "utter_checkup_invalid_dependants", "utter_ask_checkup_dependants"),
        (["35岁", "2万", "8000", "1", "大概十万吧"], "utter_checkup_invalid_assets", "utter_ask_checkup_assets"),
    ])
    def test_out_of_range_or_unreadable_values_are_asked_again_with_the_range(
        self, chat: Chat, visitor: str, answers: list[str], invalid: str, ask: str
    ) -> None:
        answer = run_guest_checkup(chat, visitor, answers)
        assert texts(answer) == [said(invalid), said(ask)]


def _client_with(db_url: str, expired: bool, skip: set[int]) -> Identity:
    """A demo client with a registered WeCom id whose assessment is (not) expired and whose record is more than a
    year old (so the check-up asks to confirm it), not among `skip`."""
    today = dt.date.today()
    with session_scope(db_url) as session:
        rows = session.execute(
            select(IdentityRow.wecom_id, Client).join(Client, IdentityRow.client_id == Client.id)
            .where(Client.risk_level.is_not(None)).order_by(Client.id.desc())).all()
        for wecom_id, client in rows:
            old = (today - client.risk_assessed_on).days > 365
            stale = (today - client.created_at.date()).days > 365
            if old == expired and stale and client.id not in skip:
                return Identity(wecom_id, "client", client.name, None, client.id, None, None)
    raise AssertionError("no such demo client")


class TestCheckupAsAClient:
    def test_known_client_confirms_stale_facts_and_gets_products_within_their_level(
        self, chat: Chat, people: dict[str, Identity], demo_db_url: str
    ) -> None:
        client = _client_with(demo_db_url, expired=False, skip={p.client_id for p in people.values() if p.client_id})
        replies = texts(chat(client.wecom_id, "帮我做个财富体检"))
        assert replies[0] == said("utter_checkup_intro_client", name=client.name)
        assert replies[1].startswith("我们记录的信息是：月收入")
        answer = chat(client.wecom_id, "对")
        card = assert_result(answer)
        proposal = proposal_for(demo_db_url, card)
        assert proposal.client_id == client.client_id and proposal.payload["subject"].startswith(client.name[0])
        with session_scope(demo_db_url) as session:
            level = session.get(Client, client.client_id).risk_level
            codes = [p["code"] for p in proposal.payload["products"]]
            products = session.scalars(select(Product).where(Product.code.in_(codes))).all()
        assert products, "a client with a valid assessment gets products"
        assert all(is_suitable(level, p.risk_level) for p in products)
        listed = next(m["text"] for m in answer if "符合您风险等级" in m.get("text", ""))
        assert all(p.name in listed for p in products)
        # the check-up just saved refreshes the record: the next one asks nothing
        again = chat(client.wecom_id, "再做一次财富体检")
        assert again[0]["text"] == said("utter_checkup_intro_client", name=client.name)
        assert again[1]["text"].startswith("体检得分")

    def test_correction_while_confirming(self, chat: Chat, people: dict[str, Identity], demo_db_url: str) -> None:
        used = {p.client_id for p in people.values() if p.client_id}
        first = _client_with(demo_db_url, expired=False, skip=used)
        client = _client_with(demo_db_url, expired=False, skip=used | {first.client_id})
        chat(client.wecom_id, "财富体检")
        answer = chat(client.wecom_id, "不对，收入是5万")
        assert answer[0]["text"] == said("utter_checkup_updated", field="月收入", value="50,000.00元")
        assert "建议600万–900万元" in answer[1]["text"]  # life cover target from the corrected income

    def test_expired_assessment_is_offered_before_products_and_then_they_are_listed(
        self, chat: Chat, demo_db_url: str
    ) -> None:
        client = _client_with(demo_db_url, expired=True, skip=set())
        chat(client.wecom_id, "财富体检")
        answer = chat(client.wecom_id, "对")
        card = assert_result(answer)
        offer = next(m for m in answer if m.get("buttons"))
        assert "已超过一年" in offer["text"]
        assert proposal_for(demo_db_url, card).payload["products"] == []
        first_question = texts(chat(client.wecom_id, "好的"))
        assert first_question[0].startswith("您目前登记的风险等级是") and "已超过一年" in first_question[0]
        assert first_question[1:] == [said("utter_risk_intro"), said("utter_ask_risk_q_age")]
        for _ in QUESTIONNAIRE:
            answer = chat(client.wecom_id, '/inform{"risk_answer": "A"}')
        replies = texts(answer)
        assert replies[0] == said("utter_risk_result",
                                  explanation=score_answers({q.id: 0 for q in QUESTIONNAIRE}).explanation_zh)
        assert replies[1] == said("utter_risk_stored", date=str(dt.date.today()), validity=validity_words())
        listed = next(t for t in replies if t.startswith("按您的测评结果（C1）"))
        with session_scope(demo_db_url) as session:
            row = session.get(Client, client.client_id)
            assert (row.risk_level, row.risk_assessed_on) == ("C1", dt.date.today())
            shelf = session.scalars(select(Product)).all()
        named = [p for p in shelf if f"· {p.name}（" in listed]
        assert named and all(p.risk_level == "R1" for p in named)


class TestRiskAssessment:
    def test_typed_answers_buttons_a_question_and_an_invalid_answer(self, chat: Chat, visitor: str) -> None:
        assert texts(chat(visitor, "我要做风险测评")) == [said("utter_risk_intro"), said("utter_ask_risk_q_age")]
        button = chat(visitor, '/inform{"risk_answer": "E"}')
        assert button[0]["text"] == said("utter_ask_risk_q_income_stability")
        assert [b["payload"] for b in button[0]["buttons"]][1] == '/inform{"risk_answer": "B"}'
        assert texts(chat(visitor, "随便吧")) == [said("utter_risk_invalid_answer"),
                                                  said("utter_ask_risk_q_income_stability")]
        assert texts(chat(visitor, "第三个")) == [said("utter_ask_risk_q_investable_share")]
        digression = texts(chat(visitor, "基金定投是什么？"))
        assert digression[-1] == said("utter_ask_risk_q_investable_share") and len(digression) >= 2
        typed = ["C", "买过债券基金或混合基金", "d", "选E", "2", "第4个", "继续持有，等待回升", "C", "C"]
        for text in typed:
            answer = chat(visitor, text)
        chosen = {"age": 4, "income_stability": 2, "investable_share": 2, "experience": 2, "knowledge": 3,
                  "horizon": 4, "goal": 1, "loss_tolerance": 3, "drop_reaction": 3, "liquidity_need": 2,
                  "risk_return": 2}
        expected = score_answers(chosen)
        assert texts(answer) == [said("utter_risk_result", explanation=expected.explanation_zh), said("utter_risk_guest")]

    def test_cancel_in_the_middle(self, chat: Chat, visitor: str) -> None:
        chat(visitor, "风险测评")
        chat(visitor, "A")
        assert texts(chat(visitor, "不测了")) == [said("utter_form_cancelled")]


class TestStatementScoreRewards:
    def test_known_client_sees_statement_score_and_rewards(self, chat: Chat, people: dict[str, Identity]) -> None:
        client = people["client"].wecom_id
        statement = texts(chat(client, "看看我今年的收益"))[0]
        assert statement.startswith("今年以来（") and "投资收益" in statement and "业绩基准" in statement
        month = texts(chat(client, "这个月赚了多少"))[0]
        assert month.startswith("本月（")
        score = texts(chat(client, "我的财富健康分"))[0]
        assert score.startswith("您的财富健康分是") and score.count("\n· ") == 3
        raise_it = texts(chat(client, "我的健康分要怎样才能再高一点"))[0]
        parts = {name: float(value) for name, value in re.findall(r"· (\S+?)(\d+)分：", raise_it)}
        weights = {"活跃度": 0.30, "配置健康": 0.45, "增长潜力": 0.25}  # calc/score.py WEIGHTS, independently
        room = {name: weights[name] * (100 - value) for name, value in parts.items()}
        likely = {name for name, points in room.items() if points >= max(room.values()) - 0.5}  # shown rounded
        assert any(f"最能提分的是{name}" in raise_it for name in likely), raise_it
        rewards = texts(chat(client, "我有哪些权益"))[0]
        assert rewards.startswith("您目前是")

    @pytest.mark.parametrize(("text", "feature"), [("我的账单", "财富账单"), ("我的财富健康分", "财富健康分"),
                                                   ("我有哪些权益", "成长权益")])
    def test_visitor_gets_a_polite_note(self, chat: Chat, visitor: str, text: str, feature: str) -> None:
        assert texts(chat(visitor, text)) == [said("utter_wealth_clients_only", feature=feature)]
