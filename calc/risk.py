"""Risk profile: an 11-question questionnaire scored to C1-C5, the lowest-category rule, suitability, expiry.

Rules from 证券期货投资者适当性管理办法 (2017): a C*n* investor may buy products up to R*n*; an investor with no
risk tolerance or unable to bear any loss is of the lowest category (最低类别) and may never opt into more risk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from calc.errors import CalcInputError

LEVEL_NAMES_ZH = {1: "保守型", 2: "谨慎型", 3: "稳健型", 4: "积极型", 5: "激进型"}
"""Chinese names of C1-C5 as commonly printed on bank assessment forms."""

LEVEL_CUTS = (0.2, 0.4, 0.6, 0.8)
"""Normalised score (score - min) / (max - min) below each cut gives C1, C2, C3, C4; at or above the last, C5."""

RISK_VALID_DAYS = 365
"""Days a risk assessment may be relied on (one year, the common bank practice); older ones block pushes."""


@dataclass(frozen=True)
class Option:
    """One answer option: its label, its score, and whether it puts the investor in the lowest category."""

    label: str
    score: int
    lowest: bool = False


@dataclass(frozen=True)
class Question:
    """One questionnaire item: a stable id, the Chinese text and its options (scored low risk → high risk)."""

    id: str
    text: str
    options: tuple[Option, ...]


def _q(qid: str, text: str, *options: str | tuple[str, bool]) -> Question:
    built = []
    for score, option in enumerate(options, start=1):
        label, lowest = option if isinstance(option, tuple) else (option, False)
        built.append(Option(label, score, lowest))
    return Question(qid, text, tuple(built))


QUESTIONNAIRE: tuple[Question, ...] = (
    _q("age", "您的年龄是？", "70岁以上", "60-70岁", "50-59岁", "18-29岁", "30-49岁"),
    _q("income_stability", "您家庭的收入来源稳定吗？", "没有固定收入", "收入不太稳定（如自由职业）",
       "比较稳定（如企业员工）", "非常稳定（如公务员、教师）", "稳定且有多项收入来源"),
    _q("investable_share", "每年能拿出多少比例的收入用于投资（不影响日常生活）？",
       ("没有可用于投资的收入", True), "10%以下", "10%-25%", "25%-50%", "50%以上"),
    _q("experience", "您买过哪些理财或投资产品？", "只存过银行存款", "买过银行理财、国债或货币基金",
       "买过债券基金或混合基金", "买过股票或股票基金", "做过期货、期权等复杂产品"),
    _q("knowledge", "您对投资知识了解多少？", "基本不了解", "了解一点，知道存款和理财的区别",
       "一般，知道基金、债券的基本风险", "比较了解，能看懂基金的净值和回撤", "非常了解，有专业背景"),
    _q("horizon", "这笔钱您打算投资多长时间？", "1年以内", "1-3年", "3-5年", "5-10年", "10年以上"),
    _q("goal", "您投资的主要目的是？", "保住本金，随时能用", "比存款利息多一点", "稳定增值，能接受小幅波动",
       "追求较高收益，能接受较大波动", "追求高收益，愿意承担高风险"),
    _q("loss_tolerance", "您最多能接受本金亏损多少？", ("不能承受任何亏损", True), "5%以内", "5%-15%",
       "15%-30%", "30%以上"),
    _q("drop_reaction", "如果您的投资一个月内下跌了20%，您会怎么做？", "马上全部卖掉", "卖掉一部分",
       "先持有，看看再说", "继续持有，等待回升", "趁低加仓"),
    _q("liquidity_need", "未来一年，这笔钱被急用的可能性有多大？", "随时可能要用", "很可能要用一部分",
       "可能会用一小部分", "基本不会用", "完全不会用"),
    _q("risk_return", "下面哪种一年后的结果组合您最能接受？", "最多赚2%，不会亏", "最多赚5%，最多亏2%",
       "最多赚10%，最多亏8%", "最多赚20%，最多亏15%", "最多赚40%，最多亏30%"),
)
"""The 11 questions, each option scored 1 (lowest risk) to 5 (highest)."""

_BY_ID = {q.id: q for q in QUESTIONNAIRE}
MIN_SCORE = sum(min(o.score for o in q.options) for q in QUESTIONNAIRE)
MAX_SCORE = sum(max(o.score for o in q.options) for q in QUESTIONNAIRE)


@dataclass(frozen=True)
class RiskResult:
    """A scored questionnaire: level "C1".."C5", total score, explanation and the lowest-category flag."""

    level: str
    score: int
    explanation_zh: str
    lowest_category: bool


def _option(question: Question, answer: int | str) -> Option:
    if isinstance(answer, bool):
        raise CalcInputError(question.id, f"must be an option index or label, got {answer!r}",
                             f"请选择“{question.text}”的一个选项")
    if isinstance(answer, int):
        if 0 <= answer < len(question.options):
            return question.options[answer]
    elif isinstance(answer, str):
        for option in question.options:
            if option.label == answer.strip():
                return option
    raise CalcInputError(question.id, f"unknown answer {answer!r}", f"“{question.text}”的回答无效，请重新选择")


def level_from_score(score: float) -> int:
    """Map a total questionnaire score to a level 1-5 by the normalised cuts in `LEVEL_CUTS`.

    Rule: ``x = (score - MIN_SCORE) / (MAX_SCORE - MIN_SCORE)``; level = 1 + number of cuts <= x.

    Examples
    --------
    >>> level_from_score(MIN_SCORE), level_from_score(MAX_SCORE)
    (1, 5)
    """
    x = (score - MIN_SCORE) / (MAX_SCORE - MIN_SCORE)
    return 1 + sum(1 for cut in LEVEL_CUTS if x >= cut)


def score_answers(answers: Mapping[str, int | str]) -> RiskResult:
    """Score a completed questionnaire to C1-C5.

    Each answer is a 0-based option index or the option label. The total is the sum of option scores mapped by
    `level_from_score`; any option marked lowest (no investable income, cannot bear any loss) makes the
    investor C1 最低类别 regardless of the total.

    Raises
    ------
    CalcInputError
        Naming the question id for a missing or unknown answer, or ``answers`` for an unknown question id.

    Examples
    --------
    >>> r = score_answers({q.id: 2 for q in QUESTIONNAIRE})
    >>> r.level, r.score, r.lowest_category
    ('C3', 33, False)
    >>> score_answers({**{q.id: 4 for q in QUESTIONNAIRE}, "loss_tolerance": "不能承受任何亏损"}).level
    'C1'
    """
    if not isinstance(answers, Mapping):
        raise CalcInputError("answers", "must be a mapping of question id to answer", "请完成风险测评问卷")
    unknown = sorted(set(answers) - set(_BY_ID), key=str)
    if unknown:
        raise CalcInputError("answers", f"unknown question id {unknown[0]!r}", "问卷中有无法识别的题目")
    chosen = []
    for question in QUESTIONNAIRE:
        if question.id not in answers:
            raise CalcInputError(question.id, "is not answered", f"请回答：{question.text}")
        chosen.append((question, _option(question, answers[question.id])))
    score = sum(option.score for _, option in chosen)
    lowest = [q for q, option in chosen if option.lowest]
    level = 1 if lowest else level_from_score(score)
    text = (f"您的风险测评得分为{score}分（{MIN_SCORE}-{MAX_SCORE}分），风险承受能力为C{level}"
            f"（{LEVEL_NAMES_ZH[level]}），适合购买R{level}及以下风险等级的产品。")
    if lowest:
        text += "由于您选择了“" + "”“".join(o.label for q, o in chosen if o.lowest) + \
            "”，按规定属于最低类别投资者，只能购买R1产品，且不能主动申请购买更高风险的产品。"
    return RiskResult(f"C{level}", score, text, bool(lowest))


def may_opt_up(result: RiskResult) -> bool:
    """Whether the investor may ask to buy above their level: never for 最低类别 investors, nor from C5.

    Examples
    --------
    >>> may_opt_up(RiskResult("C1", 11, "", lowest_category=True))
    False
    >>> may_opt_up(RiskResult("C2", 20, "", lowest_category=False))
    True
    """
    return not result.lowest_category and parse_level(result.level, "C", "level") < 5


def parse_level(value: int | str, prefix: str, field: str) -> int:
    """Parse "C3"/"c3"/3 (prefix "C") or "R2"/2 (prefix "R") to an int 1-5; anything else raises.

    Examples
    --------
    >>> parse_level("r2", "R", "product_risk"), parse_level(4, "C", "client_level")
    (2, 4)
    """
    zh = f"风险等级应为{prefix}1到{prefix}5"
    if isinstance(value, bool):
        raise CalcInputError(field, f"must be {prefix}1-{prefix}5, got {value!r}", zh)
    if isinstance(value, int):
        if 1 <= value <= 5:
            return value
    elif isinstance(value, str):
        text = value.strip().upper()
        if len(text) == 2 and text[0] == prefix and text[1] in "12345":
            return int(text[1])
    raise CalcInputError(field, f"must be {prefix}1-{prefix}5, got {value!r}", zh)


def is_suitable(client_level: int | str, product_risk: int | str) -> bool:
    """Whether a client of level C*n* may buy a product of risk R*m*: true exactly when m <= n.

    Examples
    --------
    >>> is_suitable("C3", "R2"), is_suitable("c2", "r3"), is_suitable(4, 4)
    (True, False, True)
    """
    return parse_level(product_risk, "R", "product_risk") <= parse_level(client_level, "C", "client_level")


def level_rank(level: str | None) -> int | None:
    """The number in a client (C1-C5) or product (R1-R5) risk level; None when absent or malformed.

    The lenient twin of `parse_level`, for records that may hold no level.

    Examples
    --------
    >>> level_rank("C3"), level_rank("R5"), level_rank(None), level_rank("X"), level_rank("C9")
    (3, 5, None, None, None)
    """
    if not isinstance(level, str) or not level.strip():
        return None
    prefix = level.strip()[0].upper()
    if prefix not in "CR":
        return None
    try:
        return parse_level(level, prefix, "level")
    except CalcInputError:
        return None


def assessment_expired(assessed_on: date | None, today: date, max_age_days: int = RISK_VALID_DAYS) -> bool:
    """Whether a risk assessment is too old to rely on: never assessed, or more than `max_age_days` ago.

    Rule: expired when ``assessed_on is None`` or ``(today - assessed_on).days > max_age_days``. An assessment
    dated after `today` (stored by a process whose clock is ahead) counts as recent, not as an error.

    Examples
    --------
    >>> assessment_expired(date(2025, 1, 1), date(2026, 1, 1)), assessment_expired(None, date(2026, 1, 1))
    (False, True)
    >>> assessment_expired(date(2025, 1, 1), date(2026, 1, 2))
    True
    """
    if not isinstance(today, date):
        raise CalcInputError("today", "must be a date", "日期无效")
    if isinstance(max_age_days, bool) or not isinstance(max_age_days, int) or max_age_days < 1:
        raise CalcInputError("max_age_days", f"must be a positive int, got {max_age_days!r}", "有效期天数应为正整数")
    if assessed_on is None:
        return True
    if not isinstance(assessed_on, date):
        raise CalcInputError("assessed_on", "must be a date or None", "测评日期无效")
    return (today - assessed_on).days > max_age_days
