"""Tests for calc.statement: XIRR by hand, TWR, period bounds, profit by product/category, statement."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from calc.errors import CalcInputError
from calc.statement import period_bounds, profit_by, statement, time_weighted_return, xirr


def _tx():
    return pd.DataFrame({"date": pd.to_datetime(["2024-01-10", "2024-03-01", "2024-04-01"]),
                         "product": ["A", "B", "A"], "category": ["fund", "deposit", "fund"],
                         "amount": [10_000.0, 5_000.0, -2_000.0]})


def _val():
    return pd.DataFrame({"date": pd.to_datetime(["2024-01-10", "2024-03-01", "2024-03-01", "2024-06-30",
                                                 "2024-06-30"]),
                         "product": ["A", "A", "B", "A", "B"], "category": ["fund", "fund", "deposit", "fund",
                                                                            "deposit"],
                         "value": [10_000.0, 10_500.0, 5_000.0, 9_000.0, 5_050.0]})


class TestXirr:
    def test_hand_computed(self):
        # -1000 on 2023-01-01, +500 on 2023-07-02 (182 days), +600 on 2024-01-01 (365 days): solved by hand
        # with x = 0.1366...; check the defining equation instead of a printed constant.
        d = ["2023-01-01", "2023-07-02", "2024-01-01"]
        x = xirr(d, [-1000, 500, 600])
        assert -1000 + 500 / (1 + x) ** (182 / 365) + 600 / (1 + x) == pytest.approx(0, abs=1e-8)
        assert xirr(["2023-01-01", "2024-01-01"], [-100, 121]) == pytest.approx(0.21, abs=1e-10)

    def test_loss(self):
        assert xirr(["2023-01-01", "2024-01-01"], [-100, 50]) == pytest.approx(-0.5, abs=1e-10)

    def test_no_sign_change(self):
        with pytest.raises(CalcInputError) as e:
            xirr(["2023-01-01", "2024-01-01"], [100, 50])
        assert e.value.field == "amounts"


class TestTimeWeightedReturn:
    def test_flows_do_not_count_as_return(self):
        v = pd.Series([100.0, 50.0, 1050.0], index=pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]))
        f = pd.Series([1000.0], index=pd.to_datetime(["2024-03-01"]))
        assert time_weighted_return(v, f) == pytest.approx(0.5 * 1.0 - 1)


class TestPeriodBounds:
    def test_periods(self):
        today = dt.date(2024, 2, 29)
        assert period_bounds("this_month", today) == (dt.date(2024, 1, 31), today)
        assert period_bounds("last_12_months", today) == (dt.date(2023, 2, 28), today)
        assert period_bounds("since_first", today, dt.date(2020, 5, 1))[0] == dt.date(2020, 4, 30)
        with pytest.raises(CalcInputError):
            period_bounds("next_year", today)


class TestProfitBy:
    def test_by_product_and_category(self):
        p = profit_by(_tx(), _val(), dt.date(2023, 12, 31), dt.date(2024, 6, 30))
        assert p.to_dict() == {"A": 9_000 - 8_000, "B": 50.0}
        c = profit_by(_tx(), _val(), dt.date(2023, 12, 31), dt.date(2024, 6, 30), by="category")
        assert c.to_dict() == {"deposit": 50.0, "fund": 1_000.0}


class TestStatement:
    def test_year_statement_with_benchmark(self):
        bench = pd.Series([100.0, 102.0], index=pd.to_datetime(["2024-01-02", "2024-06-28"]))
        s = statement(_tx(), _val(), "this_year", dt.date(2024, 6, 30), benchmark=bench)
        assert s.profit == pytest.approx(1_050.0)
        assert s.profit_by_category == {"deposit": 50.0, "fund": 1_000.0}
        assert s.mwr > 0 and s.twr is not None
        assert s.benchmark_return == pytest.approx(0.02)
        assert s.excess_return == pytest.approx(s.twr - 0.02)


class TestTimeWeightedReturnBetweenDates:
    def test_flow_between_valuations_goes_to_next(self):
        v = pd.Series([100.0, 1100.0], index=pd.to_datetime(["2024-01-01", "2024-03-01"]))
        f = pd.Series([1000.0], index=pd.to_datetime(["2024-02-01"]))
        assert time_weighted_return(v, f) == pytest.approx(0.0)
