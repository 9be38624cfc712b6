"""Tell someone something outside the current conversation: stored in bank's outbox, then sent through WeCom.

Staff (WeCom userids) get an app message; clients (external userids, ``wm…``/``wo…``) get a 微信客服 message
from the account named by WECOM_KF_OPEN_KFID. Without WeCom settings the message waits in the outbox.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bank.db import session_scope
from bank.notifications import add_notification, mark_sent, told_since
from calc.clock import now
from services.settings import get_settings
from wecom import messages
from wecom.api import WeComAPI, WeComAPIError
from wecom.masking import mask_id
from wecom.settings import SettingsError, WeComSettings

log = logging.getLogger(__name__)
_apis: dict[str, WeComAPI] = {}


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


def _api(kind: str) -> WeComAPI | None:
    try:
        settings = WeComSettings.from_env(kind)
    except SettingsError as error:
        log.warning("wecom %s settings invalid: %s", kind, error)
        return None
    if settings is None:
        return None
    key = f"{kind}:{settings.corp_id}:{settings.api_base}"
    if key not in _apis:
        _apis[key] = WeComAPI(settings)
    return _apis[key]


def send_now(recipient: str, body: dict[str, Any]) -> str | None:
    """Send one payload through WeCom; returns None on success, "not configured", or the error's name."""
    external = is_external(recipient)
    api = _api("kf" if external else "app")
    if api is None:
        return "not configured"
    try:
        if external:
            open_kfid = get_settings().wecom_kf_open_kfid
            if not open_kfid:
                return "not configured"
            api.call("kf/send_msg", {"touser": recipient, "open_kfid": open_kfid, **body})
        else:
            api.call("message/send", {"touser": recipient, "agentid": api.settings.agent_id, **body})
    except WeComAPIError as error:
        log.warning("wecom send to %s failed: %s", mask_id(recipient), error)
        return str(error)[:200]
    return None


def notify(recipient: str, text: str, *, card: dict[str, Any] | None = None, kind: str = "info",
           once_per: dt.timedelta | None = None) -> int | None:
    """Store a message for `recipient` and send it through WeCom when configured; returns the outbox id.

    With `once_per`, a message identical to one sent within that time is not sent again (returns None).
    Never raises: a database or WeCom failure is logged, and the caller's conversation goes on.
    """
    try:
        with session_scope() as session:
            if once_per is not None and told_since(session, recipient, kind, text, now() - once_per):
                return None
            note_id = add_notification(session, recipient, text, kind=kind, card=card).id
    except (SQLAlchemyError, ValueError) as error:
        log.error("notification for %s not stored: %s", mask_id(recipient), type(error).__name__)
        return None
    failure = send_now(recipient, wecom_body(text, card, is_external(recipient)))
    if failure != "not configured":
        try:
            with session_scope() as session:
                mark_sent(session, note_id, error=failure)
        except SQLAlchemyError as error:
            log.error("notification %s state not saved: %s", note_id, type(error).__name__)
    return note_id
