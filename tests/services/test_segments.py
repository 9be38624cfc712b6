"""Client segments (services/segments.py, defined in services/segments.yml): membership checked against
independent pandas computations over the demo bank, the loss and drift rules shared with the briefing, a fixed
number of queries whatever the number of clients, scoping, and the rankings ("健康分最低的十个客户")."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bank.db import session_scope
from bank.models import INSURANCE_CATEGORIES, LIFE_STAGES, Client, Holding, Product, Proposal, Staff
from calc.checkup import CATEGORY_CLASS
from calc.rewards import BASE_TIER_ZH, RewardRules
from calc.risk import RISK_VALID_DAYS
from services import segments as seg
from services.checkups import CLASS_ZH
from services.settings import Settings
from services.wealth import client_health_score

TODAY = dt.date(2026, 11, 28)
SETTINGS = Settings()


def frame(session: Session, sql: str) -> pd.DataFrame:
    return pd.read_sql_query(sql, session.connection())


def staff_id(session: Session, userid: str) -> int:
    return int(session.scalar(select(Staff.id).where(Staff.wecom_userid == userid)))


def ids(members: list[seg.Member]) -> set[int]:
    return {m.client_id for m in members}


@pytest.fixture
def session(copy_session: Session) -> Session:
    return copy_session


@pytest.fixture
def mine(session: Session) -> tuple[int, pd.DataFrame]:
    """张敏's staff id and her clients (id, life stage, risk level and date, last login) as a frame."""
    advisor = staff_id(session, "zhangmin")
    clients = frame(session, f"SELECT id, life_stage, risk_level, risk_assessed_on, last_login_at FROM clients "
                             f"WHERE advisor_id = {advisor}")
    return advisor, clients


class TestDefinitions:
    def test_every_segment_has_an_id_a_chinese_name_a_rule_and_a_filled_description(self) -> None:
        segments = seg.all_segments()
        assert len({s.id for s in segments}) == len(segments) >= 15
        for s in segments:
            text = s.describe(SETTINGS)
            assert s.name and text and "{" not in text and s.rule in seg.RULES

    def test_tier_names_are_calc_rewards_tiers_and_stages_the_bank_s(self) -> None:
        tiers = [s.name for s in seg.all_segments() if s.rule == "asset_tier"]
        assert tiers == [BASE_TIER_ZH] + [name for _, name in RewardRules().tiers]
        assert sorted(s.params["stage"] for s in seg.all_segments() if s.rule == "life_stage") == sorted(LIFE_STAGES)

    def test_thresholds_are_stated_as_the_settings_say(self) -> None:
        assert "10%" in seg.segment("in_loss").describe(SETTINGS)
        assert "15%" in seg.segment("持仓浮亏").describe(Settings(rule_loss_threshold=0.15))
        assert "20%" in seg.segment("drifted").describe(SETTINGS)
        assert str(RISK_VALID_DAYS) in seg.segment("risk_expired").describe(SETTINGS)

    def test_lookup_by_id_name_or_words(self) -> None:
        assert seg.segment("沉睡客户").id == "dormant"
        assert seg.find_segment("我的私人银行客户有哪些").id == "tier_private"
        with pytest.raises(seg.UnknownSegment):
            seg.segment("no-such")

    def test_a_malformed_definition_names_the_segment(self) -> None:
        with pytest.raises(ValueError, match="x1"):
            seg._check([{"id": "x1", "name": "甲", "rule": "asset_tier", "params": {"tier": 9}, "description": "d"}])
        with pytest.raises(ValueError, match="x2"):
            seg._check([{"id": "x2", "name": "乙", "rule": "in_loss", "params": {}, "description": "d"}])


class TestMembershipAgainstPandas:
    def test_asset_tiers(self, session: Session, mine: tuple[int, pd.DataFrame]) -> None:
        advisor, clients = mine
        insurance = ", ".join(f"'{c}'" for c in INSURANCE_CATEGORIES)
        assets = frame(session, f"SELECT h.client_id AS id, h.market_value AS v FROM holdings h JOIN products p "
                                f"ON p.id = h.product_id WHERE p.category NOT IN ({insurance})")
        totals = assets.groupby("id")["v"].sum().reindex(clients["id"]).fillna(0.0)
        bounds = [0.0] + [t for t, _ in RewardRules().tiers] + [float("inf")]
        expected = pd.cut(totals, bounds, right=False, labels=False)
        for index, segment_id in enumerate(("tier_base", "tier_gold", "tier_wealth", "tier_private")):
            want = set(expected[expected == index].index)
            assert ids(seg.segment_members(session, advisor, segment_id, TODAY)) == want, segment_id
        assert sum(len(seg.segment_members(session, advisor, s, TODAY)) for s in
                   ("tier_base", "tier_gold", "tier_wealth", "tier_private")) == len(clients)

    def test_life_stages(self, session: Session, mine: tuple[int, pd.DataFrame]) -> None:
        advisor, clients = mine
        for s in seg.all_segments():
            if s.rule == "life_stage":
                want = set(clients.loc[clients["life_stage"] == s.params["stage"], "id"])
                assert ids(seg.segment_members(session, advisor, s.id, TODAY)) == want

    def test_active_and_dormant_from_contacts_logins_and_trades(self, session: Session,
                                                                 mine: tuple[int, pd.DataFrame]) -> None:
        advisor, clients = mine
        contacts = frame(session, "SELECT client_id AS id, happened_at AS d FROM contacts")
        trades = frame(session, "SELECT client_id AS id, trade_date AS d FROM transactions")
        logins = clients[["id", "last_login_at"]].rename(columns={"last_login_at": "d"})
        every = pd.concat([contacts, trades, logins]).dropna()
        every["d"] = pd.to_datetime(every["d"], format="mixed").dt.normalize()
        every = every[every["d"] <= pd.Timestamp(TODAY)]
        last = every.groupby("id")["d"].max().reindex(clients["id"])
        idle = (pd.Timestamp(TODAY) - last).dt.days
        assert ids(seg.segment_members(session, advisor, "active", TODAY)) == set(idle[idle <= 90].index)
        assert ids(seg.segment_members(session, advisor, "dormant", TODAY)) == set(idle[idle.isna() | (idle > 180)].index)

    def test_risk_assessment_expired_and_missing(self, session: Session, mine: tuple[int, pd.DataFrame]) -> None:
        advisor, clients = mine
        assessed = pd.to_datetime(clients["risk_assessed_on"])
        expired = clients["risk_level"].notna() & (
            assessed.isna() | ((pd.Timestamp(TODAY) - assessed).dt.days > RISK_VALID_DAYS))
        assert ids(seg.segment_members(session, advisor, "risk_expired", TODAY)) == set(clients.loc[expired, "id"])
        missing = set(clients.loc[clients["risk_level"].isna(), "id"])
        assert ids(seg.segment_members(session, advisor, "risk_missing", TODAY)) == missing

    def test_in_loss_is_the_briefing_rule_recomputed(self, session: Session, mine: tuple[int, pd.DataFrame]) -> None:
        advisor, clients = mine
        # Push one of her fund holdings 15% under cost so the segment is not empty by chance.
        holding = session.scalars(select(Holding).join(Product).join(Client, Client.id == Holding.client_id)
                                  .where(Client.advisor_id == advisor, Product.category == "equity_fund",
                                         Holding.units > 0).order_by(Holding.id)).first()
        holding.market_value = holding.cost * 85 / 100
        session.flush()
        rows = frame(session, "SELECT h.client_id AS id, h.product_id AS pid, h.market_value AS v, h.cost AS c, "
                              "h.opened_on AS opened, p.category AS cat FROM holdings h JOIN products p "
                              "ON p.id = h.product_id WHERE h.units > 0")
        navs = frame(session, "SELECT product_id AS pid, date, nav FROM nav_points")
        navs["date"] = pd.to_datetime(navs["date"])

        def nav_at(day: dt.date) -> pd.Series:
            return navs[navs["date"] <= pd.Timestamp(day)].sort_values("date").groupby("pid")["nav"].last()

        market = rows[rows["cat"].isin(["bond_fund", "mixed_fund", "equity_fund", "index_fund", "qdii_fund", "gold"])]
        market = market[market["id"].isin(clients["id"])].copy()
        market["since"] = market["v"] / market["c"] - 1
        now_nav, then_nav = nav_at(TODAY), nav_at(TODAY - dt.timedelta(days=30))
        held_long = pd.to_datetime(market["opened"]) <= pd.Timestamp(TODAY - dt.timedelta(days=30))
        market["recent"] = (market["pid"].map(now_nav) / market["pid"].map(then_nav) - 1).where(held_long)
        worst = market[["since", "recent"]].min(axis=1)
        want = set(market.loc[worst <= -SETTINGS.rule_loss_threshold, "id"])
        assert holding.client_id in want
        assert ids(seg.segment_members(session, advisor, "in_loss", TODAY, SETTINGS)) == want

    def test_drifted_from_the_last_checkup_target(self, session: Session, mine: tuple[int, pd.DataFrame]) -> None:
        advisor, _ = mine
        rows = frame(session, f"SELECT h.client_id AS id, p.category AS cat, h.market_value AS v FROM holdings h "
                              f"JOIN products p ON p.id = h.product_id JOIN clients c ON c.id = h.client_id "
                              f"WHERE c.advisor_id = {advisor}")
        rows["cls"] = rows["cat"].map(CATEGORY_CLASS)
        rows = rows[rows["cls"] != "insurance"]
        weights = rows.groupby(["id", "cls"])["v"].sum().unstack(fill_value=0.0)
        weights = weights.div(weights.sum(axis=1), axis=0)
        off, on = [int(i) for i in weights.index[weights.get("cash", 0) < 0.5][:2]]
        targets = {off: {"cash": 1.0}, on: {c: float(w) for c, w in weights.loc[on].items() if w > 0}}
        for n, (client_id, target) in enumerate(targets.items()):
            session.add(Proposal(kind="checkup", client_id=client_id, share_token=f"seg-test-{n}",
                                 created_at=dt.datetime(2026, 11, 1), expires_at=dt.datetime(2026, 12, 1),
                                 payload={"charts": [{"name": "allocation", "data": {
                                     "labels": [CLASS_ZH[c] for c in target], "target": list(target.values())}}]}))
        session.flush()
        members = seg.segment_members(session, advisor, "drifted", TODAY, SETTINGS)
        assert ids(members) == {off}
        assert "配置偏离" in [s.name for s, _ in seg.segments_of(session, off, TODAY, SETTINGS)]
        assert "配置偏离" not in [s.name for s, _ in seg.segments_of(session, on, TODAY, SETTINGS)]
        ranked = seg.rank_clients(session, advisor, "drift", 5, today=TODAY)
        assert ranked[0].client_id == off and ranked[0].value == pytest.approx(1 - weights.loc[off].get("cash", 0))


class TestSegmentsOfOneClient:
    def test_agree_with_the_members_of_every_segment(self, session: Session, mine: tuple[int, pd.DataFrame]) -> None:
        advisor, clients = mine
        overview = seg.segment_overview(session, advisor, TODAY)
        for client_id in clients["id"][:12]:
            found = {s.id for s, _ in seg.segments_of(session, int(client_id), TODAY)}
            assert found == {sid for sid, members in overview.items() if int(client_id) in ids(members)}

    def test_an_unknown_client_is_in_nothing(self, session: Session) -> None:
        assert seg.segments_of(session, 10**6, TODAY) == []


class TestScope:
    def test_an_advisor_s_segment_holds_only_her_clients_and_the_manager_sees_the_team(
            self, session: Session, zhangmin, liqiang, chenjing) -> None:  # type: ignore[no-untyped-def]
        mine = ids(seg.visible_segment_members(session, zhangmin, "active", TODAY))
        theirs = ids(seg.visible_segment_members(session, liqiang, "active", TODAY))
        team = ids(seg.visible_segment_members(session, chenjing, "active", TODAY))
        owners = set(session.scalars(select(Client.advisor_id).where(Client.id.in_(mine))))
        assert owners == {zhangmin.staff_id} and not mine & theirs and mine | theirs <= team
        assert mine == ids(seg.segment_members(session, zhangmin.staff_id, "active", TODAY))




def test_queries_do_not_grow_with_clients(bank_url: str, statements: list[str]) -> None:
    """Every segment for an advisor (or for a whole team) in the same few statements: no query per client."""
    with session_scope(bank_url) as session:
        sizes = dict(session.execute(select(Client.advisor_id, func.count()).group_by(Client.advisor_id)).all())
        small, large = min(sizes, key=lambda a: sizes[a]), max(sizes, key=lambda a: sizes[a])
        assert sizes[large] > sizes[small]
        counts = {}
        for advisor in (small, large):
            statements.clear()
            overview = seg.segment_overview(session, advisor, TODAY)
            counts[advisor] = len(statements)
            assert sum(len(overview[s]) for s in ("tier_base", "tier_gold", "tier_wealth", "tier_private")) > 50
        statements.clear()
        seg.members_among(session, select(Client.id), "dormant", TODAY)  # all 640 clients
        everyone = len(statements)
        statements.clear()
        seg.segments_of(session, 1, TODAY)
        one = len(statements)
    assert counts[small] == counts[large] <= 8
    assert everyone <= 4 and one <= 8


class TestRanking:
    def test_lowest_health_scores_first(self, session: Session, mine: tuple[int, pd.DataFrame]) -> None:
        advisor, clients = mine
        ranked = seg.rank_clients(session, advisor, "health", 10, today=TODAY)
        scores = sorted((client_health_score(session, int(c), TODAY).total, int(c)) for c in clients["id"])
        assert [(m.value, m.client_id) for m in ranked] == scores[:10]
        assert all("健康分" in m.detail for m in ranked)
        top = seg.rank_clients(session, advisor, "health", 3, ascending=False, today=TODAY)
        assert [m.client_id for m in top] == [c for _, c in sorted(scores, key=lambda s: (-s[0], s[1]))[:3]]

    def test_deepest_losses_first(self, session: Session, mine: tuple[int, pd.DataFrame]) -> None:
        advisor, _ = mine
        ranked = seg.rank_clients(session, advisor, "loss", 5, today=TODAY)
        assert ranked and all(m.value < 0 for m in ranked)
        assert [m.value for m in ranked] == sorted(m.value for m in ranked)
        in_loss = ids(seg.segment_members(session, advisor, "in_loss", TODAY))
        assert in_loss <= ids(seg.rank_clients(session, advisor, "loss", 100, today=TODAY))

    def test_bad_arguments_are_named(self, session: Session, mine: tuple[int, pd.DataFrame]) -> None:
        with pytest.raises(ValueError, match="by"):
            seg.rank_clients(session, mine[0], "wealth", 10, today=TODAY)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="n"):
            seg.rank_clients(session, mine[0], "loss", 0, today=TODAY)


class TestSelectingBySegmentOrTag:
    def test_prospects_among_a_segment_or_a_tag(self, session: Session, zhangmin) -> None:  # type: ignore[no-untyped-def]
        from services.client_groups import group_in_text
        from services.prospects import prospects_by_assets, prospects_for_portfolio
        from services.tags import add_tag

        group = group_in_text(session, zhangmin, "找找金卡客户里适合稳健组合的", TODAY)
        assert group is not None and (group.kind, group.key) == ("segment", "tier_gold")
        assert set(group.client_ids) == ids(seg.segment_members(session, zhangmin.staff_id, "tier_gold", TODAY))
        found = prospects_by_assets(session, zhangmin, TODAY, limit=200, among=group.client_ids)
        assert found.items and {p.client_id for p in found.items} <= set(group.client_ids)
        tagged = sorted(group.client_ids)[:3]
        for client_id in tagged:
            add_tag(session, zhangmin, client_id, "高潜")
        by_tag = group_in_text(session, zhangmin, "把稳健组合推给高潜的客户", TODAY)
        assert by_tag is not None and (by_tag.kind, by_tag.client_ids) == ("tag", tagged)
        listed = prospects_for_portfolio(session, zhangmin, "稳健组合", TODAY, limit=50, among=by_tag.client_ids)
        assert {p.client_id for p in listed.items} <= set(tagged)
        assert len(listed.items) + listed.skipped_unassessed + listed.skipped_unsuitable == len(tagged)
        assert group_in_text(session, zhangmin, "今天天气怎么样", TODAY) is None

    def test_a_briefing_among_a_group(self, session: Session, zhangmin) -> None:  # type: ignore[no-untyped-def]
        from services.briefings import briefing_for
        from services.client_groups import briefing_among

        whole = briefing_for(session, zhangmin.staff_id, dt.datetime(2026, 11, 30, 8, 30), SETTINGS)
        about = [line.client_id for s in whole.ordered for line in s.lines if line.client_id is not None]
        assert about
        picked = set(about[:2])
        part = briefing_among(whole, picked)
        kept = [line.client_id for s in part.ordered for line in s.lines]
        assert kept and set(kept) == picked and len(kept) == sum(1 for c in about if c in picked)
        assert briefing_among(whole, []).empty and not whole.empty
