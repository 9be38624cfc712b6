"""The house view as data: the managers' versions of the strategic allocation by client level.

Version 0 is the built-in first model (`calc.checkup.BASE_ALLOCATION`); a manager's save adds the next version
(checked by `calc.house_view.check_house_view`) and every check-up from then on starts from it
(`house_allocation`, passed to `calc.checkup.run_checkup`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bank.models import HouseView, Identity, Staff
from calc.checkup import BASE_ALLOCATION
from calc.errors import CalcInputError
from calc.house_view import check_house_view, view_changes


class ManagersOnly(PermissionError):
    """Only managers change the house view or the model portfolios."""

    def __init__(self) -> None:
        super().__init__("只有管理人员可以修改模型组合和大类配置观点。")


def require_manager(viewer: Identity | None) -> int:
    """The manager's staff id, else ManagersOnly."""
    if viewer is None or viewer.role != "manager" or viewer.staff_id is None:
        raise ManagersOnly()
    return viewer.staff_id


@dataclass(frozen=True)
class ViewVersion:
    """One version of the house view (version 0: the built-in first model)."""

    version: int
    weights: dict[int, dict[str, float]]
    change_note: str
    author: str
    created_at: dt.datetime | None


BUILT_IN = ViewVersion(0, {level: dict(w) for level, w in BASE_ALLOCATION.items()}, "初始模型", "系统", None)


def _version(row: HouseView, author: str) -> ViewVersion:
    weights = {int(key.removeprefix("C")): dict(value) for key, value in row.weights.items()}
    return ViewVersion(row.version, weights, row.change_note, author, row.created_at)


def current_view(session: Session) -> ViewVersion:
    """The house view in force: the latest saved version, else the built-in one."""
    row = session.execute(select(HouseView, Staff.name).outerjoin(Staff, Staff.id == HouseView.created_by_id)
                          .order_by(HouseView.version.desc()).limit(1)).first()
    return BUILT_IN if row is None else _version(row[0], row[1] or "")


def house_allocation(session: Session) -> dict[int, dict[str, float]] | None:
    """The weights `run_checkup(..., house_view=)` takes: the saved view in force, or None for the built-in."""
    view = current_view(session)
    return None if view.version == 0 else view.weights


def view_history(session: Session, limit: int = 20) -> list[ViewVersion]:
    """The saved versions, newest first, then the built-in one."""
    rows = session.execute(select(HouseView, Staff.name).outerjoin(Staff, Staff.id == HouseView.created_by_id)
                           .order_by(HouseView.version.desc()).limit(limit)).all()
    return [_version(row, name or "") for row, name in rows] + [BUILT_IN]


def save_view(session: Session, manager: Identity, weights: Mapping[int | str, Mapping[str, float]],
              now: dt.datetime, note: str = "") -> ViewVersion:
    """Save `weights` as the next version (flushed, in the caller's transaction). ManagersOnly for anyone but a
    manager; CalcInputError (the level named, in Chinese) for an invalid view or one that changes nothing."""
    staff_id = require_manager(manager)
    checked = check_house_view(weights)
    before = current_view(session)
    changes = view_changes(before.weights, checked)
    if not changes:
        raise CalcInputError("weights", "changes nothing", "和现行的配置观点完全一样，没有需要保存的修改。")
    version = (session.execute(select(func.max(HouseView.version))).scalar_one() or 0) + 1
    text = note.strip()[:200] or "；".join(changes)[:200]
    row = HouseView(version=version, weights={f"C{level}": w for level, w in checked.items()}, change_note=text,
                    created_by_id=staff_id, created_at=now)
    session.add(row)
    session.flush()
    author = session.get(Staff, staff_id)
    return _version(row, author.name if author else "")
