"""The house view (大类资产配置观点): strategic weights of growth money by client risk level, as managers
correct them (建立初步模型，经专家修正). `calc.checkup.BASE_ALLOCATION` is the first model; a saved view replaces
it in every check-up (services/house_view.py keeps the versions).
"""

from __future__ import annotations

from collections.abc import Mapping

from calc.checkup import ASSET_CLASSES, CLASS_MIN_LEVEL, CLASS_ZH
from calc.errors import CalcInputError
from calc.model_weights import check_weights
from calc.money import fmt_share
from calc.risk import parse_level

HouseView = Mapping[int, Mapping[str, float]]


def check_house_view(view: Mapping[int | str, Mapping[str, float]]) -> dict[int, dict[str, float]]:
    """The view with levels as 1-5 and only the non-zero weights, or CalcInputError naming the level: all five
    levels C1-C5, known asset classes only, each level's weights adding up to 100%, and no class below the level
    at which it may appear (``CLASS_MIN_LEVEL``: no 权益类 for C1 or C2).

    Examples
    --------
    >>> from calc.checkup import BASE_ALLOCATION
    >>> check_house_view(BASE_ALLOCATION)[2]
    {'cash': 0.15, 'fixed': 0.65, 'mixed': 0.2}
    >>> bad = {**BASE_ALLOCATION, 2: {"cash": 0.1, "fixed": 0.6, "equity": 0.3}}
    >>> check_house_view(bad)
    Traceback (most recent call last):
    ...
    calc.errors.CalcInputError: C2: equity is not allowed below C3
    """
    levels: dict[int, dict[str, float]] = {}
    for key, weights in view.items():
        level = parse_level(key, "C", "house_view")
        field = f"C{level}"
        if level in levels:
            raise CalcInputError(field, "is given twice", f"C{level}的配置给了两次。")
        unknown = sorted(set(weights) - set(ASSET_CLASSES))
        if unknown:
            raise CalcInputError(field, f"unknown asset class {unknown[0]!r}", f"C{level}里有不认识的资产类别：{unknown[0]}。")
        kept = {c: float(weights[c]) for c in ASSET_CLASSES if float(weights.get(c, 0.0)) != 0.0}
        for cls in kept:
            if level < CLASS_MIN_LEVEL[cls]:
                raise CalcInputError(field, f"{cls} is not allowed below C{CLASS_MIN_LEVEL[cls]}",
                                     f"C{level}的配置里不能有{CLASS_ZH[cls]}（C{CLASS_MIN_LEVEL[cls]}及以上才可配置）。")
        try:
            check_weights(kept)
        except CalcInputError as error:
            raise CalcInputError(field, error.reason, f"C{level}：{error.reason_zh}") from None
        levels[level] = kept
    missing = [f"C{n}" for n in range(1, 6) if n not in levels]
    if missing:
        raise CalcInputError(missing[0], "is missing", f"缺少{'、'.join(missing)}的配置。")
    return dict(sorted(levels.items()))


def view_changes(before: HouseView, after: HouseView) -> list[str]:
    """What changed between two views, as a person reads it ("C3 权益类 15%→20%").

    >>> from calc.checkup import BASE_ALLOCATION
    >>> after = {**BASE_ALLOCATION, 3: {"cash": 0.1, "fixed": 0.4, "mixed": 0.25, "equity": 0.2, "gold": 0.05}}
    >>> view_changes(BASE_ALLOCATION, after)
    ['C3 固收类 45%→40%', 'C3 权益类 15%→20%']
    """
    changes = []
    for level in range(1, 6):
        old, new = before.get(level, {}), after.get(level, {})
        for cls in ASSET_CLASSES:
            a, b = old.get(cls, 0.0), new.get(cls, 0.0)
            if abs(a - b) > 1e-9:
                changes.append(f"C{level} {CLASS_ZH[cls]} {fmt_share(a)}→{fmt_share(b)}")
    return changes

