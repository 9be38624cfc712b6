"""售后检视 in chat: "上个月推的稳健组合表现怎么样" — the pushes the advisor (a manager: the team) made in the period,
each followed to today against its benchmark and what the clients held before (services/push_reviews.py)."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import latest_text
from actions.staff import StaffAction
from actions.usage import record_usage
from bank.directory import Identity
from calc import clock
from services.links import public_url
from services.push_reviews import review_line, reviews_asked
from services.pushes import push_path


class ActionPushReview(StaffAction):
    """The after-sale review of the pushes a question names, in short lines, with a link to the first one."""

    feature = "after_sale_review"

    def name(self) -> str:
        return "action_push_review"

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        with self.session() as session:
            found = reviews_asked(session, viewer, latest_text(tracker), clock.today())
        what = found.portfolio or "组合和产品"
        if not found.reviews:
            dispatcher.utter_message(response="utter_push_review_none", period=found.period.label_zh, portfolio=what)
            return []
        record_usage(tracker, self.feature, portfolio=found.portfolio, batches=len(found.reviews))
        team = viewer.role == "manager"
        lines = [f"{found.period.label_zh}{'团队' if team else '您'}推送的{what}，至今表现：",
                 *(review_line(review, with_advisor=team) for _, review in found.reviews)]
        if found.more:
            lines.append(f"另有{found.more}次更早的推送未列出。")
        lines.append("过往表现不代表未来，仅供售后检视参考。")
        dispatcher.utter_message(text="\n".join(lines))
        task_id, first = found.reviews[0]
        dispatcher.utter_message(json_message={
            "type": "card", "title": f"{first.portfolio_name}效果回检", "description": "逐位客户的收益、回撤与基准对比",
            "url": public_url(push_path(task_id)), "button_text": "查看效果回检"})
        return []
