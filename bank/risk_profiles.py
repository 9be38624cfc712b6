"""Clients' risk assessments (风险测评): the questionnaire, the stored level with its date, and whether it expired.

The level and its date live on the client row (`Client.risk_level`, `Client.risk_assessed_on`); an assessment
older than `RISK_VALID_DAYS` (one year, the common bank practice) may not be used for suitability, so a check-up
offers a new one before any product list and portfolio pushes check `risk_status(...).usable`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bank.models import CLIENT_RISK_LEVELS, Client
from calc.risk import (
    LEVEL_NAMES_ZH,
    QUESTIONNAIRE,
    RISK_VALID_DAYS,
    Question,
    assessment_expired,
    parse_level,
)

__all__ = ["LEVEL_NAMES_ZH", "RISK_VALID_DAYS", "RiskStatus", "questionnaire", "risk_status", "store_assessment"]


class UnknownClient(LookupError):
    """No client has this id."""


@dataclass(frozen=True)
class RiskStatus:
    """A client's assessment: level "C1".."C5" (None when never assessed), its date and whether it expired."""

    level: str | None
    assessed_on: dt.date | None
    expired: bool

    @property
    def usable(self) -> bool:
        """Whether products may be offered on this assessment (present and not expired)."""
        return self.level is not None and not self.expired


def questionnaire() -> tuple[Question, ...]:
    """The questions asked one at a time (calc.risk.QUESTIONNAIRE, 11 items).

    >>> len(questionnaire()), questionnaire()[0].id
    (11, 'age')
    """
    return QUESTIONNAIRE


def status_of(level: str | None, assessed_on: dt.date | None, today: dt.date,
              valid_days: int = RISK_VALID_DAYS) -> RiskStatus:
    """The status of a level assessed on a date.

    >>> status_of("C3", dt.date(2026, 1, 5), dt.date(2026, 11, 28)).usable
    True
    >>> status_of("C3", dt.date(2025, 1, 5), dt.date(2026, 11, 28)).usable, status_of(None, None, dt.date(2026, 1, 1)).usable
    (False, False)
    """
    return RiskStatus(level, assessed_on, level is None or assessment_expired(assessed_on, today, valid_days))


def _client(session: Session, client_id: int) -> Client:
    client = session.get(Client, client_id)
    if client is None:
        raise UnknownClient(client_id)
    return client


def risk_status(session: Session, client_id: int, today: dt.date, valid_days: int = RISK_VALID_DAYS) -> RiskStatus:
    """The stored assessment of client `client_id` (UnknownClient when there is no such client)."""
    client = _client(session, client_id)
    return status_of(client.risk_level, client.risk_assessed_on, today, valid_days)


def store_assessment(session: Session, client_id: int, level: str, today: dt.date) -> RiskStatus:
    """Record a completed assessment: the client's level becomes `level` ("C1".."C5"), dated `today`.

    Raises
    ------
    calc.errors.CalcInputError
        `level` is not C1-C5.
    UnknownClient
        No client has this id.
    """
    normal = f"C{parse_level(level, 'C', 'level')}"
    assert normal in CLIENT_RISK_LEVELS
    client = _client(session, client_id)
    client.risk_level = normal
    client.risk_assessed_on = today
    session.flush()
    return status_of(normal, today, today)
