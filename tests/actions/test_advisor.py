"""Advisor actions with a Tracker and a CollectingDispatcher: replies, slots, stored rows, usage and access rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.events import FollowupAction, SlotSet
from sqlalchemy import func, select

from actions.advisor.backtest import ActionBacktestPortfolio
from actions.advisor.calendar import ActionMaturityCalendar
from actions.advisor.contacts import ActionLogContact
from actions.advisor.dashboard import ActionMyDashboard
from actions.advisor.learning import ActionLearning
from actions.advisor.profile import ActionClientProfile
from actions.advisor.proposals import ActionMakeProposal
from actions.advisor.prospects import ActionFindProspects
from bank.db import session_scope
from bank.directory import who_is
from bank.models import Client, Contact, Proposal, UsageEvent
from tests.actions.kit import make_tracker, run_action

ZHANG_WEI_28 = 28  # 张伟, 尾号6397, 张敏's client (张敏 has a second 张伟)
ZHANG_WEI_13 = 13  # 张伟, 李强's client


@pytest.fixture(autouse=True)
def bank_env(scratch_db_url: str, knowledge_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", scratch_db_url)
    monkeypatch.setenv("KNOWLEDGE_INDEX_DIR", str(knowledge_dir))
    return scratch_db_url


def say(action: Any, sender: str, text: str, intent: str, role: str = "advisor", **slots: Any
        ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return run_action(action, make_tracker(sender, text, intent, slots={"role": role, **slots}))


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def usage_count(sender: str, feature: str) -> int:
    with session_scope() as s:
        return s.scalar(select(func.count()).select_from(UsageEvent).where(
            UsageEvent.actor_id == sender, UsageEvent.feature == feature)) or 0


def client_sender() -> str:
    with session_scope() as s:
        client = s.scalars(select(Client).where(Client.wecom_external_userid.is_not(None)).order_by(Client.id)).first()
        assert client is not None and client.wecom_external_userid
        return client.wecom_external_userid


# Every action that touches client data refuses clients and strangers without naming anyone.
CLIENT_DATA = [
    (ActionClientProfile, "看看张伟的画像", "client_profile", "client_profile"),
    (ActionMaturityCalendar, "这个月有哪些产品到期", "maturity_calendar", "maturity_reminder"),
    (ActionFindProspects, "找找适合稳健组合的客户", "find_prospects", "prospects"),
    (ActionMakeProposal, "给张伟出一份建议书", "make_proposal", "proposal"),
    (ActionLogContact, "刚给张伟打了电话，下周再约", "log_contact", "contact_log"),
    (ActionMyDashboard, "我的看板", "my_dashboard", "dashboard"),
]


class TestAccess:
    @pytest.mark.parametrize(("action", "text", "intent", "feature"), CLIENT_DATA)
    def test_a_client_is_refused(self, action: Any, text: str, intent: str, feature: str) -> None:
        sender = client_sender()
        messages, events = say(action(), sender, text, intent, role="client")
        assert [m["response"] for m in messages] == ["utter_adv_staff_only"]
        assert events == []

    @pytest.mark.parametrize(("action", "text", "intent", "feature"), CLIENT_DATA)
    def test_an_unknown_sender_is_refused_and_usage_recorded(self, action: Any, text: str, intent: str,
                                                             feature: str) -> None:
        before = usage_count("nobody-h3", feature)
        messages, events = say(action(), "nobody-h3", text, intent, role="unknown")
        assert [m["response"] for m in messages] == ["utter_adv_unknown_sender"]
        assert events == [] and usage_count("nobody-h3", feature) == before + 1

    @pytest.mark.parametrize(("action", "intent"), [(ActionClientProfile, "client_profile"),
                                                     (ActionMakeProposal, "make_proposal"),
                                                     (ActionLogContact, "log_contact")])
    def test_another_advisors_client_is_not_found(self, action: Any, intent: str) -> None:
        # 王芳 exists (张敏's and 周杰's clients) but not under 李强
        messages, events = say(action(), "liqiang", "王芳面访了一下，看看她的画像", intent)
        assert [m["response"] for m in messages] == ["utter_adv_client_not_found"]
        assert messages[0]["name"] == "王芳" and events == []

    def test_remembered_client_of_someone_else_is_not_used(self) -> None:
        messages, events = say(ActionMakeProposal(), "zhangmin", "给他出一份建议书", "make_proposal",
                               adv_client_id=ZHANG_WEI_13)
        assert [m["response"] for m in messages] == ["utter_adv_ask_client"] and events == []

    def test_manager_reaches_team_clients_and_sees_the_advisor_on_namesakes(self) -> None:
        messages, _ = say(ActionClientProfile(), "chenjing", "看看张伟的画像", "client_profile", role="manager")
        assert messages[0]["response"] == "utter_adv_which_client" and messages[0]["count"] == 3
        titles = [b["title"] for b in messages[0]["buttons"]]
        assert any("李强" in t for t in titles) and any("张敏" in t for t in titles)

    def test_other_team_manager_finds_nobody(self) -> None:
        messages, _ = say(ActionClientProfile(), "zhaoli", "看看张伟尾号6397的画像", "client_profile", role="manager")
        assert [m["response"] for m in messages] == ["utter_adv_client_not_found"]


class TestProfile:
    def test_namesakes_get_buttons_with_masked_tails(self) -> None:
        messages, events = say(ActionClientProfile(), "zhangmin", "帮我看看张伟的画像", "client_profile")
        assert [m["response"] for m in messages] == ["utter_adv_which_client"] and events == []
        buttons = messages[0]["buttons"]
        assert len(buttons) == 2 and any("尾号6397" in b["title"] for b in buttons)
        payload = next(b["payload"] for b in buttons if "6397" in b["title"])
        assert payload.startswith("/client_profile{")
        assert json.loads(payload[len("/client_profile"):]) == {"person": "张伟尾号6397"}

    def test_profile_in_three_messages_with_masked_phone_and_the_client_remembered(self) -> None:
        messages, events = say(ActionClientProfile(), "zhangmin", "张伟尾号6397的画像", "client_profile")
        assert len(messages) == 3
        body = texts(messages)
        assert "150****6397" in body and "15047586397" not in body
        assert "风险等级：C3（2026-10-15测评" in body
        for part in ("人生阶段", "三笔钱", "随时要用的钱", "家庭保障的钱", "财富增值的钱", "财富健康分", "建议话题", "1. ", "3. "):
            assert part in body
        assert events == [SlotSet("adv_client_id", ZHANG_WEI_28)]

    def test_button_payload_entity_resolves(self) -> None:
        tracker = make_tracker("zhangmin", '/client_profile{"person": "张伟尾号6397"}', "client_profile",
                               slots={"role": "advisor"},
                               entities=[{"entity": "person", "value": "张伟尾号6397"}])
        _, events = run_action(ActionClientProfile(), tracker)
        assert events == [SlotSet("adv_client_id", ZHANG_WEI_28)]

    def test_a_one_character_entity_is_not_taken_for_a_name(self) -> None:
        tracker = make_tracker("zhangmin", "帮我调一下孙美玲的客户资料", "client_profile", slots={"role": "advisor"},
                               entities=[{"entity": "person", "value": "孙"}])
        messages, events = run_action(ActionClientProfile(), tracker)
        assert [m["response"] for m in messages] == ["utter_adv_client_not_found"]
        assert messages[0]["name"] == "孙美玲" and events == []

    def test_a_partial_name_is_offered_never_taken(self) -> None:
        with session_scope() as s:
            names = set(s.scalars(select(Client.name).where(Client.advisor_id == who_is(s, "zhangmin").staff_id)))
        full = sorted(n for n in names if len(n) == 3 and n[:2] not in names)[0]
        messages, events = say(ActionClientProfile(), "zhangmin", f"看看{full[:2]}的画像", "client_profile")
        assert [m["response"] for m in messages] == ["utter_adv_did_you_mean"] and events == []
        assert any(full in b["title"] for b in messages[0]["buttons"])

    def test_no_name_and_nothing_remembered_asks(self) -> None:
        messages, _ = say(ActionClientProfile(), "zhangmin", "客户画像", "client_profile")
        assert [m["response"] for m in messages] == ["utter_adv_ask_client"]


class TestCalendar:
    def test_this_month_grouped_by_date_with_fitting_suggestions(self) -> None:
        messages, _ = say(ActionMaturityCalendar(), "zhangmin", "这个月有哪些产品到期", "maturity_calendar")
        body = texts(messages)
        assert 1 <= len(messages) <= 3 and body.startswith("本月")
        assert "【" in body and "尾号" in body
        with session_scope() as s:
            others = set(s.scalars(select(Client.name).where(Client.advisor_id != who_is(s, "zhangmin").staff_id)))
            own = set(s.scalars(select(Client.name).where(Client.advisor_id == who_is(s, "zhangmin").staff_id)))
        listed = {line.split("（")[0][2:] for line in body.splitlines() if line.startswith("· ")}
        assert listed and listed <= own and not (listed - own) & others

    @pytest.mark.parametrize(("text", "label"), [("3月到期的产品", "年3月"), ("下周有哪些到期的", "下周")])
    def test_named_periods(self, text: str, label: str) -> None:
        from actions.advisor.calendar import period_of
        from calc.clock import today

        period = period_of(text, today())
        messages, _ = say(ActionMaturityCalendar(), "zhangmin", text, "maturity_calendar")
        first = messages[0].get("text") or messages[0].get("period", "")
        assert label in period.label_zh and first.startswith(period.label_zh)

    def test_no_period_means_the_next_30_days(self) -> None:
        messages, _ = say(ActionMaturityCalendar(), "zhangmin", "有哪些快到期的", "maturity_calendar")
        assert texts(messages).startswith("未来30天")


class TestProspects:
    def test_portfolio_prospects_are_remembered_for_the_push(self) -> None:
        from calc.clock import today
        from services.prospects import prospects_for_portfolio

        messages, events = say(ActionFindProspects(), "zhangmin", "找找适合稳健组合的客户", "find_prospects")
        with session_scope() as s:
            expected = [p.client_id for p in prospects_for_portfolio(s, who_is(s, "zhangmin"), 1, today(), limit=8).items]
        assert expected
        assert SlotSet("adv_prospect_ids", expected) in events and SlotSet("adv_portfolio_id", 1) in events
        assert "适合“稳健组合”" in messages[0]["text"] and messages[1]["response"] == "utter_adv_prospects_push_hint"

    @pytest.mark.parametrize(("text", "marker"), [("三笔钱缺口大的客户", "缺口最大"), ("哪些客户资产快升档了", "档还差"),
                                                  ("快拿到成长权益的客户", "")])
    def test_other_rankings(self, text: str, marker: str) -> None:
        messages, events = say(ActionFindProspects(), "zhangmin", text, "find_prospects")
        ids = next(e["value"] for e in events if e["name"] == "adv_prospect_ids")
        assert ids and marker in messages[0]["text"]
        assert not any(e["name"] == "adv_portfolio_id" for e in events)

    def test_a_named_segment_or_tag_narrows_the_prospects(self) -> None:
        from calc.clock import today
        from services.prospects import prospects_for_portfolio
        from services.segments import segment_members
        from services.tags import add_tag

        with session_scope() as s:
            viewer = who_is(s, "zhangmin")
            gold = [m.client_id for m in segment_members(s, viewer.staff_id, "tier_gold", today())]
            expected = [p.client_id for p in prospects_for_portfolio(s, viewer, 1, today(), limit=8, among=gold).items]
        messages, events = say(ActionFindProspects(), "zhangmin", "我的金卡客户里谁适合稳健组合", "find_prospects")
        ids = next(e["value"] for e in events if e["name"] == "adv_prospect_ids")
        assert ids == expected and set(ids) <= set(gold) and "金卡客户中适合“稳健组合”" in messages[0]["text"]
        with session_scope() as s:
            add_tag(s, who_is(s, "zhangmin"), ZHANG_WEI_28, "高潜")
        messages, events = say(ActionFindProspects(), "zhangmin", "标了高潜的客户里三笔钱缺口大的", "find_prospects")
        assert next(e["value"] for e in events if e["name"] == "adv_prospect_ids") in ([ZHANG_WEI_28], [])
        # A word that only shares a segment's name narrows nothing: 退休规划 is not 退休客户.
        _, events = say(ActionFindProspects(), "zhangmin", "找找适合稳健组合的客户，做退休规划用", "find_prospects")
        with session_scope() as s:
            everyone = [p.client_id for p in prospects_for_portfolio(s, who_is(s, "zhangmin"), 1, today(), limit=8).items]
        assert next(e["value"] for e in events if e["name"] == "adv_prospect_ids") == everyone

    def test_without_a_target_it_asks(self) -> None:
        messages, events = say(ActionFindProspects(), "zhangmin", "帮我找潜力客户", "find_prospects")
        assert [m["response"] for m in messages] == ["utter_adv_ask_prospect_target"] and events == []
        assert "稳健组合" in messages[0]["portfolios"]


class TestProposal:
    def test_checkup_proposal_for_the_remembered_client(self) -> None:
        messages, events = say(ActionMakeProposal(), "zhangmin", "给他出一份建议书", "make_proposal",
                               adv_client_id=ZHANG_WEI_28)
        card = messages[-1]["custom"]
        assert card["type"] == "card" and "/proposals/" in card["url"]
        token = card["url"].rsplit("/", 1)[1]
        with session_scope() as s:
            proposal = s.scalars(select(Proposal).where(Proposal.share_token == token)).one()
            staff_id = who_is(s, "zhangmin").staff_id
            assert (proposal.kind, proposal.client_id, proposal.created_by_id) == ("checkup", ZHANG_WEI_28, staff_id)
            assert all(int(p["risk_level"][1]) <= 3 for p in proposal.payload["products"])
        assert "体检得分" in messages[0]["text"] and events == [SlotSet("adv_client_id", ZHANG_WEI_28)]

    def test_simulation_plan_on_request(self) -> None:
        messages, _ = say(ActionMakeProposal(), "zhangmin", "给张伟尾号6397做个模拟规划", "make_proposal")
        token = messages[-1]["custom"]["url"].rsplit("/", 1)[1]
        with session_scope() as s:
            assert s.scalars(select(Proposal.kind).where(Proposal.share_token == token)).one() == "plan_simulation"


class TestBacktest:
    def test_figures_and_chart(self) -> None:
        messages, events = say(ActionBacktestPortfolio(), "zhangmin", "回测一下平衡组合", "backtest_portfolio")
        assert "最大回撤" in messages[0]["text"] and "年化波动率" in messages[0]["text"]
        assert messages[1]["image"].endswith("/portfolios/2/backtest.png")
        assert events == [SlotSet("adv_portfolio_id", 2)]

    def test_without_a_portfolio_it_asks(self) -> None:
        messages, _ = say(ActionBacktestPortfolio(), "zhangmin", "组合回检", "backtest_portfolio")
        assert [m["response"] for m in messages] == ["utter_adv_ask_portfolio"]


class TestLogContact:
    def test_the_brief_example_is_stored(self) -> None:
        messages, events = say(ActionLogContact(), "zhangmin", "刚给张伟尾号6397打了电话，他想了解养老，下周再约",
                               "log_contact")
        assert messages[0]["response"] == "utter_adv_contact_logged"
        assert (messages[0]["kind"], messages[0]["note"], messages[0]["next_step"]) == ("电访", "他想了解养老", "下周再约")
        with session_scope() as s:
            last = s.scalars(select(Contact).order_by(Contact.id.desc())).first()
            assert last is not None
            assert (last.client_id, last.kind, last.note, last.next_step) == (ZHANG_WEI_28, "phone", "他想了解养老", "下周再约")
        assert events == [SlotSet("adv_client_id", ZHANG_WEI_28)]

    def test_missing_kind_asks_and_stores_nothing(self) -> None:
        with session_scope() as s:
            before = s.scalar(select(func.count()).select_from(Contact))
        messages, _ = say(ActionLogContact(), "zhangmin", "记一下张伟尾号6397，想了解养老", "log_contact")
        assert [m["response"] for m in messages] == ["utter_adv_ask_contact_kind"]
        with session_scope() as s:
            assert s.scalar(select(func.count()).select_from(Contact)) == before


class TestDashboard:
    def test_advisor_sees_own_figures(self) -> None:
        before = usage_count("zhangmin", "dashboard")
        messages, _ = say(ActionMyDashboard(), "zhangmin", "我的看板", "my_dashboard")
        with session_scope() as s:
            count = s.scalar(select(func.count()).select_from(Client).where(
                Client.advisor_id == who_is(s, "zhangmin").staff_id))
        assert f"客户{count}位" in messages[0]["text"] and "张敏" in messages[0]["text"]
        assert usage_count("zhangmin", "dashboard") == before + 1

    def test_manager_is_handed_to_the_team_dashboard(self) -> None:
        messages, events = say(ActionMyDashboard(), "chenjing", "我的看板", "my_dashboard", role="manager")
        assert messages == [] and events == [FollowupAction("action_team_dashboard")]


class TestLearning:
    def test_named_topic(self) -> None:
        messages, _ = say(ActionLearning(), "zhangmin", "有没有保险方面的培训资料", "learning")
        assert "“保险”相关" in messages[0]["text"] and "1. 《" in messages[0]["text"]

    def test_client_is_refused(self) -> None:
        messages, _ = say(ActionLearning(), client_sender(), "推荐点学习资料", "learning", role="client")
        assert [m["response"] for m in messages] == ["utter_adv_staff_only"]
