"""calc.calendar and calc.clock: the one calendar of working and trading days, the one clock."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calc import clock
from calc.calendar import HOLIDAYS, MAKEUP_WORKDAYS, days_between, is_trading_day, is_working_day, next_day

DAYS = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 12, 31))


class TestCalendar:
    def test_national_day_week_2026(self) -> None:
        week = [dt.date(2026, 10, d) for d in range(1, 11)]
        assert [is_trading_day(d) for d in week] == [False] * 7 + [True, True, False]
        assert is_working_day(dt.date(2026, 10, 10)) and not is_trading_day(dt.date(2026, 10, 10))  # 调休 Saturday

    def test_tables_are_consistent(self) -> None:
        assert not HOLIDAYS & MAKEUP_WORKDAYS
        assert all(d.weekday() >= 5 for d in MAKEUP_WORKDAYS)

    @given(DAYS)
    def test_every_trading_day_is_a_working_day(self, day: dt.date) -> None:
        assert not is_trading_day(day) or is_working_day(day)

    @given(DAYS, st.integers(min_value=0, max_value=30), st.booleans())
    def test_next_day_counts_n_days_of_its_kind(self, day: dt.date, n: int, trading: bool) -> None:
        later = next_day(day, n, trading)
        keep = is_trading_day if trading else is_working_day
        assert keep(later)
        between = list(days_between(day, later, trading))
        assert len(between) == n + 1  # the first day of its kind from `day` on, then n more
        assert between[-1] == later

    def test_negative_n_is_refused(self) -> None:
        with pytest.raises(ValueError, match="n:"):
            next_day(dt.date(2026, 12, 1), -1)


class TestClock:
    def test_frozen_and_restored(self) -> None:
        with clock.frozen(dt.date(2026, 11, 28)):
            assert clock.today() == dt.date(2026, 11, 28)
            with clock.frozen(dt.datetime(2027, 1, 4, 9, 0)):
                assert clock.now() == dt.datetime(2027, 1, 4, 9, 0)
            assert clock.today() == dt.date(2026, 11, 28)
        assert abs(clock.now() - dt.datetime.now()) < dt.timedelta(seconds=5)

    def test_the_environment_pins_a_process(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CLOCK_NOW", "2026-12-01")
        assert clock.now() == dt.datetime(2026, 12, 1)
        monkeypatch.setenv("CLOCK_NOW", "yesterday")
        with pytest.raises(ValueError, match="CLOCK_NOW"):
            clock.today()
