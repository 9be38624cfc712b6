"""我的看板 in chat: the advisor's own figures (services.dashboard.advisor_dashboard); a manager gets the team's."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.forms import latest_text
from actions.staff import StaffAction
from actions.usage import record_usage
from bank.contacts import FOLLOW_UP_DAYS, contact_outcomes
from bank.directory import Identity
from calc import clock
from calc.money import fmt_yuan
from lexicon.periods import period_so_far
from services.dashboard import PeriodError, advisor_dashboard

TEAM_ACTION = "action_team_dashboard"


def dashboard_lines(d: dict[str, Any], converted: int, contacts: int) -> list[str]:
    """The figures of `advisor_dashboard` as short lines."""
    week = d["contacts_this_week"]
    kinds = "、".join(f"{k['name']}{k['count']}" for k in week["by_kind"])
    ahead = d["maturities_ahead"]
    return [
        f"{d['advisor']['name']}的看板（{d['period']['start']}至{d['period']['end']}）：",
        f"· 客户{d['clients']}位，管理资产{fmt_yuan(float(d['assets_under_management']))}",
        f"· 建议书{d['proposals']}份；组合推送{d['pushes']['total']}次，已确认{d['pushes']['confirmed']}次",
        f"· 一键下单{d['orders']['total']}笔，{fmt_yuan(float(d['orders']['amount']))}；"
        f"销售{fmt_yuan(float(d['sales_amount']))}",
        f"· 近7天联系{week['total']}次（{kinds}）",
        f"· 本期联系{contacts}次，其中{converted}次在{FOLLOW_UP_DAYS}天内促成购买",
        f"· 未来{ahead['days']}天到期{ahead['count']}笔，{fmt_yuan(float(ahead['amount']))}",
    ]


class ActionMyDashboard(StaffAction):
    """The sender's own dashboard for this month; managers are handed to the team dashboard."""

    feature = "dashboard"
    unavailable_errors = (SQLAlchemyError, LookupError, PeriodError)

    def name(self) -> str:
        return "action_adv_my_dashboard"

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        if viewer.staff_id is None:
            return self.refused(tracker, directory_down=False)
        if viewer.role == "manager":
            return [FollowupAction(TEAM_ACTION)]
        period = period_so_far(latest_text(tracker), clock.today())
        with self.session() as session:
            figures = advisor_dashboard(session, viewer.staff_id, period.start, period.end)
            outcomes = contact_outcomes(session, viewer, start=period.start, end=period.end)
        record_usage(tracker, "dashboard", scope="advisor")
        converted = sum(1 for o in outcomes if o.purchases)
        dispatcher.utter_message(text="\n".join(dashboard_lines(figures, converted, len(outcomes))))
        return []

