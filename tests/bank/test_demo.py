"""The demo bank: sizes, realism, suitability, determinism, and the refuse-then-replace CLI behaviour."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bank import db
from bank.demo import DemoBankExists, build
from bank.demo.people import age_on
from bank.models import (
    CATEGORIES,
    MARKET_CATEGORIES,
    Base,
    Client,
    Contact,
    Holding,
    Identity,
    ModelPortfolio,
    NavPoint,
    Product,
    Staff,
    Team,
    Transaction,
)
from tests.bank.conftest import TODAY

ROOT = Path(__file__).resolve().parents[2]
LEVEL = {"R1": 1, "R2": 2, "R3": 3, "R4": 4, "R5": 5}


def fingerprint(url: str) -> str:
    """A hash of every bank table's rows in primary-key order."""
    digest = hashlib.sha256()
    engine = db.make_engine(url)
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select().order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    engine.dispose()
    return digest.hexdigest()


def count(session: Session, model: type[Base]) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_counts_meet_the_minimums(demo_session: Session) -> None:
    assert count(demo_session, Team) >= 2
    assert count(demo_session, Client) >= 600
    assert count(demo_session, Product) >= 60
    for team in demo_session.execute(select(Team)).scalars():
        roles = Counter(member.role for member in team.members)
        assert roles["manager"] == 1 and 3 <= roles["advisor"] <= 4
        assert team.manager is not None and team.manager.role == "manager"
    assert count(demo_session, Contact) >= 1200
    assert count(demo_session, Identity) == count(demo_session, Client) + count(demo_session, Staff)


def test_every_category_is_on_the_shelf_with_consistent_risk(demo_session: Session) -> None:
    products = demo_session.execute(select(Product)).scalars().all()
    assert {p.category for p in products} == set(CATEGORIES)
    allowed = {"deposit": {"R1"}, "cash_management": {"R1"}, "wmp": {"R1", "R2", "R3"}, "bond_fund": {"R2"},
               "mixed_fund": {"R3"}, "equity_fund": {"R4"}, "index_fund": {"R4"}, "qdii_fund": {"R4", "R5"},
               "gold": {"R4"}, "annuity_insurance": {"R1", "R2"}, "critical_illness_insurance": {"R1", "R2"},
               "life_insurance": {"R1", "R2"}}
    assert all(p.risk_level in allowed[p.category] for p in products)
    assert {p.risk_level for p in products if p.category == "wmp"} == {"R1", "R2", "R3"}


def test_market_products_have_three_years_of_weekday_navs(demo_session: Session) -> None:
    rows = demo_session.execute(
        select(NavPoint.product_id, func.count(), func.min(NavPoint.date), func.max(NavPoint.date))
        .group_by(NavPoint.product_id)
    ).all()
    market = demo_session.execute(select(Product.id).where(Product.category.in_(MARKET_CATEGORIES))).scalars().all()
    assert {r[0] for r in rows} == set(market)
    for _, n, first, last in rows:
        assert n >= 750 and (last - first).days >= 3 * 365 and last < TODAY
    dates = demo_session.execute(select(NavPoint.date).where(NavPoint.product_id == market[0])).scalars().all()
    assert all(d.weekday() < 5 for d in dates)


def test_holdings_never_exceed_the_clients_risk_level(demo_session: Session) -> None:
    rows = demo_session.execute(
        select(Client.risk_level, Product.risk_level).join(Holding, Holding.client_id == Client.id)
        .join(Product, Product.id == Holding.product_id)
    ).all()
    assert len(rows) > 1000
    for client_level, product_level in rows:
        assert LEVEL[product_level] <= (int(client_level[1]) if client_level else 1)


def test_most_clients_hold_something_and_maturities_spread_over_six_months(demo_session: Session) -> None:
    holders = demo_session.execute(select(func.count(func.distinct(Holding.client_id)))).scalar_one()
    assert holders >= 0.85 * count(demo_session, Client)
    maturities = demo_session.execute(select(Holding.maturity_date).where(Holding.maturity_date.is_not(None)))
    months = Counter((d - TODAY).days // 30 for d in maturities.scalars())
    assert min(months) >= 0 and max(months) <= 6
    assert all(months[m] >= 20 for m in range(6))


def test_transactions_explain_market_holdings(demo_session: Session) -> None:
    units: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    rows = demo_session.execute(
        select(Transaction.client_id, Transaction.product_id, Transaction.kind, Transaction.units)
        .join(Product, Product.id == Transaction.product_id).where(Product.category.in_(MARKET_CATEGORIES))
    )
    for client_id, product_id, kind, n in rows:
        units[client_id, product_id] += n if kind == "buy" else -n
    holdings = demo_session.execute(
        select(Holding).join(Product).where(Product.category.in_(MARKET_CATEGORIES))
    ).scalars().all()
    assert holdings
    for h in holdings:
        assert abs(units[h.client_id, h.product_id] - h.units) <= Decimal("0.0002")


def test_clients_are_plausible(demo_session: Session) -> None:
    clients = demo_session.execute(select(Client)).scalars().all()
    ages = [age_on(c.birth_date, TODAY) for c in clients]
    assert min(ages) >= 22 and max(ages) <= 80
    assert all(c.life_stage == "退休" for c, a in zip(clients, ages, strict=True) if a >= 60)
    assert all(c.life_stage != "退休" for c, a in zip(clients, ages, strict=True) if a < 60)
    assert all(c.monthly_expenses < c.monthly_income * Decimal("1.2") for c in clients)
    levels = Counter(c.risk_level for c in clients)
    assert levels["C1"] >= 20 and levels[None] >= 3 and all(levels[f"C{i}"] for i in range(1, 6))
    stale = sum(1 for c in clients if c.risk_assessed_on and (TODAY - c.risk_assessed_on).days > 365)
    assert 0.05 * len(clients) <= stale <= 0.15 * len(clients)
    assert Counter(c.name[0] for c in clients).most_common(3)[0][0] in "王李张"
    assert all(re.fullmatch(r"wm[A-Za-z0-9]{22}", c.wecom_external_userid) for c in clients)
    assert all(re.fullmatch(r"1\d{10}", c.phone) and re.fullmatch(r"\d{17}[\dX]", c.id_number) for c in clients)


def test_common_names_repeat_under_one_advisor_and_another(demo_session: Session) -> None:
    for name in ("张伟", "王芳"):
        per_advisor = Counter(demo_session.execute(select(Client.advisor_id).where(Client.name == name)).scalars())
        assert sorted(per_advisor.values()) == [1, 2], name


def test_model_portfolio_weights_sum_to_one_within_their_risk(demo_session: Session) -> None:
    portfolios = demo_session.execute(select(ModelPortfolio)).scalars().all()
    assert {p.name for p in portfolios} >= {"稳健组合", "平衡组合", "进取组合"}
    for p in portfolios:
        assert sum(i.weight for i in p.items) == pytest.approx(1.0)
        assert all(LEVEL[i.product.risk_level] <= LEVEL[p.risk_level] for i in p.items)


def test_same_seed_and_today_give_identical_data(tmp_path: Path, demo_url: str) -> None:
    again = f"sqlite:///{tmp_path / 'again.db'}"
    build(again, seed=42, today=TODAY, progress=False)
    assert fingerprint(again) == fingerprint(demo_url)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    build(other, seed=43, today=TODAY, clients=600, progress=False)
    assert fingerprint(other) != fingerprint(demo_url)


def test_build_refuses_a_database_with_data_unless_replacing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    build(url, seed=1, today=TODAY, clients=600, progress=False)
    with pytest.raises(DemoBankExists):
        build(url, seed=1, today=TODAY, clients=600, progress=False)
    counts = build(url, seed=2, today=TODAY, clients=610, replace=True, progress=False)
    assert counts["clients"] == 610 and counts["teams"] == 2


def test_cli_refuses_then_replaces(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "DATABASE_URL": url}
    args = [sys.executable, "-m", "bank", "demo", "--seed", "5", "--today", "2026-11-28", "--clients", "600"]

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*args, *extra], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert run().returncode == 0
    before = fingerprint(url)
    second = run()
    assert second.returncode == 2
    assert "--replace" in second.stderr and second.stderr.count("\n") <= 2
    assert fingerprint(url) == before
    assert run("--replace").returncode == 0
    assert fingerprint(url) == before  # same seed and today after replacing: same bank
    engine = db.make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM clients")).scalar_one() == 600
    engine.dispose()


def test_today_shifts_the_calendar(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'later.db'}"
    build(url, seed=42, today=TODAY + dt.timedelta(days=30), clients=600, progress=False)
    with db.session_scope(url) as s:
        last = s.execute(select(func.max(NavPoint.date))).scalar_one()
    assert TODAY < last < TODAY + dt.timedelta(days=30)
