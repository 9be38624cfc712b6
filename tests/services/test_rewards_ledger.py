"""The 成长权益 ledger (services/rewards_ledger.py): the catalogue synced from its file, granting by calc/rewards.py's
rules once per client, rule and period (run twice, and from two threads at once), redeeming (the advisor is
told) then the balance, and expiry."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bank.db import session_scope
from bank.models import Client, JobRun, Notification, RewardBenefit, RewardEntry, Staff
from calc.rewards import evaluate_rewards
from services import rewards_ledger as ledger
from services.scheduler import jobs
from services.segments import segment_members
from services.settings import Settings
from services.wealth import client_rewards

NOW = dt.datetime(2026, 11, 28, 22, 0)
TODAY = NOW.date()
SAMPLE = 24  # clients per test: client_rewards takes ~15 ms each


def sample(session: Session, n: int = SAMPLE) -> list[int]:
    return list(session.scalars(select(Client.id).order_by(Client.id).limit(n)))


def expected_keys(session: Session, client_ids: list[int], back: set[int] = frozenset()) -> set[tuple[int, str, str]]:
    """The (client, rule, period) keys granting should produce, from client_rewards and the catalogue's periods."""
    periods = {b.rule: b.period for b in ledger.catalogue()}
    keys = set()
    for client_id in client_ids:
        result = client_rewards(session, client_id, TODAY)
        for reward in result.earned:
            if reward.code == "welcome_back" and client_id not in back:
                continue
            period = {"tier": result.current_tier, "year": "2026", "month": "2026-11"}[periods[reward.code]]
            keys.add((client_id, reward.code, period))
    return keys


def rows(session: Session) -> list[RewardEntry]:
    return list(session.scalars(select(RewardEntry).order_by(RewardEntry.id)))


@pytest.fixture
def granted(bank_url: str) -> tuple[str, list[int], set[tuple[int, str, str]]]:
    """The sample granted once at NOW: the bank, the clients and the keys granted."""
    with session_scope(bank_url) as session:
        clients = sample(session)
        report = ledger.grant_due(session, NOW, clients)
    return bank_url, clients, set(report.granted)


class TestCatalogue:
    def test_synced_from_the_file_with_what_each_gives(self, copy_session: Session) -> None:
        ledger.sync_catalogue(copy_session)
        stored = {b.code: b for b in copy_session.scalars(select(RewardBenefit))}
        assert set(stored) == {b.code for b in ledger.catalogue()}
        for benefit in ledger.catalogue():
            row = stored[benefit.code]
            assert (row.name, row.gives, row.rule_code, row.valid_days, row.active) == (
                benefit.name, benefit.gives, benefit.rule, benefit.valid_days, True)

    def test_every_calc_rule_has_a_benefit(self) -> None:
        every = evaluate_rewards(40_000, 60_000, 50, 58, dt.date(2026, 1, 1), dt.date(2026, 8, 1)).earned
        assert {r.code for r in every} == {b.rule for b in ledger.catalogue()}

    def test_an_operator_s_pause_survives_a_sync(self, copy_session: Session) -> None:
        ledger.sync_catalogue(copy_session)
        copy_session.get(RewardBenefit, "tier_upgrade_gift").active = False
        ledger.sync_catalogue(copy_session)
        assert copy_session.get(RewardBenefit, "tier_upgrade_gift").active is False


class TestGranting:
    def test_grants_what_the_rules_say_with_expiry(self, granted: tuple[str, list[int], set]) -> None:
        url, clients, keys = granted
        with session_scope(url) as session:
            back = ledger.active_on(session, clients, TODAY)
            assert keys == expected_keys(session, clients, back) and keys
            valid = {b.code: b.valid_days for b in ledger.catalogue()}
            for row in rows(session):
                assert row.state == "granted" and row.granted_at == NOW and row.reason
                assert row.expires_at == NOW + dt.timedelta(days=valid[row.benefit_code])

    def test_twice_grants_nothing_more(self, granted: tuple[str, list[int], set]) -> None:
        url, clients, keys = granted
        with session_scope(url) as session:
            again = ledger.grant_due(session, NOW + dt.timedelta(hours=1), clients)
            assert again.granted == [] and again.already == len(keys)
            assert len(rows(session)) == len(keys)

    def test_two_threads_at_once_grant_each_key_once(self, bank_url: str) -> None:
        with session_scope(bank_url) as session:
            clients = sample(session, 12)
        start = threading.Barrier(2)
        reports: list[ledger.GrantReport] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                start.wait()
                with session_scope(bank_url) as session:
                    reports.append(ledger.grant_due(session, NOW, clients))
            except BaseException as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors
        granted = [key for report in reports for key in report.granted]
        with session_scope(bank_url) as session:
            stored = {(r.client_id, r.rule_code, r.period) for r in rows(session)}
            assert len(granted) == len(set(granted)) == len(stored) > 0
            assert set(granted) == stored == expected_keys(session, clients, ledger.active_on(session, clients, TODAY))

    def test_welcome_back_only_for_a_client_who_is_back(self, bank_url: str) -> None:
        with session_scope(bank_url) as session:
            advisor = session.scalar(select(Staff.id).where(Staff.wecom_userid == "zhangmin"))
            dormant = [m.client_id for m in segment_members(session, advisor, "dormant", TODAY)]
            away = next(c for c in dormant if any(r.code == "welcome_back"
                                                  for r in client_rewards(session, c, TODAY).earned))
            assert away not in ledger.active_on(session, [away], TODAY)
            first = ledger.grant_due(session, NOW, [away])
            assert "welcome_back" not in {rule for _, rule, _ in first.granted}
            here = ledger.grant_due(session, NOW, [away], present=[away])
            assert [key for key in here.granted if key[1] == "welcome_back"] == [(away, "welcome_back", "2026-11")]
            assert ledger.grant_due(session, NOW, [away], present=[away]).granted == []

    def test_a_paused_benefit_is_earned_then_granted_when_resumed(self, bank_url: str) -> None:
        with session_scope(bank_url) as session:
            ledger.sync_catalogue(session)
            session.get(RewardBenefit, "allocation_review").active = False
            report = ledger.grant_due(session, NOW, sample(session))
            assert report.earned and all(rule == "allocation_up" for _, rule, _ in report.earned)
            assert {r.state for r in rows(session) if r.rule_code == "allocation_up"} == {"earned"}
            session.get(RewardBenefit, "allocation_review").active = True
            later = NOW + dt.timedelta(days=3)
            ledger.grant_due(session, later, sample(session))
            resumed = [r for r in rows(session) if r.rule_code == "allocation_up"]
            assert {(r.state, r.granted_at) for r in resumed} == {("granted", later)}


class TestRedeemAndBalance:
    def test_redeem_then_balance_and_the_advisor_is_told(self, granted: tuple[str, list[int], set]) -> None:
        url, _, keys = granted
        client_id = sorted(keys)[0][0]
        with session_scope(url) as session:
            before = ledger.balance(session, client_id, NOW)
            assert before.redeemable and before.redeemed == []
            target = before.redeemable[0]
            done = ledger.redeem(session, client_id, target.name, NOW + dt.timedelta(days=1))
            assert done.state == "redeemed" and done.code == target.code
        with session_scope(url) as session:
            after = ledger.balance(session, client_id, NOW + dt.timedelta(days=1))
            assert [v.id for v in after.redeemed] == [target.id]
            assert target.id not in [v.id for v in after.redeemable]
            assert len(after.redeemable) == len(before.redeemable) - 1
            advisor = session.scalar(select(Staff.wecom_userid).join(Client, Client.advisor_id == Staff.id)
                                     .where(Client.id == client_id))
            told = session.scalars(select(Notification).where(Notification.kind == ledger.REDEEM_KIND)).all()
            assert [n.recipient for n in told] == [advisor]
            assert target.name in told[0].text and target.gives in told[0].text and "尾号" in told[0].text
            entry = session.get(RewardEntry, target.id)
            assert entry.notification_id == told[0].id and entry.redeemed_at == NOW + dt.timedelta(days=1)
            with pytest.raises(ledger.NothingToRedeem, match="code"):
                ledger.redeem(session, client_id, target.code, NOW + dt.timedelta(days=1))
            with pytest.raises(ledger.NothingToRedeem):
                ledger.redeem(session, client_id, "no_such_benefit", NOW)

    def test_another_client_cannot_redeem_it(self, granted: tuple[str, list[int], set]) -> None:
        url, clients, keys = granted
        holder = sorted(keys)[0][0]
        other = next(c for c in clients if c not in {k[0] for k in keys})
        with session_scope(url) as session:
            code = ledger.balance(session, holder, NOW).redeemable[0].code
            with pytest.raises(ledger.NothingToRedeem):
                ledger.redeem(session, other, code, NOW)


class TestExpiry:
    def test_expiring_soon_then_expired(self, granted: tuple[str, list[int], set]) -> None:
        url, _, keys = granted
        client_id = sorted(keys)[0][0]
        with session_scope(url) as session:
            held = ledger.balance(session, client_id, NOW).redeemable
            first = held[0]
            near = first.expires_at - dt.timedelta(days=5)
            assert first.id in [v.id for v in ledger.balance(session, client_id, near).expiring_soon]
            assert first.days_left(near) == 5
            late = max(v.expires_at for v in held) + dt.timedelta(seconds=1)
            assert ledger.balance(session, client_id, late).redeemable == []  # before the job marks them
            with pytest.raises(ledger.NothingToRedeem):
                ledger.redeem(session, client_id, first.code, late)
            total = session.scalar(select(func.count()).select_from(RewardEntry))
            assert ledger.expire(session, late) == total
            assert ledger.expire(session, late) == 0
            assert {r.state for r in rows(session)} == {"expired"}
            assert session.scalar(select(func.count()).select_from(Notification).where(
                Notification.kind == ledger.REDEEM_KIND)) == 0


class TestJob:
    def test_registered_and_once_a_day_from_its_time(self, bank_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        settings = Settings()
        assert "rewards" in [job.name for job in jobs(settings)]
        with session_scope(bank_url) as session:
            clients = sample(session, 6)
        real = ledger.grant_due
        monkeypatch.setattr(ledger, "grant_due", lambda session, now: real(session, now, clients))
        early = ledger.grant_rewards(NOW.replace(hour=9), settings, bank_url)
        assert early.sent == [] and early.already_done == []
        first = ledger.grant_rewards(NOW, settings, bank_url)
        second = ledger.grant_rewards(NOW + dt.timedelta(minutes=30), settings, bank_url)
        assert first.sent and second.sent == [] and second.already_done == ["all"]
        with session_scope(bank_url) as session:
            assert session.scalar(select(func.count()).select_from(JobRun).where(JobRun.job == "rewards")) == 1
            session.execute(update(RewardEntry).values(expires_at=NOW))
        ledger.grant_rewards(NOW + dt.timedelta(days=1, hours=-12), settings, bank_url)  # expires, grants nothing yet
        with session_scope(bank_url) as session:
            assert {r.state for r in rows(session)} == {"expired"}
