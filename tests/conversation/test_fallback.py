"""The fallback that asks (actions/fallback.py) over the REST channel, against the real Rasa and action servers:
an unsure message gets the likeliest journeys as buttons, picking one starts that journey, a second miss in a row
(or "都不是") gets the knowledge base and the advisor, and each miss is counted, masked, on the manager dashboard."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from bank.db import session_scope
from bank.directory import Identity
from bank.models import Client, Staff
from services.dashboard import team_dashboard
from services.fallbacks import masked_wording
from tests.conversation.conftest import Chat, responses, texts

pytestmark = pytest.mark.conversation

# Vague wordings of the bot's own themes (money, plans), none a clear request. Which of them the trained model is
# unsure of changes with retraining: the tests use those it asks back about (checked with fresh visitors).
VAGUE = ("钱的事", "以后的钱", "钱的安排", "那个规划的事", "帮我算算钱够不够", "钱怎么弄", "关于钱", "算算将来")


def option_titles() -> dict[str, str]:
    """intent -> button title, from the domain's utter_option_<intent> responses."""
    return {key.removeprefix("utter_option_"): variants[0] for key, variants in responses().items()
            if key.startswith("utter_option_")}


def buttons_of(answer: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for m in answer for b in m.get("buttons") or []]


def asks_back(answer: list[dict[str, Any]]) -> bool:
    return responses()["utter_clarify"][0] in texts(answer)


@pytest.fixture(scope="module")
def vague(chat: Chat) -> list[str]:
    """The vague wordings the bot asks back about, each tried by a fresh visitor (at least two)."""
    found = [text for text in VAGUE if asks_back(chat(f"visitor-{uuid.uuid4().hex[:8]}", text))]
    assert len(found) >= 2, f"the trained model is sure of all but {found} of {VAGUE}: add vaguer wordings"
    return found


def unsure(chat: Chat, vague: list[str], sender: str | None = None) -> tuple[str, str, list[dict[str, Any]]]:
    """(sender, text, answer): a vague wording the bot asks back about, from `sender` (after a 算了, so that no
    journey is open) or a fresh visitor."""
    who = sender or f"visitor-{uuid.uuid4().hex[:8]}"
    if sender:
        chat(who, "算了")
    answer = chat(who, vague[0])
    assert asks_back(answer), answer
    return who, vague[0], answer


class TestClarifyingQuestion:
    def test_the_likeliest_journeys_are_offered_as_buttons(self, chat: Chat, vague: list[str]) -> None:
        _, _, answer = unsure(chat, vague)
        buttons = buttons_of(answer)
        titles = option_titles()
        assert 3 <= len(buttons) <= 4, buttons  # two or three journeys, and 都不是
        assert buttons[-1] == {"title": titles["none"], "payload": "/deny"}
        for button in buttons[:-1]:
            intent = button["payload"].removeprefix("/").split("{")[0]
            assert button["title"] == titles[intent]
            assert intent not in ("confirm_push", "decline_push", "affirm", "deny", "out_of_scope")

    def test_picking_an_option_starts_that_journey(self, chat: Chat, vague: list[str]) -> None:
        sender, _, answer = unsure(chat, vague)
        picked = buttons_of(answer)[0]["payload"]
        started = chat(sender, picked)
        direct = chat(f"visitor-{uuid.uuid4().hex[:8]}", picked)
        assert texts(started) and texts(started) == texts(direct)
        assert responses()["utter_clarify"][0] not in texts(started)

    def test_none_of_these_offers_the_advisor(self, chat: Chat, vague: list[str]) -> None:
        sender, _, _ = unsure(chat, vague)
        answer = chat(sender, "/deny")
        assert texts(answer)[-1] == responses()["utter_clarify_again"][0]
        assert {"title": option_titles()["human_handoff"], "payload": "/human_handoff"} in buttons_of(answer)


class TestSecondMiss:
    def test_a_client_who_is_missed_twice_is_offered_the_advisor_and_the_knowledge_base(self, chat: Chat, vague: list[str]) -> None:
        sender, _, _ = unsure(chat, vague)
        answer = chat(sender, vague[1])
        said = texts(answer)
        # the knowledge base's answer when it has one, then the advisor; else both offered in one message
        assert said[-1] in (responses()["utter_clarify_again"][0], responses()["utter_clarify_more_help"][0])
        assert responses()["utter_clarify"][0] not in said
        assert any(b["payload"] == "/human_handoff" for b in buttons_of(answer))

    def test_staff_get_the_menu_instead_of_the_advisor(self, chat: Chat, vague: list[str], people: dict[str, Identity]) -> None:
        advisor, _, _ = unsure(chat, vague, people["advisor"].wecom_id)
        answer = chat(advisor, "/deny")
        assert texts(answer)[-1] == responses()["utter_clarify_again_staff"][0]
        assert [b["payload"] for b in buttons_of(answer)] == ["/help"]

    def test_understood_messages_in_between_reset_the_count(self, chat: Chat, vague: list[str]) -> None:
        sender, _, _ = unsure(chat, vague)
        chat(sender, "你好")
        assert asks_back(chat(sender, vague[1]))


def test_misses_are_counted_on_the_manager_dashboard_with_masked_wording(
    chat: Chat, vague: list[str], people: dict[str, Identity], demo_db_url: str
) -> None:
    client = people["client"]
    _, text, _ = unsure(chat, vague, client.wecom_id)
    with session_scope(demo_db_url) as session:
        advisor = session.get(Staff, session.get(Client, client.client_id).advisor_id)
        manager = session.scalars(select(Staff).where(Staff.team_id == advisor.team_id,
                                                      Staff.role == "manager")).first()
        assert manager is not None
        today = dt.date.today()
        figures = team_dashboard(session, manager.id, today - dt.timedelta(days=1), today + dt.timedelta(days=1))
    missed = figures["fallbacks"]
    assert missed["total"] >= 1 and missed["by_stage"]["offered"] >= 1
    assert masked_wording(text) in [w["wording"] for w in missed["wordings"]]
    assert client.name not in str(missed)
