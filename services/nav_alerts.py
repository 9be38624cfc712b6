"""Market-event alerts: when a product's NAV falls more than a set threshold in a day (or over 20 trading days),
each advisor whose clients hold it gets one WeCom alert listing those clients (masked), their exposure and a
calming script from the knowledge base; each team's manager gets the team's summary.

One alert per product per event: the job-run key is (nav_alert, recipient, "<code>:<event day>"), stored in the
same transaction as the outbox message (as services/briefing_job.py does), so another run, a catch-up or a
second scheduler sends nothing more. An event is still sent within a few days of its day (catch-up), and only
within the alert hours.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bank.clients import phone_tail
from bank.db import session_scope
from bank.job_runs import done_for, record_run
from bank.masking import mask_name
from bank.models import CATEGORY_NAMES, MARKET_CATEGORIES, Client, Holding, NavPoint, Product, Staff, Team
from bank.notifications import add_notification
from calc.money import fmt_pct, fmt_yuan
from calc.nav import nav_events
from services.briefing_job import JobReport
from services.rules import CALMING_POINT
from services.settings import Settings
from wecom.masking import mask_id
from wecom.messages import MARKDOWN_MAX_BYTES, SENTENCE_END, markdown, truncate_bytes

JOB = "nav_alert"
SCRIPT_QUERY = "客户持仓亏损 怎么沟通 安抚 回撤"
SCRIPT_MAX_CHARS = 160
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MarketEvent:
    """A product's NAV fell on `day`: by `day_change` since the NAV before, by `window_change` over the window."""

    product_id: int
    code: str
    name: str
    category: str
    day: dt.date
    nav: float
    day_change: float | None
    window_change: float | None
    day_fall: bool
    window_fall: bool

    @property
    def key(self) -> str:
        """The job-run period: the product and the event's day."""
        return f"{self.code}:{self.day.isoformat()}"


@dataclass(frozen=True)
class Exposure:
    """A client's holding of the fallen product: masked name with phone tail, value at the event's NAV."""

    client_id: int
    label: str
    value: float


def market_events(session: Session, today: dt.date, settings: Settings) -> list[MarketEvent]:
    """Falls of market products on a day within the grace period before `today` (one query for every series)."""
    window = settings.nav_alert_window_days
    start = today - dt.timedelta(days=2 * window + 30 + settings.nav_alert_grace_days)
    since = today - dt.timedelta(days=settings.nav_alert_grace_days)
    rows = session.execute(
        select(Product.id, Product.code, Product.name, Product.category, NavPoint.date, NavPoint.nav)
        .join(NavPoint, NavPoint.product_id == Product.id)
        .where(Product.category.in_(MARKET_CATEGORIES), NavPoint.date >= start, NavPoint.date <= today)
        .order_by(Product.id, NavPoint.date)).tuples().all()
    series: dict[int, list[tuple[dt.date, float]]] = defaultdict(list)
    about: dict[int, tuple[str, str, str]] = {}
    for product_id, code, name, category, day, nav in rows:
        series[product_id].append((day, float(nav)))
        about[product_id] = (code, name, category)
    events = []
    for product_id, points in series.items():
        navs = dict(points)
        for e in nav_events([d for d, _ in points], [v for _, v in points], settings.nav_alert_day_drop,
                            settings.nav_alert_window_drop, window):
            if e.day >= since:
                events.append(MarketEvent(product_id, *about[product_id], e.day, navs[e.day], e.day_change,
                                          e.window_change, e.day_fall, e.window_fall))
    return sorted(events, key=lambda e: (e.day, e.code))


def exposures(session: Session, events: list[MarketEvent]) -> dict[tuple[int, int], list[Exposure]]:
    """(product, advisor) → that advisor's clients holding the product, largest exposure first."""
    nav_of = {e.product_id: e.nav for e in events}
    values: dict[tuple[int, int, int], float] = defaultdict(float)
    labels: dict[int, str] = {}
    for product_id, client_id, name, phone, advisor_id, units in session.execute(
            select(Holding.product_id, Client.id, Client.name, Client.phone, Client.advisor_id, Holding.units)
            .join(Client, Holding.client_id == Client.id)
            .where(Holding.product_id.in_(list(nav_of)), Holding.units > 0, Client.advisor_id.is_not(None))).tuples():
        values[(product_id, advisor_id, client_id)] += float(units) * nav_of[product_id]
        labels[client_id] = f"{mask_name(name)}（{phone_tail(phone)}）"
    out: dict[tuple[int, int], list[Exposure]] = defaultdict(list)
    for (product_id, advisor_id, client_id), value in values.items():
        out[(product_id, advisor_id)].append(Exposure(client_id, labels[client_id], value))
    for found in out.values():
        found.sort(key=lambda x: (-x.value, x.client_id))
    return dict(out)


def calming_script(category: str, cache: dict[str, str]) -> str:
    """A calming script for a fall in `category` from the knowledge base (advisor material), or the loss rule's
    talking point when the base has none (or is not built)."""
    if category not in cache:
        try:
            from knowledge.api import search

            passages = search(f"{SCRIPT_QUERY} {CATEGORY_NAMES.get(category, '')}", k=1, mode="bm25",
                              filters={"type": ["experience", "training"], "audience": "advisor"})
        except Exception as error:  # no index here: the rule's point keeps the alert useful
            log.warning("knowledge base unavailable for the alert script: %s", type(error).__name__)
            passages = []
        if passages:
            body = " ".join(line.strip() for line in passages[0].text.splitlines()
                            if line.strip() and not line.lstrip().startswith("#"))
            script = _sentences(body, SCRIPT_MAX_CHARS)
            cache[category] = f"{script}（摘自《{passages[0].title}》）"
        else:
            cache[category] = CALMING_POINT
    return cache[category]


def _sentences(text: str, limit: int) -> str:
    """The whole sentences of `text` that fit in `limit` characters (at least the first, cut).

    >>> _sentences("先倾听。讲事实：说明原因。不做承诺：不能说“很快就会涨回来”。", 14)
    '先倾听。讲事实：说明原因。'
    """
    kept = ""
    for sentence in SENTENCE_END.split(text):
        if len(kept) + len(sentence) > limit:
            break
        kept += sentence
    return kept or text[: limit - 1] + "…"


def _headline(event: MarketEvent, window: int) -> str:
    parts = []
    if event.day_change is not None:
        parts.append(f"单日{fmt_pct(event.day_change)}")
    if event.window_change is not None:
        parts.append(f"近{window}个交易日{fmt_pct(event.window_change)}")
    return f"{event.day:%m月%d日}净值{event.nav:.4f}，" + "，".join(parts)


def _fit(head: list[str], lines: list[str], tail: list[str], total: int) -> str:
    """Head, as many lines as fit in WeCom's markdown limit (with how many were left out), tail."""
    for shown in range(len(lines), -1, -1):
        more = [f"…另有{total - shown}位"] if total > shown else []
        content = "\n".join([*head, *lines[:shown], *more, *tail])
        if len(content.encode("utf-8")) <= MARKDOWN_MAX_BYTES:
            return content
    return truncate_bytes("\n".join(head), MARKDOWN_MAX_BYTES)


def advisor_alert(event: MarketEvent, held: list[Exposure], script: str, settings: Settings) -> str:
    """The advisor's markdown alert (≤ 2,048 bytes): the fall, the clients holding it, the script."""
    head = [f"**市场波动提醒｜{event.name}（{event.code}）**",
            f"<font color=\"warning\">{_headline(event, settings.nav_alert_window_days)}</font>",
            f"您有{len(held)}位客户持有，合计{fmt_yuan(sum(x.value for x in held))}："]
    lines = [f"> {x.label}：{fmt_yuan(x.value)}" for x in held[:settings.nav_alert_max_clients]]
    tail = [f"**安抚话术**：{script}", "建议先联系持有金额较大的客户，说明市场原因，回到资金用途，不建议恐慌赎回。"]
    return _fit(head, lines, tail, len(held))


def manager_summary(event: MarketEvent, team: list[tuple[str, list[Exposure]]], settings: Settings) -> str:
    """The manager's markdown summary of one event for their team: advisors, clients and exposure."""
    clients = sum(len(held) for _, held in team)
    total = sum(x.value for _, held in team for x in held)
    head = [f"**团队市场波动汇总｜{event.name}（{event.code}）**",
            f"<font color=\"warning\">{_headline(event, settings.nav_alert_window_days)}</font>",
            f"团队{len(team)}位理财经理的{clients}位客户持有，合计{fmt_yuan(total)}："]
    lines = [f"> {name}：{len(held)}位客户，{fmt_yuan(sum(x.value for x in held))}"
             for name, held in sorted(team, key=lambda t: -sum(x.value for x in t[1]))]
    return _fit(head, lines, ["各理财经理已收到客户名单与安抚话术，请督促及时联系。"], len(team))


def _in_hours(now: dt.datetime, hours: str) -> bool:
    """Whether `now` is within "HH:MM-HH:MM" (a span past midnight when the start is after the end).

    >>> _in_hours(dt.datetime(2026, 12, 1, 7, 59), "08:00-21:00"), _in_hours(dt.datetime(2026, 12, 1, 21, 0), "08:00-21:00")
    (False, True)
    >>> _in_hours(dt.datetime(2026, 12, 1, 1, 0), "22:00-02:00")
    True
    """
    start, end = (dt.time.fromisoformat(part) for part in hours.split("-"))
    if start <= end:
        return start <= now.time() <= end
    return now.time() >= start or now.time() <= end


def send_nav_alerts(now: dt.datetime, settings: Settings, url: str | None = None) -> JobReport:
    """Enqueue one alert per affected advisor and one summary per affected team's manager, for each market event
    not alerted yet (within the alert hours)."""
    report = JobReport(JOB, now.date().isoformat())
    if not settings.nav_alerts_enabled or not _in_hours(now, settings.nav_alert_hours):
        return report
    with session_scope(url) as session:
        events = market_events(session, now.date(), settings)
        held = exposures(session, events) if events else {}
        staff = {sid: (userid, name, team_id) for sid, userid, name, team_id in session.execute(
            select(Staff.id, Staff.wecom_userid, Staff.name, Staff.team_id)).tuples()}
        managers = dict(session.execute(
            select(Team.id, Staff.wecom_userid).join(Staff, Team.manager_id == Staff.id)).tuples().all())
        done = {e.key: done_for(session, JOB, e.key) for e in events}
    scripts: dict[str, str] = {}
    for event in events:
        teams: dict[int, list[tuple[str, list[Exposure]]]] = defaultdict(list)
        for advisor_id in sorted(a for p, a in held if p == event.product_id):
            clients = held[(event.product_id, advisor_id)]
            userid, name, team_id = staff[advisor_id]
            if team_id is not None:
                teams[team_id].append((name, clients))
            content = advisor_alert(event, clients, calming_script(event.category, scripts), settings)
            _send(userid, event, content, now, url, done[event.key], report)
        for team_id, team in sorted(teams.items()):
            if team_id in managers:
                _send(managers[team_id], event, manager_summary(event, team, settings), now, url, done[event.key],
                      report)
    return report


def _send(userid: str, event: MarketEvent, content: str, now: dt.datetime, url: str | None, done: set[str],
          report: JobReport) -> None:
    """Store the key and the message together, once; another run's key makes it a no-op."""
    sent_as = f"{userid}:{event.key}"
    if userid in done:
        report.already_done.append(sent_as)
        return
    try:
        with session_scope(url) as session:
            run = record_run(session, JOB, userid, event.key, now=now)
            note = add_notification(session, userid, content, kind=JOB, priority=1, path="message/send",
                                    payload=markdown(content), now=now)
            run.notification_id = note.id
    except IntegrityError:
        log.info("NAV alert %s for %s: already sent", event.key, mask_id(userid))
        report.already_done.append(sent_as)
        return
    report.sent.append(sent_as)
