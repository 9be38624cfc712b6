"""Portfolio pushes: an advisor sends a model portfolio to clients, each client confirms or declines once.

Suitability is checked per client when pushing and again when confirming: a valid (present, unexpired) risk
assessment at or above every item's product risk, and an amount that meets every item's minimum. A
confirmation creates the order set exactly once, however often it is delivered: the push moves from pending
to confirmed with a conditional UPDATE (only one caller can win it), and each order carries a unique
idempotency key per push and product, so even a replayed insert fails instead of doubling the orders.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bank.access import visible_client_ids
from bank.clients import find_clients
from bank.directory import Identity
from bank.masking import mask_name
from bank.models import STAFF_ROLES, Client, ModelPortfolio, ModelPortfolioItem, Order, PortfolioPush, Staff
from calc.money import fmt_yuan
from calc.risk import RISK_VALID_DAYS, assessment_expired, is_suitable, level_rank
from services.notify import notify
from services.prospects import UnknownProduct, portfolio_requirements

DEFAULT_TTL_DAYS = 7
MAX_CLIENTS = 100
CENT = Decimal("0.01")
TASK_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class PushNotFound(LookupError):
    """No push has this task id for this client (or the id is malformed): nothing is disclosed."""


class PushExpired(LookupError):
    """The push exists but its confirmation window has passed."""


@dataclass(frozen=True)
class PortfolioLine:
    """One item of a model portfolio with the amount it gets from a given total."""

    product_id: int
    code: str
    name: str
    risk_level: str
    weight: float
    min_amount: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Skipped:
    """A client the push was not sent to, with the reason in Chinese."""

    client_id: int | None
    name: str
    reason: str


@dataclass(frozen=True)
class Recipient:
    """A client who may receive the push."""

    client_id: int
    name: str
    risk_level: str
    external_userid: str | None


@dataclass(frozen=True)
class SentPush:
    """One push created for one client."""

    push_id: int
    task_id: str
    client_id: int
    client_name: str
    external_userid: str | None
    amount: Decimal
    expires_at: dt.datetime


@dataclass(frozen=True)
class PushPreview:
    """What a push would do: who is suitable, who is skipped and why (nothing is written)."""

    portfolio_id: int
    portfolio_name: str
    risk_level: str
    minimum: Decimal
    amount: Decimal
    suitable: list[Recipient] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True)
class PushResult:
    """The pushes created (one per suitable client) and the clients skipped with their reasons."""

    portfolio_id: int
    portfolio_name: str
    amount: Decimal
    sent: list[SentPush] = field(default_factory=list)
    skipped_with_reasons: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True)
class ConfirmResult:
    """The outcome of a confirmation.

    status: "confirmed" (orders exist; `created` tells whether this call created them), "declined",
    "expired" or "refused" (suitability or minimums failed now; `reason` says why, the push stays pending).
    """

    status: str
    push_id: int
    task_id: str
    portfolio_name: str
    client_id: int
    client_name: str
    advisor_userid: str
    amount: Decimal
    orders: list[PortfolioLine] = field(default_factory=list)
    created: bool = False
    reason: str = ""


def advisor_notice(result: ConfirmResult) -> tuple[str, str] | None:
    """What the advisor is told about a client's decision, as (kind, text); None when there is nothing new
    (a repeated press of a decided push).

    >>> r = ConfirmResult("declined", 1, "t", "稳健组合", 7, "王芳", "zhangmin", Decimal("0"), created=True)
    >>> advisor_notice(r)
    ('push_declined', '客户王芳暂不购买稳健组合。')
    >>> advisor_notice(ConfirmResult("confirmed", 1, "t", "稳健组合", 7, "王芳", "zhangmin", Decimal("0"))) is None
    True
    """
    if result.status == "refused":
        return "push_refused", f"客户{result.client_name}想确认{result.portfolio_name}，但{result.reason}，请联系客户处理。"
    if not result.created:
        return None
    if result.status == "confirmed":
        return "push_confirmed", (f"客户{result.client_name}确认了{result.portfolio_name}，已生成{len(result.orders)}笔订单，"
                                  f"合计{fmt_yuan(float(result.amount))}。")
    if result.status == "declined":
        return "push_declined", f"客户{result.client_name}暂不购买{result.portfolio_name}。"
    return None


#: A refusal (not suitable now, below a minimum) is told to the advisor once a day, however often it is pressed.
REFUSAL_NOTICE_EVERY = dt.timedelta(days=1)


@dataclass(frozen=True)
class PushView:
    """A push as its client sees it (web page and chat list); the client's name is masked."""

    push_id: int
    task_id: str
    status: str
    expired: bool
    portfolio_id: int
    portfolio_name: str
    risk_level: str
    description: str
    client_id: int
    client_name_masked: str
    advisor_name: str
    amount: Decimal
    lines: list[PortfolioLine]
    created_at: dt.datetime
    expires_at: dt.datetime
    decided_at: dt.datetime | None


def split_amount(total: Decimal, weights: Sequence[float]) -> list[Decimal]:
    """Split `total` by `weights` into cents; the rounding remainder goes to the largest weight, so the parts
    always add up to the total.

    >>> split_amount(Decimal("10000"), [0.3, 0.3, 0.25, 0.15])
    [Decimal('3000.00'), Decimal('3000.00'), Decimal('2500.00'), Decimal('1500.00')]
    >>> parts = split_amount(Decimal("100.00"), [1 / 3, 1 / 3, 1 / 3]); parts, sum(parts)
    ([Decimal('33.34'), Decimal('33.33'), Decimal('33.33')], Decimal('100.00'))
    """
    total = Decimal(total).quantize(CENT)
    parts = [(total * Decimal(str(w))).quantize(CENT, ROUND_DOWN) for w in weights]
    if parts:
        largest = max(range(len(parts)), key=lambda i: (weights[i], -i))
        parts[largest] += total - sum(parts)
    return parts


def default_amount(minimum: Decimal) -> Decimal:
    """The amount a push uses when the advisor names none: the portfolio minimum rounded up to whole thousands.

    >>> default_amount(Decimal("33333.34")), default_amount(Decimal("0"))
    (Decimal('34000'), Decimal('1000'))
    """
    thousands = (Decimal(minimum) / 1000).quantize(Decimal(1), ROUND_UP)
    return max(thousands, Decimal(1)) * 1000


def portfolio_lines(portfolio: ModelPortfolio, amount: Decimal) -> list[PortfolioLine]:
    """The portfolio's items (largest weight first) with the part of `amount` each one gets."""
    items = sorted(portfolio.items, key=lambda i: (-i.weight, i.product.code))
    parts = split_amount(amount, [i.weight for i in items])
    return [PortfolioLine(i.product_id, i.product.code, i.product.name, i.product.risk_level, i.weight,
                          Decimal(i.product.min_amount), part) for i, part in zip(items, parts, strict=True)]


def unsuitable_reason(client: Client, lines: Sequence[PortfolioLine], today: dt.date,
                      valid_days: int = RISK_VALID_DAYS) -> str | None:
    """Why `client` may not receive (or confirm) a portfolio split into `lines`, or None when they may.

    Checks, in order: an assessment exists, it is not expired, every product's risk is within the client's
    level, and every product's part meets its minimum amount.
    """
    if level_rank(client.risk_level) is None or client.risk_assessed_on is None:
        return "未做风险测评"
    if assessment_expired(client.risk_assessed_on, today, valid_days):
        return f"风险测评已过期（{client.risk_assessed_on:%Y-%m-%d}测评），需先重新测评"
    above = [line for line in lines if not is_suitable(str(client.risk_level), line.risk_level)]
    if above:
        worst = max(above, key=lambda line: level_rank(line.risk_level) or 0)
        return f"风险等级{client.risk_level}低于组合中“{worst.name}”的{worst.risk_level}"
    short = [line for line in lines if line.amount < line.min_amount]
    if short:
        return f"“{short[0].name}”分到{fmt_yuan(short[0].amount)}，低于起购额{fmt_yuan(short[0].min_amount)}"
    return None


def find_portfolio(session: Session, key: str | int) -> ModelPortfolio:
    """A model portfolio by id or exact name, with its items and products loaded; UnknownProduct otherwise."""
    query = select(ModelPortfolio).options(
        selectinload(ModelPortfolio.items).joinedload(ModelPortfolioItem.product))
    text = str(key).strip()
    query = query.where(ModelPortfolio.id == int(text)) if text.isdigit() else query.where(ModelPortfolio.name == text)
    portfolio = session.execute(query).scalar_one_or_none()
    if portfolio is None or not portfolio.items:
        raise UnknownProduct(f"portfolio: no model portfolio {key!r}")
    return portfolio


def portfolio_named_in(session: Session, text: str) -> ModelPortfolio | None:
    """The model portfolio a message names ("稳健组合", or just "稳健"), the longest name first."""
    names = session.execute(select(ModelPortfolio.id, ModelPortfolio.name)).all()
    for pid, name in sorted(names, key=lambda row: -len(row[1])):
        short = name.removesuffix("组合")
        if name in text or (len(short) >= 2 and short in text):
            return find_portfolio(session, pid)
    return None


def portfolio_names(session: Session) -> list[tuple[str, str]]:
    """(name, risk level) of every model portfolio, for a re-ask that lists the choices."""
    return [(n, r) for n, r in session.execute(
        select(ModelPortfolio.name, ModelPortfolio.risk_level).order_by(ModelPortfolio.id))]


def push_path(task_id: str) -> str:
    """The client's page for a push.

    >>> push_path("abc")
    '/pushes/abc'
    """
    return f"/pushes/{task_id}"


def names_in_text(session: Session, viewer: Identity, text: str) -> list[str]:
    """The viewer's client names that occur in `text`, in order, each with a phone tail when one follows
    ("张伟尾号1234"); longer names win over names they contain."""
    names = sorted(set(session.scalars(select(Client.name).where(Client.id.in_(visible_client_ids(viewer))))),
                   key=len, reverse=True)
    taken = [False] * len(text)
    found: list[tuple[int, str]] = []
    for name in names:
        for match in re.finditer(re.escape(name), text):
            span = range(match.start(), match.end())
            if any(taken[i] for i in span):
                continue
            for i in span:
                taken[i] = True
            tail = re.match(r"[（(]?(?:手机)?尾号?(\d{4})", text[match.end():])
            found.append((match.start(), name + (f"尾号{tail.group(1)}" if tail else "")))
    return [name for _, name in sorted(found)]


def resolve_names(session: Session, viewer: Identity, names: Sequence[str], today: dt.date
                  ) -> tuple[list[int], list[Skipped]]:
    """Client ids for the names an advisor typed, within their scope; a name may end in a phone tail
    ("张伟尾号1234") to pick one of several namesakes. Unknown and ambiguous names come back as skipped."""
    ids: list[int] = []
    skipped: list[Skipped] = []
    for raw in names:
        tail_match = re.search(r"(\d{4})$", raw)
        name = re.sub(r"[（(]?(尾号|手机尾号)?\d{4}[)）]?$", "", raw).strip()
        matches = [m for m in find_clients(session, viewer, name, today) if m.exact] if name else []
        if tail_match:
            matches = [m for m in matches if m.phone_tail.endswith(tail_match.group(1))]
        if len(matches) == 1:
            ids.append(matches[0].id)
        elif not matches:
            skipped.append(Skipped(None, name or raw, "没有找到这位客户"))
        else:
            tails = "、".join(m.phone_tail for m in matches[:5])
            skipped.append(Skipped(None, name, f"有{len(matches)}位同名客户（{tails}），请在名字后加手机尾号，"
                                               f"如“{name}{matches[0].phone_tail}”"))
    return list(dict.fromkeys(ids)), skipped


def _clients(session: Session, viewer: Identity, client_ids: Sequence[int]) -> dict[int, Client]:
    ids = list(dict.fromkeys(int(c) for c in client_ids))
    rows = session.execute(select(Client).where(Client.id.in_(ids), Client.id.in_(visible_client_ids(viewer))))
    return {c.id: c for c in rows.scalars()}


def preview_push(session: Session, advisor: Identity, portfolio_id: int | str, client_ids: Sequence[int],
                 amount_per_client: Decimal | None, now: dt.datetime,
                 valid_days: int = RISK_VALID_DAYS) -> PushPreview:
    """Check each client for the push without writing anything: suitable recipients and skipped clients.

    A client outside the advisor's scope (or unknown) is skipped as "未找到" without naming them. A client with
    a pending push of the same portfolio is skipped too, so nobody gets the same card twice.
    """
    if advisor.role not in STAFF_ROLES or advisor.staff_id is None:
        raise PermissionError("only advisors and managers push portfolios")
    portfolio = find_portfolio(session, portfolio_id)
    highest, minimum = portfolio_requirements(portfolio)
    amount = Decimal(amount_per_client).quantize(CENT) if amount_per_client is not None else default_amount(minimum)
    lines = portfolio_lines(portfolio, amount)
    found = _clients(session, advisor, client_ids[:MAX_CLIENTS])
    pending = set(session.scalars(select(PortfolioPush.client_id).where(
        PortfolioPush.portfolio_id == portfolio.id, PortfolioPush.status == "pending",
        PortfolioPush.expires_at >= now, PortfolioPush.client_id.in_(list(found)))))
    suitable: list[Recipient] = []
    skipped: list[Skipped] = []
    for cid in dict.fromkeys(int(c) for c in client_ids[:MAX_CLIENTS]):
        client = found.get(cid)
        if client is None:
            skipped.append(Skipped(None, "（未找到的客户）", "不在您的客户名单中"))
            continue
        reason = unsuitable_reason(client, lines, now.date(), valid_days)
        if reason is None and cid in pending:
            reason = "已推送过这个组合，正在等客户确认"
        if reason is None and not client.wecom_external_userid:
            reason = "未绑定微信，无法接收推送"
        if reason:
            skipped.append(Skipped(cid, client.name, reason))
        else:
            suitable.append(Recipient(cid, client.name, str(client.risk_level), client.wecom_external_userid))
    return PushPreview(portfolio.id, portfolio.name, highest, minimum, amount, suitable, skipped)


def push_portfolio(session: Session, advisor: Identity, portfolio_id: int | str, client_ids: Sequence[int],
                   amount_per_client: Decimal | None, now: dt.datetime, ttl_days: int = DEFAULT_TTL_DAYS,
                   valid_days: int = RISK_VALID_DAYS) -> PushResult:
    """Create one pending push (with an unguessable task id) per suitable client; the others are skipped.

    The caller sends each client the card for their task id and commits.
    """
    if ttl_days <= 0:
        raise ValueError("ttl_days: must be positive")
    preview = preview_push(session, advisor, portfolio_id, client_ids, amount_per_client, now, valid_days)
    assert advisor.staff_id is not None
    expires = now + dt.timedelta(days=ttl_days)
    sent: list[SentPush] = []
    for recipient in preview.suitable:
        push = PortfolioPush(portfolio_id=preview.portfolio_id, advisor_id=advisor.staff_id,
                             client_id=recipient.client_id, status="pending", expires_at=expires,
                             task_id=secrets.token_urlsafe(24), created_at=now, amount=preview.amount)
        session.add(push)
        session.flush()
        sent.append(SentPush(push.id, push.task_id, recipient.client_id, recipient.name, recipient.external_userid,
                             preview.amount, expires))
    return PushResult(preview.portfolio_id, preview.portfolio_name, preview.amount, sent, preview.skipped)


def _load(session: Session, task_id: str) -> PortfolioPush | None:
    if not isinstance(task_id, str) or not TASK_ID_PATTERN.match(task_id):
        return None
    return session.execute(select(PortfolioPush).where(PortfolioPush.task_id == task_id)).scalar_one_or_none()


def _push_amount(push: PortfolioPush, portfolio: ModelPortfolio) -> Decimal:
    return Decimal(push.amount) if push.amount is not None else default_amount(portfolio_requirements(portfolio)[1])


def _result(session: Session, push: PortfolioPush, status: str, *, created: bool = False,
            reason: str = "") -> ConfirmResult:
    portfolio = find_portfolio(session, push.portfolio_id)
    client = session.get(Client, push.client_id)
    advisor = session.get(Staff, push.advisor_id)
    assert client is not None and advisor is not None
    orders: list[PortfolioLine] = []
    if status == "confirmed":
        by_product = {i.product_id: i for i in portfolio.items}
        for order in session.scalars(select(Order).where(Order.push_id == push.id).order_by(Order.id)):
            item = by_product.get(order.product_id)
            product = item.product if item else None
            orders.append(PortfolioLine(order.product_id, product.code if product else "", product.name if product
                                        else "", product.risk_level if product else "", item.weight if item else 0.0,
                                        Decimal(product.min_amount) if product else Decimal(0), Decimal(order.amount)))
    return ConfirmResult(status, push.id, push.task_id, portfolio.name, client.id, client.name, advisor.wecom_userid,
                         _push_amount(push, portfolio), orders, created, reason)


def _expire(session: Session, push: PortfolioPush, now: dt.datetime) -> None:
    session.execute(update(PortfolioPush).where(PortfolioPush.id == push.id, PortfolioPush.status == "pending")
                    .values(status="expired", decided_at=now))
    session.refresh(push)


def confirm_push(session: Session, task_id: str, client: int | Identity, now: dt.datetime,
                 valid_days: int = RISK_VALID_DAYS) -> ConfirmResult:
    """Confirm the push `task_id` for `client` (id or identity): create its orders exactly once.

    Raises PushNotFound for an unknown task id or another client's push. Repeated or concurrent calls all
    return status "confirmed" with the same orders; only the first has `created` True. Suitability and the
    minimum amounts are checked again now ("refused" with a reason, the push stays pending); an expired push
    is marked expired ("expired").
    """
    client_id = client.client_id if isinstance(client, Identity) else client
    push = _load(session, task_id)
    if push is None or client_id is None or push.client_id != client_id:
        raise PushNotFound(task_id)
    if push.status != "pending":
        return _result(session, push, push.status)
    if now > push.expires_at:
        _expire(session, push, now)
        return _result(session, push, push.status)
    portfolio = find_portfolio(session, push.portfolio_id)
    lines = portfolio_lines(portfolio, _push_amount(push, portfolio))
    row = session.get(Client, push.client_id)
    assert row is not None
    reason = unsuitable_reason(row, lines, now.date(), valid_days)
    if reason is not None:
        return _result(session, push, "refused", reason=reason)
    won = session.execute(
        update(PortfolioPush).where(PortfolioPush.id == push.id, PortfolioPush.status == "pending",
                                    PortfolioPush.expires_at >= now)
        .values(status="confirmed", decided_at=now)
    ).rowcount == 1
    if not won:  # another delivery decided it first (or it just expired)
        session.refresh(push)
        if push.status == "pending":
            _expire(session, push, now)
        return _result(session, push, push.status)
    try:
        session.add_all(Order(client_id=push.client_id, product_id=line.product_id, amount=line.amount,
                              status="pending", push_id=push.id, idempotency_key=f"push:{push.id}:{line.product_id}",
                              created_at=now) for line in lines)
        session.flush()
    except IntegrityError:  # the order set already exists: report it, create nothing
        session.rollback()
        push = _load(session, task_id)
        assert push is not None
        return _result(session, push, push.status)
    session.refresh(push)
    return _result(session, push, "confirmed", created=True)


def decline_push(session: Session, task_id: str, client: int | Identity, now: dt.datetime) -> ConfirmResult:
    """Decline the push `task_id` for `client`; a push already decided keeps its status (returned as is)."""
    client_id = client.client_id if isinstance(client, Identity) else client
    push = _load(session, task_id)
    if push is None or client_id is None or push.client_id != client_id:
        raise PushNotFound(task_id)
    if push.status == "pending" and now > push.expires_at:
        _expire(session, push, now)
        return _result(session, push, push.status)
    changed = session.execute(update(PortfolioPush).where(PortfolioPush.id == push.id,
                                                          PortfolioPush.status == "pending")
                              .values(status="declined", decided_at=now)).rowcount == 1
    session.refresh(push)
    return _result(session, push, push.status, created=changed)


def push_outcome(session: Session, task_id: str) -> ConfirmResult:
    """The push's current state with its orders, changing nothing; PushNotFound for an unknown id."""
    push = _load(session, task_id)
    if push is None:
        raise PushNotFound(task_id)
    return _result(session, push, push.status)


def view_push(session: Session, task_id: str, now: dt.datetime) -> PushView:
    """The push for its client's page; PushNotFound for an unknown id, PushExpired for a pending push past its
    deadline (a decided push stays viewable)."""
    push = _load(session, task_id)
    if push is None:
        raise PushNotFound(task_id)
    expired = push.status == "expired" or (push.status == "pending" and now > push.expires_at)
    if expired:
        raise PushExpired(task_id)
    return _view(session, push, now)


def _view(session: Session, push: PortfolioPush, now: dt.datetime) -> PushView:
    portfolio = find_portfolio(session, push.portfolio_id)
    client = session.get(Client, push.client_id)
    advisor = session.get(Staff, push.advisor_id)
    assert client is not None and advisor is not None
    amount = _push_amount(push, portfolio)
    expired = push.status == "expired" or (push.status == "pending" and now > push.expires_at)
    return PushView(push.id, push.task_id, push.status, expired, portfolio.id, portfolio.name,
                    portfolio_requirements(portfolio)[0], portfolio.description, client.id, mask_name(client.name),
                    advisor.name, amount, portfolio_lines(portfolio, amount), push.created_at, push.expires_at,
                    push.decided_at)


def pending_pushes(session: Session, client_id: int, now: dt.datetime) -> list[PushView]:
    """The client's pushes still waiting for an answer (not expired), newest first."""
    rows = session.scalars(select(PortfolioPush).where(
        PortfolioPush.client_id == client_id, PortfolioPush.status == "pending", PortfolioPush.expires_at >= now)
        .order_by(PortfolioPush.created_at.desc(), PortfolioPush.id.desc()))
    return [_view(session, push, now) for push in rows]


def tell_advisor(result: ConfirmResult) -> None:
    """Tell the advisor what the client decided (once; a refusal at most once a day). Chat and web alike."""
    if notice := advisor_notice(result):
        kind, text = notice
        notify(result.advisor_userid, text, kind=kind,
               once_per=REFUSAL_NOTICE_EVERY if result.status == "refused" else None)
