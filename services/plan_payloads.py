"""A plan's result as the proposal payload (bank.proposals schema): summary lines also said in chat, tables,
charts, the assumptions with their defaults, and a risk notice.

Every projection is shown as a range; what the plan recommends or projects is said the way a person says it
(fmt_approx / fmt_range), what the user stated and exact sums stay exact to the fen (fmt_yuan).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any, cast

from calc.assumptions import DEFAULT
from calc.checkup import CLASS_ZH
from calc.money import fmt_approx, fmt_pct, fmt_range, fmt_yuan
from calc.plans import (
    DEFAULT_RETURN,
    DEFAULT_VOL,
    InvestmentPlan,
    PensionPlan,
    RetirementPlan,
    SimulationPlan,
    balance_path,
)
from services.plans import (
    TITLES,
    Result,
    check_kind,
    compute_plan,
    mix_weights,
    plan_assumptions,
    plan_return,
)

log = logging.getLogger(__name__)




SENSITIVITY = 0.01
"""Return shift (±1 percentage point) for the range shown around the closed-form plans."""


FAN_PERCENTILES = (5, 25, 50, 75, 95)
"""Bands a fan chart shows (the proposal payload schema)."""


STATED_DIGITS = 4
"""Significant digits for a target the user stated (1,250,000 → "125万元"); computed figures keep fmt_approx's 2."""


RISK_NOTICE = ("以上测算基于所列假设，仅供参考，不代表未来收益，也不构成任何收益承诺；实际结果可能高于或"
               "低于测算范围。理财非存款，产品有风险，投资须谨慎。")


def _r2(values: list[float]) -> list[float]:
    return [round(float(v), 2) for v in values]


def _stated(amount: float) -> str:
    """A target the user stated, said back the way a person says it without changing it ("125万元")."""
    return fmt_approx(amount, STATED_DIGITS)


def _default_note(value: Any, default: float) -> str:
    """'（默认，可改）' when the value is the default, else '（您设定）'."""
    return "（默认，可改）" if value is None or math.isclose(float(value), default) else "（您设定）"


def _years_text(years: float) -> str:
    return "一直用不完" if math.isinf(years) else f"约{years:.1f}年"


def _rows(heading: str, rows: list[list[str]]) -> dict[str, Any]:
    return {"heading": heading, "rows": rows}


def _investment_summary(inputs: Mapping[str, Any], plan: InvestmentPlan) -> list[str]:
    goal, years = float(inputs["goal_amount"]), round(float(inputs["years"]))
    initial, saving = float(inputs.get("initial") or 0), float(inputs["monthly_saving"])
    rng = plan.projected_range or {}
    projected = float(plan.projected_value or 0.0)
    summary = [
        f"目标：{years}年后攒到{_stated(goal)}，现有{fmt_yuan(initial)}。",
        f"按年化{fmt_pct(plan_return(inputs))}估算，需要每月定投约{fmt_approx(plan.required_monthly_saving)}"
        f"（或现在一次性投入约{fmt_approx(plan.required_lump_sum)}）。",
        f"按您每月存{fmt_yuan(saving)}：{years}年后大概率（80%情景）在{fmt_range(rng.get(10, 0), rng.get(90, 0))}"
        f"之间，中间值约{fmt_approx(rng.get(50, projected))}。",
    ]
    if projected >= goal:
        summary.append("照这个节奏，中性估计可以达成目标；市场不好时也可能差一些。")
    else:
        extra = max(plan.required_monthly_saving - saving, 0.0)
        summary.append(f"中性估计还差约{fmt_approx(goal - projected)}，可以每月多存约{fmt_approx(extra)}，或把期限拉长。")
    return summary


def _investment(inputs: Mapping[str, Any], plan: InvestmentPlan) -> dict[str, Any]:
    goal, years = float(inputs["goal_amount"]), round(float(inputs["years"]))
    initial, saving = float(inputs.get("initial") or 0), float(inputs["monthly_saving"])
    ret = plan_return(inputs)
    rng = plan.projected_range or {}
    series = {
        f"每月存{fmt_yuan(saving)}": _r2(balance_path(initial, saving, ret, years)),
        f"达标所需（每月{fmt_approx(plan.required_monthly_saving)}）": _r2(
            balance_path(initial, plan.required_monthly_saving, ret, years)),
        "目标金额": [round(goal, 2)] * (years + 1),
    }
    return {
        "summary": _investment_summary(inputs, plan),
        "sections": [
            _rows("您提供的信息", [["目标金额", fmt_yuan(goal)], ["投资期限", f"{years}年"],
                                 ["现有资金", fmt_yuan(initial)], ["每月可投入", fmt_yuan(saving)]]),
            _rows("测算结果", [
                ["达标所需每月定投", fmt_approx(plan.required_monthly_saving)],
                ["或一次性投入", fmt_approx(plan.required_lump_sum)],
                ["按您的投入，中性估计", fmt_approx(float(plan.projected_value or 0.0))],
                *[[f"{p}%分位情景", fmt_approx(v)] for p, v in sorted(rng.items())],
            ]),
        ],
        "charts": [{"name": "projection", "kind": "line", "title": "账户余额预测（元）",
                    "data": {"x": list(range(years + 1)), "series": series}}],
        "assumptions": [
            ["预期年化收益", fmt_pct(ret) + _default_note(inputs.get("annual_return"), DEFAULT_RETURN)],
            ["年化波动率（用于情景范围）", fmt_pct(DEFAULT_VOL) + "（默认）"],
            ["投入方式", "每月月末定投，名义金额（未扣除通胀）"],
        ],
    }


def _pension_summary(inputs: Mapping[str, Any], plan: PensionPlan, low: PensionPlan, high: PensionPlan
                     ) -> list[str]:
    a = plan_assumptions(inputs)
    need = float(inputs["monthly_income"]) * a.replacement_ratio
    pension = float(inputs.get("basic_pension_monthly") or 0)
    savings = float(inputs.get("current_savings") or 0)
    summary = [
        f"按{int(inputs['retirement_age'])}岁退休、规划到{a.life_expectancy}岁，退休后每月需要约{fmt_approx(need)}"
        f"（收入的{fmt_pct(a.replacement_ratio, 0)}，按今天的购买力）。",
        f"扣除基本养老金每月{fmt_yuan(pension)}后，退休时需要备好约{fmt_approx(plan.corpus_needed)}。",
        f"现有{fmt_yuan(savings)}届时约值{fmt_approx(plan.projected_savings)}，缺口约{fmt_approx(plan.gap)}。",
    ]
    if plan.gap > 0:
        summary.append(f"从现在起每月再存约{fmt_approx(plan.monthly_saving)}可以补上"
                       f"（收益高/低1个百分点时{fmt_range(high.monthly_saving, low.monthly_saving)}）。")
    else:
        summary.append("按这些假设，现有储蓄已能覆盖养老所需；收益偏低时仍建议留些余量。")
    return summary


def _pension_sections(inputs: Mapping[str, Any], plan: PensionPlan, low: PensionPlan, high: PensionPlan
                      ) -> list[dict[str, Any]]:
    need = float(inputs["monthly_income"]) * plan_assumptions(inputs).replacement_ratio
    return [
        _rows("您提供的信息", [
            ["当前年龄", f"{int(inputs['age'])}岁"], ["计划退休年龄", f"{int(inputs['retirement_age'])}岁"],
            ["税后月收入", fmt_yuan(float(inputs["monthly_income"]))],
            ["预计每月基本养老金", fmt_yuan(float(inputs.get("basic_pension_monthly") or 0))],
            ["已为养老准备", fmt_yuan(float(inputs.get("current_savings") or 0))]]),
        _rows("测算结果（按今天的购买力）", [
            ["退休后每月所需", fmt_approx(need)], ["退休时需备养老金", fmt_approx(plan.corpus_needed)],
            ["现有储蓄届时价值", fmt_approx(plan.projected_savings)], ["缺口", fmt_approx(plan.gap)],
            ["建议每月储蓄", fmt_approx(plan.monthly_saving)],
            ["收益高1个百分点时", fmt_approx(high.monthly_saving)], ["收益低1个百分点时", fmt_approx(low.monthly_saving)],
        ]),
    ]


def _pension(inputs: Mapping[str, Any], plan: PensionPlan) -> dict[str, Any]:
    a = plan_assumptions(inputs)
    age, retire = int(inputs["age"]), int(inputs["retirement_age"])
    savings = float(inputs.get("current_savings") or 0)
    ret = plan_return(inputs)
    low = cast(PensionPlan, compute_plan("plan_pension", {**inputs, "annual_return": ret - SENSITIVITY}))
    high = cast(PensionPlan, compute_plan("plan_pension", {**inputs, "annual_return": ret + SENSITIVITY}))
    years = max(retire - age, 0)
    real = float(plan.assumptions["real_return"])
    series = {
        "按建议每月储蓄": _r2(balance_path(savings, plan.monthly_saving, real, years)),
        "只靠现有储蓄": _r2(balance_path(savings, 0.0, real, years)),
        "养老所需": [round(plan.corpus_needed, 2)] * (years + 1),
    }
    return {
        "summary": _pension_summary(inputs, plan, low, high),
        "sections": _pension_sections(inputs, plan, low, high),
        "charts": [
            {"name": "accumulation", "kind": "line", "title": "养老储备积累（今天的购买力，元）",
             "data": {"x": [age + y for y in range(years + 1)], "series": series}},
            {"name": "gap", "kind": "bars", "title": "养老所需与缺口（元）",
             "data": {"labels": ["养老所需", "现有储蓄届时价值", "缺口"],
                      "series": {"金额": _r2([plan.corpus_needed, plan.projected_savings, plan.gap])}}},
        ],
        "assumptions": [
            ["预期年化收益（名义）", fmt_pct(ret) + _default_note(inputs.get("annual_return"), DEFAULT_RETURN)],
            ["通货膨胀", fmt_pct(a.inflation) + _default_note(inputs.get("inflation"), DEFAULT.inflation)],
            ["实际收益（扣除通胀）", fmt_pct(real)],
            ["收入替代率", fmt_pct(a.replacement_ratio, 0)
             + _default_note(inputs.get("replacement_ratio"), DEFAULT.replacement_ratio)],
            ["规划寿命", f"{a.life_expectancy}岁（默认）"],
            ["口径", "所有金额按今天的购买力（实际值）计算"],
        ],
    }


def _retirement_summary(inputs: Mapping[str, Any], plan: RetirementPlan, low: RetirementPlan,
                        high: RetirementPlan) -> list[str]:
    age, life = int(inputs["age"]), int(plan.assumptions["life_expectancy"])
    corpus, withdrawal = float(inputs["corpus"]), float(inputs["monthly_withdrawal"])
    lasting = plan.years_lasting
    until = "" if math.isinf(lasting) else f"，大约到{age + int(lasting)}岁"
    summary = [
        f"{fmt_yuan(corpus)}养老金，每月取{fmt_yuan(withdrawal)}（按今天的购买力，随通胀上调）：{_years_text(lasting)}{until}。",
        f"收益低/高1个百分点时：{_years_text(low.years_lasting)}～{_years_text(high.years_lasting)}。",
        f"想用到{life}岁，每月可取约{fmt_approx(plan.sustainable_monthly_withdrawal)}。",
    ]
    if not math.isinf(lasting) and age + lasting < life:
        summary.append("资金可能早于规划寿命用完，可以考虑少取一些、延后退休或补充年金类产品。")
    return summary


def _retirement(inputs: Mapping[str, Any], plan: RetirementPlan) -> dict[str, Any]:
    age = int(inputs["age"])
    corpus, withdrawal = float(inputs["corpus"]), float(inputs["monthly_withdrawal"])
    ret = plan_return(inputs)
    life, real = int(plan.assumptions["life_expectancy"]), float(plan.assumptions["real_return"])
    low = cast(RetirementPlan, compute_plan("plan_retirement", {**inputs, "annual_return": ret - SENSITIVITY}))
    high = cast(RetirementPlan, compute_plan("plan_retirement", {**inputs, "annual_return": ret + SENSITIVITY}))
    span = max(life - age, 1)
    sustainable = plan.sustainable_monthly_withdrawal
    series = {
        f"每月取{fmt_yuan(withdrawal)}": _r2(balance_path(corpus, -withdrawal, real, span)),
        f"每月取{fmt_approx(sustainable)}（可持续）": _r2(balance_path(corpus, -sustainable, real, span)),
    }
    return {
        "summary": _retirement_summary(inputs, plan, low, high),
        "sections": [
            _rows("您提供的信息", [["当前年龄", f"{age}岁"], ["可用于养老的资金", fmt_yuan(corpus)],
                                 ["每月计划支取", fmt_yuan(withdrawal)]]),
            _rows("测算结果（按今天的购买力）", [
                ["可支取年数", _years_text(plan.years_lasting)],
                ["收益高1个百分点", _years_text(high.years_lasting)],
                ["收益低1个百分点", _years_text(low.years_lasting)],
                [f"用到{life}岁每月可取", fmt_approx(sustainable)],
            ]),
        ],
        "charts": [{"name": "drawdown_path", "kind": "line", "title": "养老资金余额（今天的购买力，元）",
                    "data": {"x": [age + y for y in range(span + 1)], "series": series}}],
        "assumptions": [
            ["预期年化收益（名义）", fmt_pct(ret) + _default_note(inputs.get("annual_return"), DEFAULT_RETURN)],
            ["通货膨胀", fmt_pct(float(plan.assumptions["inflation"]))
             + _default_note(inputs.get("inflation"), DEFAULT.inflation)],
            ["实际收益（扣除通胀）", fmt_pct(real)],
            ["规划寿命", f"{life}岁（默认）"],
            ["口径", "支取金额每年随通胀上调，金额按今天的购买力表示"],
        ],
    }


def _simulation_summary(inputs: Mapping[str, Any], plan: SimulationPlan, goal: float | None) -> list[str]:
    monthly = float(inputs.get("monthly_contribution") or 0)
    years = int(inputs["years"])
    final = {p: band[-1] for p, band in plan.bands.items()}
    principal = float(inputs.get("initial") or 0) + monthly * 12 * years
    summary = [
        f"模拟了{int(plan.assumptions['n_paths']):,}种市场情景（{inputs.get('mix') or '稳健'}组合，"
        f"预期年化{fmt_pct(float(plan.assumptions['mean']))}，波动{fmt_pct(float(plan.assumptions['vol']))}）。",
        f"{years}年后中间情况约{fmt_approx(final[50])}；较差情况（10%分位）约{fmt_approx(final[10])}，"
        f"较好情况（90%分位）约{fmt_approx(final[90])}。",
        f"累计投入本金{fmt_yuan(principal)}。",
    ]
    if goal is not None and plan.success_probability is not None:
        summary.append(f"达到目标{_stated(goal)}的可能性约{fmt_pct(plan.success_probability, 0)}。")
    return summary


def _simulation(inputs: Mapping[str, Any], plan: SimulationPlan) -> dict[str, Any]:
    initial = float(inputs.get("initial") or 0)
    monthly = float(inputs.get("monthly_contribution") or 0)
    mix = str(inputs.get("mix") or "稳健")
    goal = float(inputs["goal"]) if inputs.get("goal") else None
    final = {p: band[-1] for p, band in plan.bands.items()}
    weights = mix_weights(mix)
    chance = [["达标概率", fmt_pct(plan.success_probability, 1)]] if plan.success_probability is not None else []
    return {
        "summary": _simulation_summary(inputs, plan, goal),
        "sections": [
            _rows("您提供的信息", [["现有资金", fmt_yuan(initial)], ["每月投入", fmt_yuan(monthly)],
                                 ["期限", f"{int(inputs['years'])}年"], ["配置风格", mix],
                                 ["目标金额", fmt_yuan(goal) if goal is not None else "未设定"]]),
            _rows("期末情景分布", [[f"{p}%分位", fmt_approx(v)] for p, v in sorted(final.items())] + chance),
            _rows("组合构成", [[CLASS_ZH.get(k, k), fmt_pct(w, 0)] for k, w in weights.items()]),
        ],
        "charts": [projection_chart(plan, goal)],
        "assumptions": [
            ["组合预期年化收益", fmt_pct(float(plan.assumptions["mean"])) + "（由各类资产长期假设加权）"],
            ["组合年化波动", fmt_pct(float(plan.assumptions["vol"]))],
            *[[f"{CLASS_ZH.get(k, k)}假设", f"收益{fmt_pct(m)}，波动{fmt_pct(s)}"]
              for k, (m, s) in plan.assumptions["class_returns"].items() if k in weights],
            ["模拟方法", f"对数正态月度收益，{int(plan.assumptions['n_paths']):,}条路径，名义金额"],
        ],
    }


def projection_chart(plan: SimulationPlan, goal: float | None) -> dict[str, Any]:
    """The simulation's chart named `projection`: a fan of p5/p25/p50/p75/p95 when calc reports those bands,
    else (calc.simulate.PERCENTILES is 10/25/50/75/90) a line per reported percentile plus the goal.
    """
    x = list(plan.years)
    if all(p in plan.bands for p in FAN_PERCENTILES):
        bands = {f"p{p}": _r2(plan.bands[p]) for p in FAN_PERCENTILES}
        return {"name": "projection", "kind": "fan", "title": "资产情景预测（元）",
                "data": {"x": x, "bands": bands, "target": goal}}
    names = {min(plan.bands): f"较差情况（{min(plan.bands)}%分位）", 50: "中间情况（中位数）",
             max(plan.bands): f"较好情况（{max(plan.bands)}%分位）"}
    series = {name: _r2(plan.bands[p]) for p, name in names.items()}
    if goal is not None:
        series["目标金额"] = [round(goal, 2)] * len(x)
    return {"name": "projection", "kind": "line", "title": "资产情景预测（元）", "data": {"x": x, "series": series}}


_BUILDERS = {"plan_investment": _investment, "plan_pension": _pension, "plan_retirement": _retirement,
             "plan_simulation": _simulation}


def plan_payload(kind: str, inputs: Mapping[str, Any], result: Result, subject: str = "访客") -> dict[str, Any]:
    """The proposal payload (bank.proposals schema) for a plan result; `summary` holds the lines said in chat.

    >>> inputs = {"goal_amount": 120_000, "years": 10, "initial": 0, "monthly_saving": 1000, "annual_return": 0.0}
    >>> payload = plan_payload("plan_investment", inputs, compute_plan("plan_investment", inputs))
    >>> payload["title"], payload["charts"][0]["kind"], payload["subject"]
    ('投资规划', 'line', '访客')
    """
    check_kind(kind)
    body = _BUILDERS[kind](inputs, result)  # type: ignore[operator]
    return {"title": TITLES[kind], "subject": subject, "products": [], "risk_notice": RISK_NOTICE, **body}
