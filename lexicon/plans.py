"""How people word the answers of the four plans in chat: the words that name each field, "none" words, mixes.

A message may name the field it sets ("不对，每月能存5000", "收益改成5%"); then the value is read without the
field's own words, so numerals inside them (一开始) are not the value. Pure functions of the text that never raise
and read the first lexicon.bounds.MAX_TEXT_CHARS characters: standard library and lexicon.numbers only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lexicon.bounds import clip
from lexicon.numbers import parse_age, parse_amount, parse_percent, parse_years, says_none

MIX_WORDS = {"保守": "保守", "稳健": "稳健", "平衡": "平衡", "均衡": "平衡", "进取": "进取", "激进": "进取", "积极": "进取"}
"""Words for the four model mixes (services.plan_reports.MIXES)."""
_SAVINGS = ("现有", "已有", "手头", "本金", "存款", "积蓄", "准备了", "一次性", "现在有", "一开始")
FIELD_WORDS: dict[str, tuple[str, ...]] = {
    "plan_goal_amount": ("目标", "攒到", "攒够", "存到", "达到"),
    "plan_years": ("期限", "年限", "几年", "年后", "模拟"),
    "plan_initial": _SAVINGS,
    "plan_pension_savings": (*_SAVINGS, "养老钱"),
    "plan_retirement_corpus": (*_SAVINGS, "养老钱", "资金"),
    "plan_monthly_saving": ("每月能存", "每月存", "每个月存", "每月可以存", "月存", "定投", "每月投"),
    "plan_age": ("年龄", "今年", "我现在"),
    "plan_basic_pension": ("基本养老金", "社保", "退休金", "养老金每月"),
    "plan_retirement_age": ("退休",),
    "plan_monthly_income": ("收入", "工资", "月薪", "挣"),
    "plan_monthly_spending": ("每月取", "每月花", "支取", "开销", "花销", "生活费"),
    "plan_risk_mix": tuple(MIX_WORDS),
    "plan_annual_return": ("收益", "回报"),
    "plan_inflation": ("通胀", "通货膨胀", "物价"),
    "plan_replacement_ratio": ("替代率",),
}
"""Words that name a field in a correction, by slot (the savings slot worded per plan)."""


def parse_mix(text: str) -> str | None:
    """A mix name (保守/稳健/平衡/进取) named in the text.

    >>> parse_mix("选稳健的吧"), parse_mix("激进一点"), parse_mix("随便") is None
    ('稳健', '进取', True)
    """
    text = clip(text)
    return next((mix for word, mix in MIX_WORDS.items() if word in text), None)


PARSERS: dict[str, Callable[[str], Any]] = {
    "amount": lambda text: None if (value := parse_amount(text)) is None else float(value),
    "age": parse_age, "years": parse_years, "percent": parse_percent, "mix": parse_mix}
"""Readers by kind of value: amount (yuan, float), age, years, percent (a fraction), mix."""


def without_keywords(text: str, keywords: tuple[str, ...]) -> str:
    """The text with a field's words blanked out, so numerals inside them (一开始) are not read as values.

    >>> without_keywords("不对，一开始投2万5", ("一开始",)), without_keywords("10年后攒100万", ("年后",))
    ('不对，，投2万5', '10，攒100万')
    """
    for word in sorted(keywords, key=len, reverse=True):
        text = text.replace(word, "，")
    return text


def read_value(parse: str, text: str, *, zero_words: bool = False, keywords: tuple[str, ...] = (),
               named: bool = False) -> Any:
    """A value of kind `parse` in the text (0.0 for "没有" when `zero_words`), else None; a field the message
    `named` is read without its `keywords` first, then from the whole text.

    >>> read_value("amount", "没有", zero_words=True), read_value("amount", "一百二十万")
    (0.0, 1200000.0)
    >>> read_value("years", "大概十年吧"), read_value("age", "不告诉你") is None
    (10, True)
    >>> read_value("amount", "不对，一开始投2万5", keywords=FIELD_WORDS["plan_initial"], named=True)
    25000.0
    """
    text = clip(text)
    if named and (value := read_value(parse, without_keywords(text, keywords), zero_words=zero_words)) is not None:
        return value
    value = PARSERS[parse](text)
    return 0.0 if value is None and zero_words and says_none(text) else value
