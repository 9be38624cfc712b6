"""Demo bank people: teams, staff and clients with correlated, plausible finances (deterministic per seed)."""

from __future__ import annotations

import datetime as dt
import string
from decimal import Decimal
from typing import Any

import numpy as np

from bank.demo.catalog import (
    GIVEN_FEMALE,
    GIVEN_MALE,
    NANJING_REGIONS,
    OCCUPATIONS,
    RETIRED,
    SURNAMES,
    TEAMS,
)

Row = dict[str, Any]
ALNUM = string.ascii_letters + string.digits
# Full names that occur on purpose: (name, gender, [advisor index, ...]) so disambiguation can be tested.
DUPLICATE_NAMES = (("张伟", "M", (0, 0, 1)), ("王芳", "F", (4, 4, 0)), ("李娜", "F", (2, 5)))


def money(x: float) -> Decimal:
    """Round to cents as a Decimal."""
    return Decimal(f"{x:.2f}")


def age_on(birth: dt.date, today: dt.date) -> int:
    """Completed years of age on `today`."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def staff_rows(rng: np.random.Generator) -> tuple[list[Row], list[Row]]:
    """Teams (manager set later, after staff exist) and staff with deterministic pinyin userids."""
    teams, staff = [], []
    for t, (team, branch, members) in enumerate(TEAMS, start=1):
        teams.append({"id": t, "name": team, "branch": branch, "manager_id": None})
        for name, userid, role in members:
            staff.append({"id": len(staff) + 1, "wecom_userid": userid, "name": name, "role": role,
                          "team_id": t, "phone": phone(rng)})
    return teams, staff


def phone(rng: np.random.Generator) -> str:
    prefix = rng.choice(["135", "136", "138", "139", "150", "151", "158", "177", "186", "189"])
    return str(prefix) + "".join(str(d) for d in rng.integers(0, 10, 8))


def id_number(rng: np.random.Generator, birth: dt.date, gender: str) -> str:
    """A well-formed (checksummed) 18-digit resident ID for a Nanjing district."""
    seq = int(rng.integers(0, 50)) * 2 + (1 if gender == "M" else 0)
    body = f"{rng.choice(NANJING_REGIONS)}{birth:%Y%m%d}{int(rng.integers(0, 10))}{seq:02d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    return body + check


def external_userid(rng: np.random.Generator) -> str:
    return "wm" + "".join(ALNUM[i] for i in rng.integers(0, len(ALNUM), 22))


def _name(rng: np.random.Generator, gender: str, surnames: list[str], p: np.ndarray, reserved: set[str]) -> str:
    chars = GIVEN_MALE if gender == "M" else GIVEN_FEMALE
    while True:
        given = "".join(chars[i] for i in rng.integers(0, len(chars), 1 if rng.random() < 0.35 else 2))
        name = surnames[rng.choice(len(surnames), p=p)] + given
        if name not in reserved:
            return name


def _age(rng: np.random.Generator) -> int:
    """Ages 22-80 weighted towards 28-60, as a retail wealth book is."""
    return int(np.clip(rng.choice([rng.normal(36, 8), rng.normal(52, 8), rng.normal(67, 6)], p=[.45, .35, .2]),
                       22, 80))


def _life_stage(rng: np.random.Generator, age: int) -> tuple[str, int]:
    """Life stage and number of dependants consistent with age."""
    if age >= 60:
        return "退休", int(rng.choice([0, 1], p=[.7, .3]))
    if age < 27:
        return ("单身青年", 0) if rng.random() < .85 else ("新婚家庭", 0)
    if age < 33:
        stage = rng.choice(["单身青年", "新婚家庭", "育儿家庭"], p=[.35, .35, .3])
    elif age < 46:
        stage = rng.choice(["单身青年", "新婚家庭", "育儿家庭"], p=[.08, .12, .8])
    else:
        stage = rng.choice(["育儿家庭", "中年家庭"], p=[.25, .75])
    deps = {"单身青年": 0, "新婚家庭": int(rng.integers(0, 2)), "育儿家庭": int(rng.integers(1, 4)),
            "中年家庭": int(rng.integers(1, 4))}[str(stage)]
    return str(stage), deps


def _risk(rng: np.random.Generator, age: int, income: float) -> str:
    """Risk level: younger and better-off clients tolerate more; retirees lean C1-C2."""
    score = 3.2 - max(age - 45, 0) * 0.06 - max(30 - age, 0) * 0.02 + np.log(income / 12000) * 0.5
    level = int(np.clip(round(score + rng.normal(0, 0.9)), 1, 5))
    return f"C{level}"


def client_rows(rng: np.random.Generator, n: int, advisors: list[int], today: dt.date) -> list[Row]:
    """`n` clients spread over `advisors`, with the planted duplicate names."""
    surnames = list(SURNAMES)
    p = np.array(list(SURNAMES.values()))
    p = p / p.sum()
    reserved = {name for name, _, _ in DUPLICATE_NAMES}
    occupations = list(OCCUPATIONS)
    rows: list[Row] = []
    for i in range(1, n + 1):
        gender = "M" if rng.random() < 0.48 else "F"
        age = _age(rng)
        birth = dt.date(today.year - age, today.month, min(today.day, 28)) - dt.timedelta(
            days=int(rng.integers(0, 360)))
        stage, deps = _life_stage(rng, age)
        if age >= 60 and rng.random() < 0.85:
            occupation, median = RETIRED
        else:
            fitting = [o for o in occupations if OCCUPATIONS[o][1] <= age <= OCCUPATIONS[o][2]] or ["个体经营者"]
            occupation = str(rng.choice(fitting))
            median = OCCUPATIONS[occupation][0] * (1 + min(max(age - 25, 0), 20) * 0.025)
        income = float(median * rng.lognormal(0, 0.45))
        expenses = income * float(rng.uniform(0.35, 0.75)) + deps * 800
        risk = _risk(rng, age, income)
        u = rng.random()
        if u < 0.02:
            risk, assessed = None, None
        elif u < 0.12:
            assessed = today - dt.timedelta(days=int(rng.integers(366, 900)))
        else:
            assessed = today - dt.timedelta(days=int(rng.integers(1, 365)))
        wealth_years = float(np.clip((age - 22) * 0.35 + 1, 1, 18))
        created = today - dt.timedelta(days=int(rng.integers(30, 3650)))
        rows.append({
            "id": i, "name": _name(rng, gender, surnames, p, reserved), "gender": gender, "birth_date": birth,
            "occupation": occupation, "life_stage": stage, "advisor_id": advisors[int(rng.integers(0, len(advisors)))],
            "risk_level": risk, "risk_assessed_on": assessed, "monthly_income": money(income),
            "monthly_expenses": money(min(expenses, income * 1.1)), "dependants": deps, "phone": phone(rng),
            "id_number": id_number(rng, birth, gender),
            "external_assets": money(income * 12 * wealth_years * rng.lognormal(0, 0.8)),
            "life_cover": money(0), "critical_illness_cover": money(0),
            "medical_cover": money(float(rng.choice([0, 0, 10000, 2000000, 4000000]))),
            "wecom_external_userid": external_userid(rng),
            "created_at": dt.datetime.combine(created, dt.time(9)) + dt.timedelta(minutes=int(rng.integers(0, 540))),
            "last_login_at": (dt.datetime.combine(today - dt.timedelta(days=int(rng.integers(0, 60))), dt.time(8))
                              + dt.timedelta(minutes=int(rng.integers(0, 780)))) if rng.random() < 0.6 else None,
        })
    _plant_duplicates(rows, advisors)
    return rows


def _plant_duplicates(rows: list[Row], advisors: list[int]) -> None:
    """Rename a few clients so common names occur under one advisor twice and another once."""
    used: set[int] = set()
    for name, gender, owners in DUPLICATE_NAMES:
        for owner in owners:
            advisor = advisors[owner % len(advisors)]
            row = next(r for r in rows if r["advisor_id"] == advisor and r["gender"] == gender
                       and r["id"] not in used and r["id"] > 3)
            row["name"] = name
            used.add(row["id"])
