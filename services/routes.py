"""WeCom's rules for reaching a client (an external userid), decided for every message to one, replies included.

微信客服 (`kf/send_msg`) may answer only within 48 hours of the client's last message, at most 5 messages per
client message, and only while the session is with the bot (service state 0 or 1). Otherwise the message goes
as an enterprise mass send (`externalcontact/add_msg_template`) created for the client's advisor, which WeCom
delivers only after the advisor confirms it; a client may receive only a few of those a month, so marketing
may use fewer of them than service messages, and those fewer than replies and order notices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bank.notifications import advisor_userid_of, last_client_message_at, sent_times
from services.settings import Settings

KF_SEND = "kf/send_msg"
KF_EVENT = "kf/send_msg_on_event"  # the welcome on enter_session: outside the 5-message count
MASS_SEND = "externalcontact/add_msg_template"
BOT_STATES = frozenset({0, 1})  # 未处理, 由智能助手接待; 2 queued, 3 with a person, 4 ended

HELD_KF_LIMIT = "微信客服：自客户上条消息起已发满条数上限，等客户再来消息"
HELD_BUDGET = "本月群发次数已用完（营销少2次、服务少1次），下月或客户来消息后再发"
NOT_A_CONTACT = "不是该理财经理的企业微信客户"
NO_ADVISOR = "找不到客户的理财经理，无法群发"
ADVISOR_NOTICE = "有{count}条客户消息等您在企业微信「客户联系-群发助手」确认发送"
MASS_RESULT = "externalcontact/get_groupmsg_send_result"
# What WeCom says became of a confirmed mass send to one client (its `status`): 1 delivered; these failed.
MASS_FAILED = {2: "客户已不是理财经理的企业微信好友，群发未送达", 3: "客户当天已收到其他群发，本条未送达"}
MASS_UNCONFIRMED = "理财经理{days:g}天内未确认群发，消息未送出"
MENU_LINE = "· {label}"


@dataclass(frozen=True)
class Rules:
    """The limits, from the settings."""

    kf_window: dt.timedelta = dt.timedelta(hours=48)
    kf_per_message: int = 5
    mass_per_month: int = 4

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(dt.timedelta(hours=settings.outbox_kf_window_hours), settings.outbox_kf_per_message,
                   settings.outbox_mass_per_month)


@dataclass(frozen=True)
class Facts:
    """What the bank knows about one client's recent contact."""

    last_message_at: dt.datetime | None
    kf_sent_since: int
    mass_sent_this_month: int
    advisor_userid: str | None


@dataclass(frozen=True)
class Route:
    """Where a message goes: kf (open_kfid), mass (sender = advisor), or held / dead (reason) / wait."""

    kind: str
    open_kfid: str = ""
    sender: str = ""
    reason: str = ""


def month_start(moment: dt.datetime) -> dt.datetime:
    """Midnight of the first day of `moment`'s month.

    >>> month_start(dt.datetime(2026, 12, 17, 9, 30))
    datetime.datetime(2026, 12, 1, 0, 0)
    """
    return dt.datetime(moment.year, moment.month, 1)


def mass_allowance(budget: int, priority: int) -> int:
    """How many of a client's monthly mass sends a message of `priority` may use: marketing (2) leaves two for
    more urgent messages, service (1) one, a reply or order notice (0) may use them all.

    >>> [mass_allowance(4, p) for p in (0, 1, 2)]
    [4, 3, 2]
    >>> mass_allowance(1, 2)
    0
    """
    return max(0, budget - priority)


def gather(session: Session, external_userid: str, now: dt.datetime, rules: Rules) -> Facts:
    """Read what the rules need: the client's last 微信客服 message, what went out since, this month's mass sends
    and the advisor."""
    last = last_client_message_at(session, external_userid)
    in_window = last is not None and now - last <= rules.kf_window
    kf_sent = len(sent_times(session, external_userid, ("kf",), last, exclude_path=KF_EVENT)) if in_window else 0
    mass = len(sent_times(session, external_userid, ("mass",), month_start(now)))
    return Facts(last if in_window else None, kf_sent, mass, advisor_userid_of(session, external_userid))


def decide(facts: Facts, priority: int, rules: Rules, *, open_kfid: str, mass_possible: bool,
           service_state: Callable[[], int]) -> Route:
    """The route for one message. `service_state` asks WeCom for the 微信客服 session state (called only when
    the window is open and the count allows; it may raise WeCom's error).

    >>> f = Facts(dt.datetime(2026, 12, 1), kf_sent_since=1, mass_sent_this_month=0, advisor_userid="zhangmin")
    >>> decide(f, 0, Rules(), open_kfid="wk1", mass_possible=True, service_state=lambda: 1).kind
    'kf'
    >>> decide(f, 0, Rules(), open_kfid="wk1", mass_possible=True, service_state=lambda: 3).sender
    'zhangmin'
    >>> decide(Facts(None, 0, 2, "zhangmin"), 2, Rules(), open_kfid="wk1", mass_possible=True,
    ...        service_state=lambda: 1).reason == HELD_BUDGET
    True
    """
    if open_kfid and facts.last_message_at is not None:
        if facts.kf_sent_since >= rules.kf_per_message:
            return Route("held", reason=HELD_KF_LIMIT)
        if service_state() in BOT_STATES:
            return Route("kf", open_kfid=open_kfid)
    if not mass_possible:
        return Route("wait")
    if facts.advisor_userid is None:
        return Route("dead", reason=NO_ADVISOR)
    if facts.mass_sent_this_month >= mass_allowance(rules.mass_per_month, priority):
        return Route("held", reason=HELD_BUDGET)
    return Route("mass", sender=facts.advisor_userid)


def mass_content(text: str, card: dict[str, Any] | None, payload: dict[str, Any] | None) -> tuple[str, list[dict[str, Any]]]:
    """The text and attachments of a mass send carrying a message: from its 微信客服 body when it has one (a
    menu becomes lines, a link or image an attachment), else from its text and card's URL.

    >>> mass_content("您好", {"title": "组合推荐", "url": "http://x/p"}, None)
    ('您好', [{'msgtype': 'link', 'link': {'title': '组合推荐', 'url': 'http://x/p', 'desc': ''}}])
    >>> mass_content("", None, {"msgtype": "msgmenu", "msgmenu": {"head_content": "请选择",
    ...     "list": [{"type": "click", "click": {"id": "/a", "content": "确认"}}], "tail_content": ""}})[0]
    '请选择\\n· 确认'
    """
    if payload is None:
        card = card or {}
        links = [_link(str(card.get("title") or text[:20]), str(card["url"]))] if card.get("url") else []
        return text, links
    kind = payload.get("msgtype")
    body = payload.get(str(kind)) or {}
    if kind == "text":
        return str(body.get("content", text)), []
    if kind == "link":
        return str(body.get("desc") or body.get("title") or text), [_link(str(body.get("title", "")),
                                                                          str(body.get("url", "")))]
    if kind == "image":
        return "", [{"msgtype": "image", "image": dict(body)}]
    if kind == "msgmenu":
        lines = [str(body.get("head_content", ""))]
        for item in body.get("list") or []:
            entry = item.get(item.get("type")) or {}
            label = str(entry.get("content", ""))
            lines.append(MENU_LINE.format(label=f"{label}：{entry['url']}" if entry.get("url") else label))
        lines.append(str(body.get("tail_content", "")))
        return "\n".join(line for line in lines if line), []
    return text, []


def _link(title: str, url: str) -> dict[str, Any]:
    return {"msgtype": "link", "link": {"title": title[:128], "url": url, "desc": ""}}


def mass_body(sender: str, external_userid: str, content: str, attachments: list[dict[str, Any]]) -> dict[str, Any]:
    """The `add_msg_template` request: one client, sent in the name of `sender` (the advisor).

    >>> mass_body("zhangmin", "wmA", "您好", [])["external_userid"]
    ['wmA']
    """
    body: dict[str, Any] = {"chat_type": "single", "external_userid": [external_userid], "sender": sender}
    if content:
        body["text"] = {"content": content}
    if attachments:
        body["attachments"] = attachments[:9]
    return body


def advisor_notice(count: int) -> str:
    """What an advisor is told about mass sends waiting for their confirmation.

    >>> advisor_notice(3)
    '有3条客户消息等您在企业微信「客户联系-群发助手」确认发送'
    """
    return ADVISOR_NOTICE.format(count=count)
