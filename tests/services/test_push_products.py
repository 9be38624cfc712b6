"""Pushes of products (services/push_products.py through services/pushes.py): a single product, an insurance
product with its 犹豫期, a mix the advisor names with its shares; the same suitability rule and order caps at push
and at confirmation; confirmation → orders → settlement → holdings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bank.db import session_scope
from bank.models import Client, Holding, ModelPortfolio, Order, Product
from services.portfolios import portfolio_choices, portfolio_names
from services.push_decisions import confirm_push
from services.push_products import SharesProblem, read_shares, weights_for
from services.pushes import draft_push, push_portfolio, view_push
from services.settings import Settings
from services.settlement import settle_orders
from tests.services.push_cast import NOW, Cast

MONDAY = dt.datetime(2026, 11, 30, 10, 0)  # the client confirms on a trading day, before the cut-off


@pytest.fixture
def session(bank_url: str, cast: Cast) -> Iterator[Session]:  # the cast is prepared in bank_url first
    with session_scope(bank_url) as s:
        yield s


def name_of(session: Session, client_id: int) -> str:
    return session.get(Client, client_id).name


def unique_client(session: Session, cast: Cast) -> tuple[int, str]:
    """A suitable client of the cast whose name has no namesake among 张敏's clients."""
    for cid in cast.suitable:
        name = name_of(session, cid)
        if session.scalar(select(func.count()).select_from(Client).where(
                Client.name == name, Client.advisor_id == cast.advisor.staff_id)) == 1:
            return cid, name
    raise AssertionError("every cast client has a namesake: the push cast (tests/services/push_cast.py) changed")


class TestShares:
    @pytest.mark.parametrize(("text", "weights"), [
        ("远航纯债和天天利各一半", [0.5, 0.5]),
        ("远航纯债和天天利六四开", [0.6, 0.4]),
        ("远航纯债和天天利，70%和30%", [0.7, 0.3]),
        ("远航纯债和天天利", [0.5, 0.5]),
    ])
    def test_shares_from_the_words(self, text: str, weights: list[float]) -> None:
        assert weights_for(2, read_shares(text)) == pytest.approx(weights)

    @pytest.mark.parametrize(("text", "problem"), [
        ("70%和20%", "加起来是90%"), ("50%、30%和20%", "您说了3个比例"),
    ])
    def test_bad_shares_name_the_problem(self, text: str, problem: str) -> None:
        with pytest.raises(SharesProblem, match=problem):
            weights_for(2, read_shares(text))


class TestDraft:
    def test_a_single_product_becomes_a_single_portfolio_listed_nowhere(self, session: Session, cast: Cast) -> None:
        cid, name = unique_client(session, cast)
        draft = draft_push(session, cast.advisor, f"把稳健添利90天推给{name}，5万", NOW)
        assert draft.missing is None and draft.preview is not None
        preview = draft.preview
        assert preview.portfolio_name == "稳健添利90天理财" and preview.kind == "single"
        assert preview.risk_level == "R2" and preview.amount == Decimal("50000.00")
        assert [r.client_id for r in preview.suitable] == [cid] and preview.cooling_off == ""
        again = draft_push(session, cast.advisor, f"把稳健添利90天推给{name}", NOW)
        assert again.preview is not None and again.preview.portfolio_id == preview.portfolio_id  # reused
        assert again.preview.amount == Decimal("10000")  # the product's minimum when no amount is named
        assert "稳健添利90天理财" not in portfolio_choices(session)
        assert all(kind == "model" for kind in session.scalars(select(ModelPortfolio.kind).where(
            ModelPortfolio.name.in_([n for n, _ in portfolio_names(session)]))))

    def test_insurance_states_its_cooling_off_and_the_amount_is_the_premium(self, session: Session,
                                                                             cast: Cast) -> None:
        _, name = unique_client(session, cast)
        draft = draft_push(session, cast.advisor, f"把福寿康宁重疾险推荐给{name}，保费5000", NOW)
        assert draft.preview is not None and draft.preview.kind == "single"
        assert draft.preview.amount == Decimal("5000.00")
        assert "犹豫期15天，期间可全额退保" in draft.preview.cooling_off and "保费" in draft.preview.cooling_off

    def test_an_ad_hoc_mix_with_shares(self, session: Session, cast: Cast) -> None:
        _, name = unique_client(session, cast)
        draft = draft_push(session, cast.advisor, f"给{name}推远航纯债和天天利，70%和30%，每人2万", NOW)
        assert draft.missing is None and draft.preview is not None
        portfolio = session.get(ModelPortfolio, draft.preview.portfolio_id)
        assert portfolio.kind == "adhoc" and portfolio.created_by_id == cast.advisor.staff_id
        weights = {i.product.code: i.weight for i in portfolio.items}
        assert weights == {"BF001": pytest.approx(0.7), "CM001": pytest.approx(0.3)}
        assert draft.preview.amount == Decimal("20000.00") and portfolio.risk_level == "R2"  # the highest part
        halves = draft_push(session, cast.advisor, f"给{name}推远航纯债和天天利各一半", NOW)
        assert halves.preview is not None and halves.preview.amount == Decimal("1000")  # "一半" is no amount
        assert {i.weight for i in session.get(ModelPortfolio, halves.preview.portfolio_id).items} == {0.5}

    def test_bad_shares_are_told_and_nothing_is_previewed(self, session: Session, cast: Cast) -> None:
        _, name = unique_client(session, cast)
        draft = draft_push(session, cast.advisor, f"给{name}推远航纯债和天天利，70%和20%", NOW)
        assert draft.missing == "shares" and "加起来是90%" in draft.problem and draft.preview is None

    def test_a_model_portfolio_is_still_a_model_portfolio(self, session: Session, cast: Cast) -> None:
        _, name = unique_client(session, cast)
        draft = draft_push(session, cast.advisor, f"把稳健组合推给{name}，每人5万", NOW)
        assert draft.preview is not None and draft.preview.kind == "model"
        assert draft.preview.portfolio_name == "稳健组合"


def single(session: Session, code: str, cast: Cast) -> int:
    """The id of the single-product portfolio of `code` (made by a draft, as the chat makes it)."""
    name = session.scalar(select(Product.name).where(Product.code == code))
    draft = draft_push(session, cast.advisor, f"把{name}推给{name_of(session, cast.suitable[0])}", NOW)
    assert draft.preview is not None
    return draft.preview.portfolio_id


class TestSuitabilityAndCaps:
    def test_an_unsuitable_client_is_skipped_at_push_and_refused_at_confirmation(self, session: Session,
                                                                                 cast: Cast) -> None:
        wmp = single(session, "WM090", cast)  # R2
        result = push_portfolio(session, cast.advisor, wmp, [cast.suitable[0], cast.low_risk], Decimal("20000"), NOW)
        assert [s.client_id for s in result.sent] == [cast.suitable[0]]
        skipped = {s.client_id: s.reason for s in result.skipped_with_reasons}
        assert "C1低于" in skipped[cast.low_risk] and "R2" in skipped[cast.low_risk]
        session.get(Client, cast.suitable[0]).risk_level = "C1"  # re-assessed lower before confirming
        answer = confirm_push(session, result.sent[0].task_id, cast.suitable[0], MONDAY)
        assert answer.status == "refused" and answer.reason == skipped[cast.low_risk]  # the same rule, same words
        assert session.scalar(select(func.count()).select_from(Order).where(Order.push_id == result.sent[0].push_id)) == 0

    def test_an_amount_over_the_cap_is_refused_at_push_and_at_confirmation(self, session: Session,
                                                                          cast: Cast) -> None:
        wmp = single(session, "WM090", cast)
        over = push_portfolio(session, cast.advisor, wmp, [cast.suitable[0]], Decimal("6000000"), NOW)
        assert over.sent == [] and "超过单笔上限" in over.skipped_with_reasons[0].reason
        sent = push_portfolio(session, cast.advisor, wmp, [cast.suitable[0]], Decimal("20000"), NOW)
        answer = confirm_push(session, sent.sent[0].task_id, cast.suitable[0], MONDAY,
                              settings=Settings(order_max_amount=10_000))
        assert answer.status == "refused" and "超过单笔上限" in answer.reason


class TestConfirmAndSettle:
    def test_single_insurance_and_mix_become_holdings(self, bank_url: str, cast: Cast) -> None:
        client = cast.suitable[0]
        with session_scope(bank_url) as s:
            name = name_of(s, client)
            ids = {}
            for key, text in (("wmp", f"把稳健添利90天推给{name}，2万"), ("policy", f"把福寿康宁重疾险推给{name}，5000"),
                              ("mix", f"给{name}推稳健添利30天和天天利，六四开，每人3万")):
                draft = draft_push(s, cast.advisor, text, NOW)
                assert draft.preview is not None and draft.preview.suitable, (text, draft)
                ids[key] = push_portfolio(s, cast.advisor, draft.preview.portfolio_id, [client],
                                          draft.preview.amount, NOW).sent[0].task_id
            assert "犹豫期15天" in view_push(s, ids["policy"], NOW).cooling_off
            held_before = s.scalar(select(func.count()).select_from(Holding).where(Holding.client_id == client))
        with session_scope(bank_url) as s:
            results = {key: confirm_push(s, task, client, MONDAY) for key, task in ids.items()}
        assert {r.status for r in results.values()} == {"confirmed"}
        assert [o.amount for o in results["mix"].orders] == [Decimal("18000.00"), Decimal("12000.00")]
        assert "犹豫期15天，期间可全额退保" in results["policy"].cooling_off and results["wmp"].cooling_off == ""
        order_ids = [o for r in results.values() for o in _order_ids(bank_url, r.push_id)]
        assert len(order_ids) == 4
        report = settle_orders(dt.datetime(2026, 12, 2, 21, 0), Settings(), bank_url)
        assert sorted(report.settled) == sorted(order_ids)
        with session_scope(bank_url) as s:
            held = s.scalar(select(func.count()).select_from(Holding).where(Holding.client_id == client))
            assert held >= held_before + 3  # 理财 ×2 and the policy; cash management may join an existing one
            policy = s.scalar(select(Order).where(Order.push_id == results["policy"].push_id))
            assert policy.status == "filled" and policy.cooling_off_until is not None


def _order_ids(url: str, push_id: int) -> list[int]:
    with session_scope(url) as s:
        return list(s.scalars(select(Order.id).where(Order.push_id == push_id)))


def test_a_push_to_a_segment_or_tag_previews_its_clients(session: Session, cast: Cast) -> None:
    from services.tags import add_tag

    cid, _name = unique_client(session, cast)
    add_tag(session, cast.advisor, cid, "重点")
    session.flush()
    draft = draft_push(session, cast.advisor, "把稳健添利90天理财推给标了重点的客户", NOW)
    assert draft.missing is None and draft.preview is not None
    assert [r.client_id for r in draft.preview.suitable] == [cid] and not draft.preview.skipped  # a suitable C3
    # "退休规划" only shares a word with the 退休 segment: no group, and nobody named or shown, so it asks.
    assert draft_push(session, cast.advisor, "把稳健添利90天理财推给做退休规划的", NOW).missing == "clients"
