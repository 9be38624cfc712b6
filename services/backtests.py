"""Back-test of a model portfolio from the NAV histories in bank/ (calc.performance does the arithmetic).

Buy-and-hold from the first day every product has a value. Deposits and wealth-management products have no
NAV: they accrue the midpoint of their expected return range, compounded daily on calendar days. One function
serves the chat reply and the portfolio page (`/portfolios/{id}` and its `backtest.png`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.models import ModelPortfolio, NavPoint, Product
from calc.performance import TRADING_DAYS, backtest, max_drawdown
from services.portfolios import find_portfolio

MIN_POINTS = 2


@dataclass(frozen=True)
class PortfolioBacktest:
    """Figures of a back-test (fractions; drawdown negative) with the NAV path for the chart."""

    portfolio_id: int
    name: str
    risk_level: str
    start: str
    end: str
    total_return: float
    annualized_return: float
    annualized_volatility: float
    max_drawdown: float
    drawdown_peak: str
    drawdown_trough: str
    dates: list[str] = field(default_factory=list)
    nav: list[float] = field(default_factory=list)

    @property
    def period(self) -> str:
        return f"{self.start}至{self.end}"

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for JSON and templates), with `period` as text."""
        return {**asdict(self), "period": self.period}


def accrual_path(dates: pd.Index, rate: float) -> pd.Series:
    """A NAV that grows at `rate` a year on calendar days from the first date.

    >>> idx = pd.Index(pd.to_datetime(["2025-01-01", "2026-01-01"]).date)
    >>> accrual_path(idx, 0.02).round(4).tolist()
    [1.0, 1.02]
    """
    first = dates[0]
    years = [(d - first).days / 365 for d in dates]
    return pd.Series([(1 + rate) ** y for y in years], index=dates, dtype=float)


def _expected_rate(product: Product) -> float:
    return ((product.expected_return_low or 0.0) + (product.expected_return_high or 0.0)) / 2


def nav_frame(session: Session, portfolio: ModelPortfolio) -> pd.DataFrame:
    """Aligned NAVs (rows: dates, columns: product ids in item order); accrual for products without NAV."""
    ids = [item.product_id for item in portfolio.items]
    rows = session.execute(select(NavPoint.date, NavPoint.product_id, NavPoint.nav)
                           .where(NavPoint.product_id.in_(ids))).all()
    if not rows:
        return pd.DataFrame(columns=ids)
    navs = (pd.DataFrame(rows, columns=["date", "product", "nav"])
            .pivot(index="date", columns="product", values="nav").astype(float))
    navs = navs.reindex(columns=ids).sort_index().ffill()
    for item in portfolio.items:
        if navs[item.product_id].isna().all():
            navs[item.product_id] = accrual_path(navs.index, _expected_rate(item.product))
    return navs.dropna()


def portfolio_backtest(session: Session, key: int | str, periods_per_year: float = TRADING_DAYS
                       ) -> PortfolioBacktest | None:
    """Back-test model portfolio `key` (id or name); None when there is too little NAV history.

    Raises services.prospects.UnknownProduct for an unknown portfolio.
    """
    portfolio = find_portfolio(session, key)
    navs = nav_frame(session, portfolio)
    if len(navs) < MIN_POINTS:
        return None
    weights = [item.weight for item in portfolio.items]
    total = sum(weights)
    result = backtest([w / total for w in weights], navs, periods_per_year=periods_per_year)
    metrics = result.metrics.iloc[0]
    drawdown = max_drawdown(result.nav)
    dates = [d.isoformat() for d in navs.index]
    return PortfolioBacktest(
        portfolio_id=portfolio.id, name=portfolio.name, risk_level=portfolio.risk_level,
        start=dates[0], end=dates[-1], total_return=float(metrics["total_return"]),
        annualized_return=float(metrics["annualized_return"]),
        annualized_volatility=float(metrics["annualized_volatility"]),
        max_drawdown=float(metrics["max_drawdown"]),
        drawdown_peak=str(drawdown.peak_date), drawdown_trough=str(drawdown.trough_date),
        dates=dates, nav=[round(float(v), 6) for v in result.nav],
    )


def backtest_path(portfolio_id: int) -> str:
    """The drawdown chart of a model portfolio, served by the web app.

    >>> backtest_path(2)
    '/portfolios/2/backtest.png'
    """
    return f"/portfolios/{portfolio_id}/backtest.png"


def portfolio_path(portfolio_id: int) -> str:
    """The page of a model portfolio.

    >>> portfolio_path(2)
    '/portfolios/2'
    """
    return f"/portfolios/{portfolio_id}"
