"""Numbers in the raw text of a chat message: amounts, ages, years, percentages and yes/no.

DIET's entities miss Chinese numerals (两万五, 一百二十万) and colloquial forms (2万5, 50w), so forms read the
message text with these pure functions. Every function returns None when the text holds no such value, and
when the value is beyond lexicon.bounds (too many digits, too large): none of them raises for any text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal

from lexicon.bounds import MAX_DIGITS, bounded, clip, significant_digits

DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4, "肆": 4,
          "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9}
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "k": 1000, "K": 1000}
BIG_UNITS = {"万": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000}
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．％－", "0123456789.%-")
_SPAN = re.compile(r"(?:负|-)?(?:[0-9]+(?:\.[0-9]+)?|[零〇一壹二贰两三叁四肆五伍六陆七柒八捌九玖十拾百佰千仟万亿])"
                   r"(?:[0-9]+(?:\.[0-9]+)?|[零〇一壹二贰两三叁四肆五伍六陆七柒八捌九玖十拾百佰千仟万亿kKwW])*")
_TOKEN = re.compile(r"[0-9]+(?:\.[0-9]+)?|.")
_ROUNDING = Context(prec=34, rounding=ROUND_HALF_UP)  # any bounded value to the cent, whatever the global context
# Words that start with a numeral but are not numbers.
_NOT_NUMBERS = ("一开始", "一会", "一下", "一点", "一些", "一个人", "一起", "一直", "一般", "一样", "万一", "一定", "一次性", "一共",
                "十分", "千万别", "千万不要", "百分之", "一遍", "一份", "一笔", "一句")
# Units after a number that mean it is not an amount of money.
_NOT_MONEY = ("岁", "年", "个月", "月", "%", "个点", "倍", "人", "口", "个", "次", "天", "周", "号", "日", "期", "只",
              "项", "份", "位", "种", "级", "分", "套", "张", "辆", "家", "台", "孩子", "个孩子")
_YES = ("确认", "确定", "是的", "是", "对", "好", "可以", "行", "嗯", "没问题", "同意", "要", "yes", "ok", "y")
_NO = ("不是", "不对", "不要", "不用", "不行", "不确认", "不同意", "否", "没有", "取消", "算了", "暂不", "不", "no", "n")


def _normalise(text: str) -> str:
    return re.sub(r"(?<=\d)[,，](?=\d{3}(?!\d))", "", clip(text).translate(_FULL_WIDTH))


def _value(span: str) -> float | None:
    """The number a numeral span stands for, with colloquial elision (2万5 = 25,000, 一万二 = 12,000); None for
    a numeral with more than MAX_DIGITS significant digits. A big unit right after another multiplies the group
    before it (一万亿 = 10^12, 亿亿 = 10^16).

    >>> [_value(s) for s in ("25000", "2万5", "两万五", "一百二十万", "3千", "1.5万", "50w", "5k", "十万")]
    [25000.0, 25000.0, 25000.0, 1200000.0, 3000.0, 15000.0, 500000.0, 5000.0, 100000.0]
    >>> [_value(s) for s in ("一百零五", "2万零5", "1万2000", "三十五", "十", "3千5", "一亿", "一亿零五万")]
    [105.0, 20005.0, 12000.0, 35.0, 10.0, 3500.0, 100000000.0, 100050000.0]
    >>> _value("一万亿"), _value("两千万亿"), _value("9" * 16)
    (1000000000000.0, 2000000000000000.0, None)
    """
    tokens = _TOKEN.findall(span)
    reader = _NumeralReader()
    for token in tokens:
        if not reader.read(token):
            return None
    return reader.value() if tokens else None


@dataclass
class _NumeralReader:
    """The state of reading one numeral span token by token (see `_value`)."""

    total: float = 0.0  # the groups before the latest one
    group: float = 0.0  # the latest group closed by a big unit (两千万 in 两千万亿)
    section: float = 0.0
    number: float | None = None
    number_is_single_digit: bool = False
    last_unit: int = 0
    after_zero: bool = False
    after_big_unit: bool = False

    def read(self, token: str) -> bool:
        """Take one token; False when the span is not a number we accept."""
        if token[0] in "0123456789":
            if significant_digits(token) > MAX_DIGITS:
                return False
            self.number, self.number_is_single_digit = float(token), len(token) == 1
        elif token in DIGITS:
            if DIGITS[token] == 0:
                self.after_zero, self.number, self.after_big_unit = True, None, False
                return True
            self.number, self.number_is_single_digit = float(DIGITS[token]), True
        elif token in SMALL_UNITS:
            unit = SMALL_UNITS[token]
            self.section += (self.number if self.number is not None else 1.0) * unit
            self.number, self.last_unit, self.after_zero = None, unit, False
        elif token in BIG_UNITS:
            self._big(BIG_UNITS[token])
            return True
        else:
            return False
        self.after_big_unit = False
        return True

    def _big(self, unit: int) -> None:
        if self.section or self.number:
            self.total, self.group = self.total + self.group, (self.section + (self.number or 0.0)) * unit
        elif self.after_big_unit:
            self.group *= unit
        else:
            self.total, self.group = self.total + self.group, float(unit)
        self.section, self.number, self.last_unit, self.after_zero = 0.0, None, unit, False
        self.after_big_unit = True

    def value(self) -> float:
        section = self.section
        if self.number is not None:
            number = self.number
            if self.last_unit >= 10 and self.number_is_single_digit and not self.after_zero:
                number *= self.last_unit / 10  # 2万5, 一万二, 3千5: the digit counts in the next smaller unit
            section += number
        return self.total + self.group + section


def _spans(text: str) -> list[tuple[float | None, str]]:
    """Every number in `text` with the characters that follow it, skipping idioms such as 一下 and 十分; the
    value is None for a number written but beyond lexicon.bounds, so that the parse gives no value rather
    than the next number along.

    >>> _spans("每人" + "9" * 27 + "元，共3位")
    [(None, '元，共'), (3.0, '位')]
    """
    text = _normalise(text)
    found: list[tuple[float | None, str]] = []
    for match in _SPAN.finditer(text):
        raw = match.group(0)
        if any(text.startswith(word, match.start()) for word in _NOT_NUMBERS):
            continue
        negative = raw.startswith(("负", "-"))
        body = raw.lstrip("负-")
        if not body or body[0] in "kKwW":
            continue
        value = _value(body)
        value = None if value is None else bounded(-value if negative else value)
        found.append((value, text[match.end():match.end() + 3]))
    return found


def parse_number(text: str) -> float | None:
    """The first number in the text (Arabic or Chinese numerals, 万/千 units, a leading minus).

    >>> parse_number("大概三十五吧"), parse_number("-5"), parse_number("没有数字") is None
    (35.0, -5.0, True)
    >>> parse_number("9" * 400) is None, parse_number("一亿亿亿亿亿亿亿亿") is None
    (True, True)
    """
    spans = _spans(text)
    return spans[0][0] if spans else None


def parse_int(text: str) -> int | None:
    """The first number as an integer (rounded half up).

    >>> parse_int("两个孩子"), parse_int("3.6")
    (2, 4)
    """
    value = parse_number(text)
    return None if value is None else int(Decimal(str(value)).quantize(Decimal(1), context=_ROUNDING))


def parse_amount(text: str) -> Decimal | None:
    """The first amount of money in yuan, two decimals; numbers followed by 岁, 年, % and the like are skipped.

    >>> [str(parse_amount(s)) for s in ("2万5", "两万五", "25000元", "50w", "一百二十万", "3千", "1.5万", "5k")]
    ['25000.00', '25000.00', '25000.00', '500000.00', '1200000.00', '3000.00', '15000.00', '5000.00']
    >>> str(parse_amount("我35岁，月收入2万")), str(parse_amount("不对，收入是3万")), parse_amount("十年") is None
    ('20000.00', '30000.00', True)
    >>> str(parse_amount("-5")), str(parse_amount("每月存１，０００块"))
    ('-5.00', '1000.00')
    >>> parse_amount("每人999999999999999999999999999元") is None, parse_amount("一百万亿") is None
    (True, True)
    """
    found = _first_amount(text)
    if found is None or found[0] is None:
        return None
    return Decimal(str(found[0])).quantize(Decimal("0.01"), context=_ROUNDING)


def amount_beyond_bounds(text: str) -> bool:
    """Whether the text writes an amount that parse_amount reads as no value because it is beyond
    lexicon.bounds, so a caller can tell "每人9999…9元" (ask again) from no amount at all (take a default).

    >>> amount_beyond_bounds("每人" + "9" * 27 + "元"), amount_beyond_bounds("每人5万"), amount_beyond_bounds("推给他们")
    (True, False, False)
    """
    found = _first_amount(text)
    return found is not None and found[0] is None


def _first_amount(text: str) -> tuple[float | None] | None:
    """(value,) of the first number that is not followed by 岁, 年, % and the like, else None."""
    for value, after in _spans(text):
        if after.startswith(_NOT_MONEY) and not after.startswith(("月收入", "月支出", "月开销")):
            continue
        return (value,)
    return None


def _first_with_unit(text: str, units: tuple[str, ...]) -> tuple[float | None] | None:
    """(value,) of the first number followed by one of `units` (the value None when beyond bounds), else None."""
    for value, after in _spans(text):
        if after.startswith(units):
            return (value,)
    return None


def parse_age(text: str) -> int | None:
    """An age: a number followed by 岁 (周岁), else the first number.

    >>> parse_age("我今年三十五岁"), parse_age("45"), parse_age("300岁"), parse_age("老了") is None
    (35, 45, 300, True)
    >>> parse_age("9" * 400 + "岁") is None, parse_age("孩子2个，我" + "9" * 20 + "岁") is None
    (True, True)
    """
    found = _first_with_unit(text, ("岁", "周岁"))
    value = found[0] if found else parse_number(text)
    return None if value is None else int(value)


def parse_years(text: str) -> int | None:
    """A number of years: a number followed by 年 (年后, 年内), else the first number.

    >>> parse_years("大概十年吧"), parse_years("存20年"), parse_years("5"), parse_years("半年") is None
    (10, 20, 5, True)
    """
    found = _first_with_unit(text, ("年",))
    value = found[0] if found else parse_number(text)
    return None if value is None else int(value)


def parse_percent(text: str) -> float | None:
    """A rate as a fraction: 3% / 3％ / 百分之三 / 3个点 → 0.03; a bare number above 1 counts as percent.

    >>> parse_percent("收益改成5%"), parse_percent("百分之二点五"), parse_percent("3个点"), parse_percent("4")
    (0.05, 0.025, 0.03, 0.04)
    >>> parse_percent("0.035"), parse_percent("没有") is None
    (0.035, True)
    >>> parse_percent("百分之三点十") is None, parse_percent("百分之" + "9" * 400) is None
    (True, True)
    """
    normal = _normalise(text)
    match = re.search(r"百分之([零〇一二两三四五六七八九十百点0-9.]+)", normal)
    if match:
        whole, _, decimals = match.group(1).partition("点")
        value = _value(whole)
        if value is None or bounded(value) is None:
            return None
        if decimals:  # 点 then single digits: 二点五, 3点25
            places = "".join(str(DIGITS[c]) if c in DIGITS else c for c in decimals)
            if not places.isascii() or not places.isdigit() or significant_digits(places) > MAX_DIGITS:
                return None
            value += float("0." + places)
        return round(value / 100, 10)
    explicit = _first_with_unit(text, ("%", "个点", "点"))
    if explicit is not None:
        return None if explicit[0] is None else round(explicit[0] / 100, 10)
    value = parse_number(text)
    if value is None:
        return None
    return round(value / 100, 10) if abs(value) > 1 else value


def yes_no(text: str) -> bool | None:
    """Whether a short reply agrees (True), refuses (False) or neither (None).

    >>> yes_no("确认"), yes_no("好的"), yes_no("不用了"), yes_no("不是"), yes_no("明天吧") is None
    (True, True, False, False, True)
    """
    normal = clip(text).strip().lower()
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
    text = clip(text)
    return text.strip() in ("0", "0元") or any(word in text for word in NONE_WORDS)

