"""services.checkups over the demo bank: a client's facts, suitable products, the level a check-up uses, the
proposal payload and the whole report; and bank.risk_profiles, which the check-up reads."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from bank.db import session_scope
from bank.models import CATEGORY_NAMES, PROPOSAL_KINDS, Client, Holding, Product, Proposal
from bank.proposals import create_proposal, find_proposal
from bank.risk_profiles import (
    RiskStatus,
    UnknownClient,
    questionnaire,
    risk_status,
    status_of,
    store_assessment,
)
from calc.checkup import INPUT_RANGES, run_checkup
from calc.errors import CalcInputError
from calc.risk import QUESTIONNAIRE, is_suitable
from services.checkups import (
    CheckupAnswers,
    LevelChoice,
    answer_ok,
    checkup_input,
    checkup_payload,
    checkup_report,
    checkup_summary,
    client_facts,
    level_for_checkup,
    pot_line,
    profile_stale,
    suitable_products,
)
from tests.bank_files import copy_bank

TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def bank_copy(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A private copy of the demo bank (these tests write assessments and proposals)."""
    return copy_bank(demo_db_url, tmp_path_factory.mktemp("checkup-bank") / "bank.db")


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


GUEST = CheckupAnswers(age=35, monthly_income=20000.0, monthly_expenses=8000.0, dependants=1,
                       holdings={"deposit": 5000.0, "mixed_fund": 200000.0}, insurance={})


class TestCheckupReport:
    def test_visitor_report_is_saved_without_products(self, bank_copy: str) -> None:
        with session_scope(bank_copy) as session:
            report = checkup_report(session, None, GUEST, TODAY)
            proposal = session.scalars(select(Proposal).where(Proposal.share_token == report.token)).one()
            assert proposal.client_id is None and proposal.payload["subject"] == "访客"
            assert proposal.payload["summary"] == report.summary
        assert report.products == [] and report.level == "C2" and "还没有做过风险测评" in report.note
        assert report.chart_url.endswith(f"/proposals/{report.token}/charts/allocation.png")
        assert report.summary[0] == f"体检得分{report.score}分。" and report.categories

    def test_level_taken_in_chat_allows_products_at_or_below_it(self, bank_copy: str) -> None:
        with session_scope(bank_copy) as session:
            report = checkup_report(session, None, GUEST, TODAY, session_level="C2")
        assert report.level == "C2" and report.products
        assert all(is_suitable("C2", p["risk_level"]) for p in report.products)

    def test_known_client_subject_is_masked(self, bank_copy: str) -> None:
        client_id = client_ids(bank_copy)[2]
        with session_scope(bank_copy) as session:
            report = checkup_report(session, client_id, GUEST, TODAY, client_name="张伟")
            proposal = session.scalars(select(Proposal).where(Proposal.share_token == report.token)).one()
            assert proposal.client_id == client_id and proposal.payload["subject"] == "张*"

    def test_impossible_answers_raise_calcs_error(self, bank_copy: str) -> None:
        with session_scope(bank_copy) as session, pytest.raises(CalcInputError, match="age"):
            checkup_report(session, None, CheckupAnswers(12, 1.0, 1.0, 0, {}, {}), TODAY)


ISSUE_CASE = checkup_input(age=35, monthly_income=3000, monthly_expenses=10377.21, dependants=0,
                           holdings={"deposit": 1000.0, "mixed_fund": 861263.46}, insurance={}, risk_level="C3")
"""The check-up of the issue: it said "建议31,131.63元–62,263.26元" and "建议800,000.20元–831,131.83元"."""


class TestMoneyWording:
    def test_ranges_and_gaps_are_said_like_a_planner_balances_to_the_fen(self) -> None:
        result = run_checkup(ISSUE_CASE)
        assert pot_line(result, "liquidity") == "随时要用的钱：现有1,000.00元，建议3.1万–6.2万元，还差3万元"
        assert pot_line(result, "growth") == "财富增值的钱：现有861,263.46元，建议80万–83万元，多出3万元"

    def test_the_proposal_table_says_the_same(self) -> None:
        payload = checkup_payload(run_checkup(ISSUE_CASE), subject="访客", inp=ISSUE_CASE,
                                  choice=LevelChoice("C3", False, ""), products=[])
        rows = {row[0]: row[1:] for row in payload["sections"][0]["rows"][1:]}
        assert rows["随时要用的钱"] == ["1,000.00元", "3.1万–6.2万元", "3万元"]
        assert rows["财富增值的钱"] == ["861,263.46元", "80万–83万元", "多出3万元"]


class TestAnswers:
    @pytest.mark.parametrize(("field", "bounds"), [("age", "age"), ("income", "monthly_income"),
                                                    ("expenses", "monthly_expenses"), ("dependants", "dependants")])
    def test_ranges_are_calcs(self, field: str, bounds: str) -> None:
        low, high = INPUT_RANGES[bounds]
        assert answer_ok(field, float(low)) and answer_ok(field, float(high))
        assert not answer_ok(field, low - 1) and not answer_ok(field, high + 1)
