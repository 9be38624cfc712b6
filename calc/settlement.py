"""When an order settles and what it buys: trade date, confirmation, value date and units, by product kind.

The rules (calendar from calc/calendar.py, times in China time):

- open-end funds and gold (``bond_fund``, ``mixed_fund``, ``equity_fund``, ``index_fund``, ``gold``): priced at
  the NAV of the trade date T — the order's day if it came before the cut-off (15:00) on a trading day, else
  the next trading day — and confirmed on T+1 (trading days). QDII funds confirm on T+2: the overseas
  markets' prices arrive a day later (overseas holidays are not modelled, so a real QDII may confirm later).
- the bank's cash management and money funds (``cash_management``): the same trade date, confirmed on T+1 at
  a NAV of 1 (a unit is a yuan), earning from the confirmation day.
- 理财 (``wmp``): subscribed on the trade date (same cut-off), interest from the next trading day (起息日, the
  confirmation), maturing `term_days` later — the catalogue stores the term and the expected return range.
- deposits (``deposit``): the bank's own, booked at once: interest from the order's day, maturing `term_days`
  later.
- insurance (annuity, critical illness, life): the policy takes effect on the next working day (零时生效), and
  may be cancelled with the premium refunded within the cooling-off period (犹豫期, `cooling_off_days` calendar
  days from the effective day, included).

Units of a fund: the net amount = amount / (1 + subscription fee), to the fen (half up); the fee is the rest;
units = net / NAV of T, to 2 decimals (half up), as fund contracts state (份额保留到小数点后两位，四舍五入).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from calc.calendar import is_trading_day, next_day
from calc.errors import CalcInputError

CUT_OFF = dt.time(15, 0)
"""Orders at or after this time (or on a non-trading day) trade on the next trading day."""
FUND_CATEGORIES = ("bond_fund", "mixed_fund", "equity_fund", "index_fund", "gold")
QDII_CATEGORIES = ("qdii_fund",)
CASH_CATEGORIES = ("cash_management",)
WMP_CATEGORIES = ("wmp",)
DEPOSIT_CATEGORIES = ("deposit",)
INSURANCE_KINDS = ("annuity_insurance", "critical_illness_insurance", "life_insurance")
PRICED_CATEGORIES = FUND_CATEGORIES + QDII_CATEGORIES
"""Categories whose units are bought at a NAV (the settlement waits for the NAV of the trade date)."""
COOLING_OFF_DAYS = 15
CENT = Decimal("0.01")


@dataclass(frozen=True)
class SettlementDates:
    """An order's dates: trade date (T, whose NAV prices a fund), confirmation (the order settles on it), the
    value date (interest or cover from), maturity (term products) and the last day of the cooling-off period
    (insurance)."""

    trade_date: dt.date
    confirm_date: dt.date
    value_date: dt.date
    maturity_date: dt.date | None = None
    cooling_off_until: dt.date | None = None


def trade_date(ordered_at: dt.datetime, cut_off: dt.time = CUT_OFF) -> dt.date:
    """The trade date T of an order placed at `ordered_at`: that day before the cut-off on a trading day, else
    the next trading day.

    Examples
    --------
    >>> trade_date(dt.datetime(2026, 11, 25, 14, 59)), trade_date(dt.datetime(2026, 11, 25, 15, 0))
    (datetime.date(2026, 11, 25), datetime.date(2026, 11, 26))
    >>> trade_date(dt.datetime(2026, 11, 27, 16, 0)), trade_date(dt.datetime(2026, 9, 30, 10, 0))
    (datetime.date(2026, 11, 30), datetime.date(2026, 9, 30))
    >>> trade_date(dt.datetime(2026, 10, 3, 10, 0))  # National Day: the first trading day after
    datetime.date(2026, 10, 8)
    """
    day = ordered_at.date()
    if is_trading_day(day) and ordered_at.time() < cut_off:
        return day
    return next_day(day + dt.timedelta(days=1), 0)


def settlement_dates(category: str, ordered_at: dt.datetime, term_days: int | None = None,
                     cooling_off_days: int = COOLING_OFF_DAYS, cut_off: dt.time = CUT_OFF) -> SettlementDates:
    """The dates of an order for a product of `category` placed at `ordered_at` (rules in the module doc).

    Raises
    ------
    CalcInputError
        An unknown category, a term product without a positive `term_days`, or a negative cooling-off period.

    Examples
    --------
    >>> d = settlement_dates("equity_fund", dt.datetime(2026, 11, 27, 16, 0))  # Friday after 15:00
    >>> d.trade_date, d.confirm_date
    (datetime.date(2026, 11, 30), datetime.date(2026, 12, 1))
    >>> settlement_dates("qdii_fund", dt.datetime(2026, 11, 25, 10, 0)).confirm_date  # T+2
    datetime.date(2026, 11, 27)
    >>> d = settlement_dates("wmp", dt.datetime(2026, 9, 30, 14, 0), term_days=90)
    >>> d.trade_date, d.value_date, d.maturity_date
    (datetime.date(2026, 9, 30), datetime.date(2026, 10, 8), datetime.date(2027, 1, 6))
    >>> settlement_dates("deposit", dt.datetime(2026, 11, 28, 20, 0), term_days=91).maturity_date
    datetime.date(2027, 2, 27)
    >>> d = settlement_dates("life_insurance", dt.datetime(2026, 11, 27, 10, 0))
    >>> d.value_date, d.cooling_off_until
    (datetime.date(2026, 11, 30), datetime.date(2026, 12, 14))
    >>> settlement_dates("life_insurance", dt.datetime(2026, 11, 28, 10, 0)).value_date  # a Saturday's order
    datetime.date(2026, 11, 30)
    """
    if cooling_off_days < 0:
        raise CalcInputError("cooling_off_days", f"must be 0 or more, got {cooling_off_days}", "犹豫期天数不能为负")
    if category in DEPOSIT_CATEGORIES + WMP_CATEGORIES and (term_days is None or term_days <= 0):
        raise CalcInputError("term_days", f"must be positive for {category}, got {term_days}", "产品期限无效")
    if category in DEPOSIT_CATEGORIES:
        day = ordered_at.date()
        return SettlementDates(day, day, day, day + dt.timedelta(days=int(term_days or 0)))
    if category in INSURANCE_KINDS:
        effective = next_day(ordered_at.date() + dt.timedelta(days=1), 0, trading=False)
        return SettlementDates(ordered_at.date(), effective, effective,
                               cooling_off_until=effective + dt.timedelta(days=cooling_off_days - 1)
                               if cooling_off_days else effective - dt.timedelta(days=1))
    t = trade_date(ordered_at, cut_off)
    if category in QDII_CATEGORIES:
        confirm = next_day(t, 2)
        return SettlementDates(t, confirm, confirm)
    if category in FUND_CATEGORIES + CASH_CATEGORIES:
        confirm = next_day(t, 1)
        return SettlementDates(t, confirm, confirm)
    if category in WMP_CATEGORIES:
        value = next_day(t, 1)
        return SettlementDates(t, value, value, value + dt.timedelta(days=int(term_days or 0)))
    raise CalcInputError("category", f"unknown product category {category!r}", "未知的产品类别")


@dataclass(frozen=True)
class FundPurchase:
    """What a fund order buys: the fee, the net amount invested and the units (2 decimals)."""

    amount: Decimal
    fee: Decimal
    net_amount: Decimal
    nav: Decimal
    units: Decimal


def fund_units(amount: Decimal | str | float, nav: Decimal | str | float,
               fee_rate: Decimal | str | float = 0) -> FundPurchase:
    """Units bought with `amount` at `nav` after a front-end subscription fee (外扣法).

    net = amount / (1 + fee_rate) to the fen (half up), fee = amount − net, units = net / nav to 2 decimals
    (half up).

    Raises
    ------
    CalcInputError
        A non-positive amount or NAV, or a fee rate outside [0, 1).

    Examples
    --------
    >>> p = fund_units("10000", "1.2345", "0.015")
    >>> p.net_amount, p.fee, p.units
    (Decimal('9852.22'), Decimal('147.78'), Decimal('7980.74'))
    >>> fund_units(100, 1).units
    Decimal('100.00')
    """
    amount, nav, rate = (Decimal(str(v)) for v in (amount, nav, fee_rate))
    if amount <= 0:
        raise CalcInputError("amount", f"must be positive, got {amount}", "金额必须大于0")
    if nav <= 0:
        raise CalcInputError("nav", f"must be positive, got {nav}", "净值必须为正数")
    if not 0 <= rate < 1:
        raise CalcInputError("fee_rate", f"must be in [0, 1), got {rate}", "费率无效")
    amount = amount.quantize(CENT, ROUND_HALF_UP)
    net = (amount / (1 + rate)).quantize(CENT, ROUND_HALF_UP)
    units = (net / nav).quantize(CENT, ROUND_HALF_UP)
    return FundPurchase(amount, amount - net, net, nav, units)


def in_cooling_off(dates: SettlementDates, day: dt.date) -> bool:
    """Whether an insurance order may still be cancelled on `day`: up to the last day of its cooling-off period
    (an order not yet effective may always be).

    Examples
    --------
    >>> d = settlement_dates("annuity_insurance", dt.datetime(2026, 11, 27, 10, 0), cooling_off_days=15)
    >>> in_cooling_off(d, dt.date(2026, 12, 14)), in_cooling_off(d, dt.date(2026, 12, 15))
    (True, False)
    """
    return dates.cooling_off_until is not None and day <= dates.cooling_off_until
