"""Models and constraints: CHECKs on vocabularies, foreign keys, uniqueness, Decimal money, masked repr."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bank import db
from bank.models import CATEGORY_NAMES, Client, Product, Staff, Team

NOW = dt.datetime(2026, 11, 28, 9)


def seed_staff(url: str) -> None:
    with db.session_scope(url) as s:
        s.add(Team(id=1, name="测试支行", branch="测试分行"))
        s.flush()
        s.add(Staff(id=1, wecom_userid="tester", name="测试", role="advisor", team_id=1, phone="13812341234"))


def client(**over: Any) -> Client:
    values: dict[str, Any] = dict(
        name="张伟", gender="M", birth_date=dt.date(1990, 3, 7), occupation="教师", life_stage="单身青年",
        advisor_id=1, risk_level="C3", monthly_income=Decimal("12000.50"), monthly_expenses=Decimal("6000"),
        dependants=0, phone="13912345678", id_number="110101199003071234", created_at=NOW,
    )
    values.update(over)
    return Client(**values)


def product(**over: Any) -> Product:
    values: dict[str, Any] = dict(code="X1", name="测试产品", category="bond_fund", risk_level="R2",
                                  min_amount=Decimal(10), issuer="测试基金")
    values.update(over)
    return Product(**values)


@pytest.mark.parametrize(
    "bad",
    [
        lambda: client(risk_level="C6"),
        lambda: client(gender="X"),
        lambda: client(dependants=-1),
        lambda: client(advisor_id=999),  # foreign keys are enforced on SQLite
        lambda: product(risk_level="R9"),
        lambda: product(category="crypto"),
    ],
)
def test_bad_rows_are_rejected(empty_url: str, bad: Any) -> None:
    seed_staff(empty_url)
    with pytest.raises(IntegrityError), db.session_scope(empty_url) as s:
        s.add(bad())


def test_bad_staff_role_is_rejected(empty_url: str) -> None:
    seed_staff(empty_url)
    with pytest.raises(IntegrityError), db.session_scope(empty_url) as s:
        s.add(Staff(wecom_userid="boss", name="老板", role="ceo", team_id=1))


def test_duplicate_wecom_userid_is_rejected(empty_url: str) -> None:
    seed_staff(empty_url)
    with pytest.raises(IntegrityError), db.session_scope(empty_url) as s:
        s.add(Staff(wecom_userid="tester", name="又一个", role="advisor", team_id=1))


def test_unassessed_client_is_allowed_and_money_comes_back_as_decimal(empty_url: str) -> None:
    seed_staff(empty_url)
    with db.session_scope(empty_url) as s:
        s.add(client(risk_level=None))
    with db.session_scope(empty_url) as s:
        row = s.execute(select(Client)).scalar_one()
        assert row.risk_level is None
        assert row.monthly_income == Decimal("12000.50")
        assert isinstance(row.monthly_income, Decimal)


def test_repr_never_shows_raw_phone_or_id(empty_url: str) -> None:
    seed_staff(empty_url)
    with db.session_scope(empty_url) as s:
        s.add(client())
    with db.session_scope(empty_url) as s:
        text = repr(s.execute(select(Client)).scalar_one()) + repr(s.get(Staff, 1))
    assert "13912345678" not in text and "139****5678" in text
    assert "13812341234" not in text and "110101199003071234" not in text


def test_every_category_has_a_chinese_name() -> None:
    assert CATEGORY_NAMES["wmp"] == "理财"
    assert len(CATEGORY_NAMES) == 12
    assert all((name and not name.isascii()) or name.startswith("QDII") for name in CATEGORY_NAMES.values())


def test_session_scope_rolls_back_on_error(empty_url: str) -> None:
    with pytest.raises(RuntimeError), db.session_scope(empty_url) as s:
        s.add(Team(name="回滚支行", branch="x"))
        s.flush()
        raise RuntimeError("boom")
    with db.session_scope(empty_url) as s:
        assert s.execute(select(Team)).first() is None
