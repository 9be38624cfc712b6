"""The story the after-sale tests share (services and web): 平衡组合 pushed by 张敏 on 2026-11-02 to three clients,
two confirm and one declines, the orders settle on T+1 (services.settlement on a controlled clock), and NAVs of
11-30 and 12-01 arrive after the sale."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
from sqlalchemy import select

from bank.db import session_scope
from bank.models import NavPoint, Product
from services.push_decisions import confirm_push, decline_push
from services.pushes import push_portfolio
from services.settings import Settings
from services.settlement import settle_orders
from tests.services.push_cast import Cast

PUSH_AT = dt.datetime(2026, 11, 2, 10, 0)  # a Monday, before the 15:00 cut-off
SETTLE_AT = dt.datetime(2026, 11, 3, 20, 0)  # T+1: the funds' shares are confirmed
TODAY = dt.date(2026, 12, 1)
LATER_NAVS = {"BF003": ("1.0100", "1.0050"), "MF001": ("0.9500", "0.9700"), "MF005": ("1.0000", "0.9900"),
              "IF001": ("0.9700", "0.9600"), "BF006": ("1.0010", "1.0020")}
"""NAVs of 2026-11-30 and 12-01 published after the sale (the demo bank stops on 11-27): MF001 falls."""


def add_later_navs(url: str) -> None:
    """Relative moves on top of each product's last demo NAV, so the path after the sale is under our control."""
    with session_scope(url) as s:
        for code, (first, second) in LATER_NAVS.items():
            pid = s.scalar(select(Product.id).where(Product.code == code))
            last = s.scalar(select(NavPoint.nav).where(NavPoint.product_id == pid).order_by(NavPoint.date.desc()).limit(1))
            for day, factor in ((dt.date(2026, 11, 30), first), (dt.date(2026, 12, 1), second)):
                s.add(NavPoint(product_id=pid, date=day, nav=(Decimal(last) * Decimal(factor)).quantize(Decimal("0.0001"))))


def sold(url: str, cast: Cast) -> list[str]:
    """平衡组合 pushed to three clients at 50,000 each on a Monday morning; the first confirms at once (trade date the
    same day), the second after the 15:00 cut-off (trade date the next day), the third declines; each order set
    settles on its T+1 (two runs of the settlement job)."""
    with session_scope(url) as s:
        result = push_portfolio(s, cast.advisor, "平衡组合", cast.suitable, Decimal("50000"), PUSH_AT)
        tasks = [p.task_id for p in result.sent]
        assert len(tasks) == 3, result.skipped_with_reasons
        assert confirm_push(s, tasks[0], cast.suitable[0], PUSH_AT + dt.timedelta(minutes=5)).status == "confirmed"
        assert confirm_push(s, tasks[1], cast.suitable[1], PUSH_AT.replace(hour=15, minute=30)).status == "confirmed"
        decline_push(s, tasks[2], cast.suitable[2], PUSH_AT + dt.timedelta(minutes=9))
    first = settle_orders(SETTLE_AT, Settings(), url)
    second = settle_orders(SETTLE_AT + dt.timedelta(days=1), Settings(), url)
    assert len(first.settled) == len(second.settled) == 5 and not first.failed and not second.failed
    add_later_navs(url)
    return tasks


def nav_table(url: str, codes: list[str]) -> pd.DataFrame:
    """NAVs straight from the table, one column per product code."""
    with session_scope(url) as s:
        rows = s.execute(select(NavPoint.date, Product.code, NavPoint.nav).join(Product, NavPoint.product_id == Product.id)
                         .where(Product.code.in_(codes))).all()
    frame = pd.DataFrame([(pd.Timestamp(d), c, float(n)) for d, c, n in rows], columns=["date", "code", "nav"])
    return frame.pivot(index="date", columns="code", values="nav").sort_index()
