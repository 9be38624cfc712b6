"""Weights of a model portfolio: changing one part's share and checking that the whole adds up.

A manager says "把稳健组合的债券比例调到60%": the bond products together get 60%, in the proportions they had,
and the rest of the portfolio shares the other 40% in its own proportions. Weights are fractions kept to
four decimals (0.01%), and always add up to exactly 1.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TypeVar

from calc.errors import CalcInputError
from calc.money import fmt_share

K = TypeVar("K")

STEP = 4
"""Decimals a stored weight keeps (0.01%)."""
TOLERANCE = 1e-6
"""How far from 100% a sum of weights may be and still count as 100% (floating point, not a person's error)."""


def rounded(weights: Mapping[K, float]) -> dict[K, float]:
    """`weights` to `STEP` decimals, zeros dropped, the rounding remainder given to the largest so the total
    stays exactly what it was (to `STEP` decimals).

    >>> rounded({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})
    {'a': 0.3334, 'b': 0.3333, 'c': 0.3333}
    >>> rounded({"a": 0.6, "b": 0.0, "c": 0.4})
    {'a': 0.6, 'c': 0.4}
    """
    scale = 10**STEP
    total = round(sum(weights.values()) * scale)
    ticks = {k: round(w * scale) for k, w in weights.items() if round(w * scale) > 0}
    if ticks:
        largest = max(ticks, key=lambda k: weights[k])
        ticks[largest] += total - sum(ticks.values())
    return {k: t / scale for k, t in ticks.items() if t > 0}


def check_weights(weights: Mapping[K, float]) -> None:
    """Raise CalcInputError (field "weights", in Chinese) unless every weight is in (0, 1] and they add up to
    100%.

    >>> check_weights({"a": 0.6, "b": 0.4})
    >>> check_weights({"a": 0.5, "b": 0.3})
    Traceback (most recent call last):
    ...
    calc.errors.CalcInputError: weights: must add up to 100% (got 80%)
    """
    if not weights:
        raise CalcInputError("weights", "must not be empty", "组合里至少要有一个产品。")
    for key, weight in weights.items():
        if not 0 < weight <= 1:
            raise CalcInputError("weights", f"weight of {key} must be in (0, 100%]", "每一部分的比例都要在0%到100%之间。")
    total = sum(weights.values())
    if abs(total - 1) > TOLERANCE:
        shown = fmt_share(total)
        raise CalcInputError("weights", f"must add up to 100% (got {shown})", f"各部分比例加起来是{shown}，需要正好100%。")


def set_share(weights: Mapping[K, float], part: Collection[K], share: float) -> dict[K, float]:
    """The weights after the items in `part` together get `share` (in their existing proportions, or equally
    when none of them is held yet) and the other items share ``1 - share`` in theirs. A share of 0 removes the
    part. Rounded by `rounded`.

    Raises CalcInputError (field "share") when the share is outside [0, 1], when the part is the whole
    portfolio and the share is not 100%, or when nothing would be left.

    Examples
    --------
    >>> set_share({"bond": 0.5, "cash": 0.1, "mixed": 0.4}, {"bond"}, 0.6)
    {'bond': 0.6, 'cash': 0.08, 'mixed': 0.32}
    >>> set_share({"a": 0.5, "b": 0.5}, {"c"}, 0.2)
    {'a': 0.4, 'b': 0.4, 'c': 0.2}
    >>> set_share({"a": 0.7, "b": 0.3}, {"b"}, 0)
    {'a': 1.0}
    """
    if not 0 <= share <= 1:
        raise CalcInputError("share", "must be between 0% and 100%", "比例要在0%到100%之间。")
    if not part:
        raise CalcInputError("share", "names nothing to change", "没有说要调整哪一部分。")
    inside = {k: w for k, w in weights.items() if k in part}
    outside = {k: w for k, w in weights.items() if k not in part}
    rest = sum(outside.values())
    if rest <= 0 and share < 1:
        raise CalcInputError("share", "the part is the whole portfolio", "这部分就是整个组合，比例只能是100%。")
    if share == 0 and rest <= 0:
        raise CalcInputError("share", "nothing would be left", "调整后组合里就没有产品了。")
    held = sum(inside.values())
    new_inside = ({k: share * w / held for k, w in inside.items()} if held > 0
                  else {k: share / len(part) for k in part})
    new_outside = {k: (1 - share) * w / rest for k, w in outside.items()} if rest > 0 else {}
    ordered = {k: new_inside.get(k, new_outside.get(k, 0.0)) for k in weights}
    ordered.update({k: v for k, v in new_inside.items() if k not in ordered})
    return rounded(ordered)
