"""Numbers in the raw text of a chat message: amounts, ages, years, percentages and yes/no.

DIET's entities miss Chinese numerals (两万五, 一百二十万) and colloquial forms (2万5, 50w), so forms read the
message text with these pure functions. Every function returns None when the text holds no such value.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4, "肆": 4,
          "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9}
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "k": 1000, "K": 1000}
BIG_UNITS = {"万": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000}
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．％－", "0123456789.%-")
_SPAN = re.compile(r"(?:负|-)?(?:\d+(?:\.\d+)?|[零〇一壹二贰两三叁四肆五伍六陆七柒八捌九玖十拾百佰千仟万亿])"
                   r"(?:\d+(?:\.\d+)?|[零〇一壹二贰两三叁四肆五伍六陆七柒八捌九玖十拾百佰千仟万亿kKwW])*")
# Words that start with a numeral but are not numbers.
_NOT_NUMBERS = ("一开始", "一会", "一下", "一点", "一些", "一个人", "一起", "一直", "一般", "一样", "万一", "一定", "一次性", "一共",
                "十分", "千万别", "千万不要", "百分之", "一遍", "一份", "一笔", "一句")
# Units after a number that mean it is not an amount of money.
_NOT_MONEY = ("岁", "年", "个月", "月", "%", "个点", "倍", "人", "口", "个", "次", "天", "周", "号", "日", "期", "只",
              "项", "份", "位", "种", "级", "分", "套", "张", "辆", "家", "台", "孩子", "个孩子")
_YES = ("确认", "确定", "是的", "是", "对", "好", "可以", "行", "嗯", "没问题", "同意", "要", "yes", "ok", "y")
_NO = ("不是", "不对", "不要", "不用", "不行", "不确认", "不同意", "否", "没有", "取消", "算了", "暂不", "不", "no", "n")


def _normalise(text: str) -> str:
    return re.sub(r"(?<=\d)[,，](?=\d{3}(?!\d))", "", text.translate(_FULL_WIDTH))


def _value(span: str) -> float | None:
    """The number a numeral span stands for, with colloquial elision (2万5 = 25,000, 一万二 = 12,000).

    >>> [_value(s) for s in ("25000", "2万5", "两万五", "一百二十万", "3千", "1.5万", "50w", "5k", "十万")]
    [25000.0, 25000.0, 25000.0, 1200000.0, 3000.0, 15000.0, 500000.0, 5000.0, 100000.0]
    >>> [_value(s) for s in ("一百零五", "2万零5", "1万2000", "三十五", "十", "3千5", "一亿")]
    [105.0, 20005.0, 12000.0, 35.0, 10.0, 3500.0, 100000000.0]
    """
    tokens = re.findall(r"\d+(?:\.\d+)?|.", span)
    total = 0.0
    section = 0.0
    number: float | None = None
    number_is_single_digit = False
    last_unit = 0
    after_zero = False
    for token in tokens:
        if token[0].isdigit():
            number, number_is_single_digit = float(token), len(token) == 1
        elif token in DIGITS:
            if DIGITS[token] == 0:
                after_zero = True
                number = None
                continue
            number, number_is_single_digit = float(DIGITS[token]), True
        elif token in SMALL_UNITS:
            unit = SMALL_UNITS[token]
            section += (number if number is not None else 1.0) * unit
            number, last_unit, after_zero = None, unit, False
        elif token in BIG_UNITS:
            unit = BIG_UNITS[token]
            section = (section + (number or 0.0)) * unit if (section or number) else float(unit)
            total += section
            section, number, last_unit, after_zero = 0.0, None, unit, False
        else:
            return None
    if number is not None:
        if last_unit >= 10 and number_is_single_digit and not after_zero:
            number *= last_unit / 10  # 2万5, 一万二, 3千5: the digit counts in the next smaller unit
        section += number
    value = total + section
    return value if tokens else None


def _spans(text: str) -> list[tuple[float, str]]:
    """Every number in `text` with the characters that follow it, skipping idioms such as 一下 and 十分."""
    text = _normalise(text)
    found: list[tuple[float, str]] = []
    for match in _SPAN.finditer(text):
        raw = match.group(0)
        if any(text.startswith(word, match.start()) for word in _NOT_NUMBERS):
            continue
        negative = raw.startswith(("负", "-"))
        body = raw.lstrip("负-")
        if not body or body[0] in "kKwW":
            continue
        value = _value(body)
        if value is None:
            continue
        found.append((-value if negative else value, text[match.end():match.end() + 3]))
    return found


def parse_number(text: str) -> float | None:
    """The first number in the text (Arabic or Chinese numerals, 万/千 units, a leading minus).

    >>> parse_number("大概三十五吧"), parse_number("-5"), parse_number("没有数字") is None
    (35.0, -5.0, True)
    """
    spans = _spans(text)
    return spans[0][0] if spans else None


def parse_int(text: str) -> int | None:
    """The first number as an integer (rounded half up).

    >>> parse_int("两个孩子"), parse_int("3.6")
    (2, 4)
    """
    value = parse_number(text)
    return None if value is None else int(Decimal(str(value)).quantize(Decimal(1), ROUND_HALF_UP))


def parse_amount(text: str) -> Decimal | None:
    """The first amount of money in yuan, two decimals; numbers followed by 岁, 年, % and the like are skipped.

    >>> [str(parse_amount(s)) for s in ("2万5", "两万五", "25000元", "50w", "一百二十万", "3千", "1.5万", "5k")]
    ['25000.00', '25000.00', '25000.00', '500000.00', '1200000.00', '3000.00', '15000.00', '5000.00']
    >>> str(parse_amount("我35岁，月收入2万")), str(parse_amount("不对，收入是3万")), parse_amount("十年") is None
    ('20000.00', '30000.00', True)
    >>> str(parse_amount("-5")), str(parse_amount("每月存１，０００块"))
    ('-5.00', '1000.00')
    """
    for value, after in _spans(text):
        if after.startswith(_NOT_MONEY) and not after.startswith(("月收入", "月支出", "月开销")):
            continue
        return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return None


def _first_with_unit(text: str, units: tuple[str, ...]) -> float | None:
    spans = _spans(text)
    for value, after in spans:
        if after.startswith(units):
            return value
    return None


def parse_age(text: str) -> int | None:
    """An age: a number followed by 岁 (周岁), else the first number.

    >>> parse_age("我今年三十五岁"), parse_age("45"), parse_age("300岁"), parse_age("老了") is None
    (35, 45, 300, True)
    """
    value = _first_with_unit(text, ("岁", "周岁"))
    if value is None:
        value = parse_number(text)
    return None if value is None else int(value)


def parse_years(text: str) -> int | None:
    """A number of years: a number followed by 年 (年后, 年内), else the first number.

    >>> parse_years("大概十年吧"), parse_years("存20年"), parse_years("5"), parse_years("半年") is None
    (10, 20, 5, True)
    """
    value = _first_with_unit(text, ("年",))
    if value is None:
        value = parse_number(text)
    return None if value is None else int(value)


def parse_percent(text: str) -> float | None:
    """A rate as a fraction: 3% / 3％ / 百分之三 / 3个点 → 0.03; a bare number above 1 counts as percent.

    >>> parse_percent("收益改成5%"), parse_percent("百分之二点五"), parse_percent("3个点"), parse_percent("4")
    (0.05, 0.025, 0.03, 0.04)
    >>> parse_percent("0.035"), parse_percent("没有") is None
    (0.035, True)
    """
    normal = _normalise(text)
    match = re.search(r"百分之([零〇一二两三四五六七八九十百点\d.]+)", normal)
    if match:
        whole, _, decimals = match.group(1).partition("点")
        value = _value(whole)
        if value is None:
            return None
        if decimals:
            value += float("0." + "".join(str(DIGITS.get(c, c)) for c in decimals))
        return round(value / 100, 10)
    explicit = _first_with_unit(text, ("%", "个点", "点"))
    if explicit is not None:
        return round(explicit / 100, 10)
    value = parse_number(text)
    if value is None:
        return None
    return round(value / 100, 10) if abs(value) > 1 else value


def yes_no(text: str) -> bool | None:
    """Whether a short reply agrees (True), refuses (False) or neither (None).

    >>> yes_no("确认"), yes_no("好的"), yes_no("不用了"), yes_no("不是"), yes_no("明天吧") is None
    (True, True, False, False, True)
    """
    normal = text.strip().lower()
    if any(word in normal for word in _NO if len(word) > 1) or normal in _NO or normal.startswith("不"):
        return False
    if any(word in normal for word in _YES if len(word) > 1 or word in "是对好行嗯要") or normal in _YES:
        return True
    return None


NONE_WORDS = ("没有", "没", "无", "零", "不知道", "不清楚", "不确定", "暂时不")
"""Words in a reply that mean "nothing" or "none to speak of" (a form then takes 0)."""


def says_none(text: str) -> bool:
    """Whether a reply means "nothing" (没有 / 都没 / 不知道 / 0).

    >>> says_none("都没有"), says_none("不知道"), says_none("0元"), says_none("零"), says_none("10万")
    (True, True, True, True, False)
    """
    return text.strip() in ("0", "0元") or any(word in text for word in NONE_WORDS)

