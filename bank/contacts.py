"""Client contacts (电访 / 面访 / 沙龙): record one with a note and a next step, and see what followed it.

Only staff may record, and only for a client they may see (bank.access). "What followed" is every purchase
(buy or premium transaction, or a live one-click order) the client made within `FOLLOW_UP_DAYS` after the contact.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.access import AccessDenied, can_see_client, visible_client_ids
from bank.directory import Identity
from bank.idempotency import recall, remember
from bank.models import (
    CONTACT_KINDS,
    CONTACT_NAMES,
    STAFF_ROLES,
    Client,
    Contact,
    Order,
    Product,
    Transaction,
)
from calc import clock

FOLLOW_UP_DAYS = 30
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "salon": ("沙龙", "讲座", "客户活动", "客户会", "茶话会", "交流会"),
    "visit": ("面访", "拜访", "见面", "面谈", "上门", "来网点", "到网点", "来行", "到访", "见了", "面对面"),
    "phone": ("电话", "电访", "打了", "通话", "致电", "来电", "语音", "微信聊"),
}
NEXT_STEP_WORDS = ("下周", "下次", "再约", "回访", "下一步", "跟进", "再联系", "再聊", "约了", "提醒", "下个月",
                   "明天", "后天", "月底", "改天", "过几天", "到时候", "准备", "发给", "寄")
PURCHASE_KINDS = ("buy", "premium")
LIVE_ORDERS = ("pending", "submitted", "filled")
MAX_NOTE_CHARS = 500


class NotStaff(PermissionError):
    """Only advisors and managers record contacts."""


def contact_kind(text: str) -> str | None:
    """The contact kind a message describes (salon before visit before phone), or None.

    >>> contact_kind("刚给张伟打了电话"), contact_kind("上午去拜访了王芳"), contact_kind("李娜来参加了养老沙龙")
    ('phone', 'visit', 'salon')
    >>> contact_kind("记一下") is None
    True
    """
    for kind, words in KIND_WORDS.items():
        if any(word in text for word in words):
            return kind
    return None


def split_note(text: str, client_name: str | None = None) -> tuple[str, str | None]:
    """(note, next step) from a free-text contact report; the clause that only says who was contacted is dropped.

    >>> split_note("刚给张伟打了电话，他想了解养老，下周再约", "张伟")
    ('他想了解养老', '下周再约')
    >>> split_note("拜访了王芳。客户对基金定投感兴趣", "王芳")
    ('客户对基金定投感兴趣', None)
    >>> split_note("给李娜打电话", "李娜")
    ('给李娜打电话', None)
    """
    clauses = [c.strip() for c in re.split(r"[，,。；;！!\n]+", text) if c.strip()]
    notes: list[str] = []
    steps: list[str] = []
    for clause in clauses:
        if any(word in clause for word in NEXT_STEP_WORDS):
            steps.append(clause)
        elif client_name and client_name in clause and contact_kind(clause) and len(clause) <= len(client_name) + 12:
            continue
        else:
            notes.append(clause)
    note = "，".join(notes) or text.strip()
    return note[:MAX_NOTE_CHARS], ("，".join(steps)[:MAX_NOTE_CHARS] or None)


def record_contact(session: Session, viewer: Identity | None, client_id: int, kind: str, note: str,
                   next_step: str | None = None, happened_at: dt.datetime | None = None,
                   request_key: str | None = None, next_step_on: dt.date | None = None) -> Contact:
    """Store a contact by staff member `viewer` with client `client_id` (flushed, so `id` is set); `next_step_on`
    is the day the next step is due (the morning briefing lists it from then on).

    With `request_key` (bank/idempotency.py), a second call with the same key returns the first contact.

    Raises
    ------
    NotStaff
        The viewer is not an advisor or manager.
    AccessDenied
        The client is outside the viewer's scope (or unknown).
    ValueError
        `kind` is not phone, visit or salon.
    """
    if viewer is None or viewer.role not in STAFF_ROLES or viewer.staff_id is None:
        raise NotStaff("only staff record contacts")
    if kind not in CONTACT_KINDS:
        raise ValueError(f"kind: must be one of {', '.join(CONTACT_KINDS)}, got {kind!r}")
    if not can_see_client(session, viewer, client_id):
        raise AccessDenied(client_id)
    earlier = recall(session, request_key)
    if earlier is not None and (found := session.get(Contact, earlier.get("contact_id"))) is not None:
        return found
    contact = Contact(advisor_id=viewer.staff_id, client_id=client_id, kind=kind,
                      happened_at=happened_at or clock.now().replace(microsecond=0),
                      note=(note or "").strip()[:MAX_NOTE_CHARS], next_step=(next_step or None),
                      next_step_on=next_step_on if next_step else None)
    session.add(contact)
    session.flush()
    remember(session, request_key, {"contact_id": contact.id})
    return contact


@dataclass(frozen=True)
class Purchase:
    product_name: str
    amount: Decimal
    on: dt.date


@dataclass(frozen=True)
class ContactOutcome:
    """A contact and the purchases the client made within the follow-up window after it."""

    contact_id: int
    client_id: int
    client_name: str
    kind_zh: str
    happened_at: dt.datetime
    note: str
    next_step: str | None
    purchases: list[Purchase] = field(default_factory=list)

    @property
    def purchased(self) -> Decimal:
        return sum((p.amount for p in self.purchases), Decimal("0.00"))


def _purchases(session: Session, client_ids: list[int], start: dt.date, end: dt.date) -> dict[int, list[Purchase]]:
    found: dict[int, list[Purchase]] = {}
    trades = session.execute(
        select(Transaction.client_id, Product.name, Transaction.amount, Transaction.trade_date)
        .join(Product, Transaction.product_id == Product.id)
        .where(Transaction.client_id.in_(client_ids), Transaction.kind.in_(PURCHASE_KINDS),
               Transaction.trade_date >= start, Transaction.trade_date <= end))
    orders = session.execute(
        select(Order.client_id, Product.name, Order.amount, Order.created_at)
        .join(Product, Order.product_id == Product.id)
        .where(Order.client_id.in_(client_ids), Order.status.in_(LIVE_ORDERS),
               Order.created_at >= dt.datetime.combine(start, dt.time()),
               Order.created_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time())))
    for cid, name, amount, when in [*trades, *orders]:
        day = when.date() if isinstance(when, dt.datetime) else when
        found.setdefault(cid, []).append(Purchase(name, Decimal(amount), day))
    return found


def contact_outcomes(session: Session, viewer: Identity | None, *, client_id: int | None = None,
                     start: dt.date | None = None, end: dt.date | None = None,
                     window_days: int = FOLLOW_UP_DAYS, limit: int | None = None) -> list[ContactOutcome]:
    """Contacts with visible clients (newest first), each with what the client bought in the `window_days`
    after it (the contact's own day included). Filter by client and by the contact's date [start, end]."""
    query = (select(Contact, Client.name).join(Client, Contact.client_id == Client.id)
             .where(Contact.client_id.in_(visible_client_ids(viewer))))
    if client_id is not None:
        query = query.where(Contact.client_id == client_id)
    if start is not None:
        query = query.where(Contact.happened_at >= dt.datetime.combine(start, dt.time()))
    if end is not None:
        query = query.where(Contact.happened_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    query = query.order_by(Contact.happened_at.desc(), Contact.id.desc())
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()
    if not rows:
        return []
    first = min(c.happened_at for c, _ in rows).date()
    last = max(c.happened_at for c, _ in rows).date() + dt.timedelta(days=window_days)
    bought = _purchases(session, sorted({c.client_id for c, _ in rows}), first, last)
    out = []
    for contact, name in rows:
        day = contact.happened_at.date()
        after = [p for p in bought.get(contact.client_id, [])
                 if day <= p.on <= day + dt.timedelta(days=window_days)]
        out.append(ContactOutcome(contact.id, contact.client_id, name, CONTACT_NAMES.get(contact.kind, contact.kind),
                                  contact.happened_at, contact.note, contact.next_step,
                                  sorted(after, key=lambda p: p.on)))
    return out
