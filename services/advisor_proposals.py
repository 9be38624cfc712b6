"""A proposal an advisor issues for one of their clients: a check-up (default) or a simulation plan, built from
what bank/ knows of the client and saved with its share token.

The check-up reuses services.checkups (the client's facts, products at or below their level only); the
simulation plan reuses services.plans with the client's assets, monthly surplus and years to 60.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bank.directory import Identity
from bank.masking import mask_name
from bank.proposals import create_proposal
from calc.checkup import run_checkup
from calc.score import raise_with
from services.checkups import (
    checkup_input,
    checkup_payload,
    checkup_summary,
    client_facts,
    level_for_checkup,
    suitable_products,
)
from services.house_view import house_allocation
from services.plan_payloads import plan_payload
from services.plans import compute_plan

PROPOSAL_KINDS = ("checkup", "plan_simulation")
MIX_BY_LEVEL = {"C1": "保守", "C2": "保守", "C3": "稳健", "C4": "平衡", "C5": "进取"}
PLAN_AGE = 60
MIN_YEARS = 5


def checkup_proposal(session: Session, viewer: Identity, client_id: int, day: dt.date) -> tuple[dict[str, Any], str]:
    """(payload, kind) of a check-up for a known client."""
    facts = client_facts(session, client_id, day)
    choice = level_for_checkup(facts.risk)
    inp = checkup_input(age=facts.age, monthly_income=facts.monthly_income, monthly_expenses=facts.monthly_expenses,
                        dependants=facts.dependants, holdings=facts.holdings, risk_level=choice.level, facts=facts,
                        insurance=facts.insurance)
    result = run_checkup(inp, house_view=house_allocation(session))
    products = suitable_products(session, choice.level, raise_with(result, 3), 3) if choice.products_allowed else []
    payload = checkup_payload(result, subject=mask_name(facts.name) or "客户", inp=inp, choice=choice,
                              products=products)
    payload["summary"] = checkup_summary(result)
    return payload, "checkup"


def simulation_proposal(session: Session, viewer: Identity, client_id: int, day: dt.date
                        ) -> tuple[dict[str, Any], str]:
    """(payload, kind) of a Monte Carlo plan from the client's assets and monthly surplus, mix by risk level."""
    facts = client_facts(session, client_id, day)
    level = facts.risk.level if facts.risk.usable and facts.risk.level else "C2"
    inputs = {"initial": round(sum(facts.holdings.values()), 2),
              "monthly_contribution": max(0.0, round(facts.monthly_income - facts.monthly_expenses, 2)),
              "years": max(MIN_YEARS, PLAN_AGE - facts.age), "mix": MIX_BY_LEVEL[level], "seed": client_id}
    result = compute_plan("plan_simulation", inputs)
    return plan_payload("plan_simulation", inputs, result, subject=mask_name(facts.name) or "客户"), "plan_simulation"


@dataclass(frozen=True)
class ClientProposal:
    """A saved proposal: its kind, display payload and share token."""

    kind: str
    payload: dict[str, Any]
    token: str


def client_proposal(session: Session, advisor: Identity, client_id: int, kind: str, day: dt.date,
                    request_key: str | None = None) -> ClientProposal:
    """Build the `kind` proposal (one of PROPOSAL_KINDS) for a client the advisor may see, and save it.

    Raises calc.errors.CalcInputError when the client's facts cannot be planned, ValueError for an unknown kind.
    """
    if kind not in PROPOSAL_KINDS:
        raise ValueError(f"kind: must be one of {', '.join(PROPOSAL_KINDS)}, got {kind!r}")
    build = simulation_proposal if kind == "plan_simulation" else checkup_proposal
    payload, kind = build(session, advisor, client_id, day)
    proposal = create_proposal(session, kind=kind, payload=payload, client_id=client_id,
                               created_by_id=advisor.staff_id, request_key=request_key)
    return ClientProposal(kind, payload, proposal.share_token)

