"""The product shelf (services/shelf.py): everyday wording to filters, suitability first, comparisons checked
against NumPy/pandas on the NAV rows themselves, and the hand-off about one product."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.models import Client, NavPoint, Notification, Product
from calc.risk import level_rank
from services.prospects import UnknownProduct
from services.shelf import ShelfInputError, browse, parse_shelf_query
from services.shelf_compare import compare
from services.shelf_handoff import ask_advisor
from tests.demo_staff import TODAY

NOW = dt.datetime.combine(TODAY, dt.time(10, 0))


@pytest.fixture
def session(scratch_session: Session) -> Session:
    return scratch_session


def a_client(session: Session, level: str | None, assessed_days_ago: int | None) -> Client:
    """A demo client set to `level`, assessed that many days before TODAY (None: never)."""
    client = session.scalars(select(Client).where(Client.wecom_external_userid.is_not(None)).order_by(Client.id)).first()
    assert client is not None
    client.risk_level = level
    client.risk_assessed_on = None if assessed_days_ago is None else TODAY - dt.timedelta(days=assessed_days_ago)
    session.flush()
    return client


# --- wording ------------------------------------------------------------------------------------------------
D = Decimal
PHRASINGS: list[tuple[str, dict[str, object]]] = [
    ("有哪些一年以内的R2理财", {"categories": ("wmp",), "risk_levels": (2,), "term_max_days": 365}),
    ("随时能取的", {"liquidity": "T0"}),
    ("随存随取的产品有吗", {"liquidity": "T0"}),
    ("钱随时要用，放哪比较好", {"liquidity": "T0"}),
    ("像活期一样灵活的", {"liquidity": "T0"}),
    ("T+1到账的债基", {"liquidity": "T1", "categories": ("bond_fund",)}),
    ("第二天就能到账的", {"liquidity": "T1"}),
    ("没有封闭期的基金", {"liquidity": "open"}),
    ("有封闭期也没关系，收益高点", {"liquidity": "closed"}),
    ("起投一万以下", {"min_amount_max": D("10000.00")}),
    ("1万以内能买的", {"min_amount_max": D("10000.00")}),
    ("手里只有五千块", {"min_amount_max": D("5000.00")}),
    ("预算20万买大额存单", {"min_amount_max": D("200000.00"), "categories": ("deposit",)}),
    ("起购门槛低的", {"sort": "minimum"}),
    ("比存款高一点的", {"above": "deposit", "risk_levels": (1, 2)}),
    ("收益比定期高的理财", {"above": "deposit", "categories": ("wmp",)}),
    ("比余额宝收益高一些", {"above": "cash_management", "risk_levels": (1, 2)}),
    ("收益3%以上", {"return_min": 0.03}),
    ("年化至少3.5%", {"return_min": 0.035}),
    ("年化3到4个点", {"return_min": 0.03, "return_max": 0.04}),
    ("收益在百分之三左右", {"return_min": 0.025, "return_max": 0.035}),
    ("半年期的理财", {"categories": ("wmp",), "term_min_days": 136, "term_max_days": 228}),
    ("三个月以内", {"term_max_days": 91}),
    ("90天以内的", {"term_max_days": 90}),
    ("三年以上的定期", {"term_min_days": 1095, "categories": ("deposit",)}),
    ("至少放两年", {"term_min_days": 730}),
    ("一年后要用的钱", {"term_max_days": 365}),
    ("短期理财", {"term_max_days": 183, "categories": ("wmp",)}),
    ("中低风险的产品", {"risk_levels": (2,)}),
    ("R3及以下的基金", {"risk_levels": (1, 2, 3)}),
    ("不超过r2的", {"risk_levels": (1, 2)}),
    ("风险低一点的", {"risk_levels": (1, 2)}),
    ("保本的", {"risk_levels": (1,)}),
    ("R4的股票基金", {"risk_levels": (4,), "categories": ("equity_fund",)}),
    ("纯债基金和货币基金", {"categories": ("bond_fund", "cash_management")}),
    ("不要股票的，R3以下", {"excluded_categories": ("equity_fund",), "risk_levels": (1, 2, 3)}),
    ("有没有养老理财", {"categories": ("wmp",), "keywords": ("养老",)}),
    ("远航的基金有哪些", {"keywords": ("远航",)}),
    ("买点沪深300", {"keywords": ("沪深300",)}),
    ("新能源", {"keywords": ("新能源",)}),
    ("重疾险", {"categories": ("critical_illness_insurance",)}),
    ("费率低的指数基金", {"categories": ("index_fund",), "sort": "fees"}),
    ("最近有什么收益好的", {"sort": "return"}),
    ("黄金", {"categories": ("gold",)}),
]


@pytest.mark.parametrize(("text", "expected"), PHRASINGS, ids=[t for t, _ in PHRASINGS])
def test_everyday_wording_becomes_filters(text: str, expected: dict[str, object]) -> None:
    query = parse_shelf_query(text)
    for name, value in expected.items():
        got = getattr(query, name)
        if isinstance(value, float):
            assert got == pytest.approx(value), name
        elif name == "keywords":
            assert set(value) <= set(got), (name, got)  # type: ignore[arg-type]
        else:
            assert got == value, (name, got)


def test_phrasings_are_many_and_distinct() -> None:
    assert len({t for t, _ in PHRASINGS}) == len(PHRASINGS) >= 30


@pytest.mark.parametrize("text", ["", "你好", "9" * 600, "R9", "收益1000%", "-5万", "百分之", "起投", "一亿亿亿亿亿亿万"])
def test_odd_messages_never_raise(text: str) -> None:
    query = parse_shelf_query(text)
    assert query.return_min is None or 0 <= query.return_min <= 1


# --- filters ------------------------------------------------------------------------------------------------
def test_filters_hold_for_every_listed_product(session: Session) -> None:
    client = a_client(session, "C5", 10)
    result = browse(session, client.id, "有哪些一年以内的R2理财", limit=50, today=TODAY)
    codes = [i.code for i in result.items]
    rows = session.scalars(select(Product).where(Product.code.in_(codes))).all()
    assert rows and all(p.category == "wmp" and p.risk_level == "R2" and p.term_days <= 365 for p in rows)
    expected = session.scalars(select(Product).where(Product.category == "wmp", Product.risk_level == "R2",
                                                     Product.term_days <= 365, Product.on_sale.is_(True))).all()
    assert sorted(codes) == sorted(p.code for p in expected)


def test_t0_amount_and_above_deposit(session: Session) -> None:
    client = a_client(session, "C3", 10)
    t0 = browse(session, client.id, "随时能取的，起投一万以下", limit=50, today=TODAY)
    assert t0.items and all(i.category == "cash_management" for i in t0.items)
    assert all(Decimal(i.minimum.replace(",", "").rstrip("元")) <= 10000 for i in t0.items)
    above = browse(session, client.id, "比存款高一点的", limit=50, today=TODAY)
    deposit = session.scalar(select(Product.expected_return_low).where(Product.code == "DP01Y"))
    assert above.items and all(level_rank(i.risk_level) <= 2 for i in above.items)
    assert all("高于1年定期存款" in i.reason for i in above.items) and deposit is not None
    assert len({i.category for i in above.items[:3]}) > 1  # a broad question shows a spread of kinds


def test_term_filter_keeps_swinging_funds_out_of_short_money(session: Session) -> None:
    client = a_client(session, "C5", 10)
    result = browse(session, client.id, "一年以内", limit=50, today=TODAY)
    assert not {i.category for i in result.items} & {"equity_fund", "index_fund", "mixed_fund", "qdii_fund"}


# --- suitability --------------------------------------------------------------------------------------------
def test_nothing_above_the_level_is_offered_and_asked_ones_come_apart(session: Session) -> None:
    client = a_client(session, "C2", 30)
    result = browse(session, client.id, "R4的股票基金", today=TODAY)
    assert result.items == [] and result.unsuitable
    assert all(i.risk_level == "R4" and not i.purchasable and "高于您的C2" in i.why_not for i in result.unsuitable)
    assert "风险测评" in result.reassess
    broad = browse(session, client.id, "", limit=50, today=TODAY)
    assert broad.may_buy and all(level_rank(i.risk_level) <= 2 and i.purchasable for i in broad.items)
    assert broad.unsuitable == [] and broad.hidden_above_level > 0


@pytest.mark.parametrize(("level", "days", "state", "words"), [
    (None, None, "none", "还没有做过风险测评"), ("C3", 400, "expired", "已超过一年")])
def test_unassessed_or_expired_clients_are_told_to_assess_before_buying(
        session: Session, level: str | None, days: int | None, state: str, words: str) -> None:
    client = a_client(session, level, days)
    result = browse(session, client.id, "随时能取的", today=TODAY)
    assert result.assessment == state and words in result.notice and not result.may_buy
    assert result.items and not any(i.purchasable for i in result.items)


def test_validity_is_configurable(session: Session) -> None:
    client = a_client(session, "C3", 200)
    assert browse(session, client.id, "", today=TODAY).assessment == "valid"
    assert browse(session, client.id, "", today=TODAY, valid_days=180).assessment == "expired"


def test_nobody_signed_in_sees_products_but_may_not_buy(session: Session) -> None:
    result = browse(session, None, "纳斯达克", today=TODAY)
    assert result.assessment == "anonymous" and result.items and not result.items[0].purchasable


# --- comparison ---------------------------------------------------------------------------------------------
def _independent(session: Session, codes: list[str]) -> dict[str, tuple[float, float]]:
    """(total return, max drawdown) over the dates all have, from the NAV rows with pandas/NumPy alone."""
    rows = session.execute(select(Product.code, NavPoint.date, NavPoint.nav).join(Product, Product.id == NavPoint.product_id)
                           .where(Product.code.in_(codes), NavPoint.date <= TODAY)).all()
    frame = pd.DataFrame(rows, columns=["code", "date", "nav"]).pivot(index="date", columns="code", values="nav")
    frame = frame.astype(float).dropna()
    out = {}
    for code in codes:
        nav = frame[code].to_numpy()
        out[code] = (nav[-1] / nav[0] - 1, float(np.min(nav / np.maximum.accumulate(nav) - 1)))
    return out


def test_comparison_figures_match_numpy_over_the_same_period(session: Session) -> None:
    client = a_client(session, "C3", 10)
    result = compare(session, client.id, ["BF001", "MF001", "IF001"], today=TODAY)
    expected = _independent(session, ["BF001", "MF001", "IF001"])
    for code, (total, depth) in expected.items():
        assert result.figures[code]["total_return"] == pytest.approx(total, rel=1e-9)
        assert result.figures[code]["max_drawdown"] == pytest.approx(depth, rel=1e-9)
    labels = [label for label, _ in result.rows]
    for label in ("认/申购费", "风险等级", "期限", "流动性", "起购金额", "区间收益", "最大回撤"):
        assert label in labels
    assert result.chart["kind"] == "line" and len(result.chart["data"]["x"]) == len(result.chart["data"]["series"]["远航纯债债券A"])
    assert result.start == result.chart["data"]["x"][0] and "风险提示" in result.risk_notice


def test_verdict_uses_level_horizon_and_pots(session: Session) -> None:
    client = a_client(session, "C2", 10)
    result = compare(session, client.id, ["BF001", "EF001"], today=TODAY)
    assert result.suitable == {"BF001": True, "EF001": False} and result.best == "BF001"
    assert any("EF001" not in line and "高于您的风险等级C2" in line for line in result.verdict)
    assert any(("随时要用的钱" in line) or ("财富增值的钱" in line) for line in result.verdict)
    short = compare(session, client.id, ["WM365", "DP03Y"], today=TODAY, horizon_years=1)
    assert any("不匹配" in line and "鑫享定期存款3年" in line for line in short.verdict)


def test_unassessed_client_gets_no_verdict(session: Session) -> None:
    client = a_client(session, None, None)
    result = compare(session, client.id, ["BF001", "CM001"], today=TODAY)
    assert result.best is None and "风险测评" in result.verdict[0]


def test_compare_wants_two_or_three_known_products(session: Session) -> None:
    with pytest.raises(ShelfInputError) as error:
        compare(session, None, ["BF001"], today=TODAY)
    assert error.value.field == "codes"
    with pytest.raises(ShelfInputError):
        compare(session, None, ["BF001", "CM001", "MF001", "EF001"], today=TODAY)
    with pytest.raises(UnknownProduct):
        compare(session, None, ["BF001", "NOPE1"], today=TODAY)


# --- hand-off -----------------------------------------------------------------------------------------------
def test_asking_the_advisor_sends_one_handoff_with_the_product(session: Session) -> None:
    client = a_client(session, "C2", 10)
    first = ask_advisor(session, client.id, "EF001", NOW)
    again = ask_advisor(session, client.id, "EF001", NOW + dt.timedelta(minutes=5))
    assert first.status == "sent" and again.status == "already"
    notes = session.scalars(select(Notification).where(Notification.kind == "handoff",
                                                       Notification.recipient == client.advisor.wecom_userid)).all()
    mine = [n for n in notes if (n.card or {}).get("product", {}).get("code") == "EF001"]
    assert len(mine) == 1 and "不能销售" in mine[0].text and "/handoffs/" in mine[0].card["url"]
    with pytest.raises(UnknownProduct):
        ask_advisor(session, client.id, "NOPE1", NOW)
