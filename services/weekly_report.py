"""The managers' weekly report: on the first working day of each week (Monday, or the first day after a holiday),
from its time (default 09:00, China time) within the grace period, each manager gets last week's team dashboard
figures with the change from the week before, and who acted on their briefings' reminders and who did not
(services/reminders.py), as a WeCom markdown message through the outbox with the link to the dashboard.

Idempotent by the job-run key (weekly_report, manager, ISO week reported on, e.g. 2026-W49): the key and the
outbox message are stored in one transaction, so a catch-up or a second scheduler never sends it twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bank.db import session_scope
from bank.job_runs import done_for, record_run
from bank.models import Staff
from bank.notifications import add_notification
from calc.calendar import is_working_day
from calc.money import fmt_wan
from services.briefing_job import JobReport
from services.dashboard import team_dashboard
from services.links import public_url
from services.settings import Settings
from wecom.masking import mask_id
from wecom.messages import MARKDOWN_MAX_BYTES, markdown

JOB = "weekly_report"
log = logging.getLogger(__name__)


def first_working_day_of_week(day: dt.date) -> bool:
    """Whether `day` is the first working day of its ISO week (a Monday, unless a holiday moves it on).

    >>> first_working_day_of_week(dt.date(2026, 12, 7)), first_working_day_of_week(dt.date(2026, 12, 8))
    (True, False)
    >>> first_working_day_of_week(dt.date(2026, 10, 5)), first_working_day_of_week(dt.date(2026, 10, 8))
    (False, True)
    """
    monday = day - dt.timedelta(days=day.weekday())
    return is_working_day(day) and not any(is_working_day(monday + dt.timedelta(days=i)) for i in range(day.weekday()))


def weeks_before(day: dt.date) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """Last ISO week (Monday to Sunday) before `day`'s week, and the week before that.

    >>> weeks_before(dt.date(2026, 12, 8))
    ((datetime.date(2026, 11, 30), datetime.date(2026, 12, 6)), (datetime.date(2026, 11, 23), datetime.date(2026, 11, 29)))
    """
    monday = day - dt.timedelta(days=day.weekday())
    last = (monday - dt.timedelta(days=7), monday - dt.timedelta(days=1))
    return last, (last[0] - dt.timedelta(days=7), last[0] - dt.timedelta(days=1))


def iso_week(day: dt.date) -> str:
    """The ISO week of `day`, as the job-run period.

    >>> iso_week(dt.date(2026, 11, 30)), iso_week(dt.date(2027, 1, 1))
    ('2026-W49', '2026-W53')
    """
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def dashboard_url(start: dt.date, end: dt.date) -> str:
    return public_url(f"/dashboard?start={start.isoformat()}&end={end.isoformat()}")


def _change(now: int | Decimal, before: int | Decimal, amount: bool = False) -> str:
    """How a figure moved from last week: +3 / -2 / 持平 (amounts in 万).

    >>> _change(5, 2), _change(2, 5), _change(4, 4), _change(Decimal("350000"), Decimal("150000"), amount=True)
    ('+3', '-3', '持平', '+20万')
    """
    delta = now - before
    if not delta:
        return "持平"
    shown = fmt_wan(float(delta)) if amount else str(delta)
    return shown if shown.startswith("-") else "+" + shown


def _day(day: str) -> str:
    when = dt.date.fromisoformat(day)
    return f"{when.month}月{when.day}日"


def _rate(tally: dict[str, Any]) -> str:
    return f"{tally['rate']:.1f}%" if tally["rate"] is not None else "无提醒"


def _advisor_line(row: dict[str, Any]) -> str:
    """Whether one advisor acted on last week's reminders."""
    name, reminded, acted = row["name"], row["reminded"], row["acted"]
    if not reminded:
        return f"> {name}：上周无待办提醒"
    if not acted and row["open"] == reminded:
        return f"> {name}：提醒 {reminded} 条，均仍在跟进期限内"
    if not acted:
        return f"> {name}：提醒 {reminded} 条，<font color=\"warning\">未跟进</font>"
    still = f"，{row['open']} 条仍在期限内" if row["open"] else ""
    return f"> {name}：提醒 {reminded} 条，已跟进 {acted} 条（{_rate(row)}）{still}"


def weekly_markdown(this: dict[str, Any], last: dict[str, Any], url: str,
                    max_bytes: int = MARKDOWN_MAX_BYTES) -> str:
    """The report from the team dashboard of the week (`this`) and of the week before (`last`), within
    `max_bytes`: advisors' lines that do not fit are summed up in one line, the link always stays."""
    period, conv, conv_before = this["period"], this["conversion"], last["conversion"]
    head = [
        f"**{this['team']['name']} 周报** {_day(period['start'])}至{_day(period['end'])}",
        f"> 活跃用户：**{this['active_users']}** 人（较上周{_change(this['active_users'], last['active_users'])}）",
        f"> 客户联系：**{this['contacts']['total']}** 次（较上周{_change(this['contacts']['total'], last['contacts']['total'])}）",
        f"> 建议书：**{this['proposals']['total']}** 份（较上周{_change(this['proposals']['total'], last['proposals']['total'])}）",
        f"> 组合推送：**{this['pushes']['total']}** 次，确认 {this['pushes']['confirmed']} 次"
        f"（较上周{_change(this['pushes']['total'], last['pushes']['total'])}）",
        f"> 助手下单：**{this['orders']['total']}** 笔（较上周{_change(this['orders']['total'], last['orders']['total'])}）",
        f"> 销售额：**{fmt_wan(float(this['sales_amount']), 3)}**元"
        f"（较上周{_change(Decimal(this['sales_amount']), Decimal(last['sales_amount']), amount=True)}）",
        f"> 待办跟进率：**{_rate(conv['total'])}**（上周 {_rate(conv_before['total'])}）",
        f"**待办跟进**（提醒当天起 {conv['acted_days']} 个工作日内联系、出建议书或推送）",
    ]
    advisors = [_advisor_line(row) for row in conv["by_advisor"]]
    tail = [f"[打开团队看板]({url})"]
    shown = len(advisors)
    while True:
        rest = len(advisors) - shown
        lines = head + advisors[:shown] + ([f"> 另有 {rest} 位理财经理，见看板"] if rest else []) + tail
        content = "\n".join(lines)
        if len(content.encode()) <= max_bytes or shown == 0:
            return content
        shown -= 1


def send_weekly_reports(now: dt.datetime, settings: Settings, url: str | None = None) -> JobReport:
    """Enqueue last week's report for every manager, once each, when `now` (China time) is on the first working
    day of the week, at or after the report's time and within the grace period."""
    day = now.date()
    (start, end), (before_start, before_end) = weeks_before(day)
    report = JobReport(JOB, iso_week(start))
    slot = dt.datetime.combine(day, dt.time.fromisoformat(settings.weekly_report_at))
    due = slot <= now <= slot + dt.timedelta(minutes=settings.weekly_report_grace_minutes)
    if not settings.weekly_report_enabled or not first_working_day_of_week(day) or not due:
        return report
    link = dashboard_url(start, end)
    contents: dict[str, str] = {}
    with session_scope(url) as session:
        managers = session.execute(select(Staff.id, Staff.wecom_userid).where(Staff.role == "manager")
                                   .order_by(Staff.id)).tuples().all()
        done = done_for(session, JOB, report.period, [userid for _, userid in managers])
        report.already_done = sorted(done)
        for staff_id, userid in managers:
            if userid in done:
                continue
            figures = [team_dashboard(session, staff_id, first, last, settings.reminder_acted_days, today=day)
                       for first, last in ((start, end), (before_start, before_end))]
            contents[userid] = weekly_markdown(*figures, link)
    for userid, content in contents.items():
        if _send_one(userid, content, report.period, now, url):
            report.sent.append(userid)
        else:
            report.already_done.append(userid)
    return report


def _send_one(userid: str, content: str, period: str, now: dt.datetime, url: str | None) -> bool:
    """Store the key and the message together; False when another run got there first."""
    try:
        with session_scope(url) as session:
            run = record_run(session, JOB, userid, period, now=now)
            note = add_notification(session, userid, content, kind=JOB, priority=1, path="message/send",
                                    payload=markdown(content), now=now)
            run.notification_id = note.id
    except IntegrityError:
        log.info("weekly report for %s, %s: already sent", mask_id(userid), period)
        return False
    return True
