"""The four plans on chat inputs: which calc.plans function runs for a kind, with which defaults and mixes.

Inputs by kind (amounts in yuan, rates as fractions; missing assumptions take calc's defaults):

- plan_investment: goal_amount, years, initial, monthly_saving, [annual_return]
- plan_pension: age, retirement_age, monthly_income, basic_pension_monthly, current_savings,
  [annual_return, inflation, replacement_ratio]
- plan_retirement: age, corpus, monthly_withdrawal, [annual_return, inflation]
- plan_simulation: initial, monthly_contribution, years, mix (a MIXES key), [goal, seed, n_paths]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from bank.clients import age_on
from bank.models import Client
from calc import clock
from calc.assumptions import DEFAULT, Assumptions
from calc.plans import (
    DEFAULT_RETURN,
    InvestmentPlan,
    PensionPlan,
    RetirementPlan,
    SimulationPlan,
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


SIMULATION_PATHS = 10_000


Result = InvestmentPlan | PensionPlan | RetirementPlan | SimulationPlan


def check_kind(kind: str) -> None:
    if kind not in PLAN_KINDS:
        raise ValueError(f"kind: must be one of {', '.join(PLAN_KINDS)}, got {kind!r}")


def plan_assumptions(inputs: Mapping[str, Any]) -> Assumptions:
    changes = {name: float(inputs[name]) for name in ("inflation", "replacement_ratio") if inputs.get(name) is not None}
    return DEFAULT.with_overrides(**changes) if changes else DEFAULT


def plan_return(inputs: Mapping[str, Any]) -> float:
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
    check_kind(kind)
    if kind == "plan_investment":
        return plan_investment(float(inputs["goal_amount"]), float(inputs["years"]), float(inputs.get("initial") or 0),
                               float(inputs["monthly_saving"]), annual_return=plan_return(inputs))
    if kind == "plan_pension":
        return plan_pension(float(inputs["age"]), float(inputs["retirement_age"]),
                            monthly_income=float(inputs["monthly_income"]),
                            basic_pension_monthly=float(inputs.get("basic_pension_monthly") or 0),
                            current_savings=float(inputs.get("current_savings") or 0),
                            annual_return=plan_return(inputs), assumptions=plan_assumptions(inputs))
    if kind == "plan_retirement":
        infl = inputs.get("inflation")
        return plan_retirement(float(inputs["corpus"]), float(inputs["monthly_withdrawal"]), float(inputs["age"]),
                               annual_return=plan_return(inputs), inflation=None if infl is None else float(infl))
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


def client_inputs(session: Session, client_id: int, today: dt.date | None = None) -> dict[str, Any]:
    """What bank/ already knows about a client that the plans ask for: age and monthly income."""
    client = session.get(Client, client_id)
    if client is None:
        return {}
    return {"age": age_on(client.birth_date, today or clock.today()),
            "monthly_income": float(client.monthly_income)}
