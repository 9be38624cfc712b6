"""SQLAlchemy 2 models of the bank's systems of record: staff, clients, products, positions, CRM and proposals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bank.masking import mask_name, mask_phone

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(18, 2)
Units = Numeric(18, 4)

CLIENT_RISK_LEVELS = ("C1", "C2", "C3", "C4", "C5")
PRODUCT_RISK_LEVELS = ("R1", "R2", "R3", "R4", "R5")
LIFE_STAGES = ("单身青年", "新婚家庭", "育儿家庭", "中年家庭", "退休")
CATEGORY_NAMES: dict[str, str] = {
    "deposit": "存款",
    "cash_management": "现金管理",
    "wmp": "理财",
    "bond_fund": "债券基金",
    "mixed_fund": "混合基金",
    "equity_fund": "股票基金",
    "index_fund": "指数基金",
    "qdii_fund": "QDII基金",
    "gold": "黄金",
    "annuity_insurance": "年金保险",
    "critical_illness_insurance": "重疾保险",
    "life_insurance": "寿险",
}
CATEGORIES = tuple(CATEGORY_NAMES)
MARKET_CATEGORIES = ("bond_fund", "mixed_fund", "equity_fund", "index_fund", "qdii_fund", "gold")
INSURANCE_CATEGORIES = ("annuity_insurance", "critical_illness_insurance", "life_insurance")
TRANSACTION_KINDS = ("buy", "sell", "dividend", "maturity", "premium", "refund")
"""A refund is a premium paid back (an insurance order cancelled within its 犹豫期); nothing is ever deleted."""
CONTACT_NAMES: dict[str, str] = {"phone": "电访", "visit": "面访", "salon": "沙龙", "message": "企微消息"}
"""Contact kind → the name advisors use; "message" is something sent through the bot (services/sharing.py)."""
CONTACT_KINDS = tuple(CONTACT_NAMES)
PROPOSAL_KINDS = ("checkup", "plan_investment", "plan_pension", "plan_retirement", "plan_simulation")
PORTFOLIO_KINDS = ("model", "single", "adhoc")
"""A house model portfolio, one product pushed on its own, or a mix an advisor named for a push."""
PUSH_STATUSES = ("pending", "confirmed", "declined", "expired")
ORDER_STATUSES = ("pending", "submitted", "filled", "cancelled", "failed")
MEETING_KINDS = ("morning", "evening", "experience")


def _in(column: str, values: tuple[str, ...], nullable: bool = False) -> str:
    """SQL for a CHECK that `column` takes one of `values` (or NULL when nullable)."""
    listed = ", ".join(f"'{v}'" for v in values)
    return f"{column} IS NULL OR {column} IN ({listed})" if nullable else f"{column} IN ({listed})"


def _fk(target: str, nullable: bool = False, ondelete: str | None = None) -> Any:
    return mapped_column(ForeignKey(target, ondelete=ondelete), nullable=nullable, index=True)


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so Alembic sees stable constraint names."""

    metadata = MetaData(naming_convention=NAMING)


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    branch: Mapped[str] = mapped_column(String(64))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", use_alter=True), nullable=True)

    manager: Mapped[Staff | None] = relationship(foreign_keys=[manager_id], post_update=True)
    members: Mapped[list[Staff]] = relationship(back_populates="team", foreign_keys="Staff.team_id")

    def __repr__(self) -> str:
        return f"Team(id={self.id}, name={self.name!r})"


STAFF_ROLES = ("advisor", "manager")
"""The roles a staff record can have (everyone else is a client or unknown)."""


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (CheckConstraint(_in("role", STAFF_ROLES), name="role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    wecom_userid: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int] = _fk("teams.id")
    phone: Mapped[str | None] = mapped_column(String(20))

    team: Mapped[Team] = relationship(back_populates="members", foreign_keys=[team_id])
    clients: Mapped[list[Client]] = relationship(back_populates="advisor")

    def __repr__(self) -> str:
        return f"Staff(id={self.id}, name={self.name!r}, role={self.role!r}, phone={mask_phone(self.phone)!r})"


class Client(Base):
    __tablename__ = "clients"
    __table_args__ = (
        CheckConstraint(_in("risk_level", CLIENT_RISK_LEVELS, nullable=True), name="risk_level"),
        CheckConstraint(_in("gender", ("M", "F")), name="gender"),
        CheckConstraint("dependants >= 0", name="dependants"),
        Index("ix_clients_advisor_name", "advisor_id", "name"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), index=True)
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    occupation: Mapped[str] = mapped_column(String(32))
    life_stage: Mapped[str] = mapped_column(String(16))
    advisor_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    risk_level: Mapped[str | None] = mapped_column(String(2))
    risk_assessed_on: Mapped[dt.date | None] = mapped_column(Date)
    monthly_income: Mapped[Decimal] = mapped_column(Money)
    monthly_expenses: Mapped[Decimal] = mapped_column(Money)
    dependants: Mapped[int] = mapped_column(Integer, default=0)
    phone: Mapped[str | None] = mapped_column(String(20))
    id_number: Mapped[str | None] = mapped_column(String(18))
    external_assets: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    life_cover: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    critical_illness_cover: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    medical_cover: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    wecom_external_userid: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    advisor: Mapped[Staff] = relationship(back_populates="clients")
    holdings: Mapped[list[Holding]] = relationship(back_populates="client")

    def __repr__(self) -> str:
        return (
            f"Client(id={self.id}, name={mask_name(self.name)!r}, risk_level={self.risk_level!r}, "
            f"phone={mask_phone(self.phone)!r})"
        )


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint(_in("risk_level", PRODUCT_RISK_LEVELS), name="risk_level"),
        CheckConstraint(_in("category", CATEGORIES), name="category"),
        CheckConstraint("min_amount >= 0", name="min_amount"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32), index=True)
    risk_level: Mapped[str] = mapped_column(String(2))
    term_days: Mapped[int | None] = mapped_column(Integer)
    min_amount: Mapped[Decimal] = mapped_column(Money)
    expected_return_low: Mapped[float | None] = mapped_column(Float)
    expected_return_high: Mapped[float | None] = mapped_column(Float)
    subscription_fee: Mapped[float] = mapped_column(Float, default=0.0)
    management_fee: Mapped[float] = mapped_column(Float, default=0.0)
    redemption_fee: Mapped[float] = mapped_column(Float, default=0.0)
    issuer: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    on_sale: Mapped[bool] = mapped_column(default=True)

    @property
    def category_name(self) -> str:
        """The category's Chinese display name."""
        return CATEGORY_NAMES[self.category]

    def __repr__(self) -> str:
        return f"Product(code={self.code!r}, name={self.name!r}, risk_level={self.risk_level!r})"


class Holding(Base):
    __tablename__ = "holdings"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = _fk("clients.id", ondelete="CASCADE")
    product_id: Mapped[int] = _fk("products.id")
    units: Mapped[Decimal] = mapped_column(Units)
    cost: Mapped[Decimal] = mapped_column(Money)
    market_value: Mapped[Decimal] = mapped_column(Money)
    opened_on: Mapped[dt.date] = mapped_column(Date)
    maturity_date: Mapped[dt.date | None] = mapped_column(Date, index=True)

    client: Mapped[Client] = relationship(back_populates="holdings")
    product: Mapped[Product] = relationship()


class Transaction(Base):
    __tablename__ = "transactions"
    __table_args__ = (
        CheckConstraint(_in("kind", TRANSACTION_KINDS), name="kind"),
        Index("ix_transactions_client_date", "client_id", "trade_date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    product_id: Mapped[int] = _fk("products.id")
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Money)
    units: Mapped[Decimal | None] = mapped_column(Units)
    trade_date: Mapped[dt.date] = mapped_column(Date)


class NavPoint(Base):
    __tablename__ = "nav_points"
    __table_args__ = (
        UniqueConstraint("product_id", "date", name="uq_nav_points_product_date"),
        CheckConstraint("nav > 0", name="nav"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    nav: Mapped[Decimal] = mapped_column(Numeric(12, 4))


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        CheckConstraint(_in("kind", CONTACT_KINDS), name="kind"),
        Index("ix_contacts_advisor_happened", "advisor_id", "happened_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    advisor_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    client_id: Mapped[int] = _fk("clients.id", ondelete="CASCADE")
    kind: Mapped[str] = mapped_column(String(16))
    happened_at: Mapped[dt.datetime] = mapped_column(DateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str | None] = mapped_column(Text)
    next_step_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)


class Proposal(Base):
    __tablename__ = "proposals"
    __table_args__ = (CheckConstraint(_in("kind", PROPOSAL_KINDS), name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[int | None] = _fk("clients.id", nullable=True, ondelete="SET NULL")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    share_token: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ModelPortfolio(Base):
    __tablename__ = "model_portfolios"
    __table_args__ = (
        CheckConstraint(_in("risk_level", PRODUCT_RISK_LEVELS), name="risk_level"),
        UniqueConstraint("name", "version", name="uq_model_portfolios_name_version"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    risk_level: Mapped[str] = mapped_column(String(2))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    # 'model' (the house's, listed everywhere) or, made on demand by a push and listed nowhere, 'single' (one
    # product) or 'adhoc' (a mix the advisor named); services/push_products.py.
    kind: Mapped[str] = mapped_column(String(8), default="model", server_default="model")
    # A house portfolio is versioned by rows: an edit (services/portfolio_edits.py) adds the next version and
    # marks this one superseded, so a push keeps pointing at exactly the weights it pushed.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    superseded_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    change_note: Mapped[str] = mapped_column(Text, default="", server_default="")

    items: Mapped[list[ModelPortfolioItem]] = relationship(back_populates="portfolio", cascade="all, delete-orphan")


class ModelPortfolioItem(Base):
    __tablename__ = "model_portfolio_items"
    __table_args__ = (
        CheckConstraint("weight > 0 AND weight <= 1", name="weight"),
        UniqueConstraint("portfolio_id", "product_id", name="uq_model_portfolio_items_portfolio_product"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("model_portfolios.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    weight: Mapped[float] = mapped_column(Float)

    portfolio: Mapped[ModelPortfolio] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()


class HouseView(Base):
    """One version of the house view: strategic weights of growth money by client level (calc/house_view.py)."""

    __tablename__ = "house_views"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    weights: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"C1": {"cash": 0.3, "fixed": 0.7}, ...}
    change_note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class PortfolioPush(Base):
    __tablename__ = "portfolio_pushes"
    __table_args__ = (CheckConstraint(_in("status", PUSH_STATUSES), name="status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("model_portfolios.id"))
    advisor_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    client_id: Mapped[int] = _fk("clients.id", ondelete="CASCADE")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    task_id: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(_in("status", ORDER_STATUSES), name="status"),
        CheckConstraint("amount > 0", name="amount"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = _fk("clients.id", ondelete="CASCADE")
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    push_id: Mapped[int | None] = mapped_column(ForeignKey("portfolio_pushes.id"), nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # Settlement (services/settlement.py, rules in calc/settlement.py): pending → filled | failed (reason), and
    # an insurance order → cancelled within its cooling-off period (犹豫期).
    trade_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    confirm_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    nav: Mapped[Decimal | None] = mapped_column(Numeric(12, 4), nullable=True)
    fee: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    units: Mapped[Decimal | None] = mapped_column(Units, nullable=True)
    settled_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cooling_off_until: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    holding_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    transaction_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class UsageEvent(Base):
    __tablename__ = "usage_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    feature: Mapped[str] = mapped_column(String(64), index=True)
    happened_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class MeetingNote(Base):
    __tablename__ = "meeting_notes"
    __table_args__ = (CheckConstraint(_in("kind", MEETING_KINDS), name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    team_id: Mapped[int] = _fk("teams.id")
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)
    published_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class Identity(Base):
    """Links a WeCom userid (staff) or external userid (client) to exactly one record."""

    __tablename__ = "identities"
    __table_args__ = (
        CheckConstraint(_in("kind", ("staff", "client")), name="kind"),
        CheckConstraint(
            "(kind = 'staff' AND staff_id IS NOT NULL AND client_id IS NULL) OR "
            "(kind = 'client' AND client_id IS NOT NULL AND staff_id IS NULL)",
            name="target",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    wecom_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    staff_id: Mapped[int | None] = _fk("staff.id", nullable=True, ondelete="CASCADE")
    client_id: Mapped[int | None] = _fk("clients.id", nullable=True, ondelete="CASCADE")

    staff: Mapped[Staff | None] = relationship()
    client: Mapped[Client | None] = relationship()


class Notification(Base):
    """An outbox message for one person (a staff userid or a client's external userid): hand-offs, order notices,
    pushes and broadcasts. `sent_at` is set once WeCom accepted it; without WeCom it stays in the outbox."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_recipient_created", "recipient", "created_at"),
                      Index("ix_notifications_state_id", "state", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32), default="info")
    text: Mapped[str] = mapped_column(Text)
    card: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Delivery (see services/outbox.py): `path`+`payload` hold a final WeCom body (replies); otherwise the
    # sender builds it from text and card. state: pending | sent | held | awaiting_advisor | dead | dropped.
    path: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # 0 a reply or an order notice, 1 service (hand-offs, briefings, statements), 2 marketing
    priority: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    route: Mapped[str | None] = mapped_column(String(16), nullable=True)  # app | kf | mass
    source: Mapped[str | None] = mapped_column(String(160), nullable=True)  # the inbox message answered
    external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)  # WeCom's msgid / task id
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # of the message answered


class SignInLink(Base):
    """A one-time sign-in link the bot sent a client: it signs in as `sender_id` (the client's WeCom external
    userid when the link was made) and lands on `next_path`. Only the SHA-256 of the token is kept."""

    __tablename__ = "sign_in_links"
    __table_args__ = (CheckConstraint("expires_at > created_at", name="lifetime"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[int] = _fk("clients.id", ondelete="CASCADE")
    sender_id: Mapped[str] = mapped_column(String(64))
    next_path: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class InboxMessage(Base):
    """A message a WeCom callback accepted, stored before the 200 (the Rasa process writes it through
    wecom/inbox.py with plain SQL). `state`: pending until its turn completed (done), or failed for good."""

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("channel", "message_id", name="uq_inbox_channel_message_id"),
                      Index("ix_inbox_state_id", "state", "id"),
                      Index("ix_inbox_sender_received", "sender", "received_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # app | kf
    message_id: Mapped[str] = mapped_column(String(128))
    sender: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    busy_told_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(String(200), nullable=True)


class KfCursor(Base):
    """The 微信客服 sync cursor per kf account, saved once a page's messages are in the inbox."""

    __tablename__ = "kf_cursors"
    open_kfid: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[str] = mapped_column(String(256))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class IdempotencyKey(Base):
    """A write done once per (inbox message, action): a replayed turn finds it and writes nothing twice."""

    __tablename__ = "idempotency_keys"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class JobRun(Base):
    """One scheduled job's work for one recipient and period, done once: the unique key is what makes a restart,
    a catch-up or a second scheduler send nothing twice (services/scheduler.py)."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "recipient", "period", name="uq_job_runs_job_recipient_period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(64))
    done_at: Mapped[dt.datetime] = mapped_column(DateTime)
    notification_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class StaffPreference(Base):
    """A staff member's own choices about the jobs: the briefing's time, off, or paused for some days."""

    __tablename__ = "staff_preferences"
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    briefing_at: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "HH:MM"; None: the default
    briefing_off: Mapped[bool] = mapped_column(default=False, server_default="0")
    paused_from: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    paused_until: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Reminder(Base):
    """One line of a briefing: which client the advisor was reminded about and why, to measure whether they
    acted on it (a contact, proposal or push for that client within a few days)."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("advisor_id", "client_id", "kind", "day",
                                       name="uq_reminders_advisor_client_kind_day"),
                      Index("ix_reminders_advisor_day", "advisor_id", "day"))
    id: Mapped[int] = mapped_column(primary_key=True)
    advisor_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    day: Mapped[dt.date] = mapped_column(Date)


class ClientPreference(Base):
    """A client's own choices about what the jobs send them: no monthly statement (不要再给我发账单)."""

    __tablename__ = "client_preferences"
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True)
    statements_off: Mapped[bool] = mapped_column(default=False, server_default="0")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ClientStatement(Base):
    """A client's monthly 财富账单 as shown at `/statements/{token}`: display-ready, masked JSON frozen when the job
    made it, behind an unguessable expiring token (the rules of proposals' share tokens)."""

    __tablename__ = "client_statements"
    __table_args__ = (UniqueConstraint("client_id", "month", name="uq_client_statements_client_month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, the month the statement covers
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    share_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ClientTag(Base):
    """An advisor's own label on one of their clients (高潜, 待回访 …): seen only within the advisor's scope
    (services/tags.py), once per client, advisor and tag."""

    __tablename__ = "client_tags"
    __table_args__ = (UniqueConstraint("client_id", "advisor_id", "tag", name="uq_client_tags_client_advisor_tag"),
                      Index("ix_client_tags_advisor_tag", "advisor_id", "tag"))
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    advisor_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


REWARD_STATES = ("earned", "granted", "redeemed", "expired")


class RewardBenefit(Base):
    """One 成长权益 of the catalogue (services/rewards_catalogue.yml): what it gives, the calc/rewards rule that
    grants it (or its points cost), and how many days a granted one stays valid."""

    __tablename__ = "reward_benefits"
    __table_args__ = (CheckConstraint("valid_days > 0", name="valid_days"),
                      CheckConstraint("rule_code IS NOT NULL OR points_cost IS NOT NULL", name="how_earned"))
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    gives: Mapped[str] = mapped_column(String(200))
    rule_code: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)
    points_cost: Mapped[int | None] = mapped_column(Integer, nullable=True)
    valid_days: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(default=True, server_default="1")


class RewardEntry(Base):
    """A client's benefit in the ledger: earned (its benefit paused), granted until `expires_at`, redeemed or
    expired. Unique per client, rule and period, so granting is idempotent (services/rewards_ledger.py)."""

    __tablename__ = "reward_ledger"
    __table_args__ = (CheckConstraint(_in("state", REWARD_STATES), name="state"),
                      UniqueConstraint("client_id", "rule_code", "period", name="uq_reward_ledger_client_rule_period"),
                      Index("ix_reward_ledger_state_expires", "state", "expires_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = _fk("clients.id", ondelete="CASCADE")
    benefit_code: Mapped[str] = mapped_column(ForeignKey("reward_benefits.code"))
    rule_code: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200), default="")
    earned_at: Mapped[dt.datetime] = mapped_column(DateTime)
    granted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    redeemed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    notification_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
