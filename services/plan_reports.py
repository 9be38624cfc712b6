"""The four plans as proposals: run calc.plans on chat inputs and build the display payload with its charts.

`compute_plan(kind, inputs)` calls the right calc.plans function; `plan_payload(kind, inputs, result)` turns
the result into the proposal payload schema of bank.proposals (summary lines also said in chat, tables,
charts, the assumptions with their defaults, a risk notice). Every projection is shown as a range.

Inputs by kind (amounts in yuan, rates as fractions; missing assumptions take calc's defaults):

- plan_investment: goal_amount, years, initial, monthly_saving, [annual_return]
- plan_pension: age, retirement_age, monthly_income, basic_pension_monthly, current_savings,
  [annual_return, inflation, replacement_ratio]
- plan_retirement: age, corpus, monthly_withdrawal, [annual_return, inflation]
- plan_simulation: initial, monthly_contribution, years, mix (a MIXES key), [goal, seed, n_paths]
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy_financial as npf
from sqlalchemy.orm import Session

from bank.clients import age_on
from bank.models import Client
from calc.assumptions import DEFAULT, Assumptions
from calc.money import fmt_pct, fmt_yuan
from calc.plans import (
    DEFAULT_RETURN,
    DEFAULT_VOL,
    InvestmentPlan,
    PensionPlan,
    RetirementPlan,
    SimulationPlan,
    monthly_rate,
    plan_investment,
    plan_pension,
    plan_retirement,
    plan_simulation,
)

PLAN_KINDS = ("plan_investment", "plan_pension", "plan_retirement", "plan_simulation")
TITLES = {"plan_investment": "投资规划", "plan_pension": "养老规划", "plan_retirement": "退休规划",
          "plan_simulation": "模拟规划"}
MIXES: dict[str, dict[str, float]] = {
    "保守": {"cash": 0.3, "fixed": 0.6, "mixed": 0.1},
    "稳健": {"cash": 0.1, "fixed": 0.6, "mixed": 0.2, "equity": 0.1},
    "平衡": {"fixed": 0.4, "mixed": 0.3, "equity": 0.3},
    "进取": {"fixed": 0.2, "mixed": 0.2, "equity": 0.5, "overseas": 0.1},
}
"""Model mixes of asset classes (calc.assumptions class names) a simulation can use, from careful to bold."""
CLASS_NAMES = {"cash": "现金类", "fixed": "固收类", "mixed": "混合类", "equity": "权益类", "overseas": "海外",
               "gold": "黄金"}
SENSITIVITY = 0.01
"""Return shift (±1 percentage point) for the range shown around the closed-form plans."""
SIMULATION_PATHS = 10_000
FAN_PERCENTILES = (5, 25, 50, 75, 95)
"""Bands a fan chart shows (the proposal payload schema)."""
RISK_NOTICE = ("以上测算基于所列假设，仅供参考，不代表未来收益，也不构成任何收益承诺；实际结果可能高于或"
               "低于测算范围。理财非存款，产品有风险，投资须谨慎。")

Result = InvestmentPlan | PensionPlan | RetirementPlan | SimulationPlan


def _check_kind(kind: str) -> None:
    if kind not in PLAN_KINDS:
        raise ValueError(f"kind: must be one of {', '.join(PLAN_KINDS)}, got {kind!r}")


def _assumptions(inputs: Mapping[str, Any]) -> Assumptions:
    changes = {name: float(inputs[name]) for name in ("inflation", "replacement_ratio") if inputs.get(name) is not None}
    return DEFAULT.with_overrides(**changes) if changes else DEFAULT


def _return(inputs: Mapping[str, Any]) -> float:
    value = inputs.get("annual_return")
    return DEFAULT_RETURN if value is None else float(value)


def compute_plan(kind: str, inputs: Mapping[str, Any]) -> Result:
    """Run the calc.plans function for `kind` on chat inputs (see the module docstring for the keys).

    Raises calc.errors.CalcInputError for values calc refuses (its `reason_zh` is fit to ask again with).

    >>> plan = compute_plan("plan_investment", {"goal_amount": 120_000, "years": 10, "initial": 0,
    ...                                          "monthly_saving": 1000, "annual_return": 0.0})
    >>> round(plan.required_monthly_saving, 2)
    1000.0
    """
    _check_kind(kind)
    if kind == "plan_investment":
        return plan_investment(float(inputs["goal_amount"]), float(inputs["years"]), float(inputs.get("initial") or 0),
                               float(inputs["monthly_saving"]), annual_return=_return(inputs))
    if kind == "plan_pension":
        return plan_pension(float(inputs["age"]), float(inputs["retirement_age"]),
                            monthly_income=float(inputs["monthly_income"]),
                            basic_pension_monthly=float(inputs.get("basic_pension_monthly") or 0),
                            current_savings=float(inputs.get("current_savings") or 0),
                            annual_return=_return(inputs), assumptions=_assumptions(inputs))
    if kind == "plan_retirement":
        infl = inputs.get("inflation")
        return plan_retirement(float(inputs["corpus"]), float(inputs["monthly_withdrawal"]), float(inputs["age"]),
                               annual_return=_return(inputs), inflation=None if infl is None else float(infl))
    goal = inputs.get("goal")
    return plan_simulation(float(inputs.get("initial") or 0), float(inputs.get("monthly_contribution") or 0),
                           int(inputs["years"]), mix_weights(str(inputs.get("mix") or "稳健")),
                           goal=float(goal) if goal else None, seed=int(inputs.get("seed") or 0),
                           n_paths=int(inputs.get("n_paths") or SIMULATION_PATHS))


def mix_weights(name: str) -> dict[str, float]:
    """The asset-class weights of a named mix (保守/稳健/平衡/进取).

    >>> mix_weights("平衡")
    {'fixed': 0.4, 'mixed': 0.3, 'equity': 0.3}
    """
    if name not in MIXES:
        raise ValueError(f"mix: must be one of {', '.join(MIXES)}, got {name!r}")
    return dict(MIXES[name])


def balance_path(initial: float, monthly: float, annual_return: float, years: int) -> list[float]:
    """Balance at each year end (year 0 = today) with `monthly` added (or taken, if negative) at month end.

    Uses numpy_financial.fv at the monthly rate of `annual_return`; a balance never goes below zero.

    >>> [round(v) for v in balance_path(1000, 100, 0.0, 2)]
    [1000, 2200, 3400]
    >>> balance_path(1000, -600, 0.0, 2)
    [1000.0, 0.0, 0.0]
    """
    r = monthly_rate(annual_return)
    path = [float(initial)]
    for _ in range(int(years)):
        start = path[-1]
        if monthly < 0 and start <= 0:
            path.append(0.0)
            continue
        with np.errstate(divide="ignore", invalid="ignore"):  # npf.fv divides by a zero rate, then picks the r=0 form
            end = float(npf.fv(r, 12, -monthly, -start))
        path.append(max(end, 0.0))
    return path


def _r2(values: list[float]) -> list[float]:
    return [round(float(v), 2) for v in values]


def _default_note(value: Any, default: float) -> str:
    """'（默认，可改）' when the value is the default, else '（您设定）'."""
    return "（默认，可改）" if value is None or math.isclose(float(value), default) else "（您设定）"


def _years_text(years: float) -> str:
    return "一直用不完" if math.isinf(years) else f"约{years:.1f}年"


# --- investment -------------------------------------------------------------------------------------------

def _investment(inputs: Mapping[str, Any], plan: InvestmentPlan) -> dict[str, Any]:
    goal, years = float(inputs["goal_amount"]), round(float(inputs["years"]))
    initial, saving = float(inputs.get("initial") or 0), float(inputs["monthly_saving"])
    ret = _return(inputs)
    rng = plan.projected_range or {}
    projected = float(plan.projected_value or 0.0)
    summary = [
        f"目标：{years}年后攒到{fmt_yuan(goal)}，现有{fmt_yuan(initial)}。",
        f"按年化{fmt_pct(ret)}估算，需要每月定投约{fmt_yuan(plan.required_monthly_saving)}"
        f"（或现在一次性投入约{fmt_yuan(plan.required_lump_sum)}）。",
        f"按您每月存{fmt_yuan(saving)}：{years}年后大概率（80%情景）在{fmt_yuan(rng.get(10, 0))}"
        f"～{fmt_yuan(rng.get(90, 0))}之间，中间值约{fmt_yuan(rng.get(50, projected))}。",
    ]
    if projected >= goal:
        summary.append("照这个节奏，中性估计可以达成目标；市场不好时也可能差一些。")
    else:
        extra = max(plan.required_monthly_saving - saving, 0.0)
        summary.append(f"中性估计还差约{fmt_yuan(goal - projected)}，可以每月多存约{fmt_yuan(extra)}，或把期限拉长。")
    x = list(range(years + 1))
    series = {
        f"每月存{fmt_yuan(saving)}": _r2(balance_path(initial, saving, ret, years)),
        f"达标所需（每月{fmt_yuan(plan.required_monthly_saving)}）": _r2(
            balance_path(initial, plan.required_monthly_saving, ret, years)),
        "目标金额": [round(goal, 2)] * (years + 1),
    }
    return {
        "summary": summary,
        "sections": [
            {"heading": "您提供的信息", "rows": [["目标金额", fmt_yuan(goal)], ["投资期限", f"{years}年"],
                                            ["现有资金", fmt_yuan(initial)], ["每月可投入", fmt_yuan(saving)]]},
            {"heading": "测算结果", "rows": [
                ["达标所需每月定投", fmt_yuan(plan.required_monthly_saving)],
                ["或一次性投入", fmt_yuan(plan.required_lump_sum)],
                ["按您的投入，中性估计", fmt_yuan(projected)],
                *[[f"{p}%分位情景", fmt_yuan(v)] for p, v in sorted(rng.items())],
            ]},
        ],
        "charts": [{"name": "projection", "kind": "line", "title": "账户余额预测（元）",
                    "data": {"x": x, "series": series}}],
        "assumptions": [
            ["预期年化收益", fmt_pct(ret) + _default_note(inputs.get("annual_return"), DEFAULT_RETURN)],
            ["年化波动率（用于情景范围）", fmt_pct(DEFAULT_VOL) + "（默认）"],
            ["投入方式", "每月月末定投，名义金额（未扣除通胀）"],
        ],
    }


# --- pension ----------------------------------------------------------------------------------------------

def _pension(inputs: Mapping[str, Any], plan: PensionPlan) -> dict[str, Any]:
    a = _assumptions(inputs)
    age, retire = int(inputs["age"]), int(inputs["retirement_age"])
    income = float(inputs["monthly_income"])
    pension = float(inputs.get("basic_pension_monthly") or 0)
    savings = float(inputs.get("current_savings") or 0)
    ret = _return(inputs)
    need = income * a.replacement_ratio
    low = compute_plan("plan_pension", {**inputs, "annual_return": ret - SENSITIVITY})
    high = compute_plan("plan_pension", {**inputs, "annual_return": ret + SENSITIVITY})
    summary = [
        f"按{retire}岁退休、规划到{a.life_expectancy}岁，退休后每月需要约{fmt_yuan(need)}"
        f"（收入的{fmt_pct(a.replacement_ratio, 0)}，按今天的购买力）。",
        f"扣除基本养老金每月{fmt_yuan(pension)}后，退休时需要备好约{fmt_yuan(plan.corpus_needed)}。",
        f"现有{fmt_yuan(savings)}届时约值{fmt_yuan(plan.projected_savings)}，缺口约{fmt_yuan(plan.gap)}。",
    ]
    if plan.gap > 0:
        summary.append(f"从现在起每月再存约{fmt_yuan(plan.monthly_saving)}可以补上"
                       f"（收益高/低1个百分点时约{fmt_yuan(high.monthly_saving)}～{fmt_yuan(low.monthly_saving)}）。")
    else:
        summary.append("按这些假设，现有储蓄已能覆盖养老所需；收益偏低时仍建议留些余量。")
    years = max(retire - age, 0)
    real = float(plan.assumptions["real_return"])
    x = [age + y for y in range(years + 1)]
    series = {
        "按建议每月储蓄": _r2(balance_path(savings, plan.monthly_saving, real, years)),
        "只靠现有储蓄": _r2(balance_path(savings, 0.0, real, years)),
        "养老所需": [round(plan.corpus_needed, 2)] * (years + 1),
    }
    return {
        "summary": summary,
        "sections": [
            {"heading": "您提供的信息", "rows": [["当前年龄", f"{age}岁"], ["计划退休年龄", f"{retire}岁"],
                                            ["税后月收入", fmt_yuan(income)], ["预计每月基本养老金", fmt_yuan(pension)],
                                            ["已为养老准备", fmt_yuan(savings)]]},
            {"heading": "测算结果（按今天的购买力）", "rows": [
                ["退休后每月所需", fmt_yuan(need)], ["退休时需备养老金", fmt_yuan(plan.corpus_needed)],
                ["现有储蓄届时价值", fmt_yuan(plan.projected_savings)], ["缺口", fmt_yuan(plan.gap)],
                ["建议每月储蓄", fmt_yuan(plan.monthly_saving)],
                ["收益高1个百分点时", fmt_yuan(high.monthly_saving)], ["收益低1个百分点时", fmt_yuan(low.monthly_saving)],
            ]},
        ],
        "charts": [
            {"name": "accumulation", "kind": "line", "title": "养老储备积累（今天的购买力，元）",
             "data": {"x": x, "series": series}},
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


# --- retirement -------------------------------------------------------------------------------------------

def _retirement(inputs: Mapping[str, Any], plan: RetirementPlan) -> dict[str, Any]:
    age = int(inputs["age"])
    corpus, withdrawal = float(inputs["corpus"]), float(inputs["monthly_withdrawal"])
    ret = _return(inputs)
    infl = float(plan.assumptions["inflation"])
    life = int(plan.assumptions["life_expectancy"])
    real = float(plan.assumptions["real_return"])
    low = compute_plan("plan_retirement", {**inputs, "annual_return": ret - SENSITIVITY})
    high = compute_plan("plan_retirement", {**inputs, "annual_return": ret + SENSITIVITY})
    lasting = plan.years_lasting
    until = "" if math.isinf(lasting) else f"，大约到{age + int(lasting)}岁"
    summary = [
        f"{fmt_yuan(corpus)}养老金，每月取{fmt_yuan(withdrawal)}（按今天的购买力，随通胀上调）：{_years_text(lasting)}{until}。",
        f"收益低/高1个百分点时：{_years_text(low.years_lasting)}～{_years_text(high.years_lasting)}。",
        f"想用到{life}岁，每月可取约{fmt_yuan(plan.sustainable_monthly_withdrawal)}。",
    ]
    if not math.isinf(lasting) and age + lasting < life:
        summary.append("资金可能早于规划寿命用完，可以考虑少取一些、延后退休或补充年金类产品。")
    span = max(life - age, 1)
    x = [age + y for y in range(span + 1)]
    series = {
        f"每月取{fmt_yuan(withdrawal)}": _r2(balance_path(corpus, -withdrawal, real, span)),
        f"每月取{fmt_yuan(plan.sustainable_monthly_withdrawal)}（可持续）": _r2(
            balance_path(corpus, -plan.sustainable_monthly_withdrawal, real, span)),
    }
    return {
        "summary": summary,
        "sections": [
            {"heading": "您提供的信息", "rows": [["当前年龄", f"{age}岁"], ["可用于养老的资金", fmt_yuan(corpus)],
                                            ["每月计划支取", fmt_yuan(withdrawal)]]},
            {"heading": "测算结果（按今天的购买力）", "rows": [
                ["可支取年数", _years_text(lasting)], ["收益高1个百分点", _years_text(high.years_lasting)],
                ["收益低1个百分点", _years_text(low.years_lasting)],
                [f"用到{life}岁每月可取", fmt_yuan(plan.sustainable_monthly_withdrawal)],
            ]},
        ],
        "charts": [{"name": "drawdown_path", "kind": "line", "title": "养老资金余额（今天的购买力，元）",
                    "data": {"x": x, "series": series}}],
        "assumptions": [
            ["预期年化收益（名义）", fmt_pct(ret) + _default_note(inputs.get("annual_return"), DEFAULT_RETURN)],
            ["通货膨胀", fmt_pct(infl) + _default_note(inputs.get("inflation"), DEFAULT.inflation)],
            ["实际收益（扣除通胀）", fmt_pct(real)],
            ["规划寿命", f"{life}岁（默认）"],
            ["口径", "支取金额每年随通胀上调，金额按今天的购买力表示"],
        ],
    }


# --- simulation -------------------------------------------------------------------------------------------

def _simulation(inputs: Mapping[str, Any], plan: SimulationPlan) -> dict[str, Any]:
    initial = float(inputs.get("initial") or 0)
    monthly = float(inputs.get("monthly_contribution") or 0)
    years = int(inputs["years"])
    mix = str(inputs.get("mix") or "稳健")
    goal = float(inputs["goal"]) if inputs.get("goal") else None
    mean, vol = float(plan.assumptions["mean"]), float(plan.assumptions["vol"])
    final = {p: band[-1] for p, band in plan.bands.items()}
    principal = initial + monthly * 12 * years
    summary = [
        f"模拟了{int(plan.assumptions['n_paths']):,}种市场情景（{mix}组合，预期年化{fmt_pct(mean)}，波动{fmt_pct(vol)}）。",
        f"{years}年后中间情况约{fmt_yuan(final[50])}；较差情况（10%分位）约{fmt_yuan(final[10])}，"
        f"较好情况（90%分位）约{fmt_yuan(final[90])}。",
        f"累计投入本金{fmt_yuan(principal)}。",
    ]
    if goal is not None and plan.success_probability is not None:
        summary.append(f"达到目标{fmt_yuan(goal)}的可能性约{fmt_pct(plan.success_probability, 0)}。")
    weights = mix_weights(mix)
    return {
        "summary": summary,
        "sections": [
            {"heading": "您提供的信息", "rows": [["现有资金", fmt_yuan(initial)], ["每月投入", fmt_yuan(monthly)],
                                            ["期限", f"{years}年"], ["配置风格", mix],
                                            ["目标金额", fmt_yuan(goal) if goal is not None else "未设定"]]},
            {"heading": "期末情景分布", "rows": [[f"{p}%分位", fmt_yuan(v)] for p, v in sorted(final.items())]
             + ([["达标概率", fmt_pct(plan.success_probability, 1)]] if plan.success_probability is not None else [])},
            {"heading": "组合构成", "rows": [[CLASS_NAMES.get(k, k), fmt_pct(w, 0)] for k, w in weights.items()]},
        ],
        "charts": [projection_chart(plan, goal)],
        "assumptions": [
            ["组合预期年化收益", fmt_pct(mean) + "（由各类资产长期假设加权）"],
            ["组合年化波动", fmt_pct(vol)],
            *[[f"{CLASS_NAMES.get(k, k)}假设", f"收益{fmt_pct(m)}，波动{fmt_pct(s)}"]
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
    _check_kind(kind)
    body = _BUILDERS[kind](inputs, result)  # type: ignore[operator]
    return {"title": TITLES[kind], "subject": subject, "products": [], "risk_notice": RISK_NOTICE, **body}


def client_inputs(session: Session, client_id: int, today: dt.date | None = None) -> dict[str, Any]:
    """What bank/ already knows about a client that the plans ask for: age and monthly income."""
    client = session.get(Client, client_id)
    if client is None:
        return {}
    return {"age": age_on(client.birth_date, today or dt.date.today()),
            "monthly_income": float(client.monthly_income)}
