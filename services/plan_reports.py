"""The four plans as proposals: the use case chat and web share.

`plan_report(session, kind, inputs, identity)` computes the plan (services/plans.py), builds the payload
(services/plan_payloads.py), saves it as a proposal and returns what to show (`PlanReport`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bank.directory import Identity
from bank.masking import mask_name
from bank.proposals import chart_path, create_proposal
from services.links import public_url
from services.plan_payloads import RISK_NOTICE, plan_payload
from services.plans import TITLES, compute_plan
from services.proposals import proposal_card

log = logging.getLogger(__name__)
























# --- investment -------------------------------------------------------------------------------------------





# --- pension ----------------------------------------------------------------------------------------------







# --- retirement -------------------------------------------------------------------------------------------





# --- simulation -------------------------------------------------------------------------------------------













@dataclass(frozen=True)
class PlanReport:
    """A plan as chat (or a web page) shows it: summary lines, the saved proposal's chart and card, the notice.

    `token`, `chart_url` and `card` are None when the proposal could not be saved (the figures still hold).
    """

    kind: str
    title: str
    summary: list[str]
    risk_notice: str
    payload: dict[str, Any]
    token: str | None = None
    chart_url: str | None = None
    card: dict[str, str] | None = None


def plan_report(session: Session, kind: str, inputs: Mapping[str, Any], identity: Identity | None = None,
                now: dt.datetime | None = None, request_key: str | None = None) -> PlanReport:
    """Compute a plan for `identity` (None: a visitor), save it as a proposal and return what to show.

    A client's proposal is theirs and carries their masked name; anyone else's is a visitor's. Raises
    calc.errors.CalcInputError when calc refuses the inputs; a database error while saving is logged and
    leaves the report without a link.
    """
    payload = plan_payload(kind, inputs, compute_plan(kind, inputs), subject=_subject(identity))
    report = PlanReport(kind, TITLES[kind], list(payload["summary"]), RISK_NOTICE, payload)
    client_id = identity.client_id if identity is not None and identity.role == "client" else None
    try:
        token = create_proposal(session, kind=kind, payload=payload, client_id=client_id, now=now,
                                request_key=request_key).share_token
    except SQLAlchemyError as error:
        log.error("proposal not saved: %s", type(error).__name__)
        session.rollback()
        return report
    return replace(report, token=token, chart_url=public_url(chart_path(token, payload["charts"][0]["name"])),
                   card=proposal_card(f"{report.title}建议书", report.summary[0], token))


def _subject(identity: Identity | None) -> str:
    """Whom a proposal is for, as its page shows it: a masked name, or 访客."""
    return (mask_name(identity.name) or "访客") if identity is not None else "访客"
