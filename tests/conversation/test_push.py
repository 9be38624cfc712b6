"""Portfolio push over the REST channel: the advisor previews and sends, the client confirms (exactly one order
set however often), declines or lists pushes; and the unhappy paths."""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bank.db import session_scope
from bank.models import Client, Order, PortfolioPush, Staff
from bank.notifications import messages_for
from bank.sign_in_links import find_link
from calc.risk import assessment_expired
from scripts.services import INTERNAL_SECRETS
from services.sign_in import LINK_PREFIX, token_hash
from tests.conversation.conftest import Say, responses
from tests.servers import Service, post_json

RASA_TOKEN = INTERNAL_SECRETS["RASA_AUTH_TOKEN"]

pytestmark = pytest.mark.conversation
ADVISOR = "zhangmin"
TODAY = dt.date.today()


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    external_id: str
    risk_level: str


def link_target(session: Session, url: str) -> tuple[int, str] | None:
    """The client and landing page of the one-time sign-in link `url` (services.sign_in), without using it."""
    link = find_link(session, token_hash(url.rsplit(LINK_PREFIX, 1)[-1]))
    return (link.client_id, link.next_path) if link is not None and LINK_PREFIX in url else None


def pick_clients(url: str) -> tuple[list[Person], list[Person]]:
    """张敏's clients whose names are unique (and not part of another name): suitable for 稳健组合 (C2+, fresh
    assessment) and unsuitable (C1 or an expired assessment)."""
    with session_scope(url) as session:
        staff_id = session.scalar(select(Staff.id).where(Staff.wecom_userid == ADVISOR))
        mine = session.scalars(select(Client).where(Client.advisor_id == staff_id).order_by(Client.id)).all()
        names = [c.name for c in mine]
        unique = [c for c in mine if c.wecom_external_userid and sum(n == c.name for n in names) == 1
                  and not any(c.name in other for other in names if other != c.name)]
        good = [Person(c.id, c.name, str(c.wecom_external_userid), str(c.risk_level)) for c in unique
                if c.risk_level in ("C2", "C3", "C4", "C5") and not assessment_expired(c.risk_assessed_on, TODAY)]
        bad = [Person(c.id, c.name, str(c.wecom_external_userid), str(c.risk_level)) for c in unique
               if c.risk_level == "C1" or assessment_expired(c.risk_assessed_on, TODAY)]
    assert len(good) >= 4 and bad, "the demo bank should give 张敏 suitable and unsuitable clients"
    return good, bad


@pytest.fixture(scope="module")
def clients(demo_db_url: str) -> tuple[list[Person], list[Person]]:
    return pick_clients(demo_db_url)


def task_of(url: str, client_id: int) -> str:
    with session_scope(url) as session:
        task = session.scalar(select(PortfolioPush.task_id).where(PortfolioPush.client_id == client_id)
                              .order_by(PortfolioPush.id.desc()).limit(1))
    assert task, f"no push for client {client_id}"
    return task


def orders_for(url: str, task: str) -> int:
    with session_scope(url) as session:
        push_id = session.scalar(select(PortfolioPush.id).where(PortfolioPush.task_id == task))
        return session.execute(select(func.count()).select_from(Order).where(Order.push_id == push_id)).scalar_one()


def payload(intent: str, task: str) -> str:
    return f"/{intent}{json.dumps({'push_task': task})}"


def get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=30) as response:
        answer = json.loads(response.read())
    assert isinstance(answer, dict)
    return answer


def raw(rasa: Service, sender: str, text: str) -> list[dict[str, Any]]:
    answer = post_json(f"{rasa.url}/webhooks/rest/webhook", {"sender": sender, "message": text})
    assert isinstance(answer, list)
    return answer


def text_of(key: str, **values: Any) -> str:
    return responses()[key][0].format(**values)


class TestAdvisorPushesAndClientConfirms:
    def test_the_whole_journey(self, say: Say, rasa_server: Service, demo_db_url: str,
                               clients: tuple[list[Person], list[Person]]) -> None:
        good, bad = clients[0][0], clients[1][0]
        preview = raw(rasa_server, ADVISOR, f"把稳健组合推给{good.name}、{bad.name}")
        texts = [m.get("text", "") for m in preview]
        assert f"可推送1位：{good.name}（{good.risk_level}）" in texts[0]
        assert "不推送1位" in texts[0] and f"· {bad.name}：" in texts[0]
        assert texts[-1] == text_of("utter_push_ask_confirm", count=1)
        assert [b["payload"] for b in preview[-1]["buttons"]] == ["/affirm", "/deny"]

        sent = say(ADVISOR, "确认")
        assert len(sent) == 1, sent
        assert sent[0].startswith(f"已把稳健组合推送给1位客户：{good.name}。") and bad.name not in sent[0]
        task = task_of(demo_db_url, good.id)
        with session_scope(demo_db_url) as session:
            card = messages_for(session, good.external_id, kind="portfolio_push")[-1].card
            assert card is not None and link_target(session, card["url"]) == (good.id, f"/pushes/{task}")
            assert card["buttons"][0] == ["确认", payload("confirm_push", task)]
            assert messages_for(session, bad.external_id, kind="portfolio_push") == []
            before = len(messages_for(session, ADVISOR, kind="push_confirmed"))

        first = say(good.external_id, payload("confirm_push", task))
        assert len(first) == 1 and first[0].startswith("已为您确认“稳健组合”") and "合计4笔" in first[0]
        again = say(good.external_id, payload("confirm_push", task))
        assert again[0].startswith("“稳健组合”您已经确认过了")
        replies: list[list[str]] = []
        threads = [threading.Thread(target=lambda: replies.append(say(good.external_id, payload("confirm_push", task))))
                   for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert len(replies) == 3 and all(r[0].startswith("“稳健组合”您已经确认过了") for r in replies)
        assert orders_for(demo_db_url, task) == 4
        with session_scope(demo_db_url) as session:
            told = messages_for(session, ADVISOR, kind="push_confirmed")
            assert len(told) == before + 1 and good.name in told[-1].text

    def test_the_advisor_changes_their_mind(self, say: Say, demo_db_url: str,
                                            clients: tuple[list[Person], list[Person]]) -> None:
        person = clients[0][1]
        say(ADVISOR, f"把平衡组合推给{person.name}")
        assert say(ADVISOR, "不用了") == [text_of("utter_push_aborted")]
        with session_scope(demo_db_url) as session:
            assert session.scalar(select(func.count()).select_from(PortfolioPush)
                                  .where(PortfolioPush.client_id == person.id)) == 0

    def test_nobody_suitable_sends_nothing(self, say: Say, clients: tuple[list[Person], list[Person]]) -> None:
        bad = clients[1][0]
        replies = say(ADVISOR, f"把进取组合推给{bad.name}")
        assert bad.name in replies[0] and replies[-1] == text_of("utter_push_nobody_suitable")

    def test_missing_portfolio_or_clients_are_asked_for(self, say: Say) -> None:
        say(ADVISOR, "/restart")  # forget the portfolio and clients earlier tests talked about
        asked = say(ADVISOR, "帮我推送组合给客户")
        assert asked[0].startswith("要推送哪个组合？") and "稳健组合（R2）" in asked[0]
        assert say(ADVISOR, "把稳健组合推给他们") == [text_of("utter_push_ask_clients")]


class TestFromProspects:
    def test_push_to_the_prospects_just_found(self, say: Say, rasa_server: Service, demo_db_url: str) -> None:
        sender = "wanglei"  # an advisor no other test pushes for
        found = say(sender, "找找适合稳健组合的客户")
        tracker = get_json(f"{rasa_server.url}/conversations/{sender}/tracker?token={RASA_TOKEN}")
        prospects = tracker["slots"]["adv_prospect_ids"]
        assert prospects and tracker["slots"]["adv_portfolio_id"] == 1, found
        preview = say(sender, "推给他们")
        tracker = get_json(f"{rasa_server.url}/conversations/{sender}/tracker?token={RASA_TOKEN}")
        chosen = tracker["slots"]["push_client_ids"]
        assert preview[0].startswith("稳健组合") and f"可推送{len(chosen)}位" in preview[0]
        assert set(chosen) <= {int(p) for p in prospects} and len(chosen) >= len(prospects) - 2
        sent = say(sender, "好的")
        assert sent == [sent[0]] and sent[0].startswith(f"已把稳健组合推送给{len(chosen)}位客户")
        with session_scope(demo_db_url) as session:
            staff_id = session.scalar(select(Staff.id).where(Staff.wecom_userid == sender))
            pushed = set(session.scalars(select(PortfolioPush.client_id).where(PortfolioPush.advisor_id == staff_id)))
        assert pushed == set(chosen)


class TestClientSide:
    def test_list_then_decline(self, say: Say, rasa_server: Service, demo_db_url: str,
                               clients: tuple[list[Person], list[Person]]) -> None:
        person = clients[0][2]
        say(ADVISOR, f"把稳健组合推给{person.name}，每人5万")
        assert say(ADVISOR, "确认")[0].startswith("已把稳健组合推送给1位客户")
        task = task_of(demo_db_url, person.id)
        listed = raw(rasa_server, person.external_id, "我有哪些待确认的组合")
        assert listed[0]["text"] == text_of("utter_push_pending_head", count=1)
        assert "50,000.00元" in listed[1]["text"]
        with session_scope(demo_db_url) as session:  # a fresh sign-in link to the push page
            assert link_target(session, listed[1]["text"].rsplit("详情：", 1)[1]) == (person.id, f"/pushes/{task}")
        assert [b["payload"] for b in listed[1]["buttons"]] == [payload("confirm_push", task),
                                                                 payload("decline_push", task)]
        assert say(person.external_id, payload("decline_push", task)) == [
            text_of("utter_push_declined", portfolio="稳健组合")]
        assert say(person.external_id, payload("confirm_push", task)) == [
            text_of("utter_push_was_declined", portfolio="稳健组合")]
        assert orders_for(demo_db_url, task) == 0
        assert say(person.external_id, "我的推荐") == [text_of("utter_push_none_pending")]

    def test_another_clients_task_is_not_found(self, say: Say, demo_db_url: str,
                                               clients: tuple[list[Person], list[Person]]) -> None:
        owner, other = clients[0][0], clients[0][3]
        task = task_of(demo_db_url, owner.id)
        assert say(other.external_id, payload("confirm_push", task)) == [text_of("utter_push_not_found")]

    def test_roles_are_kept_apart(self, say: Say, demo_db_url: str, clients: tuple[list[Person], list[Person]],
                                  stranger: str) -> None:
        client = clients[0][3]
        assert say(client.external_id, "把稳健组合推给张伟") == [text_of("utter_push_staff_only")]
        task = task_of(demo_db_url, clients[0][0].id)
        assert say(ADVISOR, payload("confirm_push", task)) == [text_of("utter_push_clients_only")]
        assert say(stranger, payload("confirm_push", task)) == [text_of("utter_push_clients_only")]
