"""Shared journeys over the REST channel: questions from the knowledge base, hand-off, cancel with no form."""

from __future__ import annotations

import pytest

from bank.db import session_scope
from bank.directory import Identity
from bank.models import Client, Staff
from bank.notifications import messages_for
from tests.conversation.conftest import Say, responses

pytestmark = pytest.mark.conversation


class TestQuestions:
    def test_client_question_gets_an_answer_with_sources_and_a_risk_notice(
        self, say: Say, people: dict[str, Identity]
    ) -> None:
        replies = say(people["client"].wecom_id, "个人养老金账户一年最多可以存多少？")
        assert any("来源：《" in r for r in replies)
        assert replies[-1] == responses()["utter_risk_notice"][0]

    def test_paraphrased_question_from_a_stranger(self, say: Say, stranger: str) -> None:
        replies = say(stranger, "国债去哪里买，好买吗")
        assert "储蓄国债" in replies[0] and "来源：《" in replies[0]

    def test_question_with_no_answer_offers_the_advisor(self, say: Say, people: dict[str, Identity]) -> None:
        assert say(people["client"].wecom_id, "请问火星上的房子怎么买") in (
            [responses()["utter_knowledge_not_found"][0]], [responses()["utter_out_of_scope"][0]],
            [responses()["utter_default"][0]])


class TestHandoff:
    def test_client_is_told_who_will_call_and_the_advisor_gets_the_question(
        self, say: Say, people: dict[str, Identity], demo_db_url: str
    ) -> None:
        client = people["client"]
        with session_scope(demo_db_url) as session:
            row = session.get(Client, client.client_id)
            assert row is not None
            advisor = session.get(Staff, row.advisor_id)
            assert advisor is not None
            advisor_userid, advisor_name = advisor.wecom_userid, advisor.name
            before = len(messages_for(session, advisor_userid, kind="handoff"))
        say(client.wecom_id, "我的基金最近跌了很多，该怎么办")
        replies = say(client.wecom_id, "帮我联系一下我的理财经理")
        assert replies == [responses()["utter_handoff_done"][0].format(advisor_name=advisor_name)]
        with session_scope(demo_db_url) as session:
            notes = messages_for(session, advisor_userid, kind="handoff")
            assert len(notes) == before + 1 and client.name in notes[-1].text

    def test_stranger_is_told_they_have_no_advisor(self, say: Say, stranger: str) -> None:
        assert say(stranger, "转人工") == responses()["utter_handoff_unknown"]


def test_cancel_with_nothing_in_progress(say: Say, stranger: str) -> None:
    assert say(stranger, "算了") == responses()["utter_nothing_to_cancel"]
