"""Named exceptions for bad input to calc/: each names the field and says why, in English and in Chinese."""

from __future__ import annotations


class CalcInputError(ValueError):
    """An input to a calc/ function is invalid.

    Attributes
    ----------
    field : str
        The name of the offending argument or dataclass field (e.g. ``"age"``).
    reason : str
        Why it is invalid, in English (for logs and developers).
    reason_zh : str
        The same in plain Chinese, short enough for the bot to ask again with (e.g. "年龄应在18到100岁之间").

    Examples
    --------
    >>> error = CalcInputError("age", "must be between 18 and 100, got 300", "年龄应在18到100岁之间")
    >>> error.field, str(error)
    ('age', 'age: must be between 18 and 100, got 300')
    """

    def __init__(self, field: str, reason: str, reason_zh: str = "") -> None:
        self.field = field
        self.reason = reason
        self.reason_zh = reason_zh or reason
        super().__init__(f"{field}: {reason}")


class EmptySeriesError(CalcInputError):
    """A price or cash-flow series has no (or too few) observations."""


class WeightsError(CalcInputError):
    """Portfolio weights are negative, missing, or do not sum to 1."""
