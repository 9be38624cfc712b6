"""今天有什么要做的 in chat: the same briefing the scheduler sends (services/briefings.py); and the advisor's own
briefing settings: "每天9点提醒我", "明天不用提醒我", "以后不要再发了" (bank/preferences.py)."""

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
from bank.preferences import pause_briefing, set_briefing_time, stop_briefing
from calc import clock
from lexicon.periods import Period, PeriodParseError, parse_period
from lexicon.when import clock_time, day_named
from services.briefing_job import briefing_url
from services.briefings import briefing_for, briefing_text
from services.client_groups import briefing_among, narrowing_group
from services.settings import get_settings

STOP_WORDS = ("以后", "再也", "不要再", "别再", "关掉", "关闭", "取消", "停掉", "停止")
ALL_WORDS = ("都不用", "都不要")  # "stop" only when no day is named ("月底前都不用提醒" is a pause)


def pause_of(text: str, today: dt.date) -> Period | None:
    """The days a "不用提醒" message names: a period (明天, 下周), else a single day (后天, 周五), else None.

    >>> d = dt.date(2026, 12, 1)
    >>> pause_of("明天不用提醒我", d).start, pause_of("下周休年假", d).end, pause_of("后天休假", d).label_zh
    (datetime.date(2026, 12, 2), datetime.date(2026, 12, 13), '12月03日')
    >>> pause_of("月底前都不用提醒", d).end, pause_of("不用提醒", d) is None
    (datetime.date(2026, 12, 31), True)
    """
    day = day_named(text, today)
    if day is not None and "前" in text:
        return Period(today, day, f"{day:%m月%d日}前")
    try:
        return parse_period(text, today)
    except PeriodParseError:
        return Period(day, day, f"{day:%m月%d日}") if day else None


class ActionBriefing(StaffAction):
    """Today's briefing of the sender (advisors only: a manager's team has its own report)."""

    feature = "briefing"
    roles = frozenset({"advisor"})

    def name(self) -> str:
        return "action_adv_briefing"

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        assert viewer.staff_id is not None
        settings = get_settings()
        now = clock.now_in(settings.scheduler_timezone)
        with self.session() as session:
            briefing = briefing_for(session, viewer.staff_id, now, settings)
            group = narrowing_group(session, viewer, latest_text(tracker), now.date(), settings)
        if group is not None:  # "沉睡客户今天有什么要跟进的": only that segment's or tag's clients
            briefing = briefing_among(briefing, group.client_ids)
            dispatcher.utter_message(text=f"只看{group.label}（{len(group.client_ids)}位）的待办：")
        record_usage(tracker, "briefing", sections=len(briefing.ordered))
        lines = briefing_text(briefing, settings.briefing_max_lines, briefing_url(briefing.day))
        for message in split_messages(lines, per_message=14):
            dispatcher.utter_message(text=message)
        return []


class ActionBriefingSettings(StaffAction):
    """A time sets the briefing's time (and turns it on); stop words turn it off; a period pauses it."""

    feature = "briefing_settings"
    roles = frozenset({"advisor"})

    def name(self) -> str:
        return "action_adv_briefing_settings"

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        assert viewer.staff_id is not None
        text = latest_text(tracker)
        at = clock_time(text)
        today = clock.now_in(get_settings().scheduler_timezone).date()
        with self.session() as session:
            if at is not None:
                set_briefing_time(session, viewer.staff_id, at)
                dispatcher.utter_message(response="utter_adv_briefing_time_set", time=f"{at:%H:%M}")
                change = "time"
            elif any(word in text for word in STOP_WORDS):
                stop_briefing(session, viewer.staff_id)
                dispatcher.utter_message(response="utter_adv_briefing_stopped")
                change = "off"
            elif (period := pause_of(text, today)) is None:
                if not any(word in text for word in ALL_WORDS):
                    dispatcher.utter_message(response="utter_adv_briefing_settings_ask")
                    return []
                stop_briefing(session, viewer.staff_id)
                dispatcher.utter_message(response="utter_adv_briefing_stopped")
                change = "off"
            else:
                pause_briefing(session, viewer.staff_id, max(period.start, today), max(period.end, today))
                words = period.label_zh if period.start == period.end else \
                    f"{period.label_zh}（{period.start:%m月%d日}–{period.end:%m月%d日}）"
                dispatcher.utter_message(response="utter_adv_briefing_paused", period=words)
                change = "pause"
        record_usage(tracker, "briefing_settings", change=change)
        return []
