"""到期月历 in chat: maturities of the sender's clients in a period, grouped by date, with a reinvestment that fits."""

from __future__ import annotations

import datetime as dt

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.advisor.common import split_messages
from actions.forms import latest_text
from actions.staff import StaffAction
from actions.usage import record_usage
from bank.directory import Identity
from calc import clock
from calc.money import fmt_yuan
from lexicon.periods import Period, PeriodParseError, parse_period
from services.maturities import MaturityDay, MaturityItem, maturities

DEFAULT_DAYS = 30
MAX_ITEMS = 15
WEEKDAYS = "一二三四五六日"


def period_of(text: str, day: dt.date) -> Period:
    """The period a message names; without one, the next 30 days."""
    try:
        return parse_period(text, day)
    except PeriodParseError:
        return parse_period(f"未来{DEFAULT_DAYS}天", day)


def item_line(item: MaturityItem) -> str:
    """One maturity: client (phone tail), product, amount and the suggested reinvestment."""
    line = f"· {item.client_name}（{item.phone_tail}）{item.product_name} {fmt_yuan(float(item.amount))}"
    if item.suggestion is not None:
        return line + f"\n  建议续作：{item.suggestion.name}（{item.suggestion.risk_level}）"
    if item.client_risk_level is None:
        return line + "\n  未做风险测评，先邀请测评"
    return line + "\n  风险测评已过期或无匹配产品，先重新测评"


def calendar_lines(days: list[MaturityDay], limit: int = MAX_ITEMS) -> list[str]:
    """Dates with their total, then their items; cut after `limit` items with a count of the rest."""
    lines: list[str] = []
    shown = 0
    total_items = sum(len(d.items) for d in days)
    for day in days:
        if shown >= limit:
            break
        lines.append(f"【{day.date:%m月%d日} 周{WEEKDAYS[day.date.weekday()]}】{len(day.items)}笔，{fmt_yuan(float(day.total))}")
        for item in day.items[:limit - shown]:
            lines.append(item_line(item))
            shown += 1
    if total_items > shown:
        lines.append(f"……另有{total_items - shown}笔未列出，可以缩小时间范围再查（如“下周”）。")
    return lines


class ActionMaturityCalendar(StaffAction):
    """Maturities of the sender's (or the manager's team's) clients in the period the message names."""

    feature = "maturity_reminder"

    def name(self) -> str:
        return "action_adv_maturity_calendar"

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        day = clock.today()
        period = period_of(latest_text(tracker), day)
        with self.session() as session:
            days = maturities(session, viewer, period.start, period.end, today=day)
        record_usage(tracker, "maturity_reminder", period=period.label_zh, count=sum(len(d.items) for d in days))
        if not days:
            dispatcher.utter_message(response="utter_adv_no_maturities", period=period.label_zh,
                                     start=f"{period.start:%m月%d日}", end=f"{period.end:%m月%d日}")
            return []
        count = sum(len(d.items) for d in days)
        total = sum((d.total for d in days), start=days[0].total * 0)
        head = (f"{period.label_zh}（{period.start:%m月%d日}–{period.end:%m月%d日}）共{count}笔到期，"
                f"合计{fmt_yuan(float(total))}，建议续作均在客户风险等级以内：")
        for message in split_messages([head, *calendar_lines(days)], per_message=14)[:3]:
            dispatcher.utter_message(text=message)
        return []
