"""The product shelf in chat (issue 17): browse and filter in the client's words, compare two or three products,
and ask the advisor about one. Thin adapters over services/shelf.py and services/shelf_picks.py; the web shelf
(/shelf, /shelf/compare) shows the same, and each reply links there (a one-time sign-in link for a client).

Suitability comes from the sender: a client sees what suits their own assessment (products above it apart, with
the way to re-assess); an advisor or manager sees products on sale without anyone's suitability.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.client.checkup import client_of
from actions.forms import latest_text
from actions.handoff import ActionHumanHandoff
from actions.identity import sender
from actions.usage import record_usage
from bank.db import session_scope
from bank.directory import Identity
from bank.models import STAFF_ROLES, Product
from calc import clock
from calc.errors import CalcInputError
from services.checkups import DEFAULT_HORIZON_YEARS
from services.links import public_url
from services.prospects import UnknownProduct
from services.shelf import ShelfItem, ShelfResult, browse, parse_shelf_query
from services.shelf_compare import Comparison, compare
from services.shelf_handoff import ask_advisor
from services.shelf_picks import compare_picks, picked_product
from services.sign_in import MAX_NEXT_PATH, NotLinkable, UnsafeNextPath, client_link

log = logging.getLogger(__name__)
LIST_SIZE = 5
SHOWN_SLOT, FOCUS_SLOT = "shelf_products", "shelf_product"
ASKED = {"sent": "utter_shelf_ask_sent", "already": "utter_shelf_ask_already",
         "unassigned": "utter_shelf_ask_unassigned"}
COMPARED_ROWS = ("风险等级", "流动性", "起购金额", "年化收益", "最大回撤")


def words_of(tracker: Tracker) -> str:
    """The client's words; a button's intent payload ("/shelf_browse") carries none."""
    text = latest_text(tracker)
    return "" if text.startswith("/") else text


def shelf_path(text: str) -> str:
    """The web shelf for these words, within sign-in links' path limit (the words cut short if need be).

    >>> shelf_path("有哪些一年以内的R2理财")[:12], len(shelf_path("一年以内" * 80)) <= MAX_NEXT_PATH, shelf_path("")
    ('/shelf?q=%E6', True, '/shelf')
    """
    words = text.strip()
    while words and len("/shelf?" + urlencode({"q": words})) > MAX_NEXT_PATH:
        words = words[:-1]
    return "/shelf?" + urlencode({"q": words}) if words else "/shelf"


def compare_path(codes: Sequence[str]) -> str:
    """/shelf/compare for these products.

    >>> compare_path(["WM090", "BF001"])
    '/shelf/compare?codes=WM090&codes=BF001'
    """
    return "/shelf/compare?" + urlencode([("codes", code) for code in codes])


def link_for(session: Session, client_id: int | None, path: str) -> str:
    """A one-time sign-in link to `path` for a client (so the page knows their suitability); the plain page for
    anyone else, or for a client WeCom cannot bind a link to."""
    if client_id is not None:
        try:
            return client_link(session, client_id, path, clock.now())
        except (NotLinkable, UnsafeNextPath):
            pass
    return public_url(path)


def item_line(number: int, item: ShelfItem) -> str:
    """One product of a list in one line: name, risk, term, minimum, return and why it fits.

    >>> item = ShelfItem("WM090", "稳健添利90天理财", "wmp", "银行理财", "R2", "中低风险", "90天", "", "10,000.00元",
    ...                  "业绩比较基准2.20%–2.80%（年化）", "期限90天", True)
    >>> item_line(1, item)
    '1. 稳健添利90天理财（R2中低风险｜90天｜起购10,000.00元｜业绩比较基准2.20%–2.80%（年化））：期限90天'
    """
    return (f"{number}. {item.name}（{item.risk_level}{item.risk_text}｜{item.term}｜起购{item.minimum}｜"
            f"{item.returns}）：{item.reason}")


def _understood(result: ShelfResult) -> str:
    return "、".join(result.query.understood) or "全部在售产品"


def _shown_slots(codes: Sequence[str], focus: str | None) -> list[EventType]:
    return [SlotSet(SHOWN_SLOT, list(codes) or None), SlotSet(FOCUS_SLOT, focus)]


class ActionShelfBrowse(Action):
    """A short ranked list for the words ("有哪些一年以内的R2理财"), suitability first, with the web shelf's link."""

    def name(self) -> str:
        return "action_shelf_browse"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        ok, identity = sender(dispatcher, tracker)
        if not ok:
            return []
        staff = identity is not None and identity.role in STAFF_ROLES
        client_id = client_of(identity)
        text = words_of(tracker)
        try:
            with session_scope() as session:
                result = browse(session, client_id, parse_shelf_query(text), limit=LIST_SIZE)
                url = link_for(session, client_id, shelf_path(text))
        except (SQLAlchemyError, CalcInputError, LookupError) as error:
            log.error("shelf browse failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_shelf_failed")
            return []
        record_usage(tracker, "shelf_browse", matched=result.matched, assessment=result.assessment)
        self.reply(dispatcher, result, url, staff)
        codes = [item.code for item in result.items]
        return _shown_slots(codes, codes[0] if len(codes) == 1 else None)

    @staticmethod
    def reply(dispatcher: CollectingDispatcher, result: ShelfResult, url: str, staff: bool) -> None:
        understood = _understood(result)
        if result.items:
            items = "\n".join(item_line(n, item) for n, item in enumerate(result.items, 1))
            dispatcher.utter_message(response="utter_shelf_list_staff" if staff else "utter_shelf_list",
                                     understood=understood, matched=result.matched, items=items,
                                     notice=result.notice, url=url)
        if result.unsuitable:
            items = "\n".join(f"· {item.name}（{item.risk_level}{item.risk_text}）" for item in result.unsuitable[:3])
            dispatcher.utter_message(response="utter_shelf_unsuitable", level=result.client_level or "",
                                     items=items, reassess=result.reassess)
        if not result.items:
            dispatcher.utter_message(response="utter_shelf_none_suitable" if result.unsuitable else "utter_shelf_none",
                                     understood=understood, level=result.client_level or "", url=url)


def compared_lines(comparison: Comparison, notes: Sequence[str]) -> str:
    """One line per product with the rows that matter most, after the notes on kinds stood in for."""
    rows = dict(comparison.rows)
    lines = [f"（{'；'.join(notes)}）"] if notes else []
    for index, name in enumerate(comparison.names):
        values = "｜".join(f"{label}{rows[label][index]}" for label in COMPARED_ROWS if label in rows)
        fees = "/".join(rows[label][index] for label in ("认/申购费", "管理费（年）", "赎回费") if label in rows)
        lines.append(f"· {name}：{values}｜费率（申购/管理/赎回）{fees}")
    return "\n".join(lines)


def horizon_of(text: str) -> float:
    """The investment horizon the words give ("一年后要用", "放三年"), else the check-up's default.

    >>> horizon_of("一年后要用的钱，货币基金和纯债基金哪个好"), horizon_of("哪个好")
    (1.0, 5.0)
    """
    query = parse_shelf_query(text)
    days = query.term_max_days or query.term_min_days
    return round(days / 365, 2) if days and 0 < days / 365 <= 50 else DEFAULT_HORIZON_YEARS


class ActionShelfCompare(Action):
    """Two or three products side by side (named, by kind, or from the list just shown) and "哪个适合我"."""

    def name(self) -> str:
        return "action_shelf_compare"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        ok, identity = sender(dispatcher, tracker)
        if not ok:
            return []
        client_id = client_of(identity)
        text = words_of(tracker)
        shown = list(tracker.get_slot(SHOWN_SLOT) or [])
        try:
            with session_scope() as session:
                picks = compare_picks(session, client_id, text, shown)
                comparison = compare(session, client_id, picks.codes, horizon_years=horizon_of(text))
                url = link_for(session, client_id, compare_path(comparison.codes))
        except (CalcInputError, UnknownProduct):
            dispatcher.utter_message(response="utter_shelf_compare_which", url=public_url("/shelf"))
            return []
        except (SQLAlchemyError, LookupError, ValueError) as error:
            log.error("shelf compare failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_shelf_failed")
            return []
        record_usage(tracker, "shelf_compare", codes=",".join(comparison.codes))
        staff = identity is not None and identity.role in STAFF_ROLES
        dispatcher.utter_message(response="utter_shelf_compare_staff" if staff else "utter_shelf_compare",
                                 names="、".join(comparison.names),
                                 period=comparison.period, rows=compared_lines(comparison, picks.notes),
                                 verdict="\n".join(comparison.verdict), url=url)
        dispatcher.utter_message(image=public_url(compare_path(comparison.codes).replace("/compare?", "/compare.png?")))
        focus = comparison.best or (comparison.codes[0] if client_id is None else None)
        ordered = [focus] + [c for c in comparison.codes if c != focus] if focus else comparison.codes
        return _shown_slots(ordered, focus)


class ActionShelfAskAdvisor(Action):
    """"这个产品我想买，帮我联系理财经理": the client's advisor gets a hand-off with the product in view."""

    def name(self) -> str:
        return "action_shelf_ask_advisor"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        ok, identity = sender(dispatcher, tracker)
        if not ok:
            return []
        client_id = client_of(identity)
        if client_id is None:
            return self.not_a_client(dispatcher, identity)
        shown = list(tracker.get_slot(SHOWN_SLOT) or [])
        try:
            with session_scope() as session:
                code = self.product(session, tracker, shown)
                outcome = None if code is None else ask_advisor(session, client_id, code, clock.now())
                names = {p.code: p.name for p in session.scalars(select(Product).where(Product.code.in_(shown)))}
        except UnknownProduct:
            code, outcome, names = None, None, {}
        except (SQLAlchemyError, LookupError) as error:
            log.error("shelf hand-off failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        if outcome is None:
            if len(shown) > 1:  # several shown, none picked: ask which, one button each
                buttons = [{"title": f"{n}. {names.get(c, c)}", "payload": f'/shelf_ask_advisor{{"product": "{c}"}}'}
                           for n, c in enumerate(shown[:LIST_SIZE], 1)]
                dispatcher.utter_message(response="utter_shelf_ask_which", buttons=buttons)
                return []
            return await ActionHumanHandoff().run(dispatcher, tracker, domain)  # no product in view
        record_usage(tracker, "shelf_ask_advisor", product=code, status=outcome.status)
        dispatcher.utter_message(response=ASKED[outcome.status], advisor=outcome.advisor_name,
                                 product=outcome.product_name)
        return [SlotSet(FOCUS_SLOT, code)]

    @staticmethod
    def product(session: Session, tracker: Tracker, shown: Sequence[str]) -> str | None:
        """The product meant: a button's entity, one named or numbered in the words, else the one in view."""
        entities: Any = (tracker.latest_message or {}).get("entities") or []
        chosen = next((str(e.get("value")) for e in entities if e.get("entity") == "product" and e.get("value")), "")
        text = " ".join(part for part in (chosen, words_of(tracker)) if part)
        return picked_product(session, text, shown, tracker.get_slot(FOCUS_SLOT))

    @staticmethod
    def not_a_client(dispatcher: CollectingDispatcher, identity: Identity | None) -> list[EventType]:
        staff = identity is not None and identity.role in STAFF_ROLES
        dispatcher.utter_message(response="utter_shelf_ask_staff" if staff else "utter_handoff_unknown")
        return []
