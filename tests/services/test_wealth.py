"""services.wealth over the demo bank: the ledger, statements, the health score and rewards (and the statement
period words of lexicon.statements the chat reads them by)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from bank.db import session_scope
from bank.models import INSURANCE_CATEGORIES, Client, Holding, Product
from calc.rewards import RewardRules
from lexicon.statements import statement_period
from services.checkups import suitable_products
from services.wealth import (
    PERIOD_NAMES,
    client_health_score,
    client_ledger,
    client_rewards,
    client_statement,
)

TODAY = dt.date(2026, 11, 28)


def client_ids(url: str, n: int = 12) -> list[int]:
    with session_scope(url) as session:
        return list(session.scalars(select(Client.id).order_by(Client.id).limit(n)))


class TestLedger:
    @pytest.mark.parametrize("index", range(8))
    def test_value_today_matches_the_holdings(self, demo_db_url: str, index: int) -> None:
        client_id = client_ids(demo_db_url, 20)[index]
        with session_scope(demo_db_url) as session:
            ledger = client_ledger(session, client_id, TODAY)
            held = session.scalar(select(func.coalesce(func.sum(Holding.market_value), 0))
                                  .join(Product, Holding.product_id == Product.id)
                                  .where(Holding.client_id == client_id,
                                         Product.category.not_in(INSURANCE_CATEGORIES)))
        today = ledger.valuations[ledger.valuations["date"] == pd.Timestamp(TODAY)]["value"].sum() \
            if not ledger.valuations.empty else 0.0
        assert today == pytest.approx(float(held), rel=0.01, abs=1.0)
        assert not (ledger.valuations["value"] < -1e-6).any() if not ledger.valuations.empty else True


class TestStatement:
    @pytest.mark.parametrize(("text", "period"), [("本月收益", "this_month"), ("今年赚了多少", "this_year"),
                                                  ("近一年的账单", "last_12_months"), ("累计收益", "since_first"),
                                                  ("我的账单", None)])
    def test_period_words(self, text: str, period: str | None) -> None:
        assert statement_period(text) == period

    @pytest.mark.parametrize("period", list(PERIOD_NAMES))
    def test_profit_adds_up_and_benchmark_is_named(self, demo_db_url: str, period: str) -> None:
        client_id = next(i for i in client_ids(demo_db_url, 30) if self._has_funds(demo_db_url, i))
        with session_scope(demo_db_url) as session:
            view = client_statement(session, client_id, period, TODAY)
        assert view is not None and view.period_name == PERIOD_NAMES[period]
        s = view.statement
        assert s.profit == pytest.approx(sum(s.profit_by_product.values()), abs=0.01)
        assert s.profit == pytest.approx(sum(s.profit_by_category.values()), abs=0.01)
        assert view.benchmark_name is not None and "利率债指数基金" in view.benchmark_name
        assert s.benchmark_return is not None and np.isfinite(s.benchmark_return)
        assert len(view.top_products) <= 3

    @staticmethod
    def _has_funds(url: str, client_id: int) -> bool:
        with session_scope(url) as session:
            return bool(session.scalar(select(func.count()).select_from(Holding).join(Product).where(
                Holding.client_id == client_id, Product.category.in_(("mixed_fund", "equity_fund", "bond_fund"))
            )))


class TestScoreAndRewards:
    @pytest.mark.parametrize("index", range(5))
    def test_score_is_bounded_and_suggests_only_suitable_categories(self, demo_db_url: str, index: int) -> None:
        client_id = client_ids(demo_db_url)[index]
        with session_scope(demo_db_url) as session:
            score = client_health_score(session, client_id, TODAY)
            level = session.get(Client, client_id).risk_level or "C1"
            for category in score.raise_with:
                assert suitable_products(session, level, [category], 1) or category in INSURANCE_CATEGORIES
        assert 0 <= score.total <= 100
        assert all(0 <= s.value <= 100 for s in (score.activity, score.allocation, score.potential))

    @pytest.mark.parametrize("index", range(5))
    def test_rewards_next_tier_is_consistent(self, demo_db_url: str, index: int) -> None:
        client_id = client_ids(demo_db_url)[index]
        with session_scope(demo_db_url) as session:
            rewards = client_rewards(session, client_id, TODAY)
        tiers = dict((name, threshold) for threshold, name in RewardRules().tiers)
        if rewards.next_tier:
            assert rewards.amount_to_next_tier > 0 and rewards.next_tier in tiers
        assert {r.code for r in rewards.earned} <= {"tier_up", "allocation_up", "welcome_back"}
