"""Build the deterministic demo bank: same seed and same `today` give identical data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, insert, inspect, select, text, update
from sqlalchemy.orm import Session
from tqdm import tqdm

from bank import db
from bank.demo.catalog import CONTACT_NOTES, NEXT_STEPS
from bank.demo.people import client_rows, staff_rows
from bank.demo.positions import matured, nav_paths, nav_rows, positions, product_rows, trading_days
from bank.models import (
    Base,
    Client,
    Contact,
    Holding,
    Identity,
    MeetingNote,
    ModelPortfolio,
    ModelPortfolioItem,
    NavPoint,
    Product,
    Staff,
    Team,
    Transaction,
    UsageEvent,
)
from calc import clock

Row = dict[str, Any]
DEFAULT_CLIENTS = 640
# Features the assistant records usage of (actions/ and services/ call bank.usage.record_usage with these),
# by the role that uses them; nothing else may appear on the dashboards' feature-usage chart.
FEATURES_BY_ROLE = {
    "advisor": ("client_profile", "prospects", "proposal", "portfolio_push", "maturity_reminder",
                "contact_log", "dashboard", "briefing", "knowledge_qa", "learning", "backtest",
                "client_tags"),
    "manager": ("team_dashboard", "broadcast", "knowledge_qa", "learning"),
    "client": ("checkup", "risk_assessment", "plan_investment", "plan_pension", "plan_retirement",
               "plan_simulation", "wealth_statement", "wealth_score", "rewards", "shelf_browse",
               "knowledge_qa"),
}
FEATURES = tuple(dict.fromkeys(f for features in FEATURES_BY_ROLE.values() for f in features))


class DemoBankExists(RuntimeError):
    """The target database already holds bank data and replacing it was not asked for."""


def has_data(engine: Engine) -> bool:
    """True when any bank table exists and holds at least one row."""
    names = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in names and conn.execute(select(func.count()).select_from(table)).scalar_one():
                return True
    return False


def clear(session: Session) -> None:
    """Delete every bank row (children first), keeping the schema and its Alembic version."""
    session.execute(update(Team).values(manager_id=None))
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(table.delete())


def build(url: str | None = None, seed: int = 42, today: dt.date | None = None, clients: int = DEFAULT_CLIENTS,
          replace: bool = False, progress: bool = True) -> dict[str, int]:
    """Migrate the database at `url` to head and fill it with the demo bank; return row counts per table."""
    url = url or db.database_url()
    today = today or clock.today()
    db.upgrade(url)
    engine = db.make_engine(url)
    if has_data(engine) and not replace:
        engine.dispose()
        raise DemoBankExists("the database already holds bank data; pass --replace to rebuild the demo bank")
    stages = tqdm(total=7, desc="demo bank", unit="stage", disable=not progress)

    def stage(name: str) -> None:
        stages.set_postfix_str(name)
        stages.update(1)

    try:
        rng = np.random.default_rng(seed)
        with Session(engine) as session, session.begin():
            if replace:
                clear(session)
            _fill(session, rng, today, clients, stage)
        with engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in Base.metadata.sorted_tables}
    finally:
        stages.close()
        engine.dispose()


def _fill(session: Session, rng: np.random.Generator, today: dt.date, n_clients: int, stage: Any) -> None:
    teams, staff = staff_rows(rng)
    session.execute(insert(Team), teams)
    session.execute(insert(Staff), staff)
    for t in teams:
        manager = next(s for s in staff if s["team_id"] == t["id"] and s["role"] == "manager")
        session.execute(update(Team).where(Team.id == t["id"]).values(manager_id=manager["id"]))
    stage("staff")
    products = product_rows()
    session.execute(insert(Product), products)
    stage("products")
    days = trading_days(today)
    paths = nav_paths(rng, products, days)
    session.execute(insert(NavPoint), nav_rows(paths, days))
    stage("nav")
    advisors = [s["id"] for s in staff if s["role"] == "advisor"]
    clients = client_rows(rng, n_clients, advisors, today)
    holdings, trades = positions(rng, clients, products, paths, days, today)
    trades += matured(rng, clients, products, today)
    session.execute(insert(Client), clients)
    identities = [{"wecom_id": s["wecom_userid"], "kind": "staff", "staff_id": s["id"], "client_id": None}
                  for s in staff]
    identities += [{"wecom_id": c["wecom_external_userid"], "kind": "client", "staff_id": None, "client_id": c["id"]}
                   for c in clients]
    session.execute(insert(Identity), identities)
    stage("clients")
    session.execute(insert(Holding), holdings)
    trades.sort(key=lambda t: (t["trade_date"], t["client_id"], t["product_id"], t["kind"]))
    session.execute(insert(Transaction), trades)
    stage("holdings")
    session.execute(insert(Contact), contact_rows(rng, clients, today))
    stage("contacts")
    _portfolios(session, products, staff)
    session.execute(insert(UsageEvent), usage_rows(rng, staff, clients, today))
    session.execute(insert(MeetingNote), meeting_rows(staff, today))
    _advance_sequences(session)
    stage("portfolios")


def _advance_sequences(session: Session) -> None:
    """PostgreSQL: move each id sequence past the explicit ids the demo inserted, so later inserts don't collide."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        if "id" not in table.columns:
            continue
        session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
        ))


def contact_rows(rng: np.random.Generator, clients: list[Row], today: dt.date) -> list[Row]:
    """1-3 years of phone calls, visits and salons per client, oldest first."""
    rows = []
    for c in clients:
        span = int(rng.integers(365, 3 * 365))
        k = int(rng.integers(2, 11))
        offsets = sorted((int(x) for x in rng.integers(0, span, k)), reverse=True)
        for j, off in enumerate(offsets):
            kind = str(rng.choice(["phone", "visit", "salon"], p=[.6, .3, .1]))
            notes = CONTACT_NOTES[kind]
            happened = dt.datetime.combine(today - dt.timedelta(days=off + 1), dt.time(9)) + dt.timedelta(
                minutes=int(rng.integers(0, 540)))
            step = NEXT_STEPS[int(rng.integers(0, len(NEXT_STEPS)))] if j == k - 1 else None
            rows.append({"advisor_id": c["advisor_id"], "client_id": c["id"], "kind": kind, "happened_at": happened,
                         "note": notes[int(rng.integers(0, len(notes)))], "next_step": step})
    return rows


def _portfolios(session: Session, products: list[Row], staff: list[Row]) -> None:
    """Three model portfolios whose weights sum to 1 and whose products never exceed the portfolio's risk."""
    ids = {p["code"]: p["id"] for p in products}
    manager = next(s["id"] for s in staff if s["role"] == "manager")
    models = [
        ("稳健组合", "R2", "以存款、短期理财和纯债基金为主，追求稳定收益，适合C2及以上客户。",
         {"DP01Y": 0.3, "WM090": 0.3, "BF001": 0.25, "CM001": 0.15}),
        ("平衡组合", "R3", "固收打底、适度配置混合基金，兼顾收益与波动，适合C3及以上客户。",
         {"WM366": 0.3, "BF003": 0.25, "MF001": 0.25, "MF005": 0.1, "CM002": 0.1}),
        ("进取组合", "R4", "以权益基金为主，辅以黄金对冲，追求长期增值，适合C4及以上客户。",
         {"IF001": 0.3, "EF003": 0.2, "QD001": 0.15, "MF002": 0.15, "GD001": 0.1, "BF002": 0.1}),
    ]
    for i, (name, risk, about, weights) in enumerate(models, start=1):
        session.execute(insert(ModelPortfolio), [{"id": i, "name": name, "risk_level": risk, "description": about,
                                                  "created_by_id": manager}])
        session.execute(insert(ModelPortfolioItem), [{"portfolio_id": i, "product_id": ids[code], "weight": w}
                                                     for code, w in weights.items()])


def usage_rows(rng: np.random.Generator, staff: list[Row], clients: list[Row], today: dt.date) -> list[Row]:
    """A month of feature usage by staff and a few clients, each using the features of their role."""
    actors = [(s["wecom_userid"], s["role"]) for s in staff]
    actors += [(c["wecom_external_userid"], "client") for c in clients[:60]]
    rows = []
    for _ in range(400):
        actor, role = actors[int(rng.integers(0, len(actors)))]
        features = FEATURES_BY_ROLE[role]
        feature = features[int(rng.integers(0, len(features)))]
        at = dt.datetime.combine(today - dt.timedelta(days=int(rng.integers(1, 31))), dt.time(8)) + dt.timedelta(
            minutes=int(rng.integers(0, 720)))
        rows.append({"actor_id": actor, "role": role, "feature": feature, "happened_at": at,
                     "detail": {"channel": "wecom" if rng.random() < 0.8 else "web"}})
    rows.sort(key=lambda r: r["happened_at"])
    return rows


def meeting_rows(staff: list[Row], today: dt.date) -> list[Row]:
    """A few morning/evening meeting notes and an experience share per team."""
    rows = []
    for s in (s for s in staff if s["role"] == "manager"):
        day = today - dt.timedelta(days=1)
        rows += [
            {"author_id": s["id"], "team_id": s["team_id"], "kind": "morning", "title": f"{day:%m月%d日}晨会纪要",
             "body": "1. 本周重点：到期理财续作与定期存款转化。\n2. 市场观点：权益市场震荡，建议客户分批定投。\n"
                     "3. 合规提醒：销售前确认客户风险评估在有效期内。",
             "published_at": dt.datetime.combine(day, dt.time(8, 30))},
            {"author_id": s["id"], "team_id": s["team_id"], "kind": "evening", "title": f"{day:%m月%d日}夕会小结",
             "body": "今日完成客户回访若干，新增重疾险意向客户2位；明日跟进大额存单到期客户。",
             "published_at": dt.datetime.combine(day, dt.time(17, 45))},
            {"author_id": s["id"], "team_id": s["team_id"], "kind": "experience", "title": "养老规划沟通经验分享",
             "body": "与临近退休客户沟通时，先算清退休后现金流缺口，再谈产品；年金险与稳健理财搭配更易被接受。",
             "published_at": dt.datetime.combine(today - dt.timedelta(days=7), dt.time(17))},
        ]
    return rows
