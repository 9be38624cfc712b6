"""学习资料 in chat: training material for the topic the advisor names, or for their recent weak spots."""

from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.forms import latest_text
from actions.staff import StaffAction
from actions.usage import record_usage
from bank.directory import Identity
from calc import clock
from services.learning import Material, learning_material, topic_in, weak_topic

log = logging.getLogger(__name__)
DEFAULT_TOPIC = "资产配置"
TYPE_NAMES = {"training": "培训", "experience": "经验分享"}


def material_lines(items: list[Material]) -> list[str]:
    """One line per document: its title, kind and the first words."""
    return [f"{n}. 《{m.title}》（{TYPE_NAMES.get(m.type, m.type)}）{m.excerpt[:40]}…"
            for n, m in enumerate(items, start=1)]


class ActionLearning(StaffAction):
    """Pick the topic (named, else from the advisor's recent questions and contacts, else a default) and list
    training material for it."""

    feature = "learning"

    def name(self) -> str:
        return "action_adv_learning"

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        text = latest_text(tracker)
        topic = topic_in(text)
        source = "named"
        if topic is None:
            try:
                with self.session() as session:
                    topic = weak_topic(session, viewer.wecom_id, viewer.staff_id, clock.today())
            except SQLAlchemyError as error:
                log.warning("weak topic unavailable: %s", type(error).__name__)
            source = "weak_spot" if topic else "default"
        topic = topic or DEFAULT_TOPIC
        try:
            items = learning_material(topic)
        except Exception as error:
            log.error("learning material failed: %s", type(error).__name__)
            items = []
        record_usage(tracker, "learning", topic=topic, source=source, count=len(items))
        if not items:
            dispatcher.utter_message(response="utter_adv_learning_none", topic=topic)
            return []
        intro = {"named": f"“{topic}”相关的学习资料：",
                 "weak_spot": f"您最近的提问和客户沟通多涉及“{topic}”，推荐这些资料：",
                 "default": f"先推荐“{topic}”方面的资料（也可以说“学习保险”指定主题）："}[source]
        dispatcher.utter_message(text="\n".join([intro, *material_lines(items)]))
        return []
