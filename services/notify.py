"""Tell someone something outside the current conversation: stored in bank's outbox, nothing more.

The sender worker (services/outbox.py) delivers it: staff (WeCom userids) get an app message; clients
(external userids, ``wm…``/``wo…``) get a 微信客服 message or an advisor-confirmed mass send, as WeCom's rules
allow (services/routes.py). Callers never wait on WeCom.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bank.db import session_scope
from bank.notifications import add_notification, told_since
from calc.clock import now
from wecom import messages
from wecom.masking import mask_id

log = logging.getLogger(__name__)


def is_external(recipient: str) -> bool:
    """Whether a recipient is a client's external userid (WeCom gives them the wm/wo prefixes).

    >>> is_external("wmAbc123"), is_external("zhangmin")
    (True, False)
    """
    return recipient.startswith(("wm", "wo"))


def wecom_body(text: str, card: dict[str, Any] | None, external: bool) -> dict[str, Any]:
    """The WeCom payload for a message: a button card / 客服 menu when the card has buttons, a text card
    (or link) when it has a URL, plain text otherwise.

    >>> wecom_body("您好", None, False)["msgtype"], wecom_body("您好", {"title": "t", "url": "http://x"}, True)["msgtype"]
    ('text', 'link')
    >>> wecom_body("请确认", {"title": "组合", "buttons": [["确认", "/confirm_push"]]}, False)["msgtype"]
    'template_card'
    """
    card = card or {}
    buttons = [(str(label), str(key)) for label, key in card.get("buttons") or []]
    title = str(card.get("title") or text[:20])
    if external:
        if buttons:
            tail = f"详情：{card['url']}" if card.get("url") else ""
            return messages.kf_menu(text, buttons, tail)
        if card.get("url"):
            return messages.kf_link(title, str(card["url"]), text)
        return messages.kf_text(text)
    if buttons:
        return messages.button_card(title, buttons[:6], desc=text, task_id=str(card.get("task_id") or ""))
    if card.get("url"):
        return messages.textcard(title, text, str(card["url"]), str(card.get("button_text") or "详情"))
    return messages.text(text)


def notify(recipient: str, text: str, *, card: dict[str, Any] | None = None, kind: str = "info",
           priority: int = 1, once_per: dt.timedelta | None = None) -> int | None:
    """Store a message for `recipient` in the outbox; returns its id. `priority`: 0 an order notice, 1 service,
    2 marketing (it decides what a client's few monthly mass sends are spent on).

    With `once_per`, a message identical to one stored within that time is not stored again (returns None).
    Never raises: a database failure is logged, and the caller's conversation goes on.
    """
    try:
        with session_scope() as session:
            if once_per is not None and told_since(session, recipient, kind, text, now() - once_per):
                return None
            return add_notification(session, recipient, text, kind=kind, card=card, priority=priority).id
    except (SQLAlchemyError, ValueError) as error:
        log.error("notification for %s not stored: %s", mask_id(recipient), type(error).__name__)
        return None
