"""Greeting, help, thanks, goodbye and off-topic messages over the REST channel against the real servers."""

from __future__ import annotations

import pytest

from bank.directory import Identity
from tests.conversation.conftest import Say, responses

pytestmark = pytest.mark.conversation


def rendered(key: str, **values: str) -> list[str]:
    return [text.format(**values) for text in responses()[key]]


class TestGreetingByRole:
    @pytest.mark.parametrize(
        ("role", "key"),
        [("advisor", "utter_greet_advisor"), ("manager", "utter_greet_manager"), ("client", "utter_greet_client")],
    )
    def test_known_sender_is_greeted_by_name_with_their_menu(
        self, say: Say, people: dict[str, Identity], role: str, key: str
    ) -> None:
        person = people[role]
        replies = say(person.wecom_id, "你好")
        assert replies == [rendered(key, name=person.name)[0]]
        assert person.name in replies[0]

    def test_unknown_sender_gets_the_registration_hint(self, say: Say, stranger: str) -> None:
        assert say(stranger, "你好") == rendered("utter_greet_unknown")

    @pytest.mark.parametrize("text", ["在吗？", "早上好呀", "哈喽，小助手"])
    def test_other_greetings_are_understood(self, say: Say, people: dict[str, Identity], text: str) -> None:
        advisor = people["advisor"]
        assert say(advisor.wecom_id, text) == rendered("utter_greet_advisor", name=advisor.name)

    def test_help_shows_the_menu_of_the_role(self, say: Say, people: dict[str, Identity]) -> None:
        client = people["client"]
        assert say(client.wecom_id, "你都能帮我做什么") == rendered("utter_greet_client", name=client.name)


class TestSmallTalk:
    def test_thanks_and_goodbye(self, say: Say, stranger: str) -> None:
        assert say(stranger, "谢谢你")[0] in responses()["utter_thank"]
        assert say(stranger, "好的，拜拜")[0] in responses()["utter_goodbye"]


class TestOffTopic:
    def test_weather_gets_the_out_of_scope_answer(self, say: Say, people: dict[str, Identity]) -> None:
        assert say(people["advisor"].wecom_id, "今天天气怎么样") == responses()["utter_out_of_scope"]

    @pytest.mark.parametrize("text", ["这周末会降温吗", "给我说个冷笑话", "帮我点一杯奶茶", "NBA总决赛谁赢了"])
    def test_unseen_off_topic_messages_reach_no_feature(self, say: Say, stranger: str, text: str) -> None:
        declined = responses()["utter_out_of_scope"] + responses()["utter_default"]
        replies = say(stranger, text)
        assert len(replies) == 1 and replies[0] in declined
