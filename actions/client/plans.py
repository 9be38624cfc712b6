"""The four plans' results in chat: one service call (services.plan_reports.plan_report), rendered.

The four forms collect the inputs (slot reading and checks in actions/client/plan_slots.py). A result is a few
lines, the chart, the proposal card and the risk notice; "收益改成5%" afterwards re-runs the last plan.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.client.plan_slots import (
    ASSUMPTION_SLOTS,
    INPUT_SLOTS,
    SPECS,
    PlanFormValidation,
    SlotSpec,
    assumption_changes,
    in_range,
    named_value,
    re_ask,
    said_back,
)
from actions.forms import latest_text
from actions.identity import DirectoryUnavailable, identify
from actions.requests import request_key
from actions.usage import record_usage
from bank.db import session_scope
from calc import clock
from calc.errors import CalcInputError
from services.plan_reports import plan_report
from services.plans import TITLES

log = logging.getLogger(__name__)

LAST_PLAN_SLOT = "plan_last"
"""The last plan's kind and inputs, so that "收益改成5%" after the result re-runs it with that change."""
KEPT_SLOTS = ("plan_age", "plan_monthly_income", *ASSUMPTION_SLOTS)
"""Slots kept after a plan (the next plan need not ask again); the others are cleared."""


class ValidatePlanInvestmentForm(PlanFormValidation):
    kind = "plan_investment"


class ValidatePlanPensionForm(PlanFormValidation):
    kind = "plan_pension"


class ValidatePlanRetirementForm(PlanFormValidation):
    kind = "plan_retirement"


class ValidatePlanSimulationForm(PlanFormValidation):
    kind = "plan_simulation"


def plan_changes(kind: str, text: str) -> tuple[dict[str, Any], list[SlotSpec]]:
    """The inputs of a `kind` plan that `text` changes ("收益改成5%", "目标改成50万", "换成进取型"), and the
    specs of those it names with a value out of range.

    >>> plan_changes("plan_investment", "收益改成6%再算一次")[0], plan_changes("plan_pension", "退休年龄改成65岁")[0]
    ({'annual_return': 0.06}, {'retirement_age': 65})
    >>> changed, bad = plan_changes("plan_investment", "收益改成50%")
    >>> changed, [spec.label for spec in bad]
    ({}, ['预期年化收益'])
    """
    specs, input_of = SPECS[kind], {slot: key for key, slot in INPUT_SLOTS[kind].items()}
    found: dict[str, Any] = assumption_changes(kind, text)
    named, value = (None, None) if found else named_value(kind, text, list(specs))
    if named is not None and value is not None:
        found[named] = value
    changed = {input_of[slot]: value for slot, value in found.items() if in_range(specs[slot], value)}
    return changed, [specs[slot] for slot, value in found.items() if not in_range(specs[slot], value)]


def answer_plan(kind: str, inputs: dict[str, Any], dispatcher: CollectingDispatcher, tracker: Tracker
                ) -> list[EventType]:
    """The plan report in a few lines, the chart, the proposal card and the risk notice; the inputs are
    remembered for a later "收益改成5%"."""
    try:
        identity = identify(tracker.sender_id)
    except DirectoryUnavailable:
        identity = None
    try:
        with session_scope() as session:
            report = plan_report(session, kind, inputs, identity, clock.now(),
                                 request_key=request_key(tracker, "plan_report"))
    except CalcInputError as error:
        dispatcher.utter_message(response="utter_plan_failed", reason=error.reason_zh, title=TITLES[kind])
        return []
    except SQLAlchemyError as error:  # saving is handled by the service; this is a failed commit
        log.error("plan report not committed: %s", type(error).__name__)
        dispatcher.utter_message(response="utter_service_unavailable")
        return []
    dispatcher.utter_message(text="\n".join(report.summary))
    if report.card is None:
        dispatcher.utter_message(response="utter_plan_not_saved")
    else:
        dispatcher.utter_message(image=report.chart_url)
        dispatcher.utter_message(json_message=report.card)
    dispatcher.utter_message(text=f"风险提示：{report.risk_notice}")
    record_usage(tracker, kind, proposal=report.token)
    return [SlotSet(LAST_PLAN_SLOT, {"kind": kind, "inputs": inputs})]


class PlanResult(Action, ABC):
    """Run one plan on the form's slots and answer; the plan's own input slots are cleared."""

    @property
    @abstractmethod
    def kind(self) -> str:
        """The plan (a key of INPUT_SLOTS; a class attribute in each subclass)."""

    def name(self) -> str:
        return f"action_{self.kind}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
                  ) -> list[EventType]:
        slots = INPUT_SLOTS[self.kind]
        inputs = {key: tracker.get_slot(slot) for key, slot in slots.items()}  # None: calc's default assumption
        clear = [SlotSet(slot, None) for slot in set(slots.values()) - set(KEPT_SLOTS)]
        return clear + answer_plan(self.kind, inputs, dispatcher, tracker)


class ActionPlanInvestment(PlanResult):
    kind = "plan_investment"


class ActionPlanPension(PlanResult):
    kind = "plan_pension"


class ActionPlanRetirement(PlanResult):
    kind = "plan_retirement"


class ActionPlanSimulation(PlanResult):
    kind = "plan_simulation"


class ActionPlanRecalculate(Action):
    """After a plan's result, "收益改成5%" / "目标改成50万" / "换成进取型" re-runs that plan with the change
    (a new proposal); a message that changes nothing gets a hint on what can be changed."""

    def name(self) -> str:
        return "action_plan_recalculate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
                  ) -> list[EventType]:
        last = tracker.get_slot(LAST_PLAN_SLOT)
        if not isinstance(last, dict) or last.get("kind") not in INPUT_SLOTS:
            dispatcher.utter_message(response="utter_plan_recalc_nothing")
            return []
        kind = str(last["kind"])
        changed, bad = plan_changes(kind, latest_text(tracker))
        if bad or not changed:
            if bad:
                re_ask(dispatcher, bad[0])
            else:
                dispatcher.utter_message(response="utter_plan_recalc_hint", title=TITLES[kind])
            return []
        for key, value in changed.items():
            said_back(dispatcher, SPECS[kind][INPUT_SLOTS[kind][key]], value)
        return answer_plan(kind, {**dict(last.get("inputs") or {}), **changed}, dispatcher, tracker)
