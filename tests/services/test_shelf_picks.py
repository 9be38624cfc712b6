"""Which products a chat message points at (services/shelf_picks.py): names, codes and distinctive parts of names,
kinds of product (the best of each kind for the client stands in), and places in the list just shown."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.models import Client, Product
from calc.risk import level_rank
from services.shelf_picks import compare_picks, named_products, ordinals, picked_product
from tests.demo_staff import TODAY


@pytest.fixture
def session(scratch_session: Session) -> Session:
    return scratch_session


@pytest.fixture
def c2_client(session: Session) -> int:
    client = session.scalars(select(Client).where(Client.wecom_external_userid.is_not(None)).order_by(Client.id)).first()
    assert client is not None
    client.risk_level, client.risk_assessed_on = "C2", TODAY - dt.timedelta(days=30)
    session.flush()
    return client.id


@pytest.mark.parametrize(("text", "codes"), [
    ("稳健添利90天理财和远航纯债债券A哪个好", ["WM090", "BF001"]),
    ("帮我对比一下wm090和BF001", ["WM090", "BF001"]),
    ("天天利和日日盈比一比", ["CM001", "CM002"]),
    ("远航纯债跟启明星短债哪个回撤小", ["BF001", "BF002"]),
    ("沪深300和中证500比较一下", ["IF001", "IF002"]),
    ("WM180、WM270、WM365、WM540四个比一下", ["WM180", "WM270", "WM365"]),
])
def test_products_named_by_code_name_or_part_of_it(session: Session, text: str, codes: list[str]) -> None:
    assert compare_picks(session, None, text).codes == codes


def test_kind_words_name_no_product_but_the_best_of_that_kind_for_the_client(session: Session,
                                                                             c2_client: int) -> None:
    assert named_products(session, "货币基金和纯债基金有什么区别") == []
    picks = compare_picks(session, c2_client, "货币基金和纯债基金有什么区别，哪个适合我")
    assert len(picks.codes) == 2 and picks.codes[0].startswith("CM") and picks.codes[1].startswith("BF")
    assert len(picks.notes) == 2 and "为例" in picks.notes[0]


def test_a_kind_above_the_clients_level_still_stands_in_so_the_verdict_can_say_no(session: Session,
                                                                                  c2_client: int) -> None:
    picks = compare_picks(session, c2_client, "股票基金和债券基金哪个适合我")
    assert [code[:2] for code in picks.codes] == ["EF", "BF"]


def test_places_in_the_list_just_shown(session: Session) -> None:
    shown = ["WM365", "WM270", "WM180", "WM120", "WM090"]
    assert compare_picks(session, None, "第1款和第3款哪个适合我", shown).codes == ["WM365", "WM180"]
    assert compare_picks(session, None, "这两个哪个好", shown[:2]).codes == ["WM365", "WM270"]
    assert compare_picks(session, None, "第7款和第9款", shown).codes == []
    assert ordinals("第二只和第十个") == [2, 10]


def test_one_product_is_not_a_comparison(session: Session) -> None:
    assert len(compare_picks(session, None, "天天利怎么样").codes) == 1
    assert compare_picks(session, None, "今天天气不错").codes == []
    assert compare_picks(session, None, "").codes == []


def test_the_product_a_hand_off_means(session: Session) -> None:
    shown = ["WM365", "WM270", "WM180"]
    assert picked_product(session, "想买稳健添利90天理财", shown, None) == "WM090"
    assert picked_product(session, "第2款帮我问问理财经理", shown, None) == "WM270"
    assert picked_product(session, "这个我想买", shown, "WM180") == "WM180"
    assert picked_product(session, "这个我想买", shown, None) is None
    assert picked_product(session, "这个我想买", ["BF001"], None) == "BF001"
    assert picked_product(session, "这个我想买", [], None) is None


def test_unsuitable_stand_ins_are_above_the_level(session: Session, c2_client: int) -> None:
    picks = compare_picks(session, c2_client, "指数基金和货币基金我该选哪个")
    levels = [level_rank(session.scalars(select(Product.risk_level).where(Product.code == c)).one()) for c in picks.codes]
    assert levels[0] == 4 and levels[1] == 1
