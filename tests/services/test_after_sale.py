"""售后检视 (services/after_sale.py) on a private copy of the demo bank: push → confirm → settle on a controlled
clock → NAVs later → the figures equal calc.performance on the same NAVs and an independent numpy computation
straight from the tables; before vs after; benchmarks; by-advisor totals; a push nobody confirmed; access."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from bank.db import session_scope
from bank.directory import who_is
from bank.models import Client, Order, PortfolioPush, Product
from calc.performance import max_drawdown, total_return
from services.after_sale import (
    PushNotFound,
    after_sale_by_advisor,
    benchmark_path,
    figures,
    push_review,
    review_grid,
)
from services.push_decisions import confirm_push, decline_push
from services.pushes import push_portfolio
from services.wealth import client_ledger
from tests.services.after_sale_story import PUSH_AT, TODAY, add_later_navs, nav_table, sold
from tests.services.push_cast import Cast


def independent_path(url: str, push_task: str) -> np.ndarray:
    """The client's value / amount on every weekday from the push date (no holidays in Nov 2026), by hand: the
    amount on the push date, then fund units x NAV from the trade date (the amount in cash before), other products at the midpoint rate, simple
    interest from their value date."""
    grid = pd.bdate_range(PUSH_AT.date(), TODAY)
    with session_scope(url) as s:
        push_id = s.scalar(select(PortfolioPush.id).where(PortfolioPush.task_id == push_task))
        rows = [(o.amount, o.units, o.trade_date, o.confirm_date, p.code, p.category, p.expected_return_low,
                 p.expected_return_high) for o, p in s.execute(select(Order, Product).join(Product).where(
                     Order.push_id == push_id, Order.status == "filled")).all()]
    navs = nav_table(url, [r[4] for r in rows])
    value = np.zeros(len(grid))
    for amount, units, trade, confirm, code, category, low, high in rows:
        if code in navs.columns and category != "cash_management":
            nav = navs[code].reindex(navs.index.union(grid)).ffill().reindex(grid).to_numpy()
            bought = (grid >= pd.Timestamp(trade)) & (grid > grid[0])  # 1.0 on the push date: the money committed
            value += np.where(bought, float(units) * nav, float(amount))
        else:
            days = np.clip((grid - pd.Timestamp(confirm)).days.to_numpy(), 0, None)
            value += float(amount) * (1 + (low + high) / 2 * days / 365)
    return value / sum(float(r[0]) for r in rows)


def numpy_figures(path: np.ndarray) -> tuple[float, float]:
    """(total return, max drawdown) with numpy only."""
    return path[-1] / path[0] - 1, float(np.min(path / np.maximum.accumulate(path) - 1))


class TestPushReview:
    def test_figures_equal_calc_performance_and_numpy_on_the_same_navs(self, bank_url: str, cast: Cast) -> None:
        tasks = sold(bank_url, cast)
        with session_scope(bank_url) as s:
            review = push_review(s, cast.advisor, tasks[0], TODAY)
        assert (review.pushed, review.confirmed, review.invested) == (3, 2, Decimal("100000"))
        assert review.dates[0] == "2026-11-02" and review.dates[-1] == "2026-12-01" and review.total is not None
        by_client = {c.task_id: c for c in review.clients}
        assert set(by_client) == set(tasks[:2])
        weighted = np.zeros(len(review.dates))
        for task in tasks[:2]:
            mine = by_client[task]
            expected = independent_path(bank_url, task)
            assert np.allclose(mine.path, expected, atol=1e-6)
            ret, dd = numpy_figures(expected)
            assert mine.figures.total_return == pytest.approx(ret, abs=1e-6)
            assert mine.figures.max_drawdown == pytest.approx(dd, abs=1e-6)
            assert mine.figures.total_return == pytest.approx(total_return(mine.path), abs=1e-7)
            assert mine.figures.max_drawdown == pytest.approx(max_drawdown(mine.path).depth, abs=1e-7)
            assert mine.figures.max_drawdown < 0  # MF001 fell after the sale
            assert mine.figures.annualized_return is None  # a month: not annualised
            assert mine.value == (mine.invested * Decimal(str(expected[-1]))).quantize(Decimal("0.01"))
            assert {o.basis for o in mine.orders} == {"成交份额", "按预期收益中值计息"}
            assert all(o.units and o.nav and o.trade_date in (PUSH_AT.date(), dt.date(2026, 11, 3)) for o in mine.orders if o.basis == "成交份额")
            weighted += expected * float(mine.invested)
        weighted /= float(review.invested)
        assert np.allclose(review.path, weighted, atol=1e-6)
        assert review.total.total_return == pytest.approx(numpy_figures(weighted)[0], abs=1e-6)
        assert review.total.max_drawdown == pytest.approx(numpy_figures(weighted)[1], abs=1e-6)
        assert review.profit == review.value - review.invested

    def test_benchmark_by_level_and_by_choice(self, bank_url: str, cast: Cast) -> None:
        tasks = sold(bank_url, cast)
        navs = nav_table(bank_url, ["IF001", "BF006"])
        grid = pd.bdate_range(PUSH_AT.date(), TODAY)
        a, b = (navs[c].reindex(navs.index.union(grid)).ffill().reindex(grid).to_numpy() for c in ("IF001", "BF006"))
        with session_scope(bank_url) as s:
            mixed = push_review(s, cast.advisor, tasks[0], TODAY)
            csi = push_review(s, cast.advisor, tasks[0], TODAY, benchmark="csi300")
            code = push_review(s, cast.advisor, tasks[0], TODAY, benchmark="bf006")
            with pytest.raises(ValueError, match="benchmark"):
                push_review(s, cast.advisor, tasks[0], TODAY, benchmark="nonsense")
        assert mixed.benchmark_name == "30%沪深300指数基金+70%利率债指数基金"  # 平衡组合 is R3: the C3 mix
        assert np.allclose(mixed.benchmark_path, 0.3 * a / a[0] + 0.7 * b / b[0], atol=1e-6)
        assert np.allclose(csi.benchmark_path, a / a[0], atol=1e-6) and csi.benchmark_name == "远航沪深300指数A"
        assert csi.benchmark is not None and csi.benchmark.total_return == pytest.approx(a[-1] / a[0] - 1)
        assert np.allclose(code.benchmark_path, b / b[0], atol=1e-6)
        assert csi.total == mixed.total  # the benchmark changes nothing else

    def test_before_is_what_each_client_held_at_the_push_date(self, bank_url: str, cast: Cast) -> None:
        with session_scope(bank_url) as s:  # the statement's ledger (services/wealth.py) on the push date, before the sale
            ledger = client_ledger(s, cast.suitable[0], PUSH_AT.date())
        tasks = sold(bank_url, cast)
        with session_scope(bank_url) as s:
            review = push_review(s, cast.advisor, tasks[0], TODAY)
        mine = next(c for c in review.clients if c.task_id == tasks[0])
        assert mine.before is not None and mine.before_path is not None and mine.before_path[0] == 1.0
        assert mine.before.total_return == pytest.approx(total_return(mine.before_path), abs=1e-7)
        assert mine.before.max_drawdown == pytest.approx(max_drawdown(mine.before_path).depth, abs=1e-7)
        assert review.before is not None and review.before_path is not None and len(review.before_path) == len(review.dates)
        held = ledger.valuations[ledger.valuations["date"] == ledger.valuations["date"].max()]["value"].sum()
        grid = review_grid(PUSH_AT.date(), TODAY)
        from services.after_sale import Navs, _held_before
        with session_scope(bank_url) as s:
            mine_before = _held_before(s, cast.suitable[0], PUSH_AT.date(), Navs(s, grid))
        assert mine_before is not None and mine_before.iloc[0] == pytest.approx(held, rel=1e-3)

    def test_confirmed_but_not_settled_is_valued_at_the_pushed_weights_from_the_push_date(
            self, bank_url: str, cast: Cast) -> None:
        at = dt.datetime(2026, 11, 20, 10, 0)
        with session_scope(bank_url) as s:
            task = push_portfolio(s, cast.advisor, "平衡组合", cast.suitable[:1], Decimal("40000"), at).sent[0].task_id
            confirm_push(s, task, cast.suitable[0], at)
        add_later_navs(bank_url)
        with session_scope(bank_url) as s:
            review = push_review(s, cast.advisor, task, TODAY)
            orders = [(float(o.amount), p.code, p.category, p.expected_return_low, p.expected_return_high)
                      for o, p in s.execute(select(Order, Product).join(Product).join(PortfolioPush).where(
                          PortfolioPush.task_id == task)).all()]
        grid = pd.bdate_range(at.date(), TODAY)
        navs = nav_table(bank_url, [o[1] for o in orders])
        value = np.zeros(len(grid))
        for amount, code, category, low, high in orders:
            if code in navs.columns and category != "cash_management":
                nav = navs[code].reindex(navs.index.union(grid)).ffill().reindex(grid).to_numpy()
                value += amount * nav / nav[0]
            else:
                value += amount * (1 + (low + high) / 2 * (grid - grid[0]).days.to_numpy() / 365)
        assert np.allclose(review.path, value / 40000, atol=1e-6)
        assert {o.basis for o in review.clients[0].orders} == {"按推送日净值估算", "按预期收益中值计息"}
        assert all(o.units is None and o.status == "pending" for o in review.clients[0].orders)

    def test_a_push_nobody_confirmed(self, bank_url: str, cast: Cast) -> None:
        with session_scope(bank_url) as s:
            sent = push_portfolio(s, cast.advisor, "稳健组合", cast.suitable[:1], Decimal("50000"), PUSH_AT).sent
            decline_push(s, sent[0].task_id, cast.suitable[0], PUSH_AT)
            review = push_review(s, cast.advisor, sent[0].task_id, TODAY)
        assert (review.pushed, review.confirmed, review.invested, review.clients) == (1, 0, Decimal(0), [])
        assert review.total is None and review.path == [] and review.before is None
        assert review.benchmark is not None  # still shown: what the money would have done


class TestByAdvisor:
    def test_totals_for_the_manager(self, bank_url: str, cast: Cast) -> None:
        tasks = sold(bank_url, cast)
        with session_scope(bank_url) as s:
            review = push_review(s, cast.advisor, tasks[0], TODAY)
            other = who_is(s, "liqiang")
            assert other is not None and other.staff_id is not None
            rows = after_sale_by_advisor(s, [cast.advisor.staff_id, other.staff_id], dt.date(2026, 11, 1),
                                         dt.date(2026, 11, 30), TODAY)
        mine, theirs = rows
        assert (mine.pushes, mine.confirmed, mine.invested) == (3, 2, Decimal("100000"))
        assert mine.value == sum(c.value for c in review.clients)
        assert mine.average_return == pytest.approx(float(mine.value) / 100000 - 1)
        assert mine.average_return == pytest.approx(review.total.total_return if review.total else 0, abs=1e-6)
        assert mine.worst_drawdown == min(c.figures.max_drawdown for c in review.clients)
        assert (theirs.pushes, theirs.confirmed, theirs.invested, theirs.average_return, theirs.worst_drawdown) == (
            0, 0, Decimal(0), None, None)


class TestAccess:
    def test_advisor_manager_client_and_strangers(self, bank_url: str, cast: Cast) -> None:
        tasks = sold(bank_url, cast)
        with session_scope(bank_url) as s:
            manager, outsider, other_manager = who_is(s, "chenjing"), who_is(s, "liqiang"), who_is(s, "zhaoli")
            team = push_review(s, manager, tasks[1], TODAY)
            assert team.pushed == 3 and len(team.clients) == 2
            for stranger in (outsider, other_manager, None):
                with pytest.raises(PushNotFound):
                    push_review(s, stranger, tasks[0], TODAY)
            client = who_is(s, s.get(Client, cast.suitable[0]).wecom_external_userid)
            own = push_review(s, client, tasks[0], TODAY)
            assert own.pushed == 1 and [c.task_id for c in own.clients] == [tasks[0]]
            with pytest.raises(PushNotFound):
                push_review(s, client, tasks[1], TODAY)  # another client's result in the same batch


class TestFigures:
    def test_annualised_only_from_a_year(self) -> None:
        nav = pd.Series([1.0 + 0.0004 * i for i in range(243)])
        assert figures(nav, 364).annualized_return is None
        assert figures(nav, 365).annualized_return == pytest.approx((nav.iloc[-1]) ** (242 / 242) - 1)

    def test_unknown_benchmark_names_the_choices(self, copy_session) -> None:
        grid = review_grid(dt.date(2026, 11, 2), dt.date(2026, 11, 27))
        with pytest.raises(ValueError, match="level, csi300, bond"):
            benchmark_path(copy_session, "XX999", "R3", grid)
