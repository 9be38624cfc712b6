"""Pushes of products over the REST channel, through the real servers: a single product, an insurance product
with its 犹豫期 (on the preview and the client's confirmation), an ad-hoc mix the advisor names, shares that do not
add up, and an unsuitable client skipped.

Phrasings follow the push_portfolio examples in bot/data/nlu/push.yml ("组合下单：…，推给X"): with the current model
"把福寿康宁重疾险推给X" falls back, "把…推荐给X" routes to make_proposal and "给X推远航纯债和天天利各一半" to
shelf_compare (bot/data has no product-push examples yet).
"""

from __future__ import annotations

import pytest

from tests.conversation.conftest import Say
from tests.conversation.test_push import (
    ADVISOR,
    Person,
    clients,  # noqa: F401  (fixture)
    orders_for,
    payload,
    task_of,
    text_of,
)

pytestmark = pytest.mark.conversation


def test_a_single_product_is_pushed_and_confirmed(say: Say, demo_db_url: str,
                                                  clients: tuple[list[Person], list[Person]]) -> None:  # noqa: F811
    person = clients[0][3]  # test_push.py uses the first three
    preview = say(ADVISOR, f"把稳健添利90天推给{person.name}，每人2万")
    assert preview[0].startswith("稳健添利90天理财（风险等级R2），每位客户20,000.00元"), preview
    assert preview[-1] == text_of("utter_push_ask_confirm", count=1)
    sent = say(ADVISOR, "确认")
    assert sent[0].startswith(f"已把稳健添利90天理财推送给1位客户：{person.name}。"), sent
    task = task_of(demo_db_url, person.id)
    confirmed = say(person.external_id, payload("confirm_push", task))
    assert confirmed[0].startswith("已为您确认“稳健添利90天理财”") and "合计1笔，20,000.00元" in confirmed[0]
    assert orders_for(demo_db_url, task) == 1


def test_insurance_states_its_cooling_off(say: Say, demo_db_url: str,
                                         clients: tuple[list[Person], list[Person]]) -> None:  # noqa: F811
    person = clients[0][3]
    preview = say(ADVISOR, f"组合下单：福寿康宁重疾险，推给{person.name}")
    assert preview[0].startswith("福寿康宁重疾险（风险等级R1），每位客户3,000.00元"), preview
    assert "犹豫期15天，期间可全额退保" in preview[0]
    assert say(ADVISOR, "确认")[0].startswith("已把福寿康宁重疾险推送给1位客户")
    confirmed = say(person.external_id, payload("confirm_push", task_of(demo_db_url, person.id)))
    assert confirmed[0].startswith("已为您确认“福寿康宁重疾险”") and "犹豫期15天，期间可全额退保" in confirmed[0]


def test_an_ad_hoc_mix_bad_shares_and_an_unsuitable_client(say: Say,
                                                          clients: tuple[list[Person], list[Person]]) -> None:  # noqa: F811
    person, bad = clients[0][3], clients[1][0]
    preview = say(ADVISOR, f"组合下单：远航纯债和天天利各一半，推给{person.name}，每人2万")
    assert preview[0].startswith("远航纯债债券A50%+天天利现金管理50%（最高风险R2），每位客户20,000.00元"), preview
    assert say(ADVISOR, "不用了") == [text_of("utter_push_aborted")]
    wrong = say(ADVISOR, f"组合下单：远航纯债70%、天天利20%，推给{person.name}，每人2万")
    assert any("加起来是90%" in line for line in wrong), wrong
    skipped = say(ADVISOR, f"把稳健添利90天推给{bad.name}")
    assert bad.name in skipped[0] and skipped[-1] == text_of("utter_push_nobody_suitable"), skipped
