"""services.backtests: a model portfolio's back-test matches calc.performance on the same NAVs."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from calc.performance import annualized_volatility, max_drawdown, simple_returns, total_return
from services.backtests import accrual_path, backtest_path, nav_frame, portfolio_backtest
from services.portfolios import find_portfolio
from services.prospects import UnknownProduct


@pytest.fixture
def session(scratch_session: Session) -> Session:
    """The bank these tests read (see tests/demo_staff.py)."""
    return scratch_session


@pytest.mark.parametrize("key", [1, "平衡组合", 3])
def test_figures_agree_with_calc_on_the_returned_nav(session: Session, key: int | str) -> None:
    result = portfolio_backtest(session, key)
    assert result is not None
    nav = pd.Series(result.nav)
    assert result.nav[0] == pytest.approx(1.0)
    assert result.total_return == pytest.approx(total_return(nav), abs=1e-5)
    assert result.max_drawdown == pytest.approx(max_drawdown(nav).depth, abs=1e-5)
    assert result.annualized_volatility == pytest.approx(annualized_volatility(simple_returns(nav)), rel=1e-3)
    assert result.max_drawdown <= 0 and result.start < result.end == result.dates[-1]
    assert result.drawdown_peak <= result.drawdown_trough


def test_riskier_portfolio_is_more_volatile(session: Session) -> None:
    careful, bold = portfolio_backtest(session, "稳健组合"), portfolio_backtest(session, "进取组合")
    assert careful is not None and bold is not None
    assert bold.annualized_volatility > careful.annualized_volatility
    assert bold.max_drawdown < careful.max_drawdown


def test_products_without_nav_accrue_their_expected_rate(session: Session) -> None:
    portfolio = find_portfolio(session, "稳健组合")
    navs = nav_frame(session, portfolio)
    deposit = next(i for i in portfolio.items if i.product.category == "deposit")
    column = navs[deposit.product_id]
    assert column.iloc[0] == pytest.approx(1.0)
    assert column.is_monotonic_increasing and column.iloc[-1] > 1.0


def test_accrual_path_compounds_on_calendar_days() -> None:
    dates = pd.Index(pd.to_datetime(["2025-01-01", "2025-07-02", "2026-01-01"]).date)
    assert accrual_path(dates, 0.03).tolist() == pytest.approx([1.0, 1.03 ** (182 / 365), 1.03])


def test_unknown_portfolio(session: Session) -> None:
    with pytest.raises(UnknownProduct):
        portfolio_backtest(session, "不存在的组合")


def test_chart_url_shape() -> None:
    assert backtest_path(7) == "/portfolios/7/backtest.png"
