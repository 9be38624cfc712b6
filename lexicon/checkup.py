"""How people word the six check-up answers (age, income, expenses, dependants, assets, insurance) in chat.

A message is cut into clauses; a clause names a field by one of its words ("收入是3万"), and amounts by kind
are read from "存款10万，理财20万" or "10万存款和两万五的股票". Pure functions of the text that never raise and
read the first lexicon.bounds.MAX_TEXT_CHARS characters: the Rasa process and the action server both import
this module (standard library and lexicon.numbers only).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from lexicon.bounds import clip
from lexicon.numbers import amount_beyond_bounds, parse_age, parse_amount, parse_int, says_none

INVALID = "__invalid__"
"""A value meaning "answered, but unreadable": the form turns it into a polite re-ask."""
QUESTION_MARKS = ("?", "？", "吗", "什么", "怎么", "如何", "为什么", "哪些", "区别", "能不能", "是否")
NEGATIONS = ("没有", "没买", "无")
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
"""Words for kinds of assets → holding category (bank.models.CATEGORY_NAMES; the longest word wins)."""
INSURANCE_WORDS: Mapping[str, str] = {
    "重疾险": "critical_illness", "重疾": "critical_illness", "重大疾病": "critical_illness",
    "大病": "critical_illness", "寿险": "life", "人寿": "life", "定寿": "life", "终身寿": "life",
    "百万医疗": "medical", "医疗险": "medical", "医疗": "medical", "住院": "medical",
}
"""Words for kinds of cover → kind of cover ("life", "critical_illness", "medical")."""
MEDICAL_DEFAULT = Decimal("1000000.00")
"""Cover assumed for "有百万医疗" / "有医疗险" said without an amount."""
FIELD_WORDS: Mapping[str, tuple[str, ...]] = {
    "age": ("年龄", "今年", "周岁"),
    "income": ("收入", "工资", "薪水", "月薪", "税后", "挣"),
    "expenses": ("支出", "开销", "花销", "开支", "花费", "花"),
    "dependants": ("孩子", "小孩", "老人", "父母", "抚养", "赡养", "家人"),
    "assets": tuple(ASSET_WORDS),
    "insurance": (*INSURANCE_WORDS, "保险", "保额"),
}
"""Words by which a clause names one of the six check-up fields."""


def clauses(text: str) -> list[str]:
    """A message cut at punctuation into clauses.

    >>> clauses("不对，收入是3万；开销1万")
    ['不对', '收入是3万', '开销1万']
    """
    return [c.strip() for c in CLAUSE_SPLIT.split(clip(text)) if c.strip()]


def names_field(clause: str, field: str) -> bool:
    """Whether a clause names a field by one of its words.

    >>> names_field("收入是3万", "income"), names_field("3万", "income")
    (True, False)
    """
    clause = clip(clause)
    return any(word in clause for word in FIELD_WORDS[field])


def names_any_field(text: str) -> bool:
    """Whether any clause of a message names any check-up field ("开销改成1万" does, "对" does not).

    >>> names_any_field("开销改成1万"), names_any_field("对")
    (True, False)
    """
    return any(names_field(c, f) for c in clauses(text) for f in FIELD_WORDS)


def looks_like_question(text: str) -> bool:
    """Whether a message reads as a question rather than an answer.

    >>> looks_like_question("重疾险和医疗险有什么区别？"), looks_like_question("35岁")
    (True, False)
    """
    text = clip(text)
    return any(mark in text for mark in QUESTION_MARKS)


def _word_pattern(words: Mapping[str, str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE)


_PATTERNS = {id(ASSET_WORDS): _word_pattern(ASSET_WORDS), id(INSURANCE_WORDS): _word_pattern(INSURANCE_WORDS)}


def _keyword_hits(clause: str, pattern: re.Pattern[str]) -> list[tuple[str, int, int]]:
    """(first keyword, start, end) of each keyword; adjacent keywords ("QDII基金") merge into one."""
    hits: list[tuple[str, int, int]] = []
    for match in pattern.finditer(clause):
        if hits and hits[-1][2] == match.start():
            hits[-1] = (hits[-1][0], hits[-1][1], match.end())
        else:
            hits.append((match.group(0), match.start(), match.end()))
    return hits


def _segments(clause: str, pattern: re.Pattern[str]) -> list[tuple[str, str, str]]:
    """(keyword, text around it, text just before it) triples: the text runs from one keyword to the next, or,
    when the amount comes first ("10万存款"), from the previous keyword's end to this keyword's end."""
    hits = _keyword_hits(clause, pattern)
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


def _clause_amounts(clause: str, pattern: re.Pattern[str], lookup: Mapping[str, str],
                    default: Mapping[str, Decimal]) -> tuple[list[tuple[str, Decimal]], bool]:
    """Amounts by kind in one clause, and whether part of it was unclear."""
    parts = _segments(clause, pattern)
    if not parts:
        written = parse_amount(clause) is not None or amount_beyond_bounds(clause)
        return [], written and not says_none(clause)
    found: list[tuple[str, Decimal]] = []
    unclear = False
    for word, part, lead in parts:
        kind = lookup[word.lower()]
        words_out = pattern.sub(" ", part)
        amount = parse_amount(words_out)
        if any(neg in lead or neg in part for neg in NEGATIONS):
            amount = Decimal("0.00")
        if amount is None and not amount_beyond_bounds(words_out):
            amount = default.get(kind)
        if amount is None or amount < 0:
            unclear = True
            continue
        found.append((kind, amount))
    return found, unclear


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
    >>> parse_by_kind("医疗险保额" + "9" * 20, INSURANCE_WORDS, {"medical": MEDICAL_DEFAULT}) is None  # no default
    True
    """
    text = clip(text)
    pattern = _PATTERNS.get(id(words)) or _word_pattern(words)
    lookup = {w.lower(): kind for w, kind in words.items()}
    found: dict[str, Decimal] = {}
    unclear = False
    for clause in clauses(text.replace("和", "，").replace("还有", "，").replace("另外", "，")):
        amounts, clause_unclear = _clause_amounts(clause, pattern, lookup, default or {})
        unclear = unclear or clause_unclear
        for kind, amount in amounts:
            found[kind] = found.get(kind, Decimal("0.00")) + amount
    if unclear:
        return None
    if not found:
        return {} if says_none(text) else None
    return found


def parse_dependants(text: str) -> int | None:
    """Number of people the user supports ("两个孩子" → 2, "没有" → 0).

    >>> parse_dependants("两个孩子"), parse_dependants("没有"), parse_dependants("嗯") is None
    (2, 0, True)
    """
    text = clip(text)
    value = parse_int(text)
    if value is None and says_none(text):
        return 0
    return value


def _number(parse: Callable[[str], Any]) -> Callable[[str], float | None]:
    def read(text: str) -> float | None:
        value = parse(text)
        return None if value is None else float(value)
    return read


def _by_kind(words: Mapping[str, str], default: Mapping[str, Decimal] | None = None
             ) -> Callable[[str], dict[str, float] | None]:
    def read(text: str) -> dict[str, float] | None:
        found = parse_by_kind(text, words, default)
        return None if found is None else {k: float(v) for k, v in found.items()}
    return read


READERS: Mapping[str, Callable[[str], Any]] = {
    "age": _number(parse_age), "income": _number(parse_amount), "expenses": _number(parse_amount),
    "dependants": _number(parse_dependants), "assets": _by_kind(ASSET_WORDS),
    "insurance": _by_kind(INSURANCE_WORDS, {"medical": MEDICAL_DEFAULT}),
}
"""Each field's value from text: a float for numbers, {kind: yuan} for assets and insurance, None if absent."""


def read_field(field: str, text: str, asked: str | None, *, off_form: bool = False) -> Any:
    """The value of `field` in a message: from clauses that name it, or, when it is the field being asked,
    from the clauses that name no other field. INVALID marks an answer that could not be read; None means the
    message says nothing about this field (a digression, another field's correction). `off_form` says the
    message was classified as something other than an answer (a question, a greeting): it then counts only
    when it holds a value and reads as no question.

    >>> read_field("income", "不对，收入是3万", "assets"), read_field("assets", "不对，收入是3万", "assets") is None
    (30000.0, True)
    >>> read_field("age", "三百岁", "age"), read_field("age", "嗯", "age")
    (300.0, '__invalid__')
    >>> read_field("age", "年金险是什么？", "age", off_form=True) is None
    True
    """
    read = READERS[field]
    text = clip(text)
    parts = clauses(text) or [text]
    mine = [c for c in parts if names_field(c, field)]
    if field != asked:
        if not mine or (off_form and looks_like_question(text)):
            return None
        return read("，".join(mine))
    rest = [c for c in parts if not any(names_field(c, f) for f in READERS if f != field)]
    value = read("，".join(rest)) if rest else None
    if value is None and mine:
        value = read("，".join(mine))
    if off_form and (value is None or looks_like_question(text)):
        return None
    if value is None:
        return None if len(rest) < len(parts) else INVALID
    return value
