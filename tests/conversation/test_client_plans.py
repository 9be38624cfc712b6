"""The four plans over the REST channel against the real Rasa and action servers, as a non-customer and a client.

Each plan: the happy path ends with a few lines, a chart image, a proposal card and a risk notice, and the
card's link opens the proposal page; plus a correction, a digression, a cancel and an invalid value.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from actions.client.plan_slots import SPECS, range_words
from bank.db import session_scope
from bank.directory import Identity
from bank.models import Proposal, UsageEvent
from calc.money import fmt_approx, fmt_range
from services.plans import compute_plan
from tests.conversation.conftest import Chat, said, texts
from tests.servers import Service, get

pytestmark = pytest.mark.conversation


def re_ask(kind: str, slot: str) -> str:
    """The re-ask of a slot with calc's range filled in, as the action sends it."""
    spec = SPECS[kind][slot]
    return said(spec.invalid, **range_words(spec))


def card_of(answer: list[dict[str, Any]]) -> dict[str, Any]:
    cards = [item["custom"] for item in answer if isinstance(item.get("custom"), dict)]
    assert len(cards) == 1, answer
    return cards[0]


def token_of(card: dict[str, Any]) -> str:
    return urlsplit(card["url"]).path.rsplit("/", 1)[1]


def proposal_row(db_url: str, token: str) -> Proposal:
    with session_scope(db_url) as session:
        proposal = session.scalars(select(Proposal).where(Proposal.share_token == token)).one()
        session.expunge(proposal)
        return proposal


def assert_result(answer: list[dict[str, Any]], title: str, chart: str, web: Service, db_url: str, kind: str
                  ) -> Proposal:
    """A plan's answer: summary lines, a chart image, the proposal card, the risk notice; the link opens."""
    card = card_of(answer)
    assert card["title"] == f"{title}建议书" and card["button_text"] == "查看建议书"
    token = token_of(card)
    images = [item["image"] for item in answer if item.get("image")]
    assert len(images) == 1 and images[0].endswith(f"/proposals/{token}/charts/{chart}.png")
    assert "风险提示" in texts(answer)[-1]
    proposal = proposal_row(db_url, token)
    assert proposal.kind == kind
    status, body = get(f"{web.url}/proposals/{token}")
    assert status == 200 and title in body.decode("utf-8")
    status, png = get(f"{web.url}/proposals/{token}/charts/{chart}.png")
    assert status == 200 and png.startswith(b"\x89PNG"), "the chart in the chat reply should load"
    return proposal


class TestInvestment:
    def test_happy_path_as_a_visitor(self, chat: Chat, visitor: str, web: Service, demo_db_url: str) -> None:
        first = texts(chat(visitor, "帮我做个投资规划"))
        assert first == [said("utter_plan_investment_intro"),
                         said("utter_ask_plan_investment_form_plan_goal_amount")]
        assert "4%" in first[0] and "收益改成5%" in first[0]
        assert texts(chat(visitor, "100万")) == [said("utter_ask_plan_investment_form_plan_years")]
        assert texts(chat(visitor, "10年")) == [said("utter_ask_plan_investment_form_plan_initial")]
        assert texts(chat(visitor, "十万")) == [said("utter_ask_plan_investment_form_plan_monthly_saving")]
        answer = chat(visitor, "每月5000")
        plan = compute_plan("plan_investment", {"goal_amount": 1e6, "years": 10, "initial": 1e5, "monthly_saving": 5000})
        assert f"每月定投约{fmt_approx(plan.required_monthly_saving)}" in texts(answer)[0]
        assert fmt_range(plan.projected_range[10], plan.projected_range[90]) in texts(answer)[0]  # never one number
        proposal = assert_result(answer, "投资规划", "projection", web, demo_db_url, "plan_investment")
        assert proposal.client_id is None and proposal.payload["subject"] == "访客"
        with session_scope(demo_db_url) as session:
            features = session.scalars(select(UsageEvent.feature).where(UsageEvent.actor_id == visitor)).all()
            assert features == ["plan_investment"]

    def test_correction_and_a_changed_return(self, chat: Chat, visitor: str, web: Service, demo_db_url: str) -> None:
        chat(visitor, "投资规划")
        chat(visitor, "50w")
        assert texts(chat(visitor, "收益改成5%")) == [
            said("utter_plan_updated", field="预期年化收益", value="5.00%"),
            said("utter_ask_plan_investment_form_plan_years")]
        chat(visitor, "5年")
        assert texts(chat(visitor, "不对，目标是80万")) == [
            said("utter_plan_updated", field="目标金额", value="800,000.00元"),
            said("utter_ask_plan_investment_form_plan_initial")]
        chat(visitor, "没有")
        answer = chat(visitor, "3千")
        plan = compute_plan("plan_investment", {"goal_amount": 8e5, "years": 5, "initial": 0, "monthly_saving": 3000,
                                                "annual_return": 0.05})
        assert "5年后攒到80万元" in texts(answer)[0]
        assert f"每月定投约{fmt_approx(plan.required_monthly_saving)}" in texts(answer)[0]
        proposal = assert_result(answer, "投资规划", "projection", web, demo_db_url, "plan_investment")
        assert ["预期年化收益", "5.00%（您设定）"] in proposal.payload["assumptions"]


    def test_an_assumption_changed_after_the_result_recalculates(self, chat: Chat, visitor: str, web: Service,
                                                                  demo_db_url: str) -> None:
        for text in ("投资规划", "目标100万", "10年", "十万", "每月5000"):
            chat(visitor, text)
        answer = chat(visitor, "如果收益只有3%呢")
        assert texts(answer)[0] == said("utter_plan_updated", field="预期年化收益", value="3.00%")
        plan = compute_plan("plan_investment", {"goal_amount": 1e6, "years": 10, "initial": 1e5, "monthly_saving": 5000,
                                                "annual_return": 0.03})
        assert f"每月定投约{fmt_approx(plan.required_monthly_saving)}" in texts(answer)[1]
        proposal = assert_result(answer, "投资规划", "projection", web, demo_db_url, "plan_investment")
        assert ["预期年化收益", "3.00%（您设定）"] in proposal.payload["assumptions"]
        again = chat(visitor, "目标改成80万再算")  # and again, from the recalculated plan
        assert texts(again)[0] == said("utter_plan_updated", field="目标金额", value="800,000.00元")
        assert "攒到80万元" in texts(again)[1]


class TestPension:
    def test_happy_path_as_a_visitor_with_a_question_in_the_middle(
        self, chat: Chat, visitor: str, web: Service, demo_db_url: str
    ) -> None:
        first = texts(chat(visitor, "帮我做个养老规划"))
        assert "通胀2.5%" in first[0] and "年化收益4%" in first[0] and "70%" in first[0]
        assert first[-1] == said("utter_ask_plan_age")
        assert texts(chat(visitor, "35岁")) == [said("utter_ask_plan_retirement_age")]
        answer = texts(chat(visitor, "个人养老金账户一年最多可以存多少？"))
        assert any("来源：《" in line for line in answer)  # the question is answered …
        assert answer[-1] == said("utter_ask_plan_retirement_age")  # … and the form resumes
        assert texts(chat(visitor, "60岁退休")) == [said("utter_ask_plan_monthly_income")]
        assert texts(chat(visitor, "两万")) == [said("utter_ask_plan_basic_pension")]
        assert texts(chat(visitor, "不知道")) == [said("utter_ask_plan_pension_form_plan_initial")]
        answer = chat(visitor, "20万")
        plan = compute_plan("plan_pension", {"age": 35, "retirement_age": 60, "monthly_income": 20_000,
                                             "basic_pension_monthly": 0, "current_savings": 200_000})
        assert f"需要备好约{fmt_approx(plan.corpus_needed)}" in texts(answer)[0]
        assert f"每月再存约{fmt_approx(plan.monthly_saving)}" in texts(answer)[0]
        assert_result(answer, "养老规划", "accumulation", web, demo_db_url, "plan_pension")

    def test_known_client_is_prefilled(self, chat: Chat, people: dict[str, Identity]) -> None:
        client = people["client"]
        first = texts(chat(client.wecom_id, "我想做个养老规划"))
        assert any(line.startswith("已按您在本行登记的资料：年龄") for line in first)
        assert first[-1] == said("utter_ask_plan_retirement_age")  # age and income are not asked again
        chat(client.wecom_id, "算了")


class TestRetirement:
    def test_happy_path_and_an_invalid_age(self, chat: Chat, visitor: str, web: Service, demo_db_url: str) -> None:
        first = texts(chat(visitor, "退休规划"))
        assert first[-1] == said("utter_ask_plan_age")
        assert texts(chat(visitor, "300岁")) == [re_ask("plan_retirement", "plan_age"), said("utter_ask_plan_age")]
        assert texts(chat(visitor, "62")) == [said("utter_ask_plan_retirement_form_plan_initial")]
        assert texts(chat(visitor, "-5")) == [re_ask("plan_retirement", "plan_initial"),
                                             said("utter_ask_plan_retirement_form_plan_initial")]
        assert texts(chat(visitor, "一百二十万")) == [said("utter_ask_plan_monthly_spending")]
        answer = chat(visitor, "每月取6000")
        plan = compute_plan("plan_retirement", {"age": 62, "corpus": 1_200_000, "monthly_withdrawal": 6000})
        assert f"约{plan.years_lasting:.1f}年" in texts(answer)[0]
        assert_result(answer, "退休规划", "drawdown_path", web, demo_db_url, "plan_retirement")

    def test_cancel(self, chat: Chat, visitor: str, demo_db_url: str) -> None:
        chat(visitor, "退休规划")
        chat(visitor, "65")
        assert texts(chat(visitor, "算了")) == [said("utter_form_cancelled")]
        assert texts(chat(visitor, "算了")) == [said("utter_nothing_to_cancel")]  # the form is gone
        with session_scope(demo_db_url) as session:
            assert session.scalars(select(UsageEvent).where(UsageEvent.actor_id == visitor)).all() == []


class TestSimulation:
    def test_happy_path_with_an_invalid_period(self, chat: Chat, visitor: str, web: Service, demo_db_url: str) -> None:
        first = texts(chat(visitor, "模拟一下我的投资"))
        assert first == [said("utter_plan_simulation_intro"),
                         said("utter_ask_plan_simulation_form_plan_initial")]
        assert texts(chat(visitor, "10万")) == [said("utter_ask_plan_simulation_form_plan_monthly_saving")]
        assert texts(chat(visitor, "每月2000")) == [said("utter_ask_plan_simulation_form_plan_years")]
        assert texts(chat(visitor, "0年")) == [re_ask("plan_simulation", "plan_years"),
                                              said("utter_ask_plan_simulation_form_plan_years")]
        assert texts(chat(visitor, "10年")) == [said("utter_ask_plan_risk_mix")]
        assert texts(chat(visitor, "平衡")) == [said("utter_ask_plan_simulation_form_plan_goal_amount")]
        answer = chat(visitor, "50万")
        plan = compute_plan("plan_simulation", {"initial": 1e5, "monthly_contribution": 2000, "years": 10,
                                                "mix": "平衡", "goal": 5e5})
        assert fmt_approx(plan.bands[10][-1]) in texts(answer)[0] and fmt_approx(plan.bands[90][-1]) in texts(answer)[0]
        assert "可能性" in texts(answer)[0]
        proposal = assert_result(answer, "模拟规划", "projection", web, demo_db_url, "plan_simulation")
        assert proposal.payload["charts"][0]["kind"] in ("fan", "line")  # fan once calc reports p5/p95

    def test_cancel_mid_way(self, chat: Chat, visitor: str) -> None:
        chat(visitor, "模拟规划")
        assert texts(chat(visitor, "不做了")) == [said("utter_form_cancelled")]


# One table drives the unhappy paths of every plan: (start, first ask, a good first answer, the second ask,
# a correction of the first answer with its read-back, a bad first answer with the slot it is re-asked for).
PLANS = {
    "plan_investment": ("我想做个投资规划", "utter_ask_plan_investment_form_plan_goal_amount", "100万",
                        "utter_ask_plan_investment_form_plan_years",
                        ("说错了，目标是八十万", "目标金额", "800,000.00元"), ("-5", "plan_goal_amount")),
    "plan_pension": ("养老规划", "utter_ask_plan_age", "35岁", "utter_ask_plan_retirement_age",
                     ("不对，我今年40岁", "年龄", "40岁"), ("300岁", "plan_age")),
    "plan_retirement": ("做个退休规划", "utter_ask_plan_age", "62", "utter_ask_plan_retirement_form_plan_initial",
                        ("不对，我今年65岁", "年龄", "65岁"), ("三百岁", "plan_age")),
    "plan_simulation": ("模拟规划", "utter_ask_plan_simulation_form_plan_initial", "10万",
                        "utter_ask_plan_simulation_form_plan_monthly_saving",
                        ("不对，一开始投2万5", "现有资金", "25,000.00元"), ("-5", "plan_initial")),
}


@pytest.mark.parametrize("kind", list(PLANS))
class TestEveryPlan:
    def test_correction(self, chat: Chat, visitor: str, kind: str) -> None:
        start, first_ask, answer, second_ask, (fix, field, value), _ = PLANS[kind]
        assert texts(chat(visitor, start))[-1] == said(first_ask)
        assert texts(chat(visitor, answer)) == [said(second_ask)]
        assert texts(chat(visitor, fix)) == [said("utter_plan_updated", field=field, value=value),
                                             said(second_ask)]
        chat(visitor, "算了")

    def test_digression(self, chat: Chat, visitor: str, kind: str) -> None:
        start, _, answer, second_ask, _, _ = PLANS[kind]
        chat(visitor, start)
        assert texts(chat(visitor, answer)) == [said(second_ask)]
        replies = texts(chat(visitor, "请问什么是基金定投？"))
        assert any("来源：《" in line for line in replies) and replies[-1] == said(second_ask)
        chat(visitor, "算了")

    def test_cancel(self, chat: Chat, visitor: str, kind: str) -> None:
        start, _, answer, _, _, _ = PLANS[kind]
        chat(visitor, start)
        chat(visitor, answer)
        assert texts(chat(visitor, "算了，不做了")) == [said("utter_form_cancelled")]
        assert texts(chat(visitor, start))[-1] == said(PLANS[kind][1])  # starts afresh, nothing kept

    def test_invalid_value(self, chat: Chat, visitor: str, kind: str) -> None:
        start, first_ask, answer, second_ask, _, (bad, slot) = PLANS[kind]
        chat(visitor, start)
        assert texts(chat(visitor, bad)) == [re_ask(kind, slot), said(first_ask)]
        assert texts(chat(visitor, answer)) == [said(second_ask)]
        chat(visitor, "算了")


@pytest.mark.parametrize(("text", "kind"), [
    ("我打算给孩子攒上大学的钱，帮我算算每月该存多少", "plan_investment"),
    ("八年后想买房，首付要六十万，怎么攒", "plan_investment"),
    ("我想知道自己养老需要准备多少钱", "plan_pension"),
    ("以后老了钱够不够用，帮我测一下", "plan_pension"),
    ("退休以后每个月能花多少才不会把积蓄花光", "plan_retirement"),
    ("刚办完退休手续，手上这笔钱怎么取着花", "plan_retirement"),
    ("帮我模拟下各种行情下我的钱会变成多少", "plan_simulation"),
    ("用随机模拟看看十年后资产的分布", "plan_simulation"),
])
def test_unseen_paraphrases_start_the_right_plan(chat: Chat, visitor: str, text: str, kind: str) -> None:
    assert texts(chat(visitor, text))[0] == said(f"utter_{kind}_intro")
    chat(visitor, "算了")
