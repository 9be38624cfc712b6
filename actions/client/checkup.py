"""财富体检 in chat: prefill a known client from bank/, ask a non-customer six questions, then calc's check-up,
a chart, products at or below the client's level, and the proposal link.

Slots are read from the raw text (custom mappings): the requested slot from the whole message, any other slot
when a clause names it ("不对，收入是3万"). Questions, cancel and hand-off reject the form and go to the rules.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.forms import NOT_FORM_INPUT, latest_intent, latest_text, requested_slot
from actions.identity import sender
from actions.usage import record_usage
from bank.db import session_scope
from bank.directory import Identity
from bank.masking import mask_name
from bank.models import CATEGORY_NAMES, STAFF_ROLES
from bank.proposals import chart_path, create_proposal, proposal_path, public_url
from calc.checkup import run_checkup
from calc.errors import CalcInputError
from calc.money import fmt_yuan
from calc.score import raise_with
from lexicon.numbers import parse_age, parse_amount, parse_int, yes_no
from services.checkups import (
    checkup_input,
    checkup_summary,
    client_facts,
    level_for_checkup,
    suitable_products,
)
from services.checkups import checkup_payload as build_payload

log = logging.getLogger(__name__)

FORM = "checkup_form"
INVALID = "__invalid__"
"""Slot value meaning "answered, but unreadable": validation turns it into a polite re-ask."""
EXIT_INTENTS = frozenset({"cancel", "human_handoff", "goodbye"})
QUESTION_MARKS = ("?", "？", "吗", "什么", "怎么", "如何", "为什么", "哪些", "区别", "能不能", "是否")
NONE_WORDS = ("没有", "没", "无", "零", "不知道", "暂时不", "都没")
CLAUSE_SPLIT = re.compile(r"[，,、；;。！!\n]+")

ASSET_WORDS: Mapping[str, str] = {
    "股票基金": "equity_fund", "股票型基金": "equity_fund", "指数基金": "index_fund", "债券基金": "bond_fund",
    "债基": "bond_fund", "纯债": "bond_fund", "混合基金": "mixed_fund", "偏债混合": "mixed_fund",
    "货币基金": "cash_management", "余额宝": "cash_management", "零钱通": "cash_management",
    "零钱": "cash_management", "现金管理": "cash_management", "活期": "deposit", "定期": "deposit",
    "存款": "deposit", "大额存单": "deposit", "存单": "deposit", "现金": "deposit", "银行卡": "deposit",
    "理财": "wmp", "国债": "bond_fund", "债券": "bond_fund", "基金": "mixed_fund", "股票": "equity_fund",
    "炒股": "equity_fund", "A股": "equity_fund", "黄金": "gold", "金条": "gold", "美股": "qdii_fund",
    "港股": "qdii_fund", "QDII": "qdii_fund", "海外": "qdii_fund", "年金": "annuity_insurance",
}
"""Words for kinds of assets → bank.models category (longest word wins)."""
INSURANCE_WORDS: Mapping[str, str] = {
    "重疾险": "critical_illness", "重疾": "critical_illness", "重大疾病": "critical_illness",
    "大病": "critical_illness", "寿险": "life", "人寿": "life", "定寿": "life", "终身寿": "life",
    "百万医疗": "medical", "医疗险": "medical", "医疗": "medical", "住院": "medical",
}
"""Words for kinds of cover → key of the `checkup_insurance` slot."""
MEDICAL_DEFAULT = Decimal("1000000.00")
"""Cover assumed for "有百万医疗" / "有医疗险" said without an amount."""
FIELD_WORDS: Mapping[str, tuple[str, ...]] = {
    "checkup_age": ("年龄", "今年", "周岁"),
    "checkup_income": ("收入", "工资", "薪水", "月薪", "税后", "挣"),
    "checkup_expenses": ("支出", "开销", "花销", "开支", "花费", "花"),
    "checkup_dependants": ("孩子", "小孩", "老人", "父母", "抚养", "赡养", "家人"),
    "checkup_assets": tuple(ASSET_WORDS),
    "checkup_insurance": (*INSURANCE_WORDS, "保险", "保额"),
}
FIELD_NAMES = {"checkup_age": "年龄", "checkup_income": "月收入", "checkup_expenses": "月支出",
               "checkup_dependants": "需要抚养或赡养的家人", "checkup_assets": "资产", "checkup_insurance": "保险"}
CHECKUP_SLOTS = ("checkup_age", "checkup_income", "checkup_expenses", "checkup_dependants", "checkup_assets",
                 "checkup_insurance", "checkup_confirmed")
LIMITS = {"checkup_age": (18, 100), "checkup_income": (0, 10_000_000), "checkup_expenses": (0, 10_000_000),
          "checkup_dependants": (0, 20)}
PRODUCT_NOTICE = "理财非存款，产品有风险，投资须谨慎；以上不构成投资建议。"
INSURANCE_ZH = {"critical_illness": "重疾险", "life": "寿险", "medical": "医疗险"}


def today() -> dt.date:
    """The bot's notion of today (the server's date)."""
    return dt.date.today()


def clauses(text: str) -> list[str]:
    """A message cut at punctuation into clauses.

    >>> clauses("不对，收入是3万；开销1万")
    ['不对', '收入是3万', '开销1万']
    """
    return [c.strip() for c in CLAUSE_SPLIT.split(text) if c.strip()]


def names_field(clause: str, field: str) -> bool:
    """Whether a clause names a field by one of its words.

    >>> names_field("收入是3万", "checkup_income"), names_field("3万", "checkup_income")
    (True, False)
    """
    return any(word in clause for word in FIELD_WORDS[field])


def _word_pattern(words: Mapping[str, str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE)


_ASSET_RE, _INSURANCE_RE = _word_pattern(ASSET_WORDS), _word_pattern(INSURANCE_WORDS)


def _segments(clause: str, pattern: re.Pattern[str]) -> list[tuple[str, str, str]]:
    """(keyword, text around it, text just before it) triples: the text runs from one keyword to the next, or,
    when the amount comes first ("10万存款"), from the previous keyword's end to this keyword's end."""
    hits: list[tuple[str, int, int]] = []  # (first keyword, start, end); adjacent keywords ("QDII基金") merge
    for match in pattern.finditer(clause):
        if hits and hits[-1][2] == match.start():
            hits[-1] = (hits[-1][0], hits[-1][1], match.end())
        else:
            hits.append((match.group(0), match.start(), match.end()))
    if not hits:
        return []
    amount_first = parse_amount(clause[:hits[0][1]]) is not None
    out = []
    for i, (word, start, end) in enumerate(hits):
        previous_end = hits[i - 1][2] if i else 0
        lead = clause[previous_end:start]
        if amount_first:
            out.append((word, clause[previous_end:end], lead))
        else:
            out.append((word, clause[start:hits[i + 1][1] if i + 1 < len(hits) else len(clause)], lead))
    return out


def _is_none(text: str) -> bool:
    return any(word in text for word in NONE_WORDS) or text.strip() in ("0", "0元", "零")


def parse_by_kind(text: str, words: Mapping[str, str], default: Mapping[str, Decimal] | None = None
                  ) -> dict[str, Decimal] | None:
    """Amounts by kind from "存款10万，理财20万" ({} for "没有"); None when an amount has no kind or a kind has
    no amount (unless `default` gives one), so the bot can ask again.

    >>> {k: str(v) for k, v in parse_by_kind("存款10万，理财20万，基金5万", ASSET_WORDS).items()}
    {'deposit': '100000.00', 'wmp': '200000.00', 'mixed_fund': '50000.00'}
    >>> {k: str(v) for k, v in parse_by_kind("10万存款和两万五的股票", ASSET_WORDS).items()}
    {'deposit': '100000.00', 'equity_fund': '25000.00'}
    >>> parse_by_kind("没有", ASSET_WORDS), parse_by_kind("大概10万", ASSET_WORDS)
    ({}, None)
    >>> sorted((k, str(v)) for k, v in parse_by_kind("重疾50万，没有寿险，有百万医疗", INSURANCE_WORDS,
    ...                                                        {"medical": MEDICAL_DEFAULT}).items())
    [('critical_illness', '500000.00'), ('life', '0.00'), ('medical', '1000000.00')]
    """
    pattern = {id(ASSET_WORDS): _ASSET_RE, id(INSURANCE_WORDS): _INSURANCE_RE}.get(id(words)) or _word_pattern(words)
    lookup = {w.lower(): kind for w, kind in words.items()}
    found: dict[str, Decimal] = {}
    unclear = False
    for clause in clauses(text.replace("和", "，").replace("还有", "，").replace("另外", "，")):
        parts = _segments(clause, pattern)
        if not parts:
            if parse_amount(clause) is not None and not _is_none(clause):
                unclear = True
            continue
        for word, part, lead in parts:
            kind = lookup[word.lower()]
            amount = parse_amount(pattern.sub(" ", part))
            if any(neg in lead or neg in part for neg in ("没有", "没买", "无")):
                amount = Decimal("0.00")
            if amount is None:
                amount = (default or {}).get(kind)
            if amount is None or amount < 0:
                unclear = True
                continue
            found[kind] = found.get(kind, Decimal("0.00")) + amount
    if unclear:
        return None
    if not found:
        return {} if _is_none(text) else None
    return found


def parse_dependants(text: str) -> int | None:
    """Number of people the user supports ("两个孩子" → 2, "没有" → 0).

    >>> parse_dependants("两个孩子"), parse_dependants("没有"), parse_dependants("嗯") is None
    (2, 0, True)
    """
    value = parse_int(text)
    if value is None and _is_none(text):
        return 0
    return value


def _number(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def read(text: str) -> Any:
        value = parse(text)
        return None if value is None else float(value)
    return read


def _assets(text: str) -> dict[str, float] | None:
    found = parse_by_kind(text, ASSET_WORDS)
    return None if found is None else {k: float(v) for k, v in found.items()}


def _insurance(text: str) -> dict[str, float] | None:
    found = parse_by_kind(text, INSURANCE_WORDS, default={"medical": MEDICAL_DEFAULT})
    return None if found is None else {k: float(v) for k, v in found.items()}


PARSERS: Mapping[str, Callable[[str], Any]] = {
    "checkup_age": _number(parse_age), "checkup_income": _number(parse_amount),
    "checkup_expenses": _number(parse_amount), "checkup_dependants": _number(parse_dependants),
    "checkup_assets": _assets, "checkup_insurance": _insurance,
}


def looks_like_question(text: str) -> bool:
    """Whether a message reads as a question rather than an answer.

    >>> looks_like_question("重疾险和医疗险有什么区别？"), looks_like_question("35岁")
    (True, False)
    """
    return any(mark in text for mark in QUESTION_MARKS)


def read_slot(slot: str, text: str, intent: str | None, asked: str | None) -> Any:
    """The value of `slot` in a message: from clauses that name it, or, when it is the slot being asked, from
    the clauses that name no other field. INVALID marks an answer that could not be read; None means the
    message says nothing about this slot (a digression, a cancel, another field's correction).

    >>> read_slot("checkup_income", "不对，收入是3万", "inform", "checkup_assets")
    30000.0
    >>> read_slot("checkup_assets", "不对，收入是3万", "inform", "checkup_assets") is None
    True
    >>> read_slot("checkup_age", "三百岁", "inform", "checkup_age"), read_slot("checkup_age", "嗯", "inform", "checkup_age")
    (300.0, '__invalid__')
    >>> read_slot("checkup_age", "年金险是什么？", "ask_knowledge", "checkup_age") is None
    True
    """
    if intent in EXIT_INTENTS:
        return None
    parse = PARSERS[slot]
    parts = clauses(text) or [text]
    mine = [c for c in parts if names_field(c, slot)]
    others = [f for f in PARSERS if f != slot]
    if mine and slot != asked:
        if intent in NOT_FORM_INPUT and looks_like_question(text):
            return None
        return parse("，".join(mine))
    if slot != asked:
        return None
    rest = [c for c in parts if not any(names_field(c, f) for f in others)]
    value = parse("，".join(rest)) if rest else None
    if value is None and mine:
        value = parse("，".join(mine))
    if intent in NOT_FORM_INPUT and (value is None or looks_like_question(text)):
        return None
    if value is None:
        return None if len(rest) < len(parts) else INVALID
    return value


def describe(slot: str, value: Any) -> str:
    """A confirmed value in words, for "已更新：月收入30,000.00元".

    >>> describe("checkup_income", 30000.0), describe("checkup_age", 40.0), describe("checkup_dependants", 2.0)
    ('30,000.00元', '40岁', '2位')
    >>> describe("checkup_insurance", {"critical_illness": 500000.0})
    '重疾险500,000.00元'
    """
    if slot == "checkup_age":
        return f"{int(value)}岁"
    if slot == "checkup_dependants":
        return f"{int(value)}位"
    if slot == "checkup_assets":
        return "，".join(f"{CATEGORY_NAMES.get(k, k)}{fmt_yuan(v)}" for k, v in value.items()) or "无"
    if slot == "checkup_insurance":
        return "，".join(f"{INSURANCE_ZH.get(k, k)}{fmt_yuan(v)}" for k, v in value.items()) or "无"
    return fmt_yuan(value)


class ValidateCheckupForm(FormValidationAction):
    """Fill and check the check-up slots; out-of-range values get a re-ask that states the range."""

    def name(self) -> str:
        return "validate_checkup_form"

    def _extract(self, slot: str, tracker: Tracker) -> dict[str, Any]:
        asked = requested_slot(tracker)
        value = read_slot(slot, latest_text(tracker), latest_intent(tracker), asked)
        if value is None:
            return {}
        before = tracker.get_slot(slot)
        if isinstance(value, dict) and isinstance(before, dict) and slot != asked:
            value = {**before, **value}  # "不对，存款是20万" changes one kind and keeps the others
        return {slot: value}

    async def extract_checkup_age(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        return self._extract("checkup_age", tracker)

    async def extract_checkup_income(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        return self._extract("checkup_income", tracker)

    async def extract_checkup_expenses(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> dict[str, Any]:
        return self._extract("checkup_expenses", tracker)

    async def extract_checkup_dependants(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                         domain: DomainDict) -> dict[str, Any]:
        return self._extract("checkup_dependants", tracker)

    async def extract_checkup_assets(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        return self._extract("checkup_assets", tracker)

    async def extract_checkup_insurance(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> dict[str, Any]:
        return self._extract("checkup_insurance", tracker)

    async def extract_checkup_confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> dict[str, Any]:
        if requested_slot(tracker) != "checkup_confirmed" or latest_intent(tracker) in EXIT_INTENTS:
            return {}
        text = latest_text(tracker)
        if any(names_field(c, f) for c in clauses(text) for f in PARSERS):
            return {"checkup_confirmed": True}  # the user said what changed; the other extractors read it
        if latest_intent(tracker) in NOT_FORM_INPUT:
            return {}
        answer = yes_no(text)
        return {"checkup_confirmed": INVALID if answer is None else answer}

    def _checked(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                 ok: bool) -> dict[str, Any]:
        if not ok:
            dispatcher.utter_message(response=f"utter_checkup_invalid_{slot.removeprefix('checkup_')}")
            return {slot: None}
        if requested_slot(tracker) not in (slot, None):
            dispatcher.utter_message(response="utter_checkup_updated", field=FIELD_NAMES[slot],
                                     value=describe(slot, value))
        return {slot: value}

    def _in_range(self, slot: str, value: Any) -> bool:
        low, high = LIMITS[slot]
        return isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high

    async def validate_checkup_age(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        return self._checked("checkup_age", value, dispatcher, tracker, self._in_range("checkup_age", value))

    async def validate_checkup_income(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> dict[str, Any]:
        return self._checked("checkup_income", value, dispatcher, tracker, self._in_range("checkup_income", value))

    async def validate_checkup_expenses(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> dict[str, Any]:
        return self._checked("checkup_expenses", value, dispatcher, tracker,
                             self._in_range("checkup_expenses", value))

    async def validate_checkup_dependants(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: DomainDict) -> dict[str, Any]:
        ok = self._in_range("checkup_dependants", value) and float(value).is_integer()
        return self._checked("checkup_dependants", value, dispatcher, tracker, ok)

    async def validate_checkup_assets(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> dict[str, Any]:
        ok = isinstance(value, dict) and all(k in CATEGORY_NAMES and 0 <= v <= 1e11 for k, v in value.items())
        return self._checked("checkup_assets", value, dispatcher, tracker, ok)

    async def validate_checkup_insurance(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                         domain: DomainDict) -> dict[str, Any]:
        ok = isinstance(value, dict) and all(k in INSURANCE_ZH and 0 <= v <= 1e11 for k, v in value.items())
        return self._checked("checkup_insurance", value, dispatcher, tracker, ok)

    async def validate_checkup_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                         domain: DomainDict) -> dict[str, Any]:
        if value is True:
            return {"checkup_confirmed": True}
        dispatcher.utter_message(response="utter_checkup_stale_unconfirmed")
        return {"checkup_confirmed": None}



def client_of(identity: Identity | None) -> int | None:
    """The client id of a sender who is a known client."""
    return identity.client_id if identity is not None and identity.role == "client" else None


class ActionCheckupStart(Action):
    """Start a check-up: clear the last one, prefill a known client's facts from bank/ (asking to confirm
    income and expenses only when they are stale)."""

    def name(self) -> str:
        return "action_checkup_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        ok, identity = sender(dispatcher, tracker)
        if not ok:
            return []
        events: list[EventType] = [SlotSet(slot, None) for slot in CHECKUP_SLOTS]
        events.append(SlotSet("checkup_awaiting_risk", None))
        client_id = client_of(identity)
        if client_id is None or identity is None:
            if identity is not None and identity.role in STAFF_ROLES:
                # Staff running it themselves: say how to do it for an existing client, then run it for a
                # walk-in prospect (行外客户) as the form expects.
                dispatcher.utter_message(response="utter_checkup_staff_hint")
            dispatcher.utter_message(response="utter_checkup_intro_guest")
            return [*events, SlotSet("checkup_confirmed", True)]
        try:
            with session_scope() as session:
                facts = client_facts(session, client_id, today())
        except (SQLAlchemyError, LookupError) as error:
            log.error("check-up prefill failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_checkup_intro_guest")
            return [*events, SlotSet("checkup_confirmed", True)]
        dispatcher.utter_message(response="utter_checkup_intro_client", name=identity.name)
        insurance = {"life": facts.life_cover, "critical_illness": facts.critical_illness_cover,
                     "medical": facts.medical_cover}
        return [*events, SlotSet("checkup_age", float(facts.age)), SlotSet("checkup_income", facts.monthly_income),
                SlotSet("checkup_expenses", facts.monthly_expenses),
                SlotSet("checkup_dependants", float(facts.dependants)), SlotSet("checkup_assets", facts.holdings),
                SlotSet("checkup_insurance", insurance), SlotSet("checkup_confirmed", None if facts.stale else True)]


class ActionAskCheckupConfirmed(Action):
    """Show a known client the income, expenses and dependants on record and ask whether they still hold."""

    def name(self) -> str:
        return "action_ask_checkup_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(
            response="utter_checkup_confirm_record", income=fmt_yuan(tracker.get_slot("checkup_income") or 0),
            expenses=fmt_yuan(tracker.get_slot("checkup_expenses") or 0),
            dependants=int(tracker.get_slot("checkup_dependants") or 0))
        return []


def product_text(products: list[dict[str, str]]) -> str:
    """Products as short lines (name, risk level, category, why).

    >>> product_text([{"code": "BF001", "name": "远航纯债债券A", "risk_level": "R2", "category": "债券基金",
    ...                "why": "补足固收部分"}])
    '· 远航纯债债券A（R2，债券基金）：补足固收部分'
    """
    return "\n".join(f"· {p['name']}（{p['risk_level']}，{p['category']}）：{p['why']}" for p in products)


def proposal_card(title: str, description: str, token: str) -> dict[str, str]:
    """The chat card that opens a proposal page."""
    return {"type": "card", "title": title, "description": description,
            "url": public_url(proposal_path(token)), "button_text": "查看建议书"}


class ActionCheckupResult(Action):
    """Run the check-up, save it as a proposal and answer in a few lines, a chart, products and a link."""

    def name(self) -> str:
        return "action_checkup_result"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        ok, identity = sender(dispatcher, tracker)
        if not ok:
            return []
        client_id = client_of(identity)
        try:
            with session_scope() as session:
                facts = client_facts(session, client_id, today()) if client_id else None
                choice = level_for_checkup(facts.risk if facts else None, tracker.get_slot("risk_level_result"))
                inp = checkup_input(
                    age=int(tracker.get_slot("checkup_age")), monthly_income=tracker.get_slot("checkup_income"),
                    monthly_expenses=tracker.get_slot("checkup_expenses"),
                    dependants=int(tracker.get_slot("checkup_dependants")),
                    holdings=tracker.get_slot("checkup_assets") or {},
                    insurance=tracker.get_slot("checkup_insurance") or {}, risk_level=choice.level, facts=facts)
                result = run_checkup(inp)
                categories = raise_with(result, n=3)
                products = suitable_products(session, choice.level, categories, 3) if choice.products_allowed else []
                subject = (mask_name(identity.name) or "客户") if client_id and identity else "访客"
                payload = build_payload(result, subject=subject, inp=inp, choice=choice, products=products)
                proposal = create_proposal(session, kind="checkup", payload=payload, client_id=client_id)
                token = proposal.share_token
        except CalcInputError as error:
            dispatcher.utter_message(response="utter_checkup_failed", reason=error.reason_zh)
            return []
        except (SQLAlchemyError, TypeError, ValueError) as error:
            log.error("check-up failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        record_usage(tracker, "checkup", known_client=bool(client_id), score=result.score)
        dispatcher.utter_message(text="\n".join(checkup_summary(result)))
        dispatcher.utter_message(image=public_url(chart_path(token, "allocation")))
        events: list[EventType] = [SlotSet("checkup_categories", categories)]
        if payload["products"]:
            dispatcher.utter_message(text="\n".join([
                f"符合您风险等级（{choice.level}）的产品，可以先了解{choice.note}：", product_text(payload["products"]),
                PRODUCT_NOTICE]))
            events.append(SlotSet("checkup_awaiting_risk", False))
        else:
            dispatcher.utter_message(response="utter_checkup_offer_risk", note=choice.note)
            events.append(SlotSet("checkup_awaiting_risk", True))
        dispatcher.utter_message(json_message=proposal_card(
            "财富体检报告", f"体检得分{result.score}分，含三笔钱、配置建议和风险提示", token))
        return events
