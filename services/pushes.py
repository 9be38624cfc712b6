"""Portfolio pushes: an advisor sends a model portfolio, one product (insurance too) or a mix of products they name
(services/push_products.py) to clients, each client confirms or declines once.

Suitability is checked per client when pushing and again when confirming: a valid (present, unexpired) risk
assessment at or above every item's product risk, and an amount that meets every item's minimum. A
confirmation creates the order set exactly once, however often it is delivered: the push moves from pending
to confirmed with a conditional UPDATE (only one caller can win it), and each order carries a unique
idempotency key per push and product, so even a replayed insert fails instead of doubling the orders.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.access import visible_client_ids
from bank.clients import find_clients
from bank.directory import Identity
from bank.idempotency import recall, remember
from bank.masking import mask_name
from bank.models import STAFF_ROLES, Client, ModelPortfolio, PortfolioPush, Staff
from calc.money import fmt_yuan
from calc.risk import RISK_VALID_DAYS, assessment_expired, is_suitable, level_rank
from lexicon.names import names_listed, split_phone_tail, without_phone_tails
from lexicon.numbers import amount_beyond_bounds, parse_amount
from services.client_groups import narrowing_group
from services.order_caps import order_cap_reason
from services.portfolios import (
    CENT,
    PortfolioLine,
    default_amount,
    find_portfolio,
    portfolio_lines,
    portfolio_named_in,
)
from services.prospects import portfolio_requirements
from services.push_products import (
    SharesProblem,
    cooling_off_note,
    product_portfolio,
    products_named,
    read_shares,
    weights_for,
    without_spans,
)
from services.settings import get_settings
from services.sign_in import NotLinkable, client_link

DEFAULT_TTL_DAYS = 7
MAX_CLIENTS = 100
TASK_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class PushNotFound(LookupError):
    """No push has this task id for this client (or the id is malformed): nothing is disclosed."""


class PushExpired(LookupError):
    """The push exists but its confirmation window has passed."""


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
    kind: str = "model"  # ModelPortfolio.kind: 'model', 'single' (one product) or 'adhoc' (a named mix)
    cooling_off: str = ""  # the 犹豫期 sentence when the push holds insurance (services.push_products)


@dataclass(frozen=True)
class PushResult:
    """The pushes created (one per suitable client) and the clients skipped with their reasons."""

    portfolio_id: int
    portfolio_name: str
    amount: Decimal
    sent: list[SentPush] = field(default_factory=list)
    skipped_with_reasons: list[Skipped] = field(default_factory=list)
    replayed: bool = False  # the result of an earlier call with the same request key: nothing new was created


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
        within = "组合中" if len(lines) > 1 else ""
        return f"风险等级{client.risk_level}低于{within}“{worst.name}”的{worst.risk_level}"
    short = [line for line in lines if line.amount < line.min_amount]
    if short:
        return f"“{short[0].name}”分到{fmt_yuan(short[0].amount)}，低于起购额{fmt_yuan(short[0].min_amount)}"
    return None


def push_path(task_id: str) -> str:
    """The client's page for a push.

    >>> push_path("abc")
    '/pushes/abc'
    """
    return f"/pushes/{task_id}"


def names_in_text(session: Session, viewer: Identity, text: str) -> list[str]:
    """The viewer's client names that occur in `text`, in order, each with a phone tail when one follows
    ("张伟尾号1234"); longer names win over names they contain."""
    return names_listed(text, session.scalars(
        select(Client.name).where(Client.id.in_(visible_client_ids(viewer)))))


def resolve_names(session: Session, viewer: Identity, names: Sequence[str], today: dt.date
                  ) -> tuple[list[int], list[Skipped]]:
    """Client ids for the names an advisor typed, within their scope; a name may end in a phone tail
    ("张伟尾号1234") to pick one of several namesakes. Unknown and ambiguous names come back as skipped."""
    ids: list[int] = []
    skipped: list[Skipped] = []
    for raw in names:
        name, tail = split_phone_tail(raw)
        matches = [m for m in find_clients(session, viewer, name, today) if m.exact] if name else []
        if tail:
            matches = [m for m in matches if m.phone_tail.endswith(tail)]
        if len(matches) == 1:
            ids.append(matches[0].id)
        elif not matches:
            skipped.append(Skipped(None, name or raw, "没有找到这位客户"))
        else:
            tails = "、".join(m.phone_tail for m in matches[:5])
            skipped.append(Skipped(None, name, f"有{len(matches)}位同名客户（{tails}），请在名字后加手机尾号，"
                                               f"如“{name}{matches[0].phone_tail}”"))
    return list(dict.fromkeys(ids)), skipped


@dataclass(frozen=True)
class PushDraft:
    """The preview an advisor's push message asks for, or what it still lacks.

    missing: None (the preview is ready; names nobody could resolve are among its skipped), "portfolio",
    "clients", "readable_amount" (an amount no one could mean, e.g. 27 digits), or "amount" (below the
    portfolio's minimum, which `preview` carries).
    """

    missing: str | None
    preview: PushPreview | None = None
    problem: str = ""  # missing "shares": what is wrong with the shares named, in Chinese


def draft_push(session: Session, advisor: Identity, text: str, now: dt.datetime, *,
               remembered_portfolio: object = None, entity_names: Sequence[str] = (),
               shown_client_ids: Sequence[int] = ()) -> PushDraft:
    """Read a push request ("把稳健组合推给张伟、王芳，每人5万") and preview it, writing nothing.

    The portfolio is the model portfolio the text names, else the products it names ("把稳健添利90天推给张伟",
    "远航纯债和天天利各一半": a single-product or ad-hoc portfolio, equal shares unless the text gives them; bad
    shares give missing "shares" with the problem), else `remembered_portfolio`; the clients are the names in
    the text and the `person` entities, else a segment or tag the text calls a group ("推给我的金卡客户"), else (for
    "推给他们") the prospect list just shown. Raises
    UnknownProduct or ValueError for a stale remembered portfolio.
    """
    named = portfolio_named_in(session, text)
    products = products_named(session, text)
    if named and (named.name in text or not any(named.name.removesuffix("组合") in p.name for p in products)):
        products = []  # "稳健组合" / "稳健" names the model portfolio, "稳健添利90天" a product
    shares = read_shares(text)
    if products:
        try:
            key: object = product_portfolio(session, products, weights_for(len(products), shares),
                                            advisor.staff_id).id
        except SharesProblem as problem:
            return PushDraft("shares", problem=str(problem))
        text = without_spans(text, shares.spans)
        for product in products:  # "福寿定期寿险20年": a name's digits are no amount
            text = text.replace(product.name, "，" * len(product.name))
    else:
        key = named.id if named else remembered_portfolio
    if key is None:
        return PushDraft("portfolio")
    portfolio_id = find_portfolio(session, str(int(float(str(key))))).id
    names = names_in_text(session, advisor, text)
    names += [p for p in entity_names if p and not any(n.startswith(p) for n in names)]
    client_ids, unknown = resolve_names(session, advisor, names, now.date())
    if not names:  # "推给他们": the list just shown; "推给我的金卡客户": a segment's or tag's clients
        group = narrowing_group(session, advisor, text, now.date())
        client_ids = group.client_ids if group is not None else list(shown_client_ids)
    if not client_ids and not unknown:
        return PushDraft("clients")
    amount = parse_amount(without_phone_tails(text))
    if amount is None and amount_beyond_bounds(without_phone_tails(text)):
        return PushDraft("readable_amount")  # "每人999…元": asked again, never replaced by the default
    preview = preview_push(session, advisor, portfolio_id, client_ids, amount, now)
    if amount is not None and amount < preview.minimum:
        return PushDraft("amount", preview)
    return PushDraft(None, dataclasses.replace(preview, skipped=[*unknown, *preview.skipped]))


def send_push(session: Session, advisor: Identity, portfolio_id: int | str, client_ids: Sequence[int],
              amount_per_client: Decimal | None, now: dt.datetime,
              request_key: str | None = None) -> tuple[PushResult, list[PushView]]:
    """Create the pushes (checked again, see push_portfolio) and the view each recipient's card shows, with
    the client's one-time sign-in link to the push page (`PushView.link`)."""
    result = push_portfolio(session, advisor, portfolio_id, client_ids, amount_per_client, now,
                            request_key=request_key)
    return result, with_sign_in_links(session, [view_push(session, sent.task_id, now) for sent in result.sent], now)


def _clients(session: Session, viewer: Identity, client_ids: Sequence[int]) -> dict[int, Client]:
    ids = list(dict.fromkeys(int(c) for c in client_ids))
    rows = session.execute(select(Client).where(Client.id.in_(ids), Client.id.in_(visible_client_ids(viewer))))
    return {c.id: c for c in rows.scalars()}


def preview_push(session: Session, advisor: Identity, portfolio_id: int | str, client_ids: Sequence[int],
                 amount_per_client: Decimal | None, now: dt.datetime,
                 valid_days: int = RISK_VALID_DAYS) -> PushPreview:
    """Check each client for the push without writing anything: suitable recipients and skipped clients.

    A client outside the advisor's scope (or unknown) is skipped as "未找到" without naming them. A client with
    a pending push of the same portfolio (any version of it) is skipped too, so nobody gets the same card twice, and so is one for
    whom the amount breaks an order cap (services/order_caps.py: per order, against investable assets).
    """
    if advisor.role not in STAFF_ROLES or advisor.staff_id is None:
        raise PermissionError("only advisors and managers push portfolios")
    portfolio = find_portfolio(session, portfolio_id)
    highest, minimum = portfolio_requirements(portfolio)
    amount = Decimal(amount_per_client).quantize(CENT) if amount_per_client is not None else default_amount(minimum)
    lines = portfolio_lines(portfolio, amount)
    found = _clients(session, advisor, client_ids[:MAX_CLIENTS])
    caps = get_settings()
    pending = set(session.scalars(select(PortfolioPush.client_id).join(
        ModelPortfolio, ModelPortfolio.id == PortfolioPush.portfolio_id).where(  # any version of it
        ModelPortfolio.name == portfolio.name, ModelPortfolio.kind == portfolio.kind,
        PortfolioPush.status == "pending", PortfolioPush.expires_at >= now,
        PortfolioPush.client_id.in_(list(found)))))
    suitable: list[Recipient] = []
    skipped: list[Skipped] = []
    for cid in dict.fromkeys(int(c) for c in client_ids[:MAX_CLIENTS]):
        client = found.get(cid)
        if client is None:
            skipped.append(Skipped(None, "（未找到的客户）", "不在您的客户名单中"))
            continue
        reason = unsuitable_reason(client, lines, now.date(), valid_days)
        if reason is None:
            reason = order_cap_reason(session, client, amount, caps.order_max_amount, caps.order_max_share_of_assets)
        if reason is None and cid in pending:
            reason = f"已推送过这个{'产品' if portfolio.kind == 'single' else '组合'}，正在等客户确认"
        if reason is None and not client.wecom_external_userid:
            reason = "未绑定微信，无法接收推送"
        if reason:
            skipped.append(Skipped(cid, client.name, reason))
        else:
            suitable.append(Recipient(cid, client.name, str(client.risk_level), client.wecom_external_userid))
    return PushPreview(portfolio.id, portfolio.name, highest, minimum, amount, suitable, skipped, portfolio.kind,
                       cooling_off_note(lines))


def push_portfolio(session: Session, advisor: Identity, portfolio_id: int | str, client_ids: Sequence[int],
                   amount_per_client: Decimal | None, now: dt.datetime, ttl_days: int = DEFAULT_TTL_DAYS,
                   valid_days: int = RISK_VALID_DAYS, request_key: str | None = None) -> PushResult:
    """Create one pending push (with an unguessable task id) per suitable client; the others are skipped.

    The caller sends each client the card for their task id and commits. With `request_key`
    (bank/idempotency.py), a second call with the same key creates nothing and returns the first result.
    """
    if ttl_days <= 0:
        raise ValueError("ttl_days: must be positive")
    earlier = recall(session, request_key)
    if earlier is not None:
        return _earlier_result(session, earlier)
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
    remember(session, request_key, {
        "portfolio_id": preview.portfolio_id, "portfolio_name": preview.portfolio_name, "amount": str(preview.amount),
        "sent": [[s.push_id, s.client_name] for s in sent],
        "skipped": [[k.client_id, k.name, k.reason] for k in preview.skipped]}, now)
    return PushResult(preview.portfolio_id, preview.portfolio_name, preview.amount, sent, preview.skipped)


def _earlier_result(session: Session, earlier: dict[str, Any]) -> PushResult:
    """The result an earlier call with the same request key returned, rebuilt from its pushes."""
    sent = []
    for push_id, name in earlier["sent"]:
        push = session.get(PortfolioPush, push_id)
        client = session.get(Client, push.client_id) if push is not None else None
        if push is not None and client is not None:
            sent.append(SentPush(push.id, push.task_id, push.client_id, name, client.wecom_external_userid,
                                 Decimal(push.amount) if push.amount is not None else Decimal(earlier["amount"]),
                                 push.expires_at))
    skipped = [Skipped(cid, name, reason) for cid, name, reason in earlier["skipped"]]
    return PushResult(int(earlier["portfolio_id"]), str(earlier["portfolio_name"]), Decimal(earlier["amount"]),
                      sent, skipped, replayed=True)


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
    link: str | None = None
    """A one-time sign-in link to this page for the client (on cards and chat lists, see
    `with_sign_in_links`); None on the page itself."""
    kind: str = "model"
    cooling_off: str = ""
    version: int = 1
    """The model portfolio's version this push carries (services/portfolio_edits.py): its weights are kept."""


def with_sign_in_links(session: Session, views: Sequence[PushView], now: dt.datetime) -> list[PushView]:
    """The views, each with a fresh sign-in link for its client that lands on the push page (services.sign_in:
    15 minutes, one use). The links are stored in `session`; the caller commits them with the message. A client
    the directory has no WeCom identity for gets no link (`link` stays None: the page without sign-in)."""
    linked: list[PushView] = []
    for view in views:
        try:
            link: str | None = client_link(session, view.client_id, push_path(view.task_id), now)
        except NotLinkable:
            link = None
        linked.append(dataclasses.replace(view, link=link))
    return linked


def load_push(session: Session, task_id: str) -> PortfolioPush | None:
    if not isinstance(task_id, str) or not TASK_ID_PATTERN.match(task_id):
        return None
    return session.execute(select(PortfolioPush).where(PortfolioPush.task_id == task_id)).scalar_one_or_none()


def push_amount(push: PortfolioPush, portfolio: ModelPortfolio) -> Decimal:
    return Decimal(push.amount) if push.amount is not None else default_amount(portfolio_requirements(portfolio)[1])


def view_push(session: Session, task_id: str, now: dt.datetime) -> PushView:
    """The push for its client's page; PushNotFound for an unknown id, PushExpired for a pending push past its
    deadline (a decided push stays viewable)."""
    push = load_push(session, task_id)
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
    amount = push_amount(push, portfolio)
    lines = portfolio_lines(portfolio, amount)
    expired = push.status == "expired" or (push.status == "pending" and now > push.expires_at)
    return PushView(push.id, push.task_id, push.status, expired, portfolio.id, portfolio.name,
                    portfolio_requirements(portfolio)[0], portfolio.description, client.id, mask_name(client.name),
                    advisor.name, amount, lines, push.created_at, push.expires_at, push.decided_at,
                    kind=portfolio.kind, cooling_off=cooling_off_note(lines), version=portfolio.version)


def pending_pushes(session: Session, client_id: int, now: dt.datetime) -> list[PushView]:
    """The client's pushes still waiting for an answer (not expired), newest first."""
    rows = session.scalars(select(PortfolioPush).where(
        PortfolioPush.client_id == client_id, PortfolioPush.status == "pending", PortfolioPush.expires_at >= now)
        .order_by(PortfolioPush.created_at.desc(), PortfolioPush.id.desc()))
    return [_view(session, push, now) for push in rows]
