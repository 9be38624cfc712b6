"""A seeded situation for the briefing tests, in a private copy of the demo bank (today 2026-11-28, briefing on
Tuesday 2026-12-01): one of 张敏's clients put into each section of her briefing, and controls that must stay out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, select

from bank.db import session_scope
from bank.directory import who_is
from bank.models import (
    Client,
    Contact,
    Holding,
    ModelPortfolio,
    Notification,
    PortfolioPush,
    Product,
    Proposal,
)

BRIEFING_DAY = dt.date(2026, 12, 1)  # a Tuesday, a working day
AT = dt.datetime(2026, 12, 1, 8, 30)


@dataclass(frozen=True)
class Seeded:
    """张敏's staff id and, per briefing section, the client put into it (by id and name); controls kept out."""

    advisor_id: int
    clients: dict[str, tuple[int, str]]
    controls: dict[str, int]
    other_advisor_birthday: int


def _chart(target: dict[str, float]) -> dict[str, object]:
    labels = {"cash": "现金类", "fixed": "固收类", "equity": "权益类", "mixed": "混合类"}
    return {"charts": [{"name": "allocation", "kind": "pie_pair", "data": {
        "labels": [labels[k] for k in target], "current": [0.0 for _ in target], "target": list(target.values())}}]}


def seed(bank_url: str) -> Seeded:
    """Put one of 张敏's clients into each section; see the module docstring."""
    with session_scope(bank_url) as s:
        me = who_is(s, "zhangmin")
        other = who_is(s, "liqiang")
        assert me is not None and me.staff_id is not None and other is not None and other.staff_id is not None
        mine = s.scalars(select(Client).where(Client.advisor_id == me.staff_id,
                                              Client.wecom_external_userid.is_not(None)).order_by(Client.id)).all()
        # A quiet baseline: no maturities, losses or due steps among 张敏's clients but the seeded ones.
        far = dt.date(2027, 6, 30)
        for client in mine:
            client.birth_date = client.birth_date.replace(month=6, day=15)
            client.risk_assessed_on = dt.date(2026, 10, 1) if client.risk_level else None
        holdings = s.scalars(select(Holding).where(Holding.client_id.in_([c.id for c in mine]))).all()
        for holding in holdings:
            holding.market_value = max(holding.market_value, holding.cost)
            if holding.maturity_date is not None:
                holding.maturity_date = far
        s.execute(delete(Contact).where(Contact.client_id.in_([c.id for c in mine])))
        maturity, birthday, risk, step, push, loss, drift, on_target, mass = mine[:9]
        wmp = s.scalars(select(Product).where(Product.category == "wmp", Product.on_sale.is_(True))
                        .order_by(Product.id)).first()
        fund = s.scalars(select(Product).where(Product.category == "equity_fund").order_by(Product.id)).first()
        assert wmp is not None and fund is not None
        maturity.risk_level, maturity.risk_assessed_on = "C3", dt.date(2026, 10, 1)
        s.add(Holding(client_id=maturity.id, product_id=wmp.id, units=Decimal("50000"), cost=Decimal("50000"),
                      market_value=Decimal("50800"), opened_on=dt.date(2026, 6, 5), maturity_date=dt.date(2026, 12, 5)))
        birthday.birth_date = dt.date(1980, 12, 3)
        risk.risk_level, risk.risk_assessed_on = "C2", dt.date(2025, 12, 10)  # valid until 2026-12-10
        s.add(Contact(advisor_id=me.staff_id, client_id=step.id, kind="phone", happened_at=dt.datetime(2026, 11, 24, 10),
                      note="想了解养老", next_step="12月1日回访，带养老规划", next_step_on=dt.date(2026, 12, 1)))
        s.add(Contact(advisor_id=me.staff_id, client_id=on_target.id, kind="phone",
                      happened_at=dt.datetime(2026, 11, 20, 10), note="已回访", next_step="下周再约",
                      next_step_on=dt.date(2026, 12, 8)))  # not due yet
        portfolio = s.scalars(select(ModelPortfolio).order_by(ModelPortfolio.id)).first()
        assert portfolio is not None
        s.add(PortfolioPush(portfolio_id=portfolio.id, advisor_id=me.staff_id, client_id=push.id, status="pending",
                            expires_at=dt.datetime(2026, 12, 10), task_id="seed-push-1",
                            created_at=dt.datetime(2026, 11, 27, 9)))
        s.add(PortfolioPush(portfolio_id=portfolio.id, advisor_id=me.staff_id, client_id=on_target.id,
                            status="pending", expires_at=dt.datetime(2026, 12, 10), task_id="seed-push-2",
                            created_at=dt.datetime(2026, 11, 30, 16)))  # sent yesterday: not yet overdue
        s.add(Holding(client_id=loss.id, product_id=fund.id, units=Decimal("10000"), cost=Decimal("100000"),
                      market_value=Decimal("80000"), opened_on=dt.date(2026, 11, 20)))
        s.add(Holding(client_id=drift.id, product_id=fund.id, units=Decimal("1"),
                      cost=Decimal("1000000"), market_value=Decimal("1000000"), opened_on=dt.date(2026, 1, 5)))
        for client, target in ((drift, {"cash": 0.3, "fixed": 0.7}), (on_target, None)):
            payload = _chart(target) if target else _on_target(s, client.id)
            s.add(Proposal(kind="checkup", client_id=client.id, payload=payload, share_token=f"seed-{client.id}",
                           expires_at=dt.datetime(2026, 12, 30), created_at=dt.datetime(2026, 11, 2, 10)))
        assert mass.wecom_external_userid is not None
        s.add(Notification(recipient=mass.wecom_external_userid, kind="statement", text="账单已生成",
                           created_at=dt.datetime(2026, 11, 30, 9), state="awaiting_advisor", route="mass",
                           attempts=1, priority=1))
        theirs = s.scalars(select(Client).where(Client.advisor_id == other.staff_id).order_by(Client.id)).first()
        assert theirs is not None
        theirs.birth_date = dt.date(1975, 12, 2)
        return Seeded(me.staff_id, {
            "maturities": (maturity.id, maturity.name), "birthdays": (birthday.id, birthday.name),
            "risk": (risk.id, risk.name), "next_steps": (step.id, step.name), "pushes": (push.id, push.name),
            "losses": (loss.id, loss.name), "drift": (drift.id, drift.name)},
            {"on_target": on_target.id}, theirs.id)


def _on_target(session: object, client_id: int) -> dict[str, object]:
    """A check-up target equal to the client's current allocation (so no drift)."""
    from calc.drift import class_weights
    from services.rules import CLASS_OF_LABEL

    rows = session.execute(  # type: ignore[attr-defined]
        select(Product.category, Holding.market_value).join(Product, Holding.product_id == Product.id)
        .where(Holding.client_id == client_id)).all()
    amounts: dict[str, float] = {}
    for category, value in rows:
        amounts[category] = amounts.get(category, 0.0) + float(value)
    weights = class_weights(amounts) or {"cash": 1.0}
    labels = {v: k for k, v in CLASS_OF_LABEL.items()}
    return {"charts": [{"name": "allocation", "kind": "pie_pair", "data": {
        "labels": [labels[k] for k in weights], "current": list(weights.values()), "target": list(weights.values())}}]}
