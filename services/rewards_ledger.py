"""The 成长权益 ledger: benefits earned by calc/rewards.py's rules, granted once, valid for some days, redeemed
(the advisor is told) or expired.

The catalogue (services/rewards_catalogue.yml, synced into `reward_benefits`) says what each benefit gives and
which rule grants it. Granting is idempotent by (client, rule, period): the period is the tier reached for
``tier_up`` (once per tier, ever), the year for ``allocation_up`` and the month for ``welcome_back``, which is
granted only to a client who is back (active today, or here in the chat). A paused benefit (``active: false``
in the table) is recorded as earned and granted once it is active again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bank.clients import phone_tail
from bank.db import session_scope
from bank.inserts import insert_once
from bank.job_runs import done_for, record_run
from bank.models import Client, Contact, RewardBenefit, RewardEntry, Staff, Transaction
from bank.notifications import add_notification
from services.briefing_job import JobReport
from services.settings import Settings

CATALOGUE = Path(__file__).with_name("rewards_catalogue.yml")
PERIODS = ("tier", "year", "month")
EXPIRING_DAYS = 14
"""A granted benefit expiring within this many days is listed as expiring soon."""
REDEEM_KIND = "reward_redeemed"
JOB = "rewards"
KEY = ("client_id", "rule_code", "period")
log = logging.getLogger(__name__)


class NothingToRedeem(LookupError):
    """The client holds no granted, unexpired benefit of this code or name."""

    def __init__(self, code: str) -> None:
        super().__init__(f"code: no redeemable benefit {code!r}")
        self.code = code


@dataclass(frozen=True)
class Benefit:
    """A catalogue entry: code, Chinese name, what it gives, the rule that grants it and how it is keyed."""

    code: str
    name: str
    gives: str
    rule: str
    period: str
    valid_days: int


@dataclass(frozen=True)
class EntryView:
    """One ledger line, display-ready."""

    id: int
    code: str
    name: str
    gives: str
    state: str
    reason: str
    granted_at: dt.datetime | None
    expires_at: dt.datetime | None
    redeemed_at: dt.datetime | None

    def days_left(self, now: dt.datetime) -> int | None:
        return None if self.expires_at is None else max(0, (self.expires_at - now).days)


@dataclass(frozen=True)
class Balance:
    """What a client holds: redeemable benefits (soonest to expire first), those expiring soon, earned ones
    waiting for their benefit to resume, and past redemptions (newest first)."""

    redeemable: list[EntryView]
    expiring_soon: list[EntryView]
    earned: list[EntryView]
    redeemed: list[EntryView]


@dataclass
class GrantReport:
    """What one grant_due did: the (client, rule, period) keys granted, earned (benefit paused), already there."""

    granted: list[tuple[int, str, str]] = field(default_factory=list)
    earned: list[tuple[int, str, str]] = field(default_factory=list)
    already: int = 0


@lru_cache(maxsize=1)
def catalogue() -> tuple[Benefit, ...]:
    """The benefits of rewards_catalogue.yml (ValueError naming the entry when one is malformed)."""
    benefits = []
    for item in yaml.safe_load(CATALOGUE.read_text(encoding="utf-8")) or []:
        benefit = Benefit(str(item["code"]), str(item["name"]), str(item["gives"]), str(item["rule"]),
                          str(item["period"]), int(item["valid_days"]))
        if benefit.period not in PERIODS or benefit.valid_days <= 0 or len(benefit.code) > 32:
            raise ValueError(f"rewards_catalogue.yml: {benefit.code}: period must be {PERIODS}, valid_days > 0")
        benefits.append(benefit)
    if len({b.code for b in benefits}) != len(benefits) or len({b.rule for b in benefits}) != len(benefits):
        raise ValueError("rewards_catalogue.yml: codes and rules must be unique")
    return tuple(benefits)


def sync_catalogue(session: Session) -> dict[str, RewardBenefit]:
    """Insert or update `reward_benefits` from the catalogue file, writing only what differs (an operator's
    `active` flag is kept; two processes syncing at once both succeed); returns the rows by rule code."""
    stored = {row.code: row for row in session.scalars(select(RewardBenefit))}
    for benefit in catalogue():
        fields = {"name": benefit.name, "gives": benefit.gives, "rule_code": benefit.rule,
                  "valid_days": benefit.valid_days}
        row = stored.get(benefit.code)
        if row is None:
            insert_once(session, RewardBenefit, {"code": benefit.code, "active": True, **fields})
        elif any(getattr(row, name) != value for name, value in fields.items()):
            session.execute(update(RewardBenefit).where(RewardBenefit.code == benefit.code).values(**fields))
    fresh = select(RewardBenefit).execution_options(populate_existing=True)
    return {row.rule_code: row for row in session.scalars(fresh) if row.rule_code}


def _period(benefit: Benefit, tier: str, today: dt.date) -> str:
    return {"tier": tier, "year": f"{today:%Y}", "month": f"{today:%Y-%m}"}[benefit.period]


def active_on(session: Session, client_ids: Collection[int], day: dt.date) -> set[int]:
    """Clients with a login, contact or transaction on `day` (back after whatever absence)."""
    start, end = dt.datetime.combine(day, dt.time()), dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    ids = list(client_ids)
    found = set(session.scalars(select(Client.id).where(Client.id.in_(ids), Client.last_login_at >= start,
                                                        Client.last_login_at < end)))
    found |= set(session.scalars(select(Contact.client_id).where(Contact.client_id.in_(ids),
                                                                 Contact.happened_at >= start, Contact.happened_at < end)))
    found |= set(session.scalars(select(Transaction.client_id).where(Transaction.client_id.in_(ids),
                                                                     Transaction.trade_date == day)))
    return found


def grant_due(session: Session, now: dt.datetime, client_ids: Sequence[int] | None = None,
              present: Collection[int] = ()) -> GrantReport:
    """Grant every benefit whose rule a client meets at `now`, once per (client, rule, period).

    Rules are calc/rewards.py's, evaluated per client by services.wealth.client_rewards (a year ago vs now).
    ``welcome_back`` needs the client back: active today, or listed in `present` (asking in the chat).
    Safe to run twice and from two processes at once (the unique key decides; nothing is granted twice).
    """
    from services.wealth import client_rewards  # pandas-heavy: only granting needs it

    today = now.date()
    by_rule = sync_catalogue(session)
    benefits = {b.rule: b for b in catalogue()}
    ids = list(client_ids) if client_ids is not None else list(session.scalars(select(Client.id).order_by(Client.id)))
    report = GrantReport()
    existing = {(c, r, p) for c, r, p in session.execute(
        select(RewardEntry.client_id, RewardEntry.rule_code, RewardEntry.period).where(RewardEntry.client_id.in_(ids)))}
    back = active_on(session, ids, today) | set(present)
    due: list[tuple[tuple[int, str, str], RewardBenefit, str]] = []
    for client_id in ids:  # reads only: the writes below hold the database's write lock briefly
        result = client_rewards(session, client_id, today)
        for reward in result.earned:
            row, benefit = by_rule.get(reward.code), benefits.get(reward.code)
            if row is None or benefit is None or (reward.code == "welcome_back" and client_id not in back):
                continue
            key = (client_id, reward.code, _period(benefit, result.current_tier, today))
            if key in existing:
                report.already += 1
            else:
                due.append((key, row, reward.reason_zh))
    _resume_paused(session, by_rule, now)
    for key, row, reason in due:
        inserted = insert_once(session, RewardEntry, {
            "client_id": key[0], "benefit_code": row.code, "rule_code": key[1], "period": key[2],
            "state": "granted" if row.active else "earned", "reason": reason[:200], "earned_at": now,
            "granted_at": now if row.active else None,
            "expires_at": now + dt.timedelta(days=row.valid_days) if row.active else None}, KEY)
        if not inserted:
            report.already += 1
        else:
            (report.granted if row.active else report.earned).append(key)
    return report


def _resume_paused(session: Session, by_rule: dict[str, RewardBenefit], now: dt.datetime) -> None:
    """Earned lines whose benefit is active again become granted from `now`."""
    for row in by_rule.values():
        if row.active:
            session.execute(update(RewardEntry).where(RewardEntry.benefit_code == row.code,
                                                      RewardEntry.state == "earned")
                            .values(state="granted", granted_at=now,
                                    expires_at=now + dt.timedelta(days=row.valid_days)))


def expire(session: Session, now: dt.datetime) -> int:
    """Granted benefits past their expiry become expired; how many did."""
    result = session.execute(update(RewardEntry).where(RewardEntry.state == "granted",
                                                       RewardEntry.expires_at <= now).values(state="expired"))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _views(session: Session, client_id: int) -> list[EntryView]:
    rows = session.execute(select(RewardEntry, RewardBenefit).join(
        RewardBenefit, RewardBenefit.code == RewardEntry.benefit_code).where(RewardEntry.client_id == client_id)
        .order_by(RewardEntry.id)).all()
    return [EntryView(e.id, b.code, b.name, b.gives, e.state, e.reason, e.granted_at, e.expires_at, e.redeemed_at)
            for e, b in rows]


def balance(session: Session, client_id: int, now: dt.datetime, expiring_days: int = EXPIRING_DAYS) -> Balance:
    """What client `client_id` holds at `now` (a granted benefit past its expiry counts as expired even before
    the job marks it)."""
    views = _views(session, client_id)
    redeemable = sorted((v for v in views if v.state == "granted" and v.expires_at and v.expires_at > now),
                        key=lambda v: (v.expires_at, v.id))
    soon = now + dt.timedelta(days=expiring_days)
    return Balance(redeemable, [v for v in redeemable if v.expires_at and v.expires_at <= soon],
                   [v for v in views if v.state == "earned"],
                   sorted((v for v in views if v.state == "redeemed"), key=lambda v: v.redeemed_at or now,
                          reverse=True))


def redeem(session: Session, client_id: int, code: str, now: dt.datetime) -> EntryView:
    """Redeem the client's benefit `code` (its code or Chinese name; the one expiring soonest), record it and tell
    the client's advisor through the outbox. Raises NothingToRedeem when none is held (or it expired)."""
    key = code.strip()
    for view in balance(session, client_id, now).redeemable:
        if key not in (view.code, view.name):
            continue
        claimed = session.execute(update(RewardEntry).where(
            RewardEntry.id == view.id, RewardEntry.state == "granted", RewardEntry.expires_at > now)
            .values(state="redeemed", redeemed_at=now))
        if not claimed.rowcount:  # type: ignore[attr-defined]  # redeemed a moment ago by another turn
            continue
        client, advisor = session.execute(select(Client, Staff).join(Staff, Staff.id == Client.advisor_id)
                                          .where(Client.id == client_id)).one()
        text = (f"客户{client.name}（{phone_tail(client.phone)}）兑换了权益「{view.name}」：{view.gives}。"
                "请尽快联系客户安排。")
        note = add_notification(session, advisor.wecom_userid, text, kind=REDEEM_KIND, priority=1, now=now)
        session.execute(update(RewardEntry).where(RewardEntry.id == view.id).values(notification_id=note.id))
        return EntryView(view.id, view.code, view.name, view.gives, "redeemed", view.reason, view.granted_at,
                         view.expires_at, now)
    raise NothingToRedeem(code)


def grant_rewards(now: dt.datetime, settings: Settings, url: str | None = None) -> JobReport:
    """The scheduler's job: expire what ran out, and from REWARDS_AT (China time) grant what is due, once a day
    (the job-run key rewards/all/day, stored in the same transaction as the grants)."""
    report = JobReport(JOB, now.date().isoformat())
    with session_scope(url) as session:
        expire(session, now)
        done = bool(done_for(session, JOB, report.period, ["all"]))
    if done:
        report.already_done.append("all")
    if done or not settings.rewards_enabled or now.time() < dt.time.fromisoformat(settings.rewards_at):
        return report
    try:
        with session_scope(url) as session:
            granted = grant_due(session, now)
            record_run(session, JOB, "all", report.period, now=now)
    except IntegrityError:  # another scheduler finished first: its grants stand, ours are rolled back
        report.already_done.append("all")
        return report
    report.sent = [f"{client_id}:{rule}:{period}" for client_id, rule, period in granted.granted]
    return report


def count_held(session: Session, client_ids: Collection[int], now: dt.datetime) -> dict[int, int]:
    """How many redeemable benefits each of these clients holds (for lists and dashboards)."""
    rows = session.execute(select(RewardEntry.client_id, func.count()).where(
        RewardEntry.client_id.in_(list(client_ids)), RewardEntry.state == "granted", RewardEntry.expires_at > now)
        .group_by(RewardEntry.client_id))
    return {client_id: int(n) for client_id, n in rows}
