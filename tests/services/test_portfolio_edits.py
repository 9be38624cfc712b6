"""Managers correct the house model portfolios (services/portfolio_edits.py) and the house view
(services/house_view.py): previews, versions that pushes keep, and every refusal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.directory import Identity
from bank.models import Client, ModelPortfolio, PortfolioPush, Product
from calc.checkup import BASE_ALLOCATION, CheckupInput, run_checkup
from calc.errors import CalcInputError
from services.house_view import ManagersOnly, current_view, house_allocation, save_view, view_history
from services.portfolio_edits import EditPreview, EditProblem, preview_from_text, save_edit, versions
from services.portfolios import find_portfolio, portfolio_lines, portfolio_names
from services.pushes import preview_push, push_portfolio
from tests.demo_staff import staff
from tests.services.push_cast import Cast

NOW = dt.datetime(2026, 11, 28, 9, 0)


@pytest.fixture
def session(copy_session: Session) -> Session:
    return copy_session


@pytest.fixture
def manager(session: Session) -> Identity:
    return staff(session, "chenjing", "manager")


@pytest.fixture
def chenjing(session: Session) -> Identity:  # another manager editing at the same time
    return staff(session, "zhaoli", "manager")


@pytest.fixture
def zhangmin(session: Session) -> Identity:
    return staff(session, "zhangmin", "advisor")


def weights(portfolio: ModelPortfolio) -> dict[str, float]:
    return {i.product.code: i.weight for i in portfolio.items}


class TestPreview:
    def test_a_kind_of_product_gets_its_share_and_the_rest_keeps_its_proportions(self, session: Session,
                                                                                  manager: Identity) -> None:
        before = weights(find_portfolio(session, "稳健组合"))
        preview = preview_from_text(session, manager, "把稳健组合的债券比例调到60%")
        assert preview.weights["BF001"] == pytest.approx(0.6)
        assert sum(preview.weights.values()) == pytest.approx(1.0, abs=1e-9)
        rest = {c: w for c, w in before.items() if c != "BF001"}
        for code, weight in rest.items():
            assert preview.weights[code] == pytest.approx(0.4 * weight / sum(rest.values()), abs=1e-4)
        assert "纯债" in preview.summary or "债券" in preview.summary
        assert "25%→60%" in preview.summary
        assert preview.version == 1 and preview.risk_after == "R2"

    def test_removing_a_kind(self, session: Session, manager: Identity) -> None:
        preview = preview_from_text(session, manager, "稳健组合里去掉货币基金")
        assert "CM001" not in preview.weights
        assert sum(preview.weights.values()) == pytest.approx(1.0, abs=1e-9)

    def test_a_whole_new_mix_must_add_up_to_100(self, session: Session, manager: Identity) -> None:
        names = session.scalars(select(Product.name).where(Product.code.in_(["BF001", "CM001"]))
                                .order_by(Product.code)).all()
        with pytest.raises(EditProblem, match="加起来是90%"):
            preview_from_text(session, manager, f"稳健组合改成{names[0]}60%、{names[1]}30%")
        preview = preview_from_text(session, manager, f"稳健组合改成{names[0]}60%、{names[1]}40%")
        assert preview.weights == {"BF001": 0.6, "CM001": 0.4}

    def test_a_riskier_product_raises_the_portfolio_risk(self, session: Session, manager: Identity) -> None:
        product = session.scalar(select(Product).where(Product.risk_level == "R3", Product.on_sale.is_(True))
                                 .order_by(Product.code))
        preview = preview_from_text(session, manager, f"把稳健组合加入{product.name}10%")
        assert preview.weights[product.code] == pytest.approx(0.1)
        assert preview.risk_before == "R2" and preview.risk_after == "R3"

    @pytest.mark.parametrize(("text", "problem"), [
        ("把债券比例调到60%", "要改哪个模型组合"),
        ("把稳健组合调到60%", "哪一部分"),
        ("把稳健组合的黄金比例调到10%", "没有黄金类产品"),
        ("把稳健组合的债券比例调高一点", "调到多少"),
        ("把稳健组合的债券比例调到120%", "0%到100%"),
    ])
    def test_what_cannot_be_read_is_asked_again(self, session: Session, manager: Identity, text: str,
                                                problem: str) -> None:
        with pytest.raises(EditProblem, match=problem):
            preview_from_text(session, manager, text)

    def test_only_managers(self, session: Session, zhangmin: Identity) -> None:
        with pytest.raises(ManagersOnly):
            preview_from_text(session, zhangmin, "把稳健组合的债券比例调到60%")


class TestVersions:
    def test_saving_adds_a_version_and_pushes_keep_theirs(self, session: Session, manager: Identity,
                                                          cast: Cast) -> None:
        old = find_portfolio(session, "稳健组合")
        old_weights = weights(old)
        pushed = push_portfolio(session, cast.advisor, "稳健组合", cast.suitable[:1], Decimal(50_000), NOW)
        assert pushed.sent and pushed.portfolio_id == old.id
        new = save_edit(session, manager, preview_from_text(session, manager, "把稳健组合的债券比例调到60%"),
                        NOW + dt.timedelta(hours=1))
        assert new.version == 2 and new.change_note
        assert find_portfolio(session, "稳健组合").id == new.id
        assert [v.version for v in versions(session, "稳健组合")] == [2, 1]
        assert [n for n, _ in portfolio_names(session)].count("稳健组合") == 1
        push = session.scalars(select(PortfolioPush).where(PortfolioPush.client_id == cast.suitable[0])).one()
        assert push.portfolio_id == old.id
        assert weights(find_portfolio(session, push.portfolio_id)) == old_weights
        lines = portfolio_lines(find_portfolio(session, new.id), Decimal(10000))
        assert sum(line.amount for line in lines) == Decimal(10000)

    def test_a_pending_push_of_the_old_version_still_counts(self, session: Session, manager: Identity,
                                                             cast: Cast) -> None:
        assert push_portfolio(session, cast.advisor, "稳健组合", cast.suitable[:1], Decimal(50_000), NOW).sent
        save_edit(session, manager, preview_from_text(session, manager, "把稳健组合的债券比例调到60%"), NOW)
        again = preview_push(session, cast.advisor, "稳健组合", cast.suitable[:2], Decimal(100_000), NOW)
        assert [s.reason for s in again.skipped] == ["已推送过这个组合，正在等客户确认"]
        assert [r.client_id for r in again.suitable] == [cast.suitable[1]]

    def test_a_stale_preview_is_refused(self, session: Session, manager: Identity, chenjing: Identity) -> None:
        first = preview_from_text(session, manager, "把稳健组合的债券比例调到60%")
        second = EditPreview.from_dict(preview_from_text(session, chenjing, "把稳健组合的债券比例调到50%").as_dict())
        save_edit(session, manager, first, NOW)
        with pytest.raises(EditProblem, match="第2版"):
            save_edit(session, chenjing, second, NOW)

    def test_a_closed_product_is_refused_at_save(self, session: Session, manager: Identity) -> None:
        preview = preview_from_text(session, manager, "把稳健组合的债券比例调到60%")
        session.scalars(select(Product).where(Product.code == "BF001")).one().on_sale = False
        with pytest.raises(EditProblem, match="已停售"):
            save_edit(session, manager, preview, NOW)
        assert find_portfolio(session, "稳健组合").version == 1


class TestHouseView:
    def test_built_in_until_a_manager_saves(self, session: Session, manager: Identity) -> None:
        assert current_view(session).version == 0 and house_allocation(session) is None
        changed = {**BASE_ALLOCATION, 3: {"cash": 0.1, "fixed": 0.4, "mixed": 0.25, "equity": 0.2, "gold": 0.05}}
        saved = save_view(session, manager, changed, NOW)
        assert saved.version == 1 and "C3 权益类 15%→20%" in saved.change_note
        assert [v.version for v in view_history(session)] == [1, 0]
        inp = CheckupInput(age=40, monthly_income=30000, monthly_expenses=10000, dependants=1,
                           holdings={"deposit": 100000, "equity_fund": 100000}, risk_level="C3", horizon_years=10)
        assert run_checkup(inp, house_view=house_allocation(session)).target_allocation["equity"] == pytest.approx(0.2)
        assert run_checkup(inp).target_allocation["equity"] == pytest.approx(0.15)

    @pytest.mark.parametrize(("level", "weights", "problem"), [
        (2, {"cash": 0.1, "fixed": 0.6, "equity": 0.3}, "C2的配置里不能有权益类"),
        (3, {"cash": 0.1, "fixed": 0.5}, "C3：各部分比例加起来是60%"),
    ])
    def test_invalid_views_are_refused(self, session: Session, manager: Identity, level: int,
                                       weights: dict[str, float], problem: str) -> None:
        with pytest.raises(CalcInputError) as error:
            save_view(session, manager, {**BASE_ALLOCATION, level: weights}, NOW)
        assert problem in error.value.reason_zh
        assert current_view(session).version == 0

    def test_unchanged_and_non_managers(self, session: Session, manager: Identity, zhangmin: Identity) -> None:
        with pytest.raises(CalcInputError, match="changes nothing"):
            save_view(session, manager, BASE_ALLOCATION, NOW)
        with pytest.raises(ManagersOnly):
            save_view(session, zhangmin, BASE_ALLOCATION, NOW)


def test_a_client_is_untouched(session: Session) -> None:  # the copy is private: nothing above leaks
    assert session.scalar(select(Client.id).limit(1)) is not None
