"""出建议书 in chat: a check-up (default) or a simulation plan for a named client, saved as a proposal with a link.

The check-up reuses services.checkups (the client's facts from bank/, products at or below their level only); the
simulation plan reuses services.plan_reports with what bank/ knows (assets, monthly surplus, years to 60).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.advisor.common import CLIENT_SLOT, answer_unresolved, resolve_client, staff_sender, today
from actions.forms import latest_text
from actions.usage import record_usage
from bank.db import session_scope
from bank.directory import Identity
from bank.masking import mask_name
from bank.proposals import create_proposal, proposal_path, public_url
from calc.checkup import run_checkup
from calc.errors import CalcInputError
from calc.score import raise_with
from services.checkups import (
    checkup_input,
    checkup_payload,
    checkup_summary,
    client_facts,
    level_for_checkup,
    suitable_products,
)
from services.plan_reports import compute_plan, plan_payload

log = logging.getLogger(__name__)
SIMULATION_WORDS = re.compile(r"模拟|蒙特卡|规划|养老|退休|投资计划")
MIX_BY_LEVEL = {"C1": "保守", "C2": "保守", "C3": "稳健", "C4": "平衡", "C5": "进取"}
PLAN_AGE = 60
MIN_YEARS = 5


def proposal_kind(text: str) -> str:
    """plan_simulation when the message asks for a plan, else checkup.

    >>> proposal_kind("给张伟出一份建议书"), proposal_kind("给他做个养老规划")
    ('checkup', 'plan_simulation')
    """
    return "plan_simulation" if SIMULATION_WORDS.search(text) else "checkup"


def checkup_proposal(session: Session, viewer: Identity, client_id: int, day: dt.date) -> tuple[dict[str, Any], str]:
    """(payload, kind) of a check-up for a known client."""
    facts = client_facts(session, client_id, day)
    choice = level_for_checkup(facts.risk)
    inp = checkup_input(age=facts.age, monthly_income=facts.monthly_income, monthly_expenses=facts.monthly_expenses,
                        dependants=facts.dependants, holdings=facts.holdings, risk_level=choice.level, facts=facts,
                        insurance={"life": facts.life_cover, "critical_illness": facts.critical_illness_cover,
                                   "medical": facts.medical_cover})
    result = run_checkup(inp)
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


class ActionMakeProposal(Action):
    """A proposal for the client the message names (or the remembered one), with its link as a card."""

    def name(self) -> str:
        return "action_adv_make_proposal"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
                  ) -> list[EventType]:
        viewer = staff_sender(dispatcher, tracker)
        if viewer is None:
            record_usage(tracker, "proposal", outcome="refused")
            return []
        day = today()
        build = simulation_proposal if proposal_kind(latest_text(tracker)) == "plan_simulation" else checkup_proposal
        try:
            with session_scope() as session:
                found = resolve_client(session, viewer, tracker, day)
                if found.status != "found" or found.client_id is None:
                    answer_unresolved(dispatcher, tracker, found, viewer)
                    record_usage(tracker, "proposal", outcome=found.status)
                    return []
                payload, kind = build(session, viewer, found.client_id, day)
                proposal = create_proposal(session, kind=kind, payload=payload, client_id=found.client_id,
                                           created_by_id=viewer.staff_id)
                token = proposal.share_token
        except CalcInputError as error:
            dispatcher.utter_message(response="utter_adv_proposal_failed", reason=error.reason_zh)
            return []
        except (SQLAlchemyError, LookupError, ValueError) as error:
            log.error("proposal failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        record_usage(tracker, "proposal", kind=kind)
        dispatcher.utter_message(text=f"已为{payload['subject']}生成{payload['title']}：\n" + "\n".join(payload["summary"][:6]))
        dispatcher.utter_message(json_message={
            "type": "card", "title": f"{payload['title']}（{payload['subject']}）",
            "description": "可直接转发给客户，链接30天内有效", "url": public_url(proposal_path(token)),
            "button_text": "查看建议书"})
        return [SlotSet(CLIENT_SLOT, found.client_id)]
