"""Sharing: an advisor sends a proposal, a portfolio push or a knowledge item to a named client.

One use case, called by chat and web alike. The advisor may share only with a client they may see (bank/access.py:
an advisor their own clients, a manager their team's); the item must be fit for that client (services/share_items.py)
and offer nothing above the client's risk level (the push rule, services/pushes.unsuitable_reason). The message goes
into the outbox (bank/notifications.add_notification; the sender worker picks 微信客服 within 48 hours of the client's
last message or an advisor-confirmed mass send, services/routes.py) and a contact is recorded (bank/contacts.py),
both in the caller's transaction: the caller commits, and a failure leaves neither. The same item is not sent to the
same client twice within `REPEAT_WINDOW`; a replayed chat turn (`request_key`) returns its first result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.access import can_see_client
from bank.contacts import record_contact
from bank.directory import Identity
from bank.idempotency import recall, remember
from bank.models import STAFF_ROLES, Client, Notification
from bank.notifications import add_notification
from services import routes
from services.links import public_url
from services.pushes import resolve_names, unsuitable_reason
from services.settings import get_settings
from services.share_items import ITEM_KINDS, Outgoing, SharedItem, ShareRefused, outgoing_for
from services.sign_in import NotLinkable, client_link

__all__ = ["ITEM_KINDS", "ShareRefused", "ShareResult", "SharedItem", "resolve_client", "share_with_client"]

SHARE_KIND = "share"  # the outbox kind of a shared item
REPEAT_WINDOW = dt.timedelta(hours=24)
CONTACT_KIND = "message"  # sent through the bot (企微消息), not a call
GONE_STATES = ("dead", "dropped")  # an earlier share that never went out does not count as sent
NOT_YOURS = {"advisor": "这位客户不在您的客户名单中，不能发送", "manager": "这位客户不在您团队的客户名单中，不能发送"}
MASS_HINT = "请在企业微信「客户联系-群发助手」确认发送"


@dataclass(frozen=True)
class ShareResult:
    """What became of a share: status "sent" (in the outbox, contact recorded) or "already" (sent within the
    window: nothing new), with the advisor's message in Chinese and the expected route (kf or mass)."""

    status: str
    client_id: int
    client_name: str
    label: str
    message: str
    notification_id: int | None = None
    contact_id: int | None = None
    route: str = ""
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "client_id": self.client_id, "client_name": self.client_name,
                "label": self.label, "message": self.message, "notification_id": self.notification_id,
                "contact_id": self.contact_id, "route": self.route}


def resolve_client(session: Session, advisor: Identity, name: str, today: dt.date) -> int:
    """The id of the one client in the advisor's scope named `name` (a phone tail may follow: "张伟尾号1234").

    Raises ShareRefused (unknown_client, ambiguous_client) with the reason services/pushes.resolve_names gives.
    """
    ids, skipped = resolve_names(session, advisor, [name.strip()], today)
    if len(ids) == 1:
        return ids[0]
    reason = skipped[0].reason if skipped else "没有找到这位客户"
    raise ShareRefused("ambiguous_client" if "同名" in reason else "unknown_client", f"{name.strip()}：{reason}")


def _client(session: Session, advisor: Identity, client_id: int) -> Client:
    """The client, when `advisor` is staff who may see them and they can receive WeCom messages."""
    if advisor.role not in STAFF_ROLES or advisor.staff_id is None:
        raise ShareRefused("not_staff", "只有理财经理和管理人员可以给客户发送内容")
    client = session.get(Client, client_id) if can_see_client(session, advisor, client_id) else None
    if client is None:
        raise ShareRefused("not_your_client", NOT_YOURS.get(advisor.role, NOT_YOURS["advisor"]))
    if not client.wecom_external_userid:
        raise ShareRefused("no_wechat", f"{client.name}还没有添加企业微信，无法发送")
    return client


def _check_suitable(client: Client, outgoing: Outgoing, today: dt.date) -> None:
    """Nothing above the client's risk level, and no product at all without a valid assessment."""
    if not outgoing.products:
        return
    reason = unsuitable_reason(client, outgoing.products, today)
    if reason is not None:
        raise ShareRefused("unsuitable", f"不能发给{client.name}：{reason}")


def _earlier_share(session: Session, recipient: str, item: SharedItem, since: dt.datetime) -> Notification | None:
    """The newest share of `item` to `recipient` stored at or after `since` that has not failed for good."""
    rows = session.scalars(select(Notification).where(
        Notification.recipient == recipient, Notification.kind == SHARE_KIND, Notification.created_at >= since,
        Notification.state.not_in(GONE_STATES)).order_by(Notification.created_at.desc(), Notification.id.desc()))
    return next((n for n in rows if isinstance(n.card, dict) and n.card.get("share") == item.key), None)


def _card(session: Session, client: Client, outgoing: Outgoing, item: SharedItem, now: dt.datetime) -> dict[str, Any]:
    """The outgoing card with the item's key, and the client's one-time sign-in link when the page needs one."""
    card = {**(outgoing.card or {}), "share": item.key}
    if outgoing.sign_in_path:
        try:
            card["url"] = client_link(session, client.id, outgoing.sign_in_path, now)
        except NotLinkable:
            card["url"] = public_url(outgoing.sign_in_path)
    return card


def _route(session: Session, recipient: str, now: dt.datetime) -> str:
    """The route the sender will likely take: kf while the client's 48-hour window is open, else mass."""
    facts = routes.gather(session, recipient, now, routes.Rules.from_settings(get_settings()))
    return "kf" if facts.last_message_at is not None else "mass"


def _when(moment: dt.datetime) -> str:
    """
    >>> _when(dt.datetime(2026, 12, 1, 9, 5))
    '12月1日09:05'
    """
    return f"{moment.month}月{moment.day}日{moment:%H:%M}"


def share_with_client(session: Session, advisor: Identity, client_id: int, item: SharedItem, now: dt.datetime, *,
                      request_key: str | None = None, repeat_window: dt.timedelta = REPEAT_WINDOW,
                      index_dir: str | Path | None = None) -> ShareResult:
    """Send `item` to client `client_id` for `advisor`: checked, enqueued in the outbox, recorded as a contact.

    The caller commits. Raises ShareRefused (its `reason` is for the advisor) when the advisor may not see the
    client, the item is unknown, expired, another client's or advisor-only, or offers a product above the client's
    risk level (or any product without a valid assessment).
    """
    earlier = recall(session, request_key)
    if earlier is not None:
        return ShareResult(**earlier, replayed=True)
    client = _client(session, advisor, int(client_id))
    outgoing = outgoing_for(session, advisor, client, item, now, index_dir)
    _check_suitable(client, outgoing, now.date())
    recipient = str(client.wecom_external_userid)
    sent = _earlier_share(session, recipient, item, now - repeat_window)
    if sent is not None:
        return ShareResult("already", client.id, client.name, outgoing.label,
                           f"已发送过：{outgoing.label}已在{_when(sent.created_at)}发给{client.name}，这次不再重复发送。",
                           sent.id)
    note = add_notification(session, recipient, outgoing.text, kind=SHARE_KIND, priority=outgoing.priority,
                            card=_card(session, client, outgoing, item, now), now=now)
    contact = record_contact(session, advisor, client.id, CONTACT_KIND, f"企业微信发送{outgoing.label}",
                             happened_at=now.replace(microsecond=0))
    route = _route(session, recipient, now)
    how = "，客户近48小时找过我们，将通过微信客服送达。" if route == "kf" else f"，{MASS_HINT}。"
    result = ShareResult("sent", client.id, client.name, outgoing.label,
                         f"已把{outgoing.label}发给{client.name}{how}已记为一次联系。", note.id, contact.id, route)
    remember(session, request_key, result.as_dict(), now)
    return result
