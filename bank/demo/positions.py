"""Demo bank products and positions: product shelf, NAV histories, holdings with the trades behind them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np

from bank.demo.catalog import BANK, FUND_HOUSES, INSURERS, NAV_MODEL, PRODUCTS, WMP_ISSUER
from bank.demo.people import age_on, money
from bank.models import CATEGORY_NAMES, INSURANCE_CATEGORIES, MARKET_CATEGORIES
from calc.risk import is_suitable

Row = dict[str, Any]
TERM_CATEGORIES = ("deposit", "wmp")


def product_rows() -> list[Row]:
    """The fixed product shelf (60+ products over every category)."""
    rows = []
    for i, (code, name, cat, risk, term, minimum, low, high, sub, mgmt, red) in enumerate(PRODUCTS, start=1):
        if cat == "deposit":
            issuer = BANK
        elif cat == "wmp":
            issuer = WMP_ISSUER
        elif cat in INSURANCE_CATEGORIES:
            issuer = INSURERS[i % 2]
        else:
            issuer = FUND_HOUSES[i % len(FUND_HOUSES)]
        ret = f"，业绩比较基准{low:.2%}-{high:.2%}" if low is not None else ""
        term_text = f"，期限{term}天" if term else ""
        rows.append({
            "id": i, "code": code, "name": name, "category": cat, "risk_level": risk, "term_days": term,
            "min_amount": money(minimum), "expected_return_low": low, "expected_return_high": high,
            "subscription_fee": sub, "management_fee": mgmt, "redemption_fee": red, "issuer": issuer,
            "description": f"{CATEGORY_NAMES[cat]}产品，风险等级{risk}{term_text}{ret}，起购金额{minimum:g}元。",
            "on_sale": code != "WM730",
        })
    return rows


def trading_days(today: dt.date, years: float = 3.25) -> list[dt.date]:
    """Weekdays from `years` ago up to the day before `today`."""
    start = today - dt.timedelta(days=int(years * 365))
    days = [start + dt.timedelta(days=k) for k in range((today - start).days)]
    return [d for d in days if d.weekday() < 5]


def nav_paths(rng: np.random.Generator, products: list[Row], days: list[dt.date]) -> dict[int, np.ndarray]:
    """GBM paths per market product driven by a shared domestic and a global equity factor."""
    n = len(days)
    # Factor paths are pinned (Brownian-bridge style) to a plausible total move so no seed yields a crash demo.
    domestic = _bridged(rng.normal(0, 0.20 / np.sqrt(250), n), float(rng.uniform(-0.10, 0.30)))
    world = _bridged(rng.normal(0, 0.17 / np.sqrt(250), n), float(rng.uniform(0.05, 0.40)))
    paths = {}
    for p in products:
        if p["category"] not in MARKET_CATEGORIES:
            continue
        drift, beta, beta_world, vol = NAV_MODEL[p["category"]]
        r = drift / 250 + beta * domestic + beta_world * world
        r = r + rng.normal(0, vol / np.sqrt(250), n)
        start = 420.0 if p["code"] == "GD002" else float(rng.uniform(0.9, 2.4))
        paths[p["id"]] = start * np.exp(np.cumsum(r - 0.5 * r.var()))
    return paths


def _bridged(steps: np.ndarray, total: float) -> np.ndarray:
    """Shift daily log returns so they add up to `total` while keeping their day-to-day shape."""
    return steps - steps.mean() + total / len(steps)


def nav_rows(paths: dict[int, np.ndarray], days: list[dt.date]) -> list[Row]:
    rows = []
    for pid, path in paths.items():
        rows += [{"product_id": pid, "date": d, "nav": Decimal(f"{v:.4f}")} for d, v in zip(days, path, strict=True)]
    return rows


def _allowed(products: list[Row], risk: str | None) -> list[Row]:
    """Products a client may hold: risk level at most the client's (R1 only when never assessed)."""
    level = risk or "C1"
    return [p for p in products if is_suitable(level, p["risk_level"]) and p["category"] not in INSURANCE_CATEGORIES]


def positions(rng: np.random.Generator, clients: list[Row], products: list[Row], paths: dict[int, np.ndarray],
              days: list[dt.date], today: dt.date) -> tuple[list[Row], list[Row]]:
    """Holdings for most clients, consistent with risk level and wealth, and the transactions that built them."""
    holdings: list[Row] = []
    trades: list[Row] = []
    insurance = [p for p in products if p["category"] in INSURANCE_CATEGORIES]
    for c in clients:
        age = age_on(c["birth_date"], today)
        income = float(c["monthly_income"])
        if rng.random() < 0.92:
            aum = max(5000.0, income * 12 * float(np.clip((age - 22) * 0.12 + 0.3, 0.3, 6)) * rng.lognormal(0, 0.8))
            allowed = _allowed(products, c["risk_level"])
            k = min(len(allowed), 1 + int(rng.poisson(2)))
            picks = [allowed[i] for i in rng.choice(len(allowed), k, replace=False)]
            weights = rng.dirichlet(np.ones(k))
            made = 0
            for p, w in zip(picks, weights, strict=True):
                amount = round(aum * float(w), -2)
                if amount < float(p["min_amount"]) or amount < 100:
                    continue
                made += _hold(rng, c, p, amount, paths, days, today, holdings, trades)
            if not made:
                _hold(rng, c, products[7], round(aum, -2), paths, days, today, holdings, trades)
        _insure(rng, c, age, insurance, today, holdings, trades)
    return holdings, trades


def _hold(rng: np.random.Generator, c: Row, p: Row, amount: float, paths: dict[int, np.ndarray],
          days: list[dt.date], today: dt.date, holdings: list[Row], trades: list[Row]) -> int:
    cat, maturity = p["category"], None
    if cat in MARKET_CATEGORIES:
        i = int(rng.integers(0, len(days) - 20))
        opened, nav = days[i], float(paths[p["id"]][i])
        units = amount / (1 + p["subscription_fee"]) / nav
        last = float(paths[p["id"]][-1])
        trades.append(_trade(c, p, "buy", amount, units, opened))
        if rng.random() < 0.2:  # a later partial redemption; the holding keeps the rest
            j = int(rng.integers(i + 1, len(days)))
            sold = units * 0.25
            trades.append(_trade(c, p, "sell", sold * float(paths[p["id"]][j]), sold, days[j]))
            units, amount = units - sold, amount * 0.75
        value = units * last
    else:
        rate = (p["expected_return_low"] + p["expected_return_high"]) / 2
        if cat in TERM_CATEGORIES:
            term = p["term_days"]
            maturity = today + dt.timedelta(days=int(rng.integers(1, min(180, term - 1) + 1)))
            opened = maturity - dt.timedelta(days=term)
        else:
            opened = today - dt.timedelta(days=int(rng.integers(1, 730)))
        units = amount
        value = amount * (1 + rate * (today - opened).days / 365)
        trades.append(_trade(c, p, "buy", amount, units, opened))
    holdings.append({"client_id": c["id"], "product_id": p["id"], "units": Decimal(f"{units:.4f}"),
                     "cost": money(amount), "market_value": money(value), "opened_on": opened,
                     "maturity_date": maturity})
    return 1


def _insure(rng: np.random.Generator, c: Row, age: int, insurance: list[Row], today: dt.date,
            holdings: list[Row], trades: list[Row]) -> None:
    """Protection and annuity policies by life stage; premiums paid yearly; covers written back on the client."""
    income = float(c["monthly_income"])
    by_cat = {cat: [p for p in insurance if p["category"] == cat] for cat in INSURANCE_CATEGORIES}
    wants = {
        "critical_illness_insurance": 0.35 if 25 <= age < 60 else 0.05,
        "life_insurance": 0.25 if c["dependants"] else 0.05,
        "annuity_insurance": 0.25 if age >= 35 else 0.03,
    }
    allowed_level = c["risk_level"] or "C1"
    for cat, prob in wants.items():
        if rng.random() >= prob:
            continue
        options = [p for p in by_cat[cat] if is_suitable(allowed_level, p["risk_level"])]
        p = options[int(rng.integers(0, len(options)))]
        premium = max(float(p["min_amount"]), round(income * float(rng.uniform(0.5, 2.0)), -2))
        years = int(rng.integers(1, 11))
        opened = today - dt.timedelta(days=365 * years - int(rng.integers(1, 300)))
        for y in range(years):
            trades.append(_trade(c, p, "premium", premium, None, opened + dt.timedelta(days=365 * y)))
        paid = premium * years
        cash_value = paid * (float(rng.uniform(0.9, 1.15)) if cat == "annuity_insurance" else float(rng.uniform(.1, .6)))
        holdings.append({"client_id": c["id"], "product_id": p["id"], "units": Decimal("1.0000"),
                         "cost": money(paid), "market_value": money(cash_value), "opened_on": opened,
                         "maturity_date": None})
        cover = round(income * 12 * float(rng.uniform(3, 10)), -4)
        field = {"critical_illness_insurance": "critical_illness_cover", "life_insurance": "life_cover"}.get(cat)
        if field:
            c[field] = money(float(c[field]) + cover)


def _trade(c: Row, p: Row, kind: str, amount: float, units: float | None, day: dt.date) -> Row:
    return {"client_id": c["id"], "product_id": p["id"], "kind": kind, "amount": money(amount),
            "units": Decimal(f"{units:.4f}") if units is not None else None, "trade_date": day}


def matured(rng: np.random.Generator, clients: list[Row], products: list[Row], today: dt.date) -> list[Row]:
    """Past term products that matured (buy + maturity pairs), so the history is more than current holdings."""
    trades = []
    for c in clients:
        for _ in range(int(rng.integers(0, 3))):
            options = [p for p in _allowed(products, c["risk_level"]) if p["category"] in TERM_CATEGORIES
                       and p["term_days"] <= 365]
            p = options[int(rng.integers(0, len(options)))]
            end = today - dt.timedelta(days=int(rng.integers(5, 700)))
            start = end - dt.timedelta(days=p["term_days"])
            amount = max(float(p["min_amount"]), round(float(c["monthly_income"]) * float(rng.uniform(1, 12)), -3))
            rate = (p["expected_return_low"] + p["expected_return_high"]) / 2
            trades.append(_trade(c, p, "buy", amount, amount, start))
            trades.append(_trade(c, p, "maturity", amount * (1 + rate * p["term_days"] / 365), amount, end))
    return trades
