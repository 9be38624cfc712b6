"""Clients as groups in chat (issue 18): an advisor's tags on a client ("给张伟打个标签：高潜", "去掉张伟的高潜标签"),
the clients of a tag or a segment ("我标了高潜的客户有哪些", "我的沉睡客户有哪些") and rankings ("健康分最低的十个客户").
Use cases: services/tags.py and services/segments.py; the tag and ranking words are read by lexicon/client_groups.py."""

from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.advisor.common import CLIENT_SLOT, answer_unresolved, resolve_client
from actions.forms import latest_intent, latest_text
from actions.staff import StaffAction
from actions.usage import record_usage
from bank.access import AccessDenied
from bank.directory import Identity
from bank.models import Client
from calc import clock
from lexicon.client_groups import rank_request, removes_tag, tag_for_client, tag_in_question
from services.segments import (
    Member,
    Segment,
    all_segments,
    find_segment,
    rank_clients,
    segment_overview,
    visible_segment_members,
)
from services.tags import (
    TagInputError,
    TagsReadOnly,
    add_tag,
    clients_with_tag,
    remove_tag,
    tag_counts,
    tags_of,
)

LIST_LIMIT = 10
RANK_TITLES = {"health": "健康分最低的{n}位客户", "loss": "亏得最多的{n}位客户", "drift": "配置偏离目标最大的{n}位客户"}
RANK_EMPTY = {"health": "可排名", "loss": "持仓浮亏", "drift": "配置偏离目标"}
_PUT_WORDS = re.compile(r"打|贴|加|标成|标为|标记|设为|归为|列为")
# Everyday words for a segment whose name the message does not use verbatim (the names are segments.yml's).
SEGMENT_WORDS = {"沉睡": "沉睡客户", "不活跃": "沉睡客户", "很久没联系": "沉睡客户", "好久没联系": "沉睡客户",
                 "活跃": "活跃客户", "浮亏": "持仓浮亏", "亏损": "持仓浮亏", "亏钱": "持仓浮亏", "被套": "持仓浮亏",
                 "偏离": "配置偏离", "测评过期": "测评过期", "测评到期": "测评过期", "风测过期": "测评过期",
                 "没做测评": "未做测评", "没测评": "未做测评", "未测评": "未做测评", "没做过风险测评": "未做测评",
                 "金卡": "金卡客户", "私行": "私人银行客户", "私人银行": "私人银行客户", "财富卡": "财富客户",
                 "普卡": "普通客户", "单身": "单身青年", "新婚": "新婚家庭", "育儿": "育儿家庭", "有娃": "育儿家庭",
                 "中年": "中年家庭", "退休": "退休", "养老阶段": "退休", "没动静": "沉睡客户",
                 "没联系": "沉睡客户", "过期": "测评过期", "失效": "测评过期"}


def member_lines(members: list[Member], limit: int = LIST_LIMIT) -> str:
    """One numbered line per client: name, masked phone tail and the figure (at most `limit`, then a count).

    >>> member_lines([Member(1, "张伟", "尾号1234", "健康分52")])
    '1. 张伟（尾号1234）健康分52'
    """
    lines = [f"{n}. {m.name}（{m.phone_tail}）{m.detail}".rstrip() for n, m in enumerate(members[:limit], start=1)]
    if len(members) > limit:
        lines.append(f"……另有{len(members) - limit}位")
    return "\n".join(lines)


def segment_in_text(text: str) -> Segment | None:
    """The segment a message names, by its name or an everyday word for it.

    >>> [segment_in_text(t).id for t in ("我的沉睡客户有哪些", "哪些客户测评过期了", "被套的客户")]
    ['dormant', 'risk_expired', 'in_loss']
    """
    found = find_segment(text)
    if found is not None:
        return found
    for word, name in sorted(SEGMENT_WORDS.items(), key=lambda kv: -len(kv[0])):
        if word in text:
            return find_segment(name)
    return None


def wants_removal(text: str, intent: str | None) -> bool:
    """Whether a tag message takes the tag off: its words decide, the intent only when they say neither.

    >>> wants_removal("去掉张伟的高潜标签", "tag_client"), wants_removal("给张伟打个标签：高潜", "untag_client")
    (True, False)
    """
    if removes_tag(text):
        return True
    return intent == "untag_client" and _PUT_WORDS.search(text) is None


class ActionTagClient(StaffAction):
    """Put a tag on, or take one off, one of the advisor's own clients (the client is then remembered)."""

    feature = "client_tags"

    def name(self) -> str:
        return "action_adv_tag_client"

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        if viewer.role != "advisor":
            dispatcher.utter_message(response="utter_tags_advisor_only")
            record_usage(tracker, self.feature, outcome="refused")
            return []
        text = latest_text(tracker)
        remove = wants_removal(text, latest_intent(tracker))
        with self.session() as session:
            found = resolve_client(session, viewer, tracker, clock.today())
            if found.status != "found" or found.client_id is None:
                answer_unresolved(dispatcher, tracker, found, viewer)
                record_usage(tracker, self.feature, outcome=found.status)
                return []
            name = found.name or _client_name(session, found.client_id)
            tag = tag_for_client(text, name)
            if not tag:
                dispatcher.utter_message(response="utter_tags_ask_remove" if remove else "utter_tags_ask", name=name)
                return [SlotSet(CLIENT_SLOT, found.client_id)]
            try:
                if remove:
                    changed = remove_tag(session, viewer, found.client_id, tag)
                else:
                    tag, changed = add_tag(session, viewer, found.client_id, tag, clock.now())
            except TagInputError as error:
                dispatcher.utter_message(response="utter_tags_bad", reason=error.reason_zh)
                return [SlotSet(CLIENT_SLOT, found.client_id)]
            except (AccessDenied, TagsReadOnly):
                dispatcher.utter_message(response="utter_adv_client_not_found", name=name)
                return []
            current = "、".join(tags_of(session, viewer, found.client_id)) or "无"
        key = ("utter_tags_removed" if changed else "utter_tags_not_there") if remove else \
              ("utter_tags_added" if changed else "utter_tags_already")
        dispatcher.utter_message(response=key, name=name, tag=tag, tags=current)
        record_usage(tracker, self.feature, outcome="removed" if remove else "added")
        return [SlotSet(CLIENT_SLOT, found.client_id)]


def _client_name(session: Session, client_id: int) -> str:
    client = session.get(Client, client_id)
    return str(client.name) if client is not None else ""


class ActionClientGroup(StaffAction):
    """The clients of a tag ("我标了高潜的客户有哪些") or of a segment ("我的沉睡客户有哪些") within the sender's scope
    (an advisor's own clients, a manager's team)."""

    feature = "client_groups"

    def name(self) -> str:
        return "action_adv_client_group"

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        text = latest_text(tracker)
        tag = tag_in_question(text) if "标" in text else None
        segment = None if tag else segment_in_text(text)
        with self.session() as session:
            if tag:
                tagged = clients_with_tag(session, viewer, tag)
                members = [Member(c.client_id, c.name, c.phone_tail,
                                  f"（{c.advisor_name}）" if viewer.role == "manager" else "") for c in tagged]
                if members:
                    dispatcher.utter_message(response="utter_tags_list", tag=tag, count=len(members),
                                             items=member_lines(members))
                else:
                    known = "、".join(tag_counts(session, viewer)) or "还没有"
                    dispatcher.utter_message(response="utter_tags_none", tag=tag, known=known)
                record_usage(tracker, self.feature, outcome="tag")
                return [SlotSet("adv_prospect_ids", [m.client_id for m in members])]
            if segment is None:
                if "标签" in text:
                    counts = tag_counts(session, viewer)
                    items = "、".join(f"{t}（{n}位）" for t, n in counts.items()) or "还没有打过标签"
                    dispatcher.utter_message(response="utter_tags_counts", items=items)
                elif viewer.role == "advisor" and viewer.staff_id is not None:
                    overview = segment_overview(session, viewer.staff_id, clock.today())
                    items = "、".join(f"{s.name}{len(overview[s.id])}位" for s in all_segments() if overview[s.id])
                    dispatcher.utter_message(response="utter_segments_overview", items=items or "暂无")
                else:
                    dispatcher.utter_message(response="utter_segments_ask",
                                             names="、".join(s.name for s in all_segments()))
                record_usage(tracker, self.feature, outcome="asked")
                return []
            members = visible_segment_members(session, viewer, segment.id, clock.today())
        if members:
            dispatcher.utter_message(response="utter_segments_list", segment=segment.name,
                                     description=segment.describe(), count=len(members), items=member_lines(members))
        else:
            dispatcher.utter_message(response="utter_segments_empty", segment=segment.name,
                                     description=segment.describe())
        record_usage(tracker, self.feature, outcome="segment")
        return [SlotSet("adv_prospect_ids", [m.client_id for m in members])]


class ActionRankClients(StaffAction):
    """The advisor's clients ranked by health score, loss or drift ("健康分最低的十个客户")."""

    feature = "rank_clients"

    def name(self) -> str:
        return "action_adv_rank_clients"

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        if viewer.role != "advisor" or viewer.staff_id is None:
            dispatcher.utter_message(response="utter_rank_advisor_only")
            record_usage(tracker, self.feature, outcome="refused")
            return []
        by, count = rank_request(latest_text(tracker))
        if by is None:
            dispatcher.utter_message(response="utter_rank_ask")
            return []
        with self.session() as session:
            ranked = rank_clients(session, viewer.staff_id, by, count, today=clock.today())  # type: ignore[arg-type]
        if not ranked:
            dispatcher.utter_message(response="utter_rank_empty", what=RANK_EMPTY[by])
        else:
            dispatcher.utter_message(response="utter_rank_list", title=RANK_TITLES[by].format(n=len(ranked)),
                                     items=member_lines(ranked, limit=count))
        record_usage(tracker, self.feature, outcome=by)
        return [SlotSet("adv_prospect_ids", [m.client_id for m in ranked])]
