"""Orders settle (services/settlement.py, rules in calc/settlement.py): trade dates by the 15:00 cut-off, the
weekend and holidays; units at the NAV of the trade date; the holding in the client's statement; failures told,
not lost; each order once, even when two runs race; the insurance cooling-off period; the order caps."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import func, select

from bank.db import session_scope
from bank.models import Client, Holding, NavPoint, Notification, Order, Product, Staff, Transaction
from calc.calendar import next_day
from calc.performance import total_return
from calc.settlement import fund_units, settlement_dates, trade_date
from services.checkups import client_facts
from services.dashboard import advisor_dashboard
from services.push_decisions import confirm_push
from services.pushes import preview_push, push_portfolio
from services.scheduler import Scheduler, jobs
from services.settings import Settings
from services.settlement import (
    FAILED,
    SETTLED,
    NotCancellable,
    OrderNotFound,
    cancel_in_cooling_off,
    settle_orders,
)
from services.wealth import client_statement
from tests.services.push_cast import NOW, Cast

SETTINGS = Settings()
WEDNESDAY = dt.datetime(2026, 11, 25, 14, 30)  # a trading day, before the cut-off


def client_of_zhangmin(url: str, level: str = "C5") -> tuple[int, str]:
    """张敏's first client with a WeCom id, assessed at `level` this year: (id, external userid)."""
    with session_scope(url) as s:
        client = s.scalars(select(Client).join(Staff, Client.advisor_id == Staff.id)
                           .where(Staff.wecom_userid == "zhangmin", Client.wecom_external_userid.is_not(None))
                           .order_by(Client.id).limit(1)).one()
        client.risk_level, client.risk_assessed_on = level, dt.date(2026, 6, 1)
        return client.id, str(client.wecom_external_userid)


def product(url: str, code: str) -> Product:
    with session_scope(url) as s:
        return s.scalars(select(Product).where(Product.code == code)).one()


def order(url: str, client_id: int, code: str, amount: str, at: dt.datetime) -> int:
    """A confirmed (pending) order placed at `at`, as a push confirmation stores it."""
    with session_scope(url) as s:
        pid = s.scalar(select(Product.id).where(Product.code == code))
        count = s.scalar(select(func.count()).select_from(Order))
        row = Order(client_id=client_id, product_id=pid, amount=Decimal(amount), status="pending",
                    idempotency_key=f"test:{count}:{code}:{at.isoformat()}", created_at=at)
        s.add(row)
        s.flush()
        return row.id


def load(url: str, order_id: int) -> Order:
    with session_scope(url) as s:
        row = s.get(Order, order_id)
        assert row is not None
        return row


def nav_on(url: str, code: str, day: dt.date) -> Decimal | None:
    with session_scope(url) as s:
        return s.scalar(select(NavPoint.nav).join(Product, NavPoint.product_id == Product.id)
                        .where(Product.code == code, NavPoint.date == day))


def notes(url: str, kind: str) -> list[Notification]:
    with session_scope(url) as s:
        return list(s.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)))


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


class TestTradeDate:
    @pytest.mark.parametrize(("ordered", "expected"), [
        (dt.datetime(2026, 11, 25, 14, 59), dt.date(2026, 11, 25)),  # before 15:00
        (dt.datetime(2026, 11, 25, 15, 0), dt.date(2026, 11, 26)),  # at 15:00: the next trading day
        (dt.datetime(2026, 11, 27, 16, 0), dt.date(2026, 11, 30)),  # Friday after 15:00: Monday
        (dt.datetime(2026, 11, 28, 10, 0), dt.date(2026, 11, 30)),  # Saturday
        (dt.datetime(2026, 9, 30, 15, 30), dt.date(2026, 10, 8)),  # before National Day
        (dt.datetime(2026, 10, 3, 10, 0), dt.date(2026, 10, 8)),  # during it
        (dt.datetime(2026, 2, 14, 10, 0), dt.date(2026, 2, 24)),  # a 调休 Saturday is no trading day
    ])
    def test_cut_off_weekends_and_holidays(self, ordered: dt.datetime, expected: dt.date) -> None:
        assert trade_date(ordered) == expected

    def test_confirmation_is_t_plus_one_and_qdii_t_plus_two(self) -> None:
        fund = settlement_dates("bond_fund", dt.datetime(2026, 11, 27, 16, 0))
        qdii = settlement_dates("qdii_fund", dt.datetime(2026, 9, 30, 10, 0))
        assert (fund.trade_date, fund.confirm_date) == (dt.date(2026, 11, 30), dt.date(2026, 12, 1))
        assert (qdii.trade_date, qdii.confirm_date) == (dt.date(2026, 9, 30), dt.date(2026, 10, 9))

    def test_insurance_takes_effect_the_next_working_day_with_15_days_to_cancel(self) -> None:
        policy = settlement_dates("critical_illness_insurance", dt.datetime(2026, 2, 13, 10, 0))
        assert policy.value_date == dt.date(2026, 2, 14)  # a 调休 Saturday is a working day
        assert policy.cooling_off_until == dt.date(2026, 2, 28)


class TestFundUnits:
    def test_fee_net_amount_and_units_are_rounded_like_a_fund(self) -> None:
        bought = fund_units(Decimal("50000"), Decimal("1.3579"), 0.012)
        assert bought.net_amount == Decimal("49407.11") and bought.fee == Decimal("592.89")
        assert bought.units == Decimal("36384.94")  # 49407.11 / 1.3579 = 36384.9399…
        assert bought.net_amount + bought.fee == Decimal("50000.00")


class TestSettle:
    def test_a_fund_order_before_15_settles_on_t_plus_1_at_the_nav_of_t(self, bank_url: str) -> None:
        client_id, external = client_of_zhangmin(bank_url)
        oid = order(bank_url, client_id, "EF003", "20000", WEDNESDAY)
        assert settle_orders(at(WEDNESDAY.date(), 20), SETTINGS, bank_url).settled == []  # not before T+1
        report = settle_orders(at(dt.date(2026, 11, 26)), SETTINGS, bank_url)
        assert report.settled == [oid]
        done = load(bank_url, oid)
        nav = nav_on(bank_url, "EF003", WEDNESDAY.date())
        expected = fund_units(Decimal("20000"), nav, product(bank_url, "EF003").subscription_fee)
        assert (done.status, done.trade_date, done.confirm_date) == ("filled", WEDNESDAY.date(), dt.date(2026, 11, 26))
        assert (done.nav, done.units, done.fee) == (nav, expected.units, expected.fee)
        with session_scope(bank_url) as s:
            trade = s.get(Transaction, done.transaction_id)
            holding = s.get(Holding, done.holding_id)
            assert trade is not None and holding is not None
            assert (trade.kind, trade.amount, trade.units, trade.trade_date) == (
                "buy", Decimal("20000.00"), expected.units, WEDNESDAY.date())
            assert holding.client_id == client_id and holding.units >= expected.units
        (told,) = [n for n in notes(bank_url, SETTLED) if n.recipient == external]
        assert "按11月25日净值" in told.text and f"{expected.units}份" in told.text
        assert any(n.recipient == "zhangmin" for n in notes(bank_url, SETTLED))

    def test_after_15_it_trades_the_next_day_and_on_friday_it_waits_for_monday(self, bank_url: str) -> None:
        client_id, _ = client_of_zhangmin(bank_url)
        late = order(bank_url, client_id, "BF001", "10000", WEDNESDAY.replace(hour=15, minute=30))
        friday = order(bank_url, client_id, "BF002", "10000", dt.datetime(2026, 11, 27, 16, 0))
        report = settle_orders(at(dt.date(2026, 11, 27)), SETTINGS, bank_url)
        assert report.settled == [late] and load(bank_url, late).nav == nav_on(bank_url, "BF001", dt.date(2026, 11, 26))
        assert load(bank_url, friday).status == "pending"

    def test_a_holiday_order_trades_after_the_holiday(self, bank_url: str) -> None:
        client_id, _ = client_of_zhangmin(bank_url)
        oid = order(bank_url, client_id, "MF001", "10000", dt.datetime(2026, 9, 30, 15, 30))
        assert settle_orders(at(dt.date(2026, 10, 8)), SETTINGS, bank_url).settled == []
        assert settle_orders(at(dt.date(2026, 10, 9)), SETTINGS, bank_url).settled == [oid]
        assert load(bank_url, oid).trade_date == dt.date(2026, 10, 8)

    def test_a_qdii_order_confirms_on_t_plus_2(self, bank_url: str) -> None:
        client_id, _ = client_of_zhangmin(bank_url)
        oid = order(bank_url, client_id, "QD001", "10000", WEDNESDAY)
        assert settle_orders(at(dt.date(2026, 11, 26)), SETTINGS, bank_url).settled == []
        assert settle_orders(at(dt.date(2026, 11, 27)), SETTINGS, bank_url).settled == [oid]

    def test_a_missing_nav_is_waited_for_then_the_order_fails_after_the_grace(self, bank_url: str) -> None:
        client_id, external = client_of_zhangmin(bank_url)
        waits = order(bank_url, client_id, "EF001", "10000", dt.datetime(2026, 11, 27, 16, 0))  # T = Monday 30th
        fails = order(bank_url, client_id, "EF002", "10000", dt.datetime(2026, 11, 27, 16, 0))
        assert settle_orders(at(dt.date(2026, 12, 1)), SETTINGS, bank_url).waiting == [waits, fails]
        with session_scope(bank_url) as s:
            s.add(NavPoint(product_id=product(bank_url, "EF001").id, date=dt.date(2026, 11, 30), nav=Decimal("1.5")))
        assert settle_orders(at(dt.date(2026, 12, 2)), SETTINGS, bank_url).settled == [waits]
        assert load(bank_url, waits).units == Decimal("6568.15")  # 10000 / 1.015 = 9852.22, / 1.5
        last_day = next_day(dt.date(2026, 12, 1), SETTINGS.settlement_nav_grace_days)
        assert settle_orders(at(last_day), SETTINGS, bank_url).waiting == [fails]
        report = settle_orders(at(next_day(last_day)), SETTINGS, bank_url)
        assert list(report.failed) == [fails] and "净值未公布" in report.failed[fails]
        assert load(bank_url, fails).status == "failed"
        assert {n.recipient for n in notes(bank_url, FAILED)} == {external, "zhangmin"}

    def test_units_times_nav_follow_calc_performance_on_the_same_navs(self, bank_url: str) -> None:
        client_id, _ = client_of_zhangmin(bank_url)
        oid = order(bank_url, client_id, "IF001", "100000", dt.datetime(2026, 6, 1, 10, 0))
        settle_orders(at(dt.date(2026, 6, 2)), SETTINGS, bank_url)
        done = load(bank_url, oid)
        with session_scope(bank_url) as s:
            navs = pd.Series({d: float(n) for d, n in s.execute(
                select(NavPoint.date, NavPoint.nav).where(NavPoint.product_id == done.product_id,
                                                          NavPoint.date >= done.trade_date).order_by(NavPoint.date))})
        net = float(done.amount - done.fee)
        value = float(done.units) * navs.iloc[-1]
        assert value == pytest.approx(net * (1 + total_return(navs)), abs=0.005 * navs.iloc[-1] + 0.01)

    def test_the_new_holding_shows_in_the_statement_with_its_figures(self, bank_url: str) -> None:
        client_id, _ = client_of_zhangmin(bank_url)
        oid = order(bank_url, client_id, "GD001", "30000", dt.datetime(2026, 11, 2, 10, 0))
        settle_orders(at(dt.date(2026, 11, 3)), SETTINGS, bank_url)
        done = load(bank_url, oid)
        today = dt.date(2026, 11, 27)
        last_nav = nav_on(bank_url, "GD001", today)
        with session_scope(bank_url) as s:
            view = client_statement(s, client_id, "this_month", today)
        assert view is not None
        name = product(bank_url, "GD001").name
        assert view.statement.profit_by_product[name] == pytest.approx(
            float(done.units * last_nav) - 30000, abs=0.01)

    def test_term_products_get_their_value_and_maturity_dates(self, bank_url: str) -> None:
        client_id, _ = client_of_zhangmin(bank_url)
        wmp = order(bank_url, client_id, "WM090", "20000", WEDNESDAY)
        deposit = order(bank_url, client_id, "DP01Y", "5000", dt.datetime(2026, 11, 28, 20, 0))
        assert settle_orders(at(WEDNESDAY.date(), 21), SETTINGS, bank_url).settled == []  # 理财: from T+1
        assert settle_orders(at(dt.date(2026, 11, 26)), SETTINGS, bank_url).settled == [wmp]
        assert settle_orders(at(dt.date(2026, 11, 28), 21), SETTINGS, bank_url).settled == [deposit]  # at once
        with session_scope(bank_url) as s:
            lot = s.get(Holding, load(bank_url, wmp).holding_id)
            booked = s.get(Holding, load(bank_url, deposit).holding_id)
            assert lot is not None and booked is not None
            assert (lot.opened_on, lot.maturity_date, lot.units) == (
                dt.date(2026, 11, 26), dt.date(2027, 2, 24), Decimal("20000"))
            assert (booked.opened_on, booked.maturity_date) == (dt.date(2026, 11, 28), dt.date(2027, 11, 28))


class TestFailures:
    def test_a_closed_product_fails_and_both_are_told(self, bank_url: str) -> None:
        client_id, external = client_of_zhangmin(bank_url)
        oid = order(bank_url, client_id, "BF003", "10000", WEDNESDAY)
        with session_scope(bank_url) as s:
            s.scalars(select(Product).where(Product.code == "BF003")).one().on_sale = False
        report = settle_orders(at(dt.date(2026, 11, 26)), SETTINGS, bank_url)
        assert "已停售" in report.failed[oid]
        done = load(bank_url, oid)
        assert done.status == "failed" and "已停售" in (done.reason or "") and done.holding_id is None
        told = notes(bank_url, FAILED)
        assert {n.recipient for n in told} == {external, "zhangmin"} and all("已停售" in n.text for n in told)

    @pytest.mark.parametrize(("code", "amount", "level", "why"), [
        ("WM090", "5000", "C5", "低于“稳健添利90天理财”的起购额"),
        ("EF004", "10000", "C2", "风险等级C2低于“松柏新能源股票”的R4"),
    ])
    def test_below_the_minimum_or_no_longer_suitable(self, bank_url: str, code: str, amount: str, level: str,
                                                     why: str) -> None:
        client_id, _ = client_of_zhangmin(bank_url)
        oid = order(bank_url, client_id, code, amount, WEDNESDAY)
        client_of_zhangmin(bank_url, level)  # re-assessed lower after confirming
        assert why in settle_orders(at(dt.date(2026, 11, 30)), SETTINGS, bank_url).failed[oid]


class TestOnce:
    def test_a_second_run_settles_nothing_again(self, bank_url: str) -> None:
        client_id, _ = client_of_zhangmin(bank_url)
        oid = order(bank_url, client_id, "MF002", "10000", WEDNESDAY)
        assert settle_orders(at(dt.date(2026, 11, 26)), SETTINGS, bank_url).settled == [oid]
        assert settle_orders(at(dt.date(2026, 11, 26), 10), SETTINGS, bank_url).settled == []
        with session_scope(bank_url) as s:
            assert s.scalar(select(func.count()).select_from(Transaction).where(
                Transaction.client_id == client_id, Transaction.trade_date == WEDNESDAY.date())) == 1
        assert len(notes(bank_url, SETTLED)) == 2

    def test_two_schedulers_racing_settle_each_order_once(self, bank_url: str) -> None:
        client_id, _ = client_of_zhangmin(bank_url)
        ids = [order(bank_url, client_id, code, "10000", WEDNESDAY) for code in ("MF003", "MF004", "BF004", "CM001")]
        start = threading.Barrier(2)
        reports = []

        def run() -> None:
            start.wait()
            reports.append(settle_orders(at(dt.date(2026, 11, 26)), SETTINGS, bank_url))

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(oid for r in reports for oid in r.settled) == ids
        with session_scope(bank_url) as s:
            assert s.scalar(select(func.count()).select_from(Transaction).where(
                Transaction.client_id == client_id, Transaction.trade_date >= WEDNESDAY.date())) == 4
        assert len(notes(bank_url, SETTLED)) == 8

    def test_the_scheduler_runs_the_job_and_it_can_be_switched_off(self, bank_url: str) -> None:
        assert "settlement" in {j.name for j in jobs(SETTINGS)}
        assert not {j.name: j.enabled for j in jobs(Settings(settlement_enabled=False))}["settlement"]
        client_id, _ = client_of_zhangmin(bank_url)
        oid = order(bank_url, client_id, "MF005", "10000", WEDNESDAY)
        assert settle_orders(at(dt.date(2026, 11, 26)), Settings(settlement_enabled=False), bank_url).settled == []
        report = Scheduler(SETTINGS, bank_url).fire("settlement", at(dt.date(2026, 11, 26)))
        assert report.sent == [f"order:{oid}"]


class TestCoolingOff:
    def test_cancel_within_the_period_removes_the_policy_and_refunds(self, bank_url: str) -> None:
        client_id, external = client_of_zhangmin(bank_url)
        oid = order(bank_url, client_id, "CI001", "5000", dt.datetime(2026, 11, 27, 10, 0))
        settle_orders(at(dt.date(2026, 11, 30)), SETTINGS, bank_url)
        policy = load(bank_url, oid)
        assert (policy.status, policy.cooling_off_until) == ("filled", dt.date(2026, 12, 14))
        with session_scope(bank_url) as s:
            assert s.get(Transaction, policy.transaction_id).kind == "premium"
            staff = s.scalar(select(Staff.id).where(Staff.wecom_userid == "zhangmin"))
            month = (dt.date(2026, 11, 1), dt.date(2026, 12, 31))
            sales = Decimal(advisor_dashboard(s, staff, *month)["sales_amount"])
            premiums = client_facts(s, client_id, dt.date(2026, 12, 14)).annual_premiums
            done = cancel_in_cooling_off(s, oid, at(dt.date(2026, 12, 14), 20))
        assert done.refund == Decimal("5000.00") and load(bank_url, oid).status == "cancelled"
        with session_scope(bank_url) as s:
            assert s.get(Holding, policy.holding_id) is None
            assert s.get(Transaction, policy.transaction_id).kind == "premium"  # the premium stays on record
            refund = s.scalars(select(Transaction).where(Transaction.client_id == policy.client_id,
                                                         Transaction.kind == "refund")).one()
            assert refund.amount == Decimal("5000.00") and refund.trade_date == dt.date(2026, 12, 14)
            assert Decimal(advisor_dashboard(s, staff, *month)["sales_amount"]) == sales - Decimal("5000.00")
            assert client_facts(s, client_id, dt.date(2026, 12, 14)).annual_premiums == premiums - 5000.0
        assert {n.recipient for n in notes(bank_url, "order_cancelled")} == {external, "zhangmin"}

    def test_after_the_period_or_for_a_fund_it_is_refused_with_the_reason(self, bank_url: str) -> None:
        client_id, _ = client_of_zhangmin(bank_url)
        policy = order(bank_url, client_id, "AN001", "10000", dt.datetime(2026, 11, 27, 10, 0))
        fund = order(bank_url, client_id, "BF005", "10000", WEDNESDAY)
        settle_orders(at(dt.date(2026, 11, 30)), SETTINGS, bank_url)
        with session_scope(bank_url) as s:
            with pytest.raises(NotCancellable, match="犹豫期已于12月14日结束"):
                cancel_in_cooling_off(s, policy, at(dt.date(2026, 12, 15)))
            with pytest.raises(NotCancellable, match="只有保险订单"):
                cancel_in_cooling_off(s, fund, at(dt.date(2026, 11, 30)))
            with pytest.raises(OrderNotFound):
                cancel_in_cooling_off(s, 10**9, at(dt.date(2026, 11, 30)))
        assert load(bank_url, policy).status == "filled"

    def test_an_order_not_yet_in_force_can_be_cancelled_and_never_settles(self, bank_url: str) -> None:
        client_id, _ = client_of_zhangmin(bank_url)
        oid = order(bank_url, client_id, "LI001", "2000", dt.datetime(2026, 11, 27, 10, 0))
        with session_scope(bank_url) as s:
            assert cancel_in_cooling_off(s, oid, dt.datetime(2026, 11, 28, 9, 0)).refund == Decimal(0)
        assert settle_orders(at(dt.date(2026, 11, 30)), SETTINGS, bank_url).settled == []
        with session_scope(bank_url) as s, pytest.raises(NotCancellable, match="已撤销"):
            cancel_in_cooling_off(s, oid, dt.datetime(2026, 11, 28, 9, 0))


class TestOrderCaps:
    STEADY = "稳健组合"

    def push(self, url: str, cast: Cast, amount: str) -> str:
        with session_scope(url) as s:
            return push_portfolio(s, cast.advisor, self.STEADY, cast.suitable[:1], Decimal(amount), NOW).sent[0].task_id

    def confirm(self, url: str, cast: Cast, task: str, settings: Settings = SETTINGS) -> tuple[str, str]:
        with session_scope(url) as s:
            result = confirm_push(s, task, cast.suitable[0], NOW + dt.timedelta(hours=1), settings=settings)
            return result.status, result.reason

    def orders(self, url: str, cast: Cast) -> int:
        with session_scope(url) as s:
            return s.scalar(select(func.count()).select_from(Order).where(Order.client_id == cast.suitable[0]))

    def test_an_amount_over_the_per_order_cap_is_refused_at_confirmation(self, bank_url: str, cast: Cast) -> None:
        task = self.push(bank_url, cast, "50000")
        status, reason = self.confirm(bank_url, cast, task, Settings(order_max_amount=40000))  # lowered since
        assert status == "refused" and reason == "金额50,000.00元超过单笔上限40,000.00元"
        assert self.orders(bank_url, cast) == 0

    def test_an_amount_over_the_clients_investable_assets_is_refused(self, bank_url: str, cast: Cast) -> None:
        task = self.push(bank_url, cast, "50000")
        with session_scope(bank_url) as s:  # the client moved money out since the push
            client = s.get(Client, cast.suitable[0])
            assert client is not None
            client.external_assets = Decimal(0)
            for holding in s.scalars(select(Holding).where(Holding.client_id == client.id)):
                holding.market_value = Decimal("100")
        status, reason = self.confirm(bank_url, cast, task)
        assert status == "refused" and reason.startswith("金额50,000.00元超过可投资资产")
        assert self.orders(bank_url, cast) == 0

    def test_within_both_caps_the_orders_are_created(self, bank_url: str, cast: Cast) -> None:
        task = self.push(bank_url, cast, "50000")
        assert self.confirm(bank_url, cast, task, Settings(order_max_amount=50000))[0] == "confirmed"
        assert self.orders(bank_url, cast) == 4

    def test_the_advisor_is_told_at_push_time_too(self, bank_url: str, cast: Cast) -> None:
        with session_scope(bank_url) as s:
            preview = preview_push(s, cast.advisor, self.STEADY, cast.suitable[:1], Decimal("5000000000"), NOW)
        assert preview.suitable == [] and preview.skipped[0].reason.startswith("金额5,000,000,000.00元超过单笔上限")
