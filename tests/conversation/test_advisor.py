"""Advisor journeys over the REST channel against the real Rasa and action servers (demo bank, seed 7).

张敏 (zhangmin) has two clients named 张伟 (one with phone tail 6397); 李强 (liqiang) has a third 张伟 and no
王芳; 陈静 (chenjing) manages their team. Each journey: the happy path and the unhappy ones (another advisor's
client, a client, an unknown sender, missing details).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from bank.db import session_scope
from bank.models import Client, Contact, Proposal, UsageEvent
from tests.conversation.conftest import Chat, responses

pytestmark = pytest.mark.conversation


def body(answer: list[dict[str, Any]]) -> str:
    return "\n".join(item.get("text") or "" for item in answer)


def rendered(key: str, **values: Any) -> list[str]:
    return [text.format(**values) for text in responses()[key]]


def a_client_sender(demo_db_url: str) -> str:
    with session_scope(demo_db_url) as s:
        wecom = s.scalars(select(Client.wecom_external_userid).where(Client.wecom_external_userid.is_not(None))
                          .order_by(Client.id)).first()
    assert wecom
    return wecom


class TestClientProfile:
    def test_namesakes_then_profile_then_proposal_for_him(self, chat: Chat, demo_db_url: str) -> None:
        answer = chat("zhangmin", "帮我看看张伟的画像")
        assert answer[0]["text"] in rendered("utter_adv_which_client", count=2, name="张伟")
        assert len(answer[0]["buttons"]) == 2 and any("尾号6397" in b["title"] for b in answer[0]["buttons"])
        payload = next(b["payload"] for b in answer[0]["buttons"] if "6397" in b["title"])

        profile = chat("zhangmin", payload)
        assert len(profile) == 3
        text = body(profile)
        assert "150****6397" in text and "15047586397" not in text
        assert "风险等级：C3" in text and "三笔钱" in text and "建议话题" in text

        proposal = chat("zhangmin", "给他出一份建议书")
        card = next(item["custom"] for item in proposal if "custom" in item)
        token = card["url"].rsplit("/", 1)[1]
        with session_scope(demo_db_url) as s:
            row = s.scalars(select(Proposal).where(Proposal.share_token == token)).one()
            assert (row.client_id, row.kind) == (28, "checkup")
            assert s.scalars(select(UsageEvent.feature).where(UsageEvent.actor_id == "zhangmin",
                                                               UsageEvent.feature == "client_profile")).first()

    def test_another_advisors_client_is_not_found(self, chat: Chat) -> None:
        assert body(chat("liqiang", "看看王芳的画像")) in rendered("utter_adv_client_not_found", name="王芳")

    def test_a_client_asking_for_another_client_gets_nothing(self, chat: Chat, demo_db_url: str) -> None:
        text = body(chat(a_client_sender(demo_db_url), "帮我看看张伟的画像"))
        assert "尾号" not in text and "风险等级：" not in text

    def test_an_unknown_sender_gets_nothing(self, chat: Chat, stranger: str) -> None:
        text = body(chat(stranger, "帮我看看张伟的画像"))
        assert "尾号" not in text and "风险等级：" not in text

    def test_manager_sees_team_namesakes(self, chat: Chat) -> None:
        answer = chat("chenjing", "看看张伟的画像")
        assert answer[0]["text"] in rendered("utter_adv_which_client", count=3, name="张伟")


class TestMaturityCalendar:
    @pytest.mark.parametrize(("text", "label"), [("这个月有哪些产品到期", "本月"), ("下周有哪些到期的", "下周")])
    def test_calendar(self, chat: Chat, text: str, label: str) -> None:
        answer = chat("zhangmin", text)
        assert 1 <= len(answer) <= 3
        first = answer[0]["text"]
        assert first.startswith(label) and ("共" in first or "没有到期的产品" in first)

    def test_refused_for_a_client(self, chat: Chat, demo_db_url: str) -> None:
        assert body(chat(a_client_sender(demo_db_url), "这个月有哪些产品到期")).find("尾号") == -1


class TestProspects:
    def test_portfolio_prospects(self, chat: Chat) -> None:
        answer = chat("zhangmin", "找找适合稳健组合的客户")
        assert "适合“稳健组合”的客户" in answer[0]["text"]
        assert answer[1]["text"] in rendered("utter_adv_prospects_push_hint", portfolio="稳健组合")

    def test_the_prospects_feed_the_push_preview(self, chat: Chat) -> None:
        listed = chat("zhangmin", "找找适合稳健组合的客户")[0]["text"]
        names = {line.split("（")[0].split(". ", 1)[1] for line in listed.splitlines()[1:] if ". " in line}
        preview = body(chat("zhangmin", "把稳健组合推给他们"))
        offered = re.findall(r"([\u4e00-\u9fa5]{2,4})（C[1-5]）", preview)
        assert "可推送" in preview and offered and set(offered) <= names
        chat("zhangmin", "先不推")

    def test_by_allocation(self, chat: Chat) -> None:
        assert "缺口最大" in chat("zhangmin", "找找三笔钱缺口大的客户")[0]["text"]


class TestBacktest:
    def test_backtest_with_chart(self, chat: Chat) -> None:
        answer = chat("zhangmin", "回测一下平衡组合")
        assert "最大回撤" in answer[0]["text"]
        assert any(str(item.get("image", "")).endswith("/portfolios/2/backtest.png") for item in answer)


class TestLogContact:
    def test_the_brief_example_is_stored(self, chat: Chat, demo_db_url: str) -> None:
        answer = chat("zhangmin", "刚给张伟尾号6397打了电话，他想了解养老，下周再约")
        assert answer[0]["text"].startswith("已记录")
        with session_scope(demo_db_url) as s:
            last = s.scalars(select(Contact).where(Contact.client_id == 28).order_by(Contact.id.desc())).first()
            assert last is not None and (last.kind, last.note, last.next_step) == ("phone", "他想了解养老", "下周再约")

    def test_another_advisors_client_is_not_stored(self, chat: Chat, demo_db_url: str) -> None:
        with session_scope(demo_db_url) as s:
            before = s.scalar(select(Contact.id).order_by(Contact.id.desc()).limit(1))
        answer = chat("liqiang", "刚给王芳打了电话，她想买理财")
        assert body(answer) in rendered("utter_adv_client_not_found", name="王芳")
        with session_scope(demo_db_url) as s:
            assert s.scalar(select(Contact.id).order_by(Contact.id.desc()).limit(1)) == before


class TestDashboardAndLearning:
    def test_advisor_dashboard(self, chat: Chat) -> None:
        assert "张敏的看板" in chat("zhangmin", "我的看板")[0]["text"]

    def test_manager_gets_the_team(self, chat: Chat) -> None:
        text = body(chat("chenjing", "我的看板"))
        assert "团队" in text and "的看板（" not in text

    def test_learning_for_a_topic(self, chat: Chat) -> None:
        text = body(chat("zhangmin", "我想学习保险知识"))
        assert "“保险”相关" in text and "《" in text

    def test_learning_refused_for_an_unknown_sender(self, chat: Chat, stranger: str) -> None:
        assert "《" not in body(chat(stranger, "推荐点学习资料"))
