"""services.checkups, bank.risk_profiles and services.wealth over the demo bank."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from bank.db import session_scope
from bank.models import (
    CATEGORY_NAMES,
    INSURANCE_CATEGORIES,
    PROPOSAL_KINDS,
    Client,
    Holding,
    Product,
    Proposal,
)
from bank.proposals import create_proposal, find_proposal
from bank.risk_profiles import (
    RiskStatus,
    UnknownClient,
    questionnaire,
    risk_status,
    status_of,
    store_assessment,
)
from calc.checkup import run_checkup
from calc.errors import CalcInputError
from calc.rewards import RewardRules
from calc.risk import QUESTIONNAIRE, is_suitable
from services.checkups import (
    LevelChoice,
    checkup_input,
    checkup_payload,
    checkup_summary,
    client_facts,
    level_for_checkup,
    profile_stale,
    suitable_products,
)
from services.wealth import (
    PERIOD_NAMES,
    _lot_values,
    client_health_score,
    client_ledger,
    client_rewards,
    client_statement,
    statement_period,
)
from tests.client_checkup.conftest import TODAY


def client_ids(url: str, n: int = 12) -> list[int]:
    with session_scope(url) as session:
        return list(session.scalars(select(Client.id).order_by(Client.id).limit(n)))


class TestRiskProfiles:
    def test_questionnaire_is_calcs(self) -> None:
        assert questionnaire() is QUESTIONNAIRE

    @pytest.mark.parametrize(("level", "assessed", "usable"), [
        ("C3", dt.date(2026, 1, 1), True), ("C3", dt.date(2025, 11, 27), False), (None, None, False),
        ("C2", dt.date(2025, 11, 28), True),
    ])
    def test_status_expires_after_a_year(self, level: str | None, assessed: dt.date | None, usable: bool) -> None:
        assert status_of(level, assessed, TODAY).usable is usable

    def test_store_assessment_sets_level_and_date(self, bank_copy: str) -> None:
        client_id = client_ids(bank_copy)[-1]
        with session_scope(bank_copy) as session:
            status = store_assessment(session, client_id, "c2", TODAY)
        assert status == RiskStatus("C2", TODAY, False)
        with session_scope(bank_copy) as session:
            assert risk_status(session, client_id, TODAY) == RiskStatus("C2", TODAY, False)
            assert risk_status(session, client_id, TODAY + dt.timedelta(days=366)).expired

    def test_store_rejects_bad_levels_and_unknown_clients(self, bank_copy: str) -> None:
        with session_scope(bank_copy) as session:
            with pytest.raises(CalcInputError):
                store_assessment(session, client_ids(bank_copy)[0], "C9", TODAY)
            with pytest.raises(UnknownClient):
                store_assessment(session, 10**9, "C2", TODAY)


class TestClientFacts:
    @pytest.mark.parametrize("index", range(6))
    def test_holdings_by_category_add_up_to_the_bank_record(self, demo_db_url: str, index: int) -> None:
        client_id = client_ids(demo_db_url)[index]
        with session_scope(demo_db_url) as session:
            facts = client_facts(session, client_id, TODAY)
            total = session.scalar(select(func.coalesce(func.sum(Holding.market_value), 0))
                                   .where(Holding.client_id == client_id))
            client = session.get(Client, client_id)
            assert client is not None
            assert facts.monthly_income == float(client.monthly_income)
            assert facts.critical_illness_cover == float(client.critical_illness_cover)
            assert facts.risk.level == client.risk_level
        assert sum(facts.holdings.values()) == pytest.approx(float(total), abs=0.01)
        assert set(facts.holdings) <= set(CATEGORY_NAMES)
        if facts.largest_position is not None:
            assert facts.largest_position <= sum(facts.holdings.values())

    def test_unknown_client(self, demo_db_url: str) -> None:
        with session_scope(demo_db_url) as session, pytest.raises(LookupError):
            client_facts(session, 10**9, TODAY)

    def test_a_recent_check_up_makes_the_record_fresh(self, bank_copy: str) -> None:
        client_id = client_ids(bank_copy)[3]
        with session_scope(bank_copy) as session:
            client = session.get(Client, client_id)
            assert client is not None
            client.created_at = dt.datetime(2023, 1, 1)
            assert client_facts(session, client_id, TODAY).stale
            create_proposal(session, kind="checkup", payload={"title": "x"}, client_id=client_id,
                            now=dt.datetime(2026, 10, 1))
            assert not client_facts(session, client_id, TODAY).stale

    def test_stale_rule(self) -> None:
        assert profile_stale(dt.date(2025, 11, 27), None, TODAY)
        assert not profile_stale(dt.date(2025, 11, 28), None, TODAY)


class TestSuitableProducts:
    @pytest.mark.parametrize("level", ["C1", "C2", "C3", "C4", "C5"])
    def test_never_above_the_level_whatever_is_asked(self, demo_db_url: str, level: str) -> None:
        with session_scope(demo_db_url) as session:
            found = suitable_products(session, level, list(CATEGORY_NAMES), limit=100)
            on_sale = session.scalars(select(Product).where(Product.on_sale.is_(True))).all()
        assert found and all(is_suitable(level, p.risk_level) for p in found)
        assert {p.code for p in found} == {p.code for p in on_sale if is_suitable(level, p.risk_level)}

    def test_one_per_category_first_and_the_limit(self, demo_db_url: str) -> None:
        with session_scope(demo_db_url) as session:
            found = suitable_products(session, "C4", ["bond_fund", "index_fund", "cash_management"], limit=3)
            assert [p.category for p in found] == ["bond_fund", "index_fund", "cash_management"]
            assert suitable_products(session, "C2", ["equity_fund", "qdii_fund"], limit=3) == []
            assert suitable_products(session, "C5", ["not_a_category"], limit=3) == []

    def test_a_product_off_sale_is_not_offered(self, demo_db_url: str) -> None:
        with session_scope(demo_db_url) as session:
            off = session.scalars(select(Product).where(Product.on_sale.is_(False))).all()
            found = suitable_products(session, "C5", [p.category for p in off], limit=100)
        assert off and not {p.code for p in off} & {p.code for p in found}


class TestLevelChoice:
    def test_choices(self) -> None:
        assert level_for_checkup(RiskStatus("C4", TODAY, False)) == LevelChoice("C4", True, "")
        expired = level_for_checkup(RiskStatus("C4", dt.date(2024, 1, 1), True))
        assert (expired.level, expired.products_allowed) == ("C4", False) and "重新测评" in expired.note
        assert level_for_checkup(None).products_allowed is False
        assert level_for_checkup(RiskStatus("C4", dt.date(2024, 1, 1), True), "C2") == LevelChoice("C2", True, "")
        assert "正式购买前" in level_for_checkup(None, "C3").note


class TestPayload:
    def test_schema_chart_and_products(self, demo_db_url: str) -> None:
        inp = checkup_input(age=35, monthly_income=20000, monthly_expenses=8000, dependants=1,
                            holdings={"deposit": 9600, "equity_fund": 200000}, insurance={}, risk_level="C3")
        result = run_checkup(inp)
        choice = LevelChoice("C3", True, "")
        with session_scope(demo_db_url) as session:
            products = suitable_products(session, "C3", ["bond_fund", "mixed_fund"], 2)
            payload = checkup_payload(result, subject="访客", inp=inp, choice=choice, products=products)
            proposal = create_proposal(session, kind="checkup", payload=payload)
            assert find_proposal(session, proposal.share_token).payload["title"] == "财富体检报告"
            session.rollback()
        assert set(payload) == {"title", "subject", "summary", "sections", "charts", "assumptions", "products",
                                "risk_notice"}
        chart = payload["charts"][0]
        assert (chart["name"], chart["kind"]) == ("allocation", "pie_pair")
        assert sum(chart["data"]["target"]) == pytest.approx(1, abs=1e-3)
        assert sum(chart["data"]["current"]) == pytest.approx(1, abs=1e-3)
        assert len(chart["data"]["labels"]) == len(chart["data"]["current"])
        assert [p["risk_level"] for p in payload["products"]] and all(
            p["risk_level"] in ("R1", "R2", "R3") for p in payload["products"])
        assert payload["summary"] == checkup_summary(result) and "三笔钱" in payload["sections"][0]["heading"]
        assert "checkup" in PROPOSAL_KINDS

    def test_no_products_when_the_assessment_does_not_allow(self, demo_db_url: str) -> None:
        inp = checkup_input(age=35, monthly_income=20000, monthly_expenses=8000, dependants=0, holdings={},
                            insurance={}, risk_level="C2")
        with session_scope(demo_db_url) as session:
            products = suitable_products(session, "C2", ["bond_fund"], 2)
        payload = checkup_payload(run_checkup(inp), subject="访客", inp=inp,
                                  choice=LevelChoice("C2", False, "还没有测评"), products=products)
        assert payload["products"] == [] and any(s.get("text") == "还没有测评" for s in payload["sections"])

    def test_summary_has_three_pots_and_at_most_three_findings(self) -> None:
        result = run_checkup(checkup_input(age=35, monthly_income=20000, monthly_expenses=30000, dependants=2,
                                           holdings={"deposit": 100}, insurance={}, risk_level="C3"))
        lines = checkup_summary(result)
        assert sum(1 for line in lines if line.startswith("· ")) == 3
        assert sum(1 for line in lines if line[:2] in ("1.", "2.", "3.", "4.")) == 3
        assert len(result.findings) > 3


class TestLedger:
    def test_lots_accrue_and_close(self) -> None:
        grid = pd.bdate_range("2026-01-01", "2026-03-31")
        trades = pd.DataFrame({"date": [pd.Timestamp("2026-01-05"), pd.Timestamp("2026-03-02")],
                               "kind": ["buy", "maturity"], "amount": [10000.0, 10050.0], "units": [10000.0, 10000.0]})
        values = _lot_values(trades, 0.0365, grid)
        at = {d.date(): v for d, v in zip(grid, values, strict=True)}
        assert at[dt.date(2026, 1, 2)] == 0
        assert at[dt.date(2026, 1, 15)] == pytest.approx(10000 * (1 + 0.0365 * 10 / 365))
        assert at[dt.date(2026, 3, 2)] == 0 and at[dt.date(2026, 2, 27)] > 10000

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

    def test_a_proposal_row_counts_for_staleness_only_when_it_is_a_checkup(self, bank_copy: str) -> None:
        client_id = client_ids(bank_copy)[5]
        with session_scope(bank_copy) as session:
            client = session.get(Client, client_id)
            assert client is not None
            client.created_at = dt.datetime(2023, 1, 1)
            session.add(Proposal(kind="plan_pension", payload={"title": "x"}, client_id=client_id,
                                 share_token="t" * 32, created_at=dt.datetime(2026, 11, 1),
                                 expires_at=dt.datetime(2026, 12, 1)))
            session.flush()
            assert client_facts(session, client_id, TODAY).stale
