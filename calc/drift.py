"""How far a portfolio is from its target allocation, and how far a holding has fallen: the two rules the morning
briefing, the market alerts and later the client segments share (their thresholds live in services' settings)."""

from __future__ import annotations

from collections.abc import Mapping

from calc.checkup import CATEGORY_CLASS
from calc.errors import CalcInputError


def class_weights(amounts: Mapping[str, float]) -> dict[str, float]:
    """Weights by asset class of investable holdings given by category (protection insurance left out, as the
    check-up does); empty when nothing is invested.

    >>> class_weights({"deposit": 30.0, "bond_fund": 50.0, "equity_fund": 20.0, "life_insurance": 99.0})
    {'cash': 0.3, 'fixed': 0.5, 'equity': 0.2}
    >>> class_weights({"life_insurance": 10.0})
    {}
    """
    invest = {c: float(v) for c, v in amounts.items() if CATEGORY_CLASS.get(c, "other") != "insurance" and v > 0}
    total = sum(invest.values())
    weights: dict[str, float] = {}
    for category, amount in invest.items():
        cls = CATEGORY_CLASS.get(category, "other")
        weights[cls] = weights.get(cls, 0.0) + amount / total
    return {c: round(w, 12) for c, w in weights.items()}


def allocation_drift(current: Mapping[str, float], target: Mapping[str, float]) -> float:
    """The share of the portfolio that would have to move to reach `target`: half the L1 distance between the
    weights, in [0, 1]. Formula: ``d = ½ · Σ_c |w_c − t_c|`` over every class in either mapping.

    Raises
    ------
    CalcInputError
        A weight is negative or the target's weights do not sum to 1 (±1e-6).

    Examples
    --------
    >>> allocation_drift({"cash": 0.3, "fixed": 0.7}, {"cash": 0.3, "fixed": 0.7})
    0.0
    >>> round(allocation_drift({"cash": 0.1, "equity": 0.9}, {"cash": 0.3, "fixed": 0.5, "equity": 0.2}), 6)
    0.7
    """
    if any(w < 0 for w in (*current.values(), *target.values())):
        raise CalcInputError("weights", "must not be negative", "配置比例不能为负")
    if abs(sum(target.values()) - 1.0) > 1e-6:
        raise CalcInputError("target", "weights must sum to 1", "目标配置比例之和应为100%")
    classes = set(current) | set(target)
    return 0.5 * sum(abs(current.get(c, 0.0) - target.get(c, 0.0)) for c in classes)


def loss_ratio(value: float, cost: float) -> float | None:
    """The change from `cost` to `value` as a fraction (−0.12 is a 12% loss); None without a positive cost.

    >>> loss_ratio(88.0, 100.0), loss_ratio(5.0, 0.0)
    (-0.12, None)
    """
    if cost <= 0:
        return None
    return round(value / cost - 1.0, 12)
