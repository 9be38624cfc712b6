"""How people name the period of a wealth statement in chat ("本月收益", "近一年赚了多少", "累计收益").

A leaf: standard library only, imported by both Python environments alike. Reads the first
lexicon.bounds.MAX_TEXT_CHARS characters of a message and never raises.
"""

from __future__ import annotations

from lexicon.bounds import clip

PERIOD_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("this_month", ("本月", "这个月", "这月", "当月", "月度")),
    ("last_12_months", ("近一年", "最近一年", "近1年", "过去一年", "过去12个月", "近12个月", "最近12个月", "一年来")),
    ("this_year", ("今年", "本年", "年初", "年度")),
    ("since_first", ("全部", "以来", "所有", "历史", "一共", "总共", "累计")),
)
"""Statement periods (calc.statement.PERIODS) and the words that name them, tried in this order."""


def statement_period(text: str) -> str | None:
    """The statement period a message names (calc.statement.PERIODS), None when it names none.

    >>> statement_period("看看本月收益"), statement_period("近一年赚了多少"), statement_period("今年的账单")
    ('this_month', 'last_12_months', 'this_year')
    >>> statement_period("买入以来一共赚了多少"), statement_period("我的账单") is None
    ('since_first', True)
    """
    text = clip(text)
    for period, words in PERIOD_WORDS:
        if any(word in text for word in words):
            return period
    return None
