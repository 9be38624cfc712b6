"""The monthly 财富账单 that goes out: a page per client (`/statements/{token}`) and a message through the outbox.

On the month's first working day (from `statement_at`, for `statement_grace_days`) every client with holdings
who has not opted out (bank/preferences.py) is told once about last month's statement. Within 微信客服's window
(services/routes.py: the client wrote within 48 hours and the count allows) the client gets their own link.
Otherwise one advisor-confirmed mass send per advisor (`externalcontact/add_msg_template`, sender = the advisor)
carries the same short text to all of that advisor's clients — one task has one content for every recipient —
and the client's reply "账单" opens the window in which the bot sends their own link (`statement_link`).

Idempotent by the job-run keys (statement, client, YYYY-MM) and (statement, advisor, YYYY-MM), stored in the
transaction that stores the message, so a restart, a catch-up or a second scheduler never sends twice.
The page's token follows the proposals' rules (bank/proposals.py): unguessable, expiring, no login.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bank.db import session_scope
from bank.job_runs import done_for, record_run
from bank.masking import mask_name
from bank.models import INSURANCE_CATEGORIES, Client, ClientStatement, Holding, Product, Staff
from bank.notifications import add_notification
from bank.preferences import set_statements_wanted, statements_opted_out
from bank.proposals import TOKEN_PATTERN
from calc.calendar import is_working_day
from calc.money import fmt_pct, fmt_yuan
from services import routes
from services.briefing_job import JobReport
from services.briefings import STATEMENT_TASK
from services.links import public_url
from services.settings import Settings
from services.wealth import client_ledger, client_statement
from wecom.masking import mask_id

JOB, MASS_KIND = STATEMENT_TASK  # the job's name; the kind of its mass-send tasks (the briefing shows them)
RISK_NOTICE = "收益按本行记录的持仓和净值估算，仅供参考；过往业绩不预示未来表现。理财非存款，产品有风险，投资须谨慎。"
log = logging.getLogger(__name__)


class StatementNotFound(LookupError):
    """No statement has this token (or the token is malformed)."""


class StatementExpired(LookupError):
    """The statement exists but its link has expired."""


def covered_month(day: dt.date) -> tuple[str, dt.date]:
    """The month a statement sent on `day` covers (the previous one) as YYYY-MM, and its last day.

    >>> covered_month(dt.date(2026, 12, 1)), covered_month(dt.date(2027, 1, 4))[0]
    (('2026-11', datetime.date(2026, 11, 30)), '2026-12')
    """
    last = day.replace(day=1) - dt.timedelta(days=1)
    return f"{last:%Y-%m}", last


def first_working_day(day: dt.date) -> dt.date:
    """The first working day of `day`'s month (calc/calendar.py).

    >>> first_working_day(dt.date(2026, 12, 20)), first_working_day(dt.date(2026, 10, 20))
    (datetime.date(2026, 12, 1), datetime.date(2026, 10, 8))
    """
    first = day.replace(day=1)
    while not is_working_day(first):
        first += dt.timedelta(days=1)
    return first


def is_due(now: dt.datetime, settings: Settings) -> bool:
    """Whether the statements go out at `now`: from `statement_at` on the first working day, for the grace days.

    >>> s = Settings(statement_at="09:00", statement_grace_days=3)
    >>> [is_due(dt.datetime(2026, 12, d, h), s) for d, h in ((1, 8), (1, 9), (3, 20), (4, 9), (5, 9))]
    [False, True, True, True, False]
    """
    start = dt.datetime.combine(first_working_day(now.date()), dt.time.fromisoformat(settings.statement_at))
    return start <= now <= start + dt.timedelta(days=settings.statement_grace_days)


def month_name(month: str) -> str:
    """'2026-11' → '11月'.

    >>> month_name("2026-11")
    '11月'
    """
    return f"{int(month[5:])}月"


def mass_text(month: str) -> str:
    """The one text of an advisor's mass send (the same for every client).

    >>> mass_text("2026-11")
    "您的11月财富账单已生成，回复'账单'查看"
    """
    return f"您的{month_name(month)}财富账单已生成，回复'账单'查看"


def statement_path(token: str) -> str:
    """The page of a statement.

    >>> statement_path("abc")
    '/statements/abc'
    """
    return f"/statements/{token}"


# --- the statement itself ------------------------------------------------------------------------------------
def _month_end_value(session: Session, client_id: int, last: dt.date) -> float:
    valuations = client_ledger(session, client_id, last).valuations
    if valuations.empty:
        return 0.0
    upto = valuations[valuations["date"] <= pd.Timestamp(last)].sort_values("date")
    return float(upto.groupby("product").tail(1)["value"].sum())


def statement_payload(session: Session, client: Client, month: str, last: dt.date) -> dict[str, Any] | None:
    """The page's display-ready content (masked name, yuan to the fen); None without investments on record."""
    view = client_statement(session, client.id, "this_month", last)
    if view is None:
        return None
    s = view.statement
    rows = [["月末持仓市值", fmt_yuan(_month_end_value(session, client.id, last))],
            ["本月投资收益", fmt_yuan(s.profit)]]
    if s.twr is not None:
        rows.append(["时间加权收益率", fmt_pct(s.twr)])
    if s.benchmark_return is not None and view.benchmark_name:
        rows.append([f"业绩基准（{view.benchmark_name}）", fmt_pct(s.benchmark_return)])
    products = [[name, fmt_yuan(value)] for name, value in
                sorted(s.profit_by_product.items(), key=lambda kv: -abs(kv[1])) if abs(value) >= 0.005]
    return {"title": f"{month_name(month)}财富账单", "subject": mask_name(client.name) or "客户", "month": month,
            "start": s.start.isoformat(), "end": s.end.isoformat(), "rows": rows, "products": products,
            "risk_notice": RISK_NOTICE}


def ensure_statement(session: Session, client: Client, month: str, last: dt.date, now: dt.datetime,
                     ttl_days: int) -> ClientStatement | None:
    """Client's statement of `month`, made now if it does not exist yet (None: no investments on record)."""
    found = session.scalar(select(ClientStatement).where(ClientStatement.client_id == client.id,
                                                         ClientStatement.month == month))
    if found is not None:
        return found
    payload = statement_payload(session, client, month, last)
    if payload is None:
        return None
    made = ClientStatement(client_id=client.id, month=month, payload=payload, share_token=secrets.token_urlsafe(24),
                           created_at=now, expires_at=now + dt.timedelta(days=ttl_days))
    session.add(made)
    session.flush()  # a statement made meanwhile by another run raises IntegrityError: that run's commit wins
    return made


def find_statement(session: Session, token: str, now: dt.datetime) -> ClientStatement:
    """The statement behind `token` (StatementNotFound: malformed or unknown; StatementExpired: too old)."""
    if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
        raise StatementNotFound(token)
    found = session.scalar(select(ClientStatement).where(ClientStatement.share_token == token))
    if found is None:
        raise StatementNotFound(token)
    if found.expires_at <= now:
        raise StatementExpired(token)
    return found


def statement_link(session: Session, client_id: int, now: dt.datetime, settings: Settings) -> str | None:
    """The link to client `client_id`'s latest monthly statement (made now if the job only announced it), or
    None when they have no investments on record."""
    client = session.get(Client, client_id)
    if client is None:
        return None
    month, last = covered_month(now.date())
    made = ensure_statement(session, client, month, last, now, settings.statement_ttl_days)
    return public_url(statement_path(made.share_token)) if made is not None else None


def set_statements(session: Session, client_id: int, wanted: bool) -> bool:
    """The client's own choice: monthly statements (True) or none (False); whether it changed anything."""
    return set_statements_wanted(session, client_id, wanted)


# --- the job -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Recipient:
    client_id: int
    external_userid: str
    advisor_userid: str


def _recipients(session: Session) -> list[_Recipient]:
    """Clients with investments (insurance alone makes no statement), a WeCom id and an advisor, who did not opt
    out."""
    rows = session.execute(
        select(Client.id, Client.wecom_external_userid, Staff.wecom_userid)
        .join(Staff, Client.advisor_id == Staff.id)
        .where(Client.wecom_external_userid.is_not(None),
               Client.id.in_(select(Holding.client_id).join(Product, Holding.product_id == Product.id)
                             .where(Product.category.not_in(INSURANCE_CATEGORIES))))
        .order_by(Staff.id, Client.id)).all()
    off = statements_opted_out(session)
    return [_Recipient(cid, str(ext), str(adv)) for cid, ext, adv in rows if cid not in off]


def send_statements(now: dt.datetime, settings: Settings, url: str | None = None) -> JobReport:
    """Announce last month's statement to every client it is due for at `now` (China time), once each."""
    month, last = covered_month(now.date())
    report = JobReport(JOB, month)
    if not settings.statement_enabled or not is_due(now, settings):
        return report
    rules = routes.Rules.from_settings(settings)
    in_window: list[_Recipient] = []
    by_advisor: dict[str, list[_Recipient]] = {}
    with session_scope(url) as session:
        everyone = _recipients(session)
        done = done_for(session, JOB, month)
        for who in everyone:
            if who.external_userid in done or who.advisor_userid in done:
                report.already_done.append(who.external_userid)
                continue
            facts = routes.gather(session, who.external_userid, now, rules)
            if facts.last_message_at is not None and facts.kf_sent_since < rules.kf_per_message:
                in_window.append(who)
            elif facts.mass_sent_this_month < routes.mass_allowance(rules.mass_per_month, 1):
                by_advisor.setdefault(who.advisor_userid, []).append(who)
            else:
                log.info("statement for %s: mass-send budget used up", mask_id(who.external_userid))
    for who in in_window:
        if _send_own_link(who, month, last, now, settings, url):
            report.sent.append(who.external_userid)
    for advisor, clients in by_advisor.items():
        if _send_mass(advisor, clients, month, now, url):
            report.sent.append(advisor)
    return report


def _send_own_link(who: _Recipient, month: str, last: dt.date, now: dt.datetime, settings: Settings,
                   url: str | None) -> bool:
    """The client's own link, through the outbox (which picks 微信客服); False when done before or empty."""
    try:
        with session_scope(url) as session:
            client = session.get(Client, who.client_id)
            made = ensure_statement(session, client, month, last, now, settings.statement_ttl_days) if client else None
            if made is None:
                return False
            run = record_run(session, JOB, who.external_userid, month, now=now)
            link = public_url(statement_path(made.share_token))
            text = f"您的{month_name(month)}财富账单已生成，点击查看：{link}"
            note = add_notification(session, who.external_userid, text, kind=JOB, priority=1, now=now,
                                    card={"title": made.payload.get("title", "财富账单"), "url": link})
            run.notification_id = note.id
    except IntegrityError:
        log.info("statement for %s in %s: already sent", mask_id(who.external_userid), month)
        return False
    return True


def _send_mass(advisor: str, clients: list[_Recipient], month: str, now: dt.datetime, url: str | None) -> bool:
    """One mass-send task in the advisor's name for all these clients, the same text for each."""
    text = mass_text(month)
    body = {**routes.mass_body(advisor, clients[0].external_userid, text, []),
            "external_userid": [c.external_userid for c in clients]}
    try:
        with session_scope(url) as session:
            note = add_notification(session, advisor, text, kind=MASS_KIND, priority=1, path=routes.MASS_SEND,
                                    payload=body, now=now)
            record_run(session, JOB, advisor, month, note.id, now=now)
            for who in clients:
                record_run(session, JOB, who.external_userid, month, note.id, now=now)
    except IntegrityError:
        log.info("statement mass send of %s in %s: already made", mask_id(advisor), month)
        return False
    return True
