"""Find a client by name and build their profile, only within what the viewer may see (bank.access).

Personal data leaves this module masked: phones as "尾号1234" or 138****1234, ID numbers as 110***…1234.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bank.access import AccessDenied, visible_client_ids, visible_clients
from bank.directory import Identity
from bank.masking import mask_id_number, mask_phone
from bank.models import CATEGORY_NAMES, CONTACT_NAMES, Client, Contact, Holding, Product, Staff
from calc import clock
from calc.risk import RISK_VALID_DAYS, assessment_expired

MATURITY_WINDOW_DAYS = 90
LAST_CONTACTS = 5
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ClientMatch:
    """One client a name matched: enough to tell namesakes apart, nothing more."""

    id: int
    name: str
    phone_tail: str
    age: int
    advisor_name: str
    exact: bool


@dataclass(frozen=True)
class HoldingLine:
    product_code: str
    product_name: str
    category_zh: str
    market_value: Decimal
    maturity_date: dt.date | None


@dataclass(frozen=True)
class ContactLine:
    kind_zh: str
    happened_at: dt.datetime
    note: str
    next_step: str | None


@dataclass(frozen=True)
class ClientProfile:
    """What an advisor needs before a call; phone and ID are masked, never raw."""

    id: int
    name: str
    gender: str
    age: int
    occupation: str
    life_stage: str
    advisor_name: str
    risk_level: str | None
    risk_assessed_on: dt.date | None
    risk_expired: bool
    monthly_income: Decimal
    monthly_expenses: Decimal
    dependants: int
    phone_masked: str | None
    id_number_masked: str | None
    total_assets: Decimal
    assets_by_category: dict[str, Decimal]
    holdings: list[HoldingLine] = field(default_factory=list)
    upcoming_maturities: list[HoldingLine] = field(default_factory=list)
    last_contacts: list[ContactLine] = field(default_factory=list)


def age_on(birth: dt.date, today: dt.date) -> int:
    """Whole years from `birth` to `today`.

    >>> age_on(dt.date(1990, 12, 1), dt.date(2026, 11, 28)), age_on(dt.date(1990, 11, 28), dt.date(2026, 11, 28))
    (35, 36)
    """
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def phone_tail(phone: str | None) -> str:
    """"尾号" and the last four digits, the way advisors tell namesakes apart.

    >>> phone_tail("13812341234"), phone_tail(None)
    ('尾号1234', '无手机号')
    """
    return f"尾号{phone[-4:]}" if phone and len(phone) >= 4 else "无手机号"


def find_clients(session: Session, viewer: Identity | None, name: str, today: dt.date | None = None) -> list[ClientMatch]:
    """Clients in the viewer's scope named `name`: exact matches first, else prefix/contains matches.

    A client outside the scope is never returned, so "not found" discloses nothing.
    """
    name = name.strip()
    if not name:
        return []
    today = today or clock.today()
    base = visible_clients(session, viewer).add_columns(Staff.name).join(Staff, Client.advisor_id == Staff.id)
    rows = session.execute(base.where(Client.name == name).order_by(Client.id)).all()
    exact = bool(rows)
    if not rows:
        like = name.replace("%", "").replace("_", "")
        rows = session.execute(
            base.where(Client.name.contains(like)).order_by(Client.name.startswith(like).desc(), Client.id).limit(20)
        ).all()
    return [
        ClientMatch(c.id, c.name, phone_tail(c.phone), age_on(c.birth_date, today), advisor, exact)
        for c, advisor in rows
    ]


def client_profile(
    session: Session, viewer: Identity | None, client_id: int, today: dt.date, valid_days: int = RISK_VALID_DAYS
) -> ClientProfile:
    """The profile of client `client_id`; AccessDenied when outside the viewer's scope (or unknown)."""
    row = session.execute(
        select(Client, Staff.name).join(Staff, Client.advisor_id == Staff.id)
        .where(Client.id == client_id, Client.id.in_(visible_client_ids(viewer)))
    ).first()
    if row is None:
        raise AccessDenied(client_id)
    client, advisor = row
    holdings_rows = session.execute(
        select(Holding, Product).join(Product, Holding.product_id == Product.id)
        .where(Holding.client_id == client_id).order_by(Holding.market_value.desc())
    ).all()
    holdings = [
        HoldingLine(p.code, p.name, CATEGORY_NAMES[p.category], h.market_value, h.maturity_date)
        for h, p in holdings_rows
    ]
    by_category: dict[str, Decimal] = {}
    for line in holdings:
        by_category[line.category_zh] = by_category.get(line.category_zh, ZERO) + line.market_value
    horizon = today + dt.timedelta(days=MATURITY_WINDOW_DAYS)
    upcoming = sorted(
        (h for h in holdings if h.maturity_date is not None and today <= h.maturity_date <= horizon),
        key=lambda h: h.maturity_date or today,
    )
    contacts = session.execute(
        select(Contact).where(Contact.client_id == client_id)
        .order_by(Contact.happened_at.desc()).limit(LAST_CONTACTS)
    ).scalars()
    return ClientProfile(
        id=client.id, name=client.name, gender="男" if client.gender == "M" else "女",
        age=age_on(client.birth_date, today), occupation=client.occupation, life_stage=client.life_stage,
        advisor_name=advisor, risk_level=client.risk_level, risk_assessed_on=client.risk_assessed_on,
        risk_expired=assessment_expired(client.risk_assessed_on, today, valid_days),
        monthly_income=client.monthly_income, monthly_expenses=client.monthly_expenses,
        dependants=client.dependants, phone_masked=mask_phone(client.phone),
        id_number_masked=mask_id_number(client.id_number),
        total_assets=sum((h.market_value for h in holdings), ZERO),
        assets_by_category=dict(sorted(by_category.items(), key=lambda kv: -kv[1])),
        holdings=holdings, upcoming_maturities=upcoming,
        last_contacts=[ContactLine(CONTACT_NAMES.get(c.kind, c.kind), c.happened_at, c.note, c.next_step)
                       for c in contacts],
    )


def count_visible(session: Session, viewer: Identity | None) -> int:
    """How many clients `viewer` may see."""
    return session.execute(select(func.count()).select_from(visible_client_ids(viewer).subquery())).scalar_one()
