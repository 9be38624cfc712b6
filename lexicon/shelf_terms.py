"""How clients word a product search ("一年以内的R2理财", "随时能取的", "起投一万以下", "比存款高一点的").

`parse_shelf_query` turns such a message into filters. Each reader finds its phrases and blanks them out, so a
word is read once ("比存款高" is a return wish, not the category 存款; "三年" is a term, not an amount); what is
left, without filler words, are keywords to look for in product names. Pure and standard library only (with
lexicon.numbers and lexicon.checkup), so the Rasa process may import it too; it never raises for any text and
reads the first lexicon.bounds.MAX_TEXT_CHARS characters.

Categories are bank.models.CATEGORY_NAMES keys, written out here because lexicon/ is a leaf.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from lexicon.bounds import clip
from lexicon.checkup import ASSET_WORDS
from lexicon.numbers import parse_amount, parse_number, parse_percent

FUNDS = ("bond_fund", "mixed_fund", "equity_fund", "index_fund", "qdii_fund")
INSURANCE = ("annuity_insurance", "critical_illness_insurance", "life_insurance")
_NOT_ON_SHELF = ("活期", "现金", "银行卡", "基金", "年金", "炒股")  # liquidity words, or broader on the shelf
CATEGORY_WORDS: Mapping[str, tuple[str, ...]] = {
    **{word: (category,) for word, category in ASSET_WORDS.items() if word not in _NOT_ON_SHELF},
    "基金": FUNDS, "公募基金": FUNDS, "保险": INSURANCE, "现金管理": ("cash_management",),
    "现金类": ("cash_management",), "货币": ("cash_management",), "货基": ("cash_management",),
    "宝宝类": ("cash_management",), "银行理财": ("wmp",), "理财产品": ("wmp",), "短债": ("bond_fund",),
    "债券型": ("bond_fund",), "固收": ("wmp", "bond_fund"), "固定收益": ("wmp", "bond_fund"),
    "混合": ("mixed_fund",), "偏股": ("mixed_fund", "equity_fund"), "股基": ("equity_fund",),
    "权益": ("equity_fund", "index_fund", "mixed_fund"), "指数": ("index_fund",), "宽基": ("index_fund",),
    "积存金": ("gold",), "贵金属": ("gold",), "定存": ("deposit",), "定期存款": ("deposit",), "存定期": ("deposit",),
    "年金险": ("annuity_insurance",), "年金保险": ("annuity_insurance",), "养老年金": ("annuity_insurance",),
    "教育金": ("annuity_insurance",), "重疾险": ("critical_illness_insurance",),
    "重疾": ("critical_illness_insurance",), "重大疾病": ("critical_illness_insurance",),
    "寿险": ("life_insurance",), "增额终身寿": ("life_insurance",), "终身寿": ("life_insurance",),
    "定寿": ("life_insurance",),
}
"""Words for kinds of products → categories (the longest word wins; "货币基金" is one word, not 货币 + 基金)."""
_GENERIC = ("基金", "理财", "保险", "产品", "型基金", "类", "型")  # after another category word: part of it
_NEGATION = re.compile(r"(不要|不想要|不想买|不买|别买|别|除了|除去|不考虑|排除|不含|不碰)[^，,。；;]{0,3}$")

RISK_NAMES = {1: "低风险", 2: "中低风险", 3: "中风险", 4: "中高风险", 5: "高风险"}
"""The usual label of each product risk level R1-R5, as product sheets print it."""
_RISK_WORDS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("中低风险", (2,)), ("中高风险", (4,)), ("低风险", (1,)), ("中风险", (3,)), ("高风险", (5,)),
    ("风险低一点", (1, 2)), ("风险小一点", (1, 2)), ("风险不要太高", (1, 2, 3)), ("风险不高", (1, 2)),
    ("风险低", (1, 2)), ("风险小", (1, 2)), ("保本", (1,)), ("不能亏", (1,)), ("不想亏", (1, 2)),
    ("不亏", (1, 2)), ("稳一点", (1, 2)), ("稳健", (1, 2)), ("稳妥", (1, 2)), ("保守", (1,)), ("安全", (1, 2)),
)
_LEVEL = re.compile(r"(不超过|最高|最多|至少|不低于)?\s*[RrＲ]\s*([1-5１-５])\s*级?\s*"
                    r"(及以下|或以下|以下|以内|之内|及以内|及以上|或以上|以上)?")
_AT_MOST, _AT_LEAST = ("不超过", "最高", "最多", "及以下", "或以下", "以下", "以内", "之内", "及以内"), \
    ("至少", "不低于", "及以上", "或以上", "以上")

_NUM = r"[0-9０-９.．零〇一二两三四五六七八九十百]+"
_TERM = re.compile(rf"(不超过|最多|最长|少于|不到|低于|至少|超过|大于|长于|最少|不少于)?\s*(?:放|存|投|买|锁)?\s*({_NUM})\s*个?\s*"
                   r"(天|日|周|星期|月|年)(期)?\s*(以内|之内|内|以下|及以下|或以下|以上|及以上|或以上|起|往上|"
                   r"左右|上下|后要用|后用|后就要用|后就用)?")
_TERM_SPELLED = (("一年半", "18个月"), ("两年半", "30个月"), ("半年", "6个月"), ("半个月", "15天"),
                 ("一个季度", "3个月"), ("一季度", "3个月"), ("两个季度", "6个月"), ("季度", "3个月"))
_UNIT_DAYS = {"天": 1.0, "日": 1.0, "周": 7.0, "星期": 7.0, "月": 365 / 12, "年": 365.0}
_TERM_WORDS: tuple[tuple[str, int | None, int | None, str], ...] = (
    ("短期", None, 183, "短期（半年以内）"), ("长期", 1095, None, "长期（三年以上）"),
    ("明年要用", None, 365, "一年以内"), ("今年要用", None, 183, "半年以内"))
_AROUND = 0.25  # "半年期", "一年左右": within a quarter of the stated term either way

_MONEY = re.compile(rf"(起投|起购|起点|门槛|最低|手里|手头|只有|就有|有|预算|本金|不超过|最多)?\s*"
                    rf"({_NUM}(?:[万千wWkK])?)(?![年月天日周个%％点倍岁号期])\s*(元|块钱|块|rmb)?\s*"
                    r"(以下|以内|之内|内|及以下|或以下|起|以上|及以上|能买|可以买|就能买|能投|左右)?")

_PCT = r"(?:百分之[零〇一二两三四五六七八九十百点]+|[0-9０-９.．]+\s*(?:%|％|个点|点)?)"
_RETURN_RANGE = re.compile(rf"({_PCT})\s*(?:到|至|-|~|～|—)\s*({_PCT})")
_RETURN_ONE = re.compile(r"(超过|高于|大于|至少|不低于|不超过|低于|不到)?\s*(年化|收益率?|回报|利率)?\s*"
                         r"(?:在|是|有|能到|达到)?\s*((?:百分之[零〇一二两三四五六七八九十百点]+)|"
                         r"[0-9０-９.．]+\s*(?:%|％|个点))\s*(以上|及以上|起|往上|多|以下|以内|不到|左右)?")
_ABOVE = re.compile(r"(比|高于|跑赢|超过|强过|好过)\s*(银行)?\s*(一年期定期|定期存款|定期|定存|存款|存银行|"
                    r"余额宝|货币基金|零钱通|活期|宝宝类)\s*(的|收益|利息|利率)?\s*(高|多|好|强)?\s*(一点|一些|点|些)?")
_ABOVE_REF = {"余额宝": "cash_management", "货币基金": "cash_management", "零钱通": "cash_management",
              "活期": "cash_management", "宝宝类": "cash_management"}

_LIQUIDITY_WORDS: tuple[tuple[str, str, str], ...] = (
    ("没有封闭期", "open", "无封闭期"), ("无封闭期", "open", "无封闭期"), ("不封闭", "open", "无封闭期"),
    ("不锁定", "open", "无封闭期"), ("开放式", "open", "无封闭期"), ("随时赎回", "open", "无封闭期"),
    ("存取灵活", "open", "无封闭期"), ("灵活存取", "open", "无封闭期"), ("比较灵活", "open", "无封闭期"),
    ("灵活一点", "open", "无封闭期"),
    ("T+0", "T0", "T+0随时可取"), ("T0", "T0", "T+0随时可取"), ("随存随取", "T0", "T+0随时可取"),
    ("随用随取", "T0", "T+0随时可取"), ("随时能取", "T0", "T+0随时可取"), ("随时可取", "T0", "T+0随时可取"),
    ("随时取", "T0", "T+0随时可取"), ("随时要用", "T0", "T+0随时可取"), ("随时用", "T0", "T+0随时可取"),
    ("马上到账", "T0", "T+0随时可取"), ("实时到账", "T0", "T+0随时可取"), ("当天到账", "T0", "T+0随时可取"),
    ("活期", "T0", "T+0随时可取"), ("随时", "T0", "T+0随时可取"),
    ("T+1", "T1", "T+1到账"), ("T1", "T1", "T+1到账"), ("第二天到账", "T1", "T+1到账"),
    ("次日到账", "T1", "T+1到账"), ("明天到账", "T1", "T+1到账"), ("一天到账", "T1", "T+1到账"),
    ("封闭式", "closed", "有封闭期"), ("封闭期", "closed", "有封闭期"), ("锁定期", "closed", "有封闭期"),
    ("封闭", "closed", "有封闭期"), ("锁定", "closed", "有封闭期"),
)
_SORT_WORDS: tuple[tuple[str, str], ...] = (
    ("收益最高", "return"), ("收益高", "return"), ("收益好", "return"), ("回报高", "return"), ("赚得多", "return"),
    ("赚钱多", "return"), ("利息高", "return"), ("利率高", "return"), ("高收益", "return"),
    ("门槛低", "minimum"), ("起投低", "minimum"), ("起点低", "minimum"), ("起购低", "minimum"),
    ("费率低", "fees"), ("费用低", "fees"), ("手续费低", "fees"), ("便宜", "fees"), ("不收费", "fees"),
    ("风险最低", "risk"), ("最稳", "risk"),
)
_FILLER = ("有没有", "有哪些", "有什么", "哪一些", "哪些", "什么", "推荐", "一下", "一些", "几个", "几款", "几只",
           "给我", "帮我", "我想", "想要", "想买", "我要", "看看", "找找", "请问", "现在", "目前", "比较",
           "适合我", "适合", "合适", "投资", "可以", "能不能", "能买", "能够", "对比", "还是", "或者", "一点", "产品",
           "买点", "的钱", "相关", "到账", "年化", "最近", "手里", "手头", "放在哪", "放哪", "怎么选", "哪个好", "方面", "之类", "那种", "这种", "样子", "的", "了", "吗", "呢", "吧", "啊", "呀",
           "嘛", "我", "你们", "你", "买", "找", "要", "和", "或", "请", "些", "款", "只")
_SPLIT = re.compile(r"[\s，,。.；;、！!？?：:（）()“”\"'《》/]+")


@dataclass(frozen=True)
class ShelfQuery:
    """Filters for the product shelf; empty fields mean "any".

    `risk_levels` are product levels R1-R5 asked for; `min_amount_max` is the most the client can start with
    (a product's minimum must not exceed it); `return_min`/`return_max` are yearly fractions; `above` asks for a
    return above a reference ("deposit" or "cash_management"); `liquidity` is "T0", "T1" (T+1 or sooner),
    "open" (no closed period) or "closed"; `sort` is "return", "risk", "minimum" or "fees"; `understood` says
    in Chinese what was read.
    """

    text: str = ""
    categories: tuple[str, ...] = ()
    excluded_categories: tuple[str, ...] = ()
    risk_levels: tuple[int, ...] = ()
    term_min_days: int | None = None
    term_max_days: int | None = None
    min_amount_max: Decimal | None = None
    min_amount_min: Decimal | None = None
    return_min: float | None = None
    return_max: float | None = None
    above: str | None = None
    liquidity: str | None = None
    keywords: tuple[str, ...] = ()
    sort: str | None = None
    understood: tuple[str, ...] = field(default=(), compare=False)

    @property
    def asks_risk(self) -> bool:
        """Whether the client named what they want (kind, level, name), not only terms and amounts."""
        return bool(self.categories or self.risk_levels or self.keywords)

    def but(self, **changes: object) -> ShelfQuery:
        """A copy with some filters changed (a web form's fields over the parsed words)."""
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass
class _Reading:
    """The text still unread (read spans are blanked with "，") and the filters found so far."""

    rest: str
    found: dict[str, object] = field(default_factory=dict)
    said: list[str] = field(default_factory=list)

    def take(self, match: re.Match[str]) -> None:
        self.rest = self.rest[:match.start()] + "，" + self.rest[match.end():]

    def take_word(self, word: str) -> bool:
        if word not in self.rest:
            return False
        self.rest = self.rest.replace(word, "，", 1)
        return True


def _normalise(text: str) -> str:
    return clip(text).replace("＋", "+").replace("t+", "T+").replace("Ｔ", "T")


def _read_above(r: _Reading) -> None:
    if (m := _ABOVE.search(r.rest)) and (m.group(5) or m.group(6) or m.group(1) != "比"):
        ref = _ABOVE_REF.get(m.group(3), "deposit")
        r.found["above"] = ref
        r.said.append("收益比" + ("货币基金" if ref == "cash_management" else "定期存款") + "高")
        if m.group(6):  # "高一点": a modest step up, not a leap in risk
            r.found.setdefault("risk_levels", (1, 2))
        r.take(m)


def _read_returns(r: _Reading) -> None:
    if (m := _RETURN_RANGE.search(r.rest)) and re.search(r"%|％|个点|百分之", m.group(0)):
        low, high = parse_percent(m.group(1) + ("%" if re.search(r"\d$", m.group(1).strip()) else "")), \
            parse_percent(m.group(2))
        if low is not None and high is not None and 0 <= low <= high <= 1:
            r.found.update(return_min=low, return_max=high)
            r.said.append(f"收益{low * 100:g}%–{high * 100:g}%")
            r.take(m)
            return
    for m in _RETURN_ONE.finditer(r.rest):
        value = parse_percent(m.group(3))
        if value is None or not 0 <= value <= 1:
            continue
        before, after = m.group(1) or "", m.group(4) or ""
        if after == "左右":
            r.found.update(return_min=round(max(value - 0.005, 0.0), 10), return_max=round(value + 0.005, 10))
            r.said.append(f"收益{value * 100:g}%左右")
        elif before in ("不超过", "低于", "不到") or after in ("以下", "以内", "不到"):
            r.found["return_max"] = value
            r.said.append(f"收益{value * 100:g}%以内")
        else:
            r.found["return_min"] = value
            r.said.append(f"收益{value * 100:g}%以上")
        r.take(m)
        return


def _read_levels(r: _Reading) -> None:
    m = _LEVEL.search(r.rest)
    if m:
        level = int(m.group(2).translate(str.maketrans("１２３４５", "12345")))
        before, after = m.group(1) or "", m.group(3) or ""
        if before in _AT_MOST or after in _AT_MOST:
            levels, said = tuple(range(1, level + 1)), f"R{level}及以下"
        elif before in _AT_LEAST or after in _AT_LEAST:
            levels, said = tuple(range(level, 6)), f"R{level}及以上"
        else:
            levels, said = (level,), f"R{level}"
        r.found["risk_levels"] = levels
        r.said.append(said)
        r.take(m)
        return
    for word, levels in _RISK_WORDS:
        if r.take_word(word):
            r.found["risk_levels"] = levels
            r.said.append(word if len(levels) == 1 else f"R{levels[-1]}及以下")
            return


def _days(number: str, unit: str) -> int | None:
    value = parse_number(number)
    if value is None or value <= 0:
        return None
    return round(value * _UNIT_DAYS[unit])


def _read_term(r: _Reading) -> None:
    for spelled, plain in _TERM_SPELLED:
        r.rest = r.rest.replace(spelled, plain)
    for word, low, high, said in _TERM_WORDS:
        if r.take_word(word):
            r.found.update(term_min_days=low, term_max_days=high)
            r.said.append(said)
            return
    m = _TERM.search(r.rest)
    if m is None or (days := _days(m.group(2), m.group(3))) is None:
        return
    before, after = m.group(1) or "", m.group(5) or ""
    label = m.group(2) + ("个月" if m.group(3) == "月" else m.group(3))
    label = {"6个月": "半年", "18个月": "一年半", "30个月": "两年半"}.get(label, label)
    if before in ("不超过", "最多", "最长", "少于", "不到", "低于") or after in (
            "以内", "之内", "内", "以下", "及以下", "或以下") or after.startswith("后"):
        r.found["term_max_days"], said = days, f"{label}以内"
    elif before or after in ("以上", "及以上", "或以上", "起", "往上"):
        r.found["term_min_days"], said = days, f"{label}以上"
    else:
        r.found.update(term_min_days=round(days * (1 - _AROUND)), term_max_days=round(days * (1 + _AROUND)))
        said = f"{label}左右"
    r.said.append("期限" + said)
    r.take(m)


def _read_money(r: _Reading) -> None:
    for m in _MONEY.finditer(r.rest):
        cue, number, unit, after = m.group(1) or "", m.group(2), m.group(3) or "", m.group(4) or ""
        if not (cue or unit or re.search(r"[万千wWkK]$", number)):
            continue
        amount = parse_amount(number + unit)
        if amount is None or amount <= 0:
            continue
        if after in ("以上", "及以上"):
            r.found["min_amount_min"] = amount
            r.said.append(f"起投{number}{unit}以上")
        else:
            r.found["min_amount_max"] = amount
            r.said.append(f"起投{number}{unit}以内")
        r.take(m)
        return


_ARRIVES = ((re.compile(r"(当天|马上|实时|立刻|立即)[^，,。；;]{0,3}到账"), "T0", "T+0随时可取"),
            (re.compile(r"(第二天|次日|明天|隔天|一天)[^，,。；;]{0,3}到账"), "T1", "T+1到账"))


def _read_liquidity(r: _Reading) -> None:
    for pattern, kind, said in _ARRIVES:
        if m := pattern.search(r.rest):
            r.found["liquidity"] = kind
            r.said.append(said)
            r.take(m)
            return
    for word, kind, said in _LIQUIDITY_WORDS:
        if r.take_word(word):
            r.found["liquidity"] = kind
            r.said.append(said)
            return


def _read_sort(r: _Reading) -> None:
    for word, key in _SORT_WORDS:
        if r.take_word(word):
            r.found["sort"] = key
            return


def _read_categories(r: _Reading) -> None:
    pattern = re.compile("|".join(re.escape(w) for w in sorted(CATEGORY_WORDS, key=len, reverse=True)),
                         re.IGNORECASE)
    lookup = {w.lower(): c for w, c in CATEGORY_WORDS.items()}
    wanted: list[str] = []
    unwanted: list[str] = []
    last_end = -1
    said: list[str] = []
    for m in pattern.finditer(r.rest):
        word = m.group(0)
        if m.start() == last_end and word in _GENERIC:  # "纯债" + "基金": one word
            last_end = m.end()
            continue
        last_end = m.end()
        target = unwanted if _NEGATION.search(r.rest[max(0, m.start() - 6):m.start()]) else wanted
        target.extend(c for c in lookup[word.lower()] if c not in target)
        said.append(("不要" if target is unwanted else "") + word)
    if wanted or unwanted:
        r.found["categories"] = tuple(wanted)
        r.found["excluded_categories"] = tuple(unwanted)
        r.said.extend(said)
        r.rest = pattern.sub("，", r.rest)
        r.rest = re.sub(r"(不要|不想要|不想买|不买|别买|除了|除去|不考虑|排除|不含|不碰)", "，", r.rest)


def _keywords(rest: str) -> tuple[str, ...]:
    words: list[str] = []
    for chunk in _SPLIT.split(rest):
        for filler in _FILLER:
            chunk = chunk.replace(filler, " ")
        for word in chunk.split():
            if len(word) >= 2 and not word.isdigit() and word not in words:
                words.append(word)
    return tuple(words[:5])


_READERS: tuple[Callable[[_Reading], None], ...] = (
    _read_above, _read_returns, _read_levels, _read_liquidity, _read_term, _read_money, _read_sort,
    _read_categories)


def parse_shelf_query(text: str) -> ShelfQuery:
    """The filters in a client's words; nothing recognised gives an empty query (browse everything).

    >>> q = parse_shelf_query("有哪些一年以内的R2理财")
    >>> q.categories, q.risk_levels, q.term_max_days, q.understood
    (('wmp',), (2,), 365, ('R2', '期限一年以内', '理财'))
    >>> q = parse_shelf_query("随时能取的，起投一万以下")
    >>> q.liquidity, str(q.min_amount_max), q.categories
    ('T0', '10000.00', ())
    >>> q = parse_shelf_query("比存款高一点的")
    >>> q.above, q.risk_levels, q.categories
    ('deposit', (1, 2), ())
    >>> parse_shelf_query("三年以上，收益3%以上").term_min_days, parse_shelf_query("收益3%以上").return_min
    (1095, 0.03)
    >>> parse_shelf_query("不要股票基金，想买远航的债基").excluded_categories
    ('equity_fund',)
    >>> parse_shelf_query("远航的债基").keywords, parse_shelf_query("").understood
    (('远航',), ())
    """
    reading = _Reading(_normalise(text))
    for read in _READERS:
        read(reading)
    found = reading.found
    return ShelfQuery(
        text=clip(text), categories=tuple(found.get("categories", ())),  # type: ignore[arg-type]
        excluded_categories=tuple(found.get("excluded_categories", ())),  # type: ignore[arg-type]
        risk_levels=tuple(found.get("risk_levels", ())),  # type: ignore[arg-type]
        term_min_days=found.get("term_min_days"), term_max_days=found.get("term_max_days"),  # type: ignore[arg-type]
        min_amount_max=found.get("min_amount_max"), min_amount_min=found.get("min_amount_min"),  # type: ignore[arg-type]
        return_min=found.get("return_min"), return_max=found.get("return_max"),  # type: ignore[arg-type]
        above=found.get("above"), liquidity=found.get("liquidity"), sort=found.get("sort"),  # type: ignore[arg-type]
        keywords=_keywords(reading.rest), understood=tuple(reading.said))
