"""The advisor's morning briefing: what to do today, section by section, each line with the one action to take.

Sections: maturities in the next days with a suitable reinvestment, pushes the client has not answered, contact
next steps that are due, clients in loss (services/rules.py) with a calming point, risk assessments expired or
expiring, allocations drifted from the last check-up's target, birthdays, and mass sends waiting for the
advisor's confirmation (each client's, and each monthly statement's one task for all clients). `build_briefings` reads every given advisor's clients in a fixed number of statements
(no query per advisor or client), so the scheduler's run and a chat request ("今天有什么要做的") share it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from bank.clients import phone_tail
from bank.models import (
    Client,
    Contact,
    Holding,
    JobRun,
    ModelPortfolio,
    Notification,
    PortfolioPush,
    Product,
    Staff,
)
from calc.money import fmt_pct, fmt_wan
from calc.risk import RISK_VALID_DAYS, assessment_expired
from services.maturities import pick_reinvestment
from services.rules import CALMING_POINT, clients_in_loss, clients_of, drifted_clients
from services.settings import Settings
from wecom.messages import MARKDOWN_MAX_BYTES

WEEKDAYS = "一二三四五六日"
NEXT_STEP_MAX_AGE_DAYS = 30
TITLES = {"maturities": "到期", "pushes": "推送待确认", "next_steps": "约定跟进", "losses": "持仓浮亏",
          "risk": "风险测评", "drift": "配置偏离", "birthdays": "生日", "mass": "群发待确认",
          "statements": "账单群发待确认"}
CLIENT_KINDS = tuple(k for k in TITLES if k not in ("mass", "statements"))
STATEMENT_TASK = ("statement", "statement_mass")  # services/statements.py: its job name and its tasks' kind


@dataclass(frozen=True)
class Line:
    """One thing to do: about a client (None for the mass-send count), what it is and the action to take."""

    client_id: int | None
    text: str
    action: str


@dataclass
class Section:
    key: str
    lines: list[Line] = field(default_factory=list)

    @property
    def title(self) -> str:
        return TITLES[self.key]


@dataclass
class Briefing:
    """One advisor's briefing for `day`: the sections that have lines, in the order of TITLES."""

    advisor_id: int
    advisor_userid: str
    advisor_name: str
    day: dt.date
    sections: dict[str, Section] = field(default_factory=dict)

    def add(self, key: str, line: Line) -> None:
        self.sections.setdefault(key, Section(key)).lines.append(line)

    @property
    def ordered(self) -> list[Section]:
        return [self.sections[k] for k in TITLES if k in self.sections and self.sections[k].lines]

    @property
    def empty(self) -> bool:
        return not self.ordered


def next_birthday(birth: dt.date, today: dt.date) -> dt.date:
    """The next birthday on or after `today` (29 February is kept on 28 February in other years).

    >>> next_birthday(dt.date(1980, 12, 3), dt.date(2026, 12, 1)), next_birthday(dt.date(1980, 1, 2), dt.date(2026, 12, 1))
    (datetime.date(2026, 12, 3), datetime.date(2027, 1, 2))
    >>> next_birthday(dt.date(1996, 2, 29), dt.date(2027, 2, 1))
    datetime.date(2027, 2, 28)
    """
    def on(year: int) -> dt.date:
        try:
            return birth.replace(year=year)
        except ValueError:
            return dt.date(year, 2, 28)
    day = on(today.year)
    return day if day >= today else on(today.year + 1)


def _who(name: str, phone: str | None) -> str:
    return f"{name}（{phone_tail(phone)}）"


def _maturities(session: Session, out: dict[int, Briefing], today: dt.date, settings: Settings) -> None:
    end = today + dt.timedelta(days=settings.briefing_maturity_days)
    rows = session.execute(
        select(Holding.maturity_date, Holding.market_value, Client, Product)
        .join(Client, Holding.client_id == Client.id).join(Product, Holding.product_id == Product.id)
        .where(Client.advisor_id.in_(out), Holding.maturity_date >= today, Holding.maturity_date <= end)
        .order_by(Holding.market_value.desc(), Holding.id)).all()
    candidates = session.scalars(select(Product).where(Product.on_sale.is_(True))).all() if rows else []
    for day, value, client, product in rows:
        level = None if assessment_expired(client.risk_assessed_on, today) else client.risk_level
        pick = pick_reinvestment(candidates, level, product)
        action = f"沟通续作{pick.name}（{pick.risk_level}）" if pick else "先邀请完成风险测评，再谈续作"
        out[client.advisor_id].add("maturities", Line(
            client.id, f"{_who(client.name, client.phone)}{product.name}{fmt_wan(float(value))}，{day:%m-%d}到期",
            action))


def _clients(session: Session, out: dict[int, Briefing], today: dt.date, settings: Settings) -> None:
    """Birthdays and risk assessments, from one read of the advisors' clients."""
    rows = session.execute(select(Client.id, Client.name, Client.phone, Client.advisor_id, Client.birth_date,
                                  Client.risk_level, Client.risk_assessed_on)
                           .where(Client.advisor_id.in_(out))).all()
    birthdays, risks = [], []
    horizon = today + dt.timedelta(days=settings.briefing_risk_days)
    for row in rows:
        birthday = next_birthday(row.birth_date, today)
        if (birthday - today).days <= settings.briefing_birthday_days:
            birthdays.append((birthday, row))
        if row.risk_assessed_on is not None:
            until = row.risk_assessed_on + dt.timedelta(days=RISK_VALID_DAYS)
            if until <= horizon:
                risks.append((until, row))
    for birthday, row in sorted(birthdays, key=lambda t: (t[0], t[1].id)):
        when = "今天" if birthday == today else f"{birthday:%m-%d}"
        out[row.advisor_id].add("birthdays", Line(row.id, f"{_who(row.name, row.phone)}{when}生日",
                                                  "送上生日祝福"))
    for until, row in sorted(risks, key=lambda t: (t[0], t[1].id)):
        state = "已过期" if until < today else f"{until:%m-%d}到期"
        out[row.advisor_id].add("risk", Line(row.id, f"{_who(row.name, row.phone)}{row.risk_level}测评{state}",
                                             "邀请重新测评"))


def _next_steps(session: Session, out: dict[int, Briefing], today: dt.date) -> None:
    later = aliased(Contact)
    rows = session.execute(
        select(Contact.next_step_on, Contact.next_step, Client)
        .join(Client, Contact.client_id == Client.id)
        .where(Client.advisor_id.in_(out), Contact.next_step_on <= today,
               Contact.next_step_on >= today - dt.timedelta(days=NEXT_STEP_MAX_AGE_DAYS),
               ~exists(select(later.id).where(later.client_id == Contact.client_id,
                                              later.happened_at > Contact.happened_at)))
        .order_by(Contact.next_step_on, Contact.id)).all()
    for due, step, client in rows:
        when = "今天" if due == today else f"{due:%m-%d}起"
        out[client.advisor_id].add("next_steps", Line(client.id, f"{_who(client.name, client.phone)}{when}到期",
                                                      step or "按约定跟进"))


def _pushes(session: Session, out: dict[int, Briefing], now: dt.datetime, settings: Settings) -> None:
    rows = session.execute(
        select(PortfolioPush.created_at, ModelPortfolio.name, Client)
        .join(Client, PortfolioPush.client_id == Client.id)
        .join(ModelPortfolio, PortfolioPush.portfolio_id == ModelPortfolio.id)
        .where(PortfolioPush.advisor_id.in_(out), PortfolioPush.status == "pending",
               PortfolioPush.created_at <= now - dt.timedelta(days=settings.briefing_push_wait_days),
               PortfolioPush.expires_at > now)
        .order_by(PortfolioPush.created_at, PortfolioPush.id)).all()
    for created, portfolio, client in rows:
        out[client.advisor_id].add("pushes", Line(
            client.id, f"{_who(client.name, client.phone)}{portfolio}，{created:%m-%d}推送未回复", "电话提醒客户确认"))


def _rules(session: Session, out: dict[int, Briefing], today: dt.date, settings: Settings) -> None:
    scope = clients_of(list(out))
    losses = clients_in_loss(session, scope, today, settings.rule_loss_threshold)
    drifts = drifted_clients(session, scope, settings.rule_drift_threshold)
    if not losses and not drifts:
        return
    clients = {c.id: c for c in session.scalars(select(Client).where(Client.id.in_([*losses, *drifts])))}
    for loss in sorted(losses.values(), key=lambda x: (x.worst, x.client_id)):
        client = clients[loss.client_id]
        span = "近30天" if loss.over_30_days is not None and loss.over_30_days == loss.worst else "买入以来"
        out[client.advisor_id].add("losses", Line(
            client.id, f"{_who(client.name, client.phone)}{loss.product_name}{span}{fmt_pct(loss.worst, 1)}",
            CALMING_POINT))
    for drift in sorted(drifts.values(), key=lambda x: (-x.distance, x.client_id)):
        client = clients[drift.client_id]
        out[client.advisor_id].add("drift", Line(
            client.id, f"{_who(client.name, client.phone)}偏离{drift.checkup_on:%m-%d}体检目标{fmt_pct(drift.distance, 0)}",
            "约一次体检复盘，调整配置"))


def _mass_pending(session: Session, out: dict[int, Briefing]) -> None:
    rows = session.execute(
        select(Client.advisor_id, func.count())
        .select_from(Notification).join(Client, Client.wecom_external_userid == Notification.recipient)
        .where(Client.advisor_id.in_(out), Notification.state == "awaiting_advisor")
        .group_by(Client.advisor_id)).all()
    for advisor_id, count in rows:
        out[advisor_id].add("mass", Line(None, f"{count}条客户消息等您确认群发", "在企业微信「客户联系-群发助手」确认"))


def _statement_tasks(session: Session, out: dict[int, Briefing], now: dt.datetime, settings: Settings) -> None:
    """Each advisor's monthly-statement mass send not yet known to be confirmed (within WeCom's confirm days)."""
    advisors = {b.advisor_userid: sid for sid, b in out.items()}
    rows = session.execute(
        select(JobRun.recipient, JobRun.period, Notification.payload)
        .join(Notification, Notification.id == JobRun.notification_id)
        .where(JobRun.job == STATEMENT_TASK[0], JobRun.recipient.in_(list(advisors)),
               Notification.kind == STATEMENT_TASK[1], Notification.state.in_(("pending", "awaiting_advisor")),
               Notification.created_at >= now - dt.timedelta(days=settings.outbox_mass_confirm_days))
        .order_by(JobRun.id)).all()
    for userid, month, payload in rows:
        count = len((payload or {}).get("external_userid") or [])
        out[advisors[userid]].add("statements", Line(None, f"{int(month[5:])}月财富账单通知（{count}位客户）待确认群发",
                                                     "在企业微信「客户联系-群发助手」确认发送"))


def build_briefings(session: Session, advisor_ids: Sequence[int], now: dt.datetime,
                    settings: Settings) -> dict[int, Briefing]:
    """The briefings of these advisors at `now`, every section complete and ranked (most urgent first)."""
    staff = session.execute(select(Staff.id, Staff.wecom_userid, Staff.name)
                            .where(Staff.id.in_(list(advisor_ids)))).all()
    out = {sid: Briefing(sid, userid, name, now.date()) for sid, userid, name in staff}
    if not out:
        return out
    today = now.date()
    _maturities(session, out, today, settings)
    _pushes(session, out, now, settings)
    _next_steps(session, out, today)
    _rules(session, out, today, settings)
    _clients(session, out, today, settings)
    _mass_pending(session, out)
    _statement_tasks(session, out, now, settings)
    return out


def briefing_for(session: Session, staff_id: int, now: dt.datetime, settings: Settings) -> Briefing:
    """One advisor's briefing (LookupError for an unknown staff id)."""
    found = build_briefings(session, [staff_id], now, settings).get(staff_id)
    if found is None:
        raise LookupError(f"staff {staff_id} does not exist")
    return found


# --- what is said --------------------------------------------------------------------------------------------
def briefing_lines(briefing: Briefing, limit: int, url: str, bold: bool = False) -> list[str]:
    """The briefing as lines: a heading, each section's count and its first `limit` lines, the page's link."""
    mark = "**" if bold else ""
    day = briefing.day
    lines = [f"{mark}{briefing.advisor_name}，今天（{day:%m月%d日} 周{WEEKDAYS[day.weekday()]}）要做的事{mark}"]
    if briefing.empty:
        lines.append("今天没有需要跟进的事项，祝您工作顺利。")
    for section in briefing.ordered:
        lines.append(f"{mark}{section.title}（{len(section.lines)}）{mark}")
        lines += [f"· {line.text} → {line.action}" for line in section.lines[:limit]]
        if len(section.lines) > limit:
            lines.append(f"· ……另有{len(section.lines) - limit}项")
    lines.append(f"完整清单：[打开]({url})" if bold else f"完整清单：{url}")
    return lines


def fitted_limit(briefing: Briefing, limit: int, url: str, max_bytes: int = MARKDOWN_MAX_BYTES) -> int:
    """The most lines per section (≤ `limit`, ≥ 1) with which the markdown briefing fits in `max_bytes`."""
    while limit > 1 and len("\n".join(briefing_lines(briefing, limit, url, bold=True)).encode()) > max_bytes:
        limit -= 1
    return limit


def briefing_markdown(briefing: Briefing, limit: int, url: str) -> str:
    """The WeCom markdown message (≤ 2,048 bytes): as many lines per section as fit."""
    return "\n".join(briefing_lines(briefing, fitted_limit(briefing, limit, url), url, bold=True))


def briefing_text(briefing: Briefing, limit: int, url: str) -> list[str]:
    """The same briefing as plain lines for chat: exactly the lines of the markdown message, without marks."""
    return briefing_lines(briefing, fitted_limit(briefing, limit, url), url)


def reminded(briefing: Briefing) -> list[tuple[int, str]]:
    """(client id, section) of every client line, once each: what the advisor was reminded of."""
    seen = {(line.client_id, s.key) for s in briefing.ordered for line in s.lines if line.client_id is not None}
    return sorted(seen)  # type: ignore[arg-type]

