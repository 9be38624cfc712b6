"""What an advisor can share with a client, and the message each makes: a proposal (by share token), a portfolio
push (by task id) or a knowledge item (by doc_id). Each is loaded and checked for the client it goes to, and comes
back with the products it offers, so services/sharing.py can run the one suitability check over all of them.

Nothing is written here: a push's sign-in link is made by the caller once every check has passed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.directory import Identity
from bank.models import Client, Product
from bank.proposals import ProposalExpired, ProposalNotFound, find_proposal
from calc.money import fmt_yuan
from calc.risk import level_rank
from services.backtests import portfolio_path
from services.links import public_url
from services.portfolios import PortfolioLine, find_portfolio, portfolio_lines
from services.proposals import proposal_card
from services.push_products import kind_title
from services.pushes import PushExpired, PushNotFound, load_push, push_amount, push_path, view_push

ITEM_KINDS = ("proposal", "push", "knowledge")
ITEM_NAMES = {"proposal": "建议书", "push": "组合推荐", "knowledge": "资讯"}
SUMMARY_CHARS = 60
SHEET_SOURCE = "bank:product/"  # where a product fact sheet (services/product_sheets.py) comes from
CLIENT_AUDIENCES = ("client", "all")  # knowledge a client may read (never advisor-only material)
NOT_ADVICE = "仅供参考，不构成投资建议。"


class ShareRefused(Exception):
    """The item may not be shared with this client; `code` for callers to map, `reason` in Chinese for people.

    Codes: not_staff, not_your_client, unknown_client, ambiguous_client, no_wechat, bad_item, not_found, expired,
    other_client, internal_only, unsuitable, unavailable.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class SharedItem:
    """An item to share: `kind` is proposal, push or knowledge; `ref` its share token, task id or doc_id."""

    kind: str
    ref: str

    def __post_init__(self) -> None:
        if self.kind not in ITEM_KINDS:
            raise ShareRefused("bad_item", f"不支持发送这类内容（只能发送{'、'.join(ITEM_NAMES.values())}）")
        if not isinstance(self.ref, str) or not self.ref.strip() or len(self.ref) > 200:
            raise ShareRefused("bad_item", f"没有指明要发送的{ITEM_NAMES[self.kind]}")

    @property
    def key(self) -> str:
        """A stable key for "the same item" (stored on the outgoing card)."""
        return f"{self.kind}:{self.ref}"


@dataclass(frozen=True)
class Outgoing:
    """The message an item makes for one client, before any check of the client's suitability.

    `products` are what it offers (checked against the client's risk level); `sign_in_path` is set when the card
    must open a page as the client (their one-time sign-in link, made by the caller).
    """

    label: str
    text: str
    card: dict[str, Any] | None
    products: list[PortfolioLine] = field(default_factory=list)
    priority: int = 1
    sign_in_path: str | None = None


def _offered(products: Iterable[Product]) -> list[PortfolioLine]:
    """Products an item offers, as lines the suitability rule reads. Nothing is bought by sharing, so the line's
    amount and minimum are zero (the rule's minimum-amount part always holds)."""
    return [PortfolioLine(p.id, p.code, p.name, p.risk_level, 0.0, Decimal("0"), Decimal("0"), p.category)
            for p in products]


def _catalogue(session: Session, codes: list[str]) -> list[Product]:
    """The products with these codes, as the catalogue has them now (its risk level, not a stored copy's)."""
    if not codes:
        return []
    return list(session.scalars(select(Product).where(Product.code.in_(codes)).order_by(Product.code)))


def _stored_level(level: object) -> str:
    """A stored product risk level, or the highest (R5) when it is missing or malformed: never assume less risk.

    >>> _stored_level("r2"), _stored_level(None), _stored_level("C3")
    ('R2', 'R5', 'R5')
    """
    text = str(level or "").strip().upper()
    return text if text.startswith("R") and level_rank(text) is not None else "R5"


def _listed(session: Session, products: Iterable[Any]) -> list[PortfolioLine]:
    """The products a stored payload lists: the catalogue's row when it still has the code, else the stored copy
    (so a product gone from the catalogue is still checked at the level it was offered at)."""
    stored = [p for p in products if isinstance(p, dict) and (p.get("code") or p.get("risk_level"))]
    found = _catalogue(session, [str(p["code"]) for p in stored if p.get("code")])
    known = {product.code for product in found}
    gone = [PortfolioLine(0, str(p.get("code") or ""), str(p.get("name") or p.get("code") or "产品"),
                          _stored_level(p.get("risk_level")), 0.0, Decimal("0"), Decimal("0"))
            for p in stored if str(p.get("code") or "") not in known]
    return _offered(found) + gone


def _day(moment: dt.datetime) -> str:
    """A short date for a message.

    >>> _day(dt.datetime(2026, 12, 28, 9, 0))
    '12月28日'
    """
    return f"{moment.month}月{moment.day}日"


def proposal_outgoing(session: Session, advisor: Identity, client: Client, token: str,
                      now: dt.datetime) -> Outgoing:
    """A proposal for `client`: it must be theirs or generic (made for nobody) and its link not expired
    (bank/proposals.py keeps the validity period)."""
    try:
        proposal = find_proposal(session, token, now)
    except ProposalExpired:
        raise ShareRefused("expired", "这份建议书的链接已过期，请重新生成后再发送") from None
    except ProposalNotFound:
        raise ShareRefused("not_found", "没有找到这份建议书") from None
    if proposal.client_id is not None and proposal.client_id != client.id:
        raise ShareRefused("other_client", f"这份建议书是为其他客户做的，不能发给{client.name}")
    payload = proposal.payload if isinstance(proposal.payload, dict) else {}
    title = str(payload.get("title") or "建议书")
    text = f"您好，我是您的理财经理{advisor.name}。给您发一份《{title}》，请点开查看，{_day(proposal.expires_at)}前有效。"
    card = proposal_card(title, f"{_day(proposal.expires_at)}前有效", proposal.share_token)
    return Outgoing(f"建议书《{title}》", text, card, _listed(session, payload.get("products") or []),
                    priority=1)


def push_outgoing(session: Session, advisor: Identity, client: Client, task_id: str, now: dt.datetime) -> Outgoing:
    """A portfolio push: one made to `client` opens its push page (as the client, to confirm or decline); one the
    advisor made for another client opens the model portfolio's page instead, so nobody else's push is shown.
    Any other push is not found (nothing is disclosed)."""
    push = load_push(session, task_id)
    if push is None or (push.client_id != client.id and push.advisor_id != advisor.staff_id):
        raise ShareRefused("not_found", "没有找到这条组合推荐")
    portfolio = find_portfolio(session, push.portfolio_id)
    if push.client_id == client.id:
        try:
            view = view_push(session, task_id, now)
        except (PushExpired, PushNotFound):
            raise ShareRefused("expired", "这条组合推荐已过期，请重新推送") from None
        title = f"{kind_title(view.kind, view.cooling_off)}：{view.portfolio_name}"
        text = (f"您好，我是您的理财经理{advisor.name}。给您发“{view.portfolio_name}”（风险等级{view.risk_level}，"
                f"金额{fmt_yuan(view.amount)}），请点开查看，可在页面确认或暂不。")
        if view.status == "pending":
            text = text.removesuffix("。") + f"，{_day(view.expires_at)}前有效。"
        card = {"title": title, "url": "", "button_text": "查看组合"}
        return Outgoing(f"组合推荐“{view.portfolio_name}”", text, card, list(view.lines), priority=1,
                        sign_in_path=push_path(task_id))
    lines = portfolio_lines(portfolio, push_amount(push, portfolio))
    text = (f"您好，我是您的理财经理{advisor.name}。给您介绍“{portfolio.name}”，请点开看组合构成和历史回测，"
            f"{NOT_ADVICE}")
    card = {"title": f"组合介绍：{portfolio.name}", "url": public_url(portfolio_path(portfolio.id)),
            "button_text": "查看组合"}
    return Outgoing(f"组合“{portfolio.name}”", text, card, lines, priority=2)


def knowledge_outgoing(session: Session, advisor: Identity, doc_id: str,
                       index_dir: str | Path | None = None) -> Outgoing:
    """A knowledge item: title, a short summary and its source, for client-safe documents only (an advisor-only
    document is refused). A product fact sheet offers its product."""
    from knowledge.api import find_document
    from knowledge.fields import summary_of
    from knowledge.store import IndexMissingError

    try:
        doc = find_document(doc_id, index_dir)
    except IndexMissingError:
        raise ShareRefused("unavailable", "资料库暂时不可用，请稍后再发") from None
    if doc is None:
        raise ShareRefused("not_found", "没有找到这篇资讯")
    if doc.audience not in CLIENT_AUDIENCES:
        raise ShareRefused("internal_only", f"《{doc.title}》是内部资料，不能发给客户")
    summary = summary_of(doc.text.replace("\n", ""), SUMMARY_CHARS)
    source = f"来源：本行资讯（{doc.date}）" if doc.type == "news" and doc.date else "来源：本行理财知识库"
    text = f"您好，我是您的理财经理{advisor.name}。给您分享《{doc.title}》：\n{summary}\n{source}。{NOT_ADVICE}"
    codes = [doc.source.removeprefix(SHEET_SOURCE)] if doc.source.startswith(SHEET_SOURCE) else []
    return Outgoing(f"资讯《{doc.title}》", text, None, _offered(_catalogue(session, codes)), priority=2)


def outgoing_for(session: Session, advisor: Identity, client: Client, item: SharedItem, now: dt.datetime,
                 index_dir: str | Path | None = None) -> Outgoing:
    """The message `item` makes for `client` (raises ShareRefused when the item may not go to them)."""
    if item.kind == "proposal":
        return proposal_outgoing(session, advisor, client, item.ref.strip(), now)
    if item.kind == "push":
        return push_outgoing(session, advisor, client, item.ref.strip(), now)
    return knowledge_outgoing(session, advisor, item.ref.strip(), index_dir)

