"""出建议书 in chat: a check-up (default) or a simulation plan for a named client, saved as a proposal with a link.

The proposal itself is built and saved by services.advisor_proposals; this adapter picks the kind from the
wording, finds the client in the advisor's scope and answers with a summary and the link.
"""

from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.advisor.common import CLIENT_SLOT, answer_unresolved, resolve_client
from actions.forms import latest_text
from actions.requests import request_key
from actions.staff import StaffAction
from actions.usage import record_usage
from bank.directory import Identity
from calc import clock
from calc.errors import CalcInputError
from services.advisor_proposals import client_proposal
from services.proposals import proposal_card, validity_note

SIMULATION_WORDS = re.compile(r"模拟|蒙特卡|规划|养老|退休|投资计划")


def proposal_kind(text: str) -> str:
    """plan_simulation when the message asks for a plan, else checkup.

    >>> proposal_kind("给张伟出一份建议书"), proposal_kind("给他做个养老规划")
    ('checkup', 'plan_simulation')
    """
    return "plan_simulation" if SIMULATION_WORDS.search(text) else "checkup"


class ActionMakeProposal(StaffAction):
    """A proposal for the client the message names (or the remembered one), with its link as a card."""

    feature = "proposal"
    unavailable_errors = (SQLAlchemyError, LookupError, ValueError)

    def name(self) -> str:
        return "action_adv_make_proposal"

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        day = clock.today()
        kind = proposal_kind(latest_text(tracker))
        try:
            with self.session() as session:
                found = resolve_client(session, viewer, tracker, day)
                if found.status != "found" or found.client_id is None:
                    answer_unresolved(dispatcher, tracker, found, viewer)
                    record_usage(tracker, "proposal", outcome=found.status)
                    return []
                proposal = client_proposal(session, viewer, found.client_id, kind, day,
                                           request_key=request_key(tracker, self.name()))
        except CalcInputError as error:
            dispatcher.utter_message(response="utter_adv_proposal_failed", reason=error.reason_zh)
            return []
        payload = proposal.payload
        record_usage(tracker, "proposal", kind=proposal.kind)
        dispatcher.utter_message(text=f"已为{payload['subject']}生成{payload['title']}：\n" + "\n".join(payload["summary"][:6]))
        dispatcher.utter_message(json_message=proposal_card(
            f"{payload['title']}（{payload['subject']}）", f"可直接转发给客户，{validity_note()}", proposal.token))
        return [SlotSet(CLIENT_SLOT, found.client_id)]
