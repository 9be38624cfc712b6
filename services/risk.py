"""How long a risk assessment may be used, in the words replies say it, read from calc.risk.RISK_VALID_DAYS."""

from __future__ import annotations

import datetime as dt

from bank.risk_profiles import LEVEL_NAMES_ZH, RiskStatus
from calc.risk import RISK_VALID_DAYS

_CN_YEARS = {1: "一", 2: "两", 3: "三"}


def validity_words(days: int = RISK_VALID_DAYS) -> str:
    """A validity period as a person says it: whole years in words, otherwise days.

    >>> validity_words(), validity_words(730), validity_words(180)
    ('一年', '两年', '180天')
    """
    years, rest = divmod(int(days), 365)
    if rest or not years:
        return f"{days}天"
    return f"{_CN_YEARS.get(years, str(years))}年"


def valid_until(assessed_on: dt.date, days: int = RISK_VALID_DAYS) -> dt.date:
    """The last day an assessment taken on `assessed_on` may be used.

    >>> valid_until(dt.date(2026, 4, 25))
    datetime.date(2027, 4, 25)
    """
    return assessed_on + dt.timedelta(days=days)


def expired_note(days: int = RISK_VALID_DAYS) -> str:
    """What an expired assessment is told, e.g. "已超过一年".

    >>> expired_note()
    '已超过一年'
    """
    return f"已超过{validity_words(days)}"


def current_level_words(status: RiskStatus) -> dict[str, str]:
    """A stored level in words, for utter_risk_current: level, its name, the date and how long it holds.

    >>> current_level_words(RiskStatus("C3", dt.date(2026, 4, 25), False))["state"]
    '有效期至2027-04-25'
    >>> current_level_words(RiskStatus("C2", dt.date(2024, 4, 25), True))["state"]
    '已超过一年，需要重新测评'
    """
    if not (status.level and status.assessed_on):
        raise ValueError("no stored assessment")
    state = f"{expired_note()}，需要重新测评" if status.expired else f"有效期至{valid_until(status.assessed_on)}"
    return {"level": status.level, "name": LEVEL_NAMES_ZH[int(status.level[1])], "date": str(status.assessed_on),
            "state": state}
