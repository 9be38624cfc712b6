"""Learning material for advisors: training and experience documents from knowledge/ for a topic, or for the
topic the advisor's recent work points at (weak spots).

Signals for "weak spots", newest 30 days: the advisor's own knowledge questions (usage events of feature
knowledge_qa whose detail carries the question) and the notes of their client contacts (what clients asked
about). Each signal is matched against topic keywords; the most frequent topic wins.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.models import Contact, UsageEvent

LOOKBACK_DAYS = 30
MATERIAL_TYPES = ("training", "experience")
TOPICS: dict[str, tuple[str, ...]] = {
    "保险": ("保险", "重疾", "寿险", "年金", "医疗险", "意外险", "保障", "保单", "增额终身寿"),
    "养老": ("养老", "退休", "养老金", "社保"),
    "基金": ("基金", "定投", "债基", "指数", "ETF", "净值波动"),
    "理财产品": ("理财", "业绩比较基准", "净值型", "到期", "续作"),
    "资产配置": ("配置", "三笔钱", "标准普尔", "分散", "再平衡"),
    "存款与利率": ("存款", "大额存单", "利率", "LPR", "国债"),
    "黄金": ("黄金", "金价"),
    "合规与适当性": ("适当性", "风险测评", "合规", "双录", "反洗钱", "诈骗"),
    "客户沟通": ("沟通", "异议", "投诉", "亏损", "安抚", "沙龙", "邀约"),
}
QUESTION_KEYS = ("question", "query", "text")


@dataclass(frozen=True)
class Material:
    """One document to study: title, type, a short excerpt and where it came from."""

    title: str
    type: str
    excerpt: str
    source: str


def topic_of(text: str) -> str | None:
    """The topic whose keywords occur most in `text` (ties: the earlier topic), or None.

    >>> topic_of("客户问重疾险和医疗险的区别"), topic_of("养老金账户怎么开"), topic_of("今天天气不错") is None
    ('保险', '养老', True)
    """
    counts = {topic: sum(text.count(word) for word in words) for topic, words in TOPICS.items()}
    best = max(counts.items(), key=lambda item: item[1])
    return best[0] if best[1] > 0 else None


def rank_topics(texts: Iterable[str]) -> list[tuple[str, int]]:
    """Topics by how many texts mention them, most first.

    >>> rank_topics(["重疾险怎么选", "寿险保额多少合适", "基金定投"])
    [('保险', 2), ('基金', 1)]
    """
    counts = Counter(t for t in (topic_of(text) for text in texts) if t)
    return sorted(counts.items(), key=lambda item: (-item[1], list(TOPICS).index(item[0])))


def recent_signals(session: Session, wecom_id: str, staff_id: int | None, today: dt.date,
                   days: int = LOOKBACK_DAYS) -> list[str]:
    """Texts of the advisor's recent knowledge questions and contact notes."""
    since = dt.datetime.combine(today - dt.timedelta(days=days), dt.time())
    texts: list[str] = []
    details = session.scalars(select(UsageEvent.detail).where(
        UsageEvent.actor_id == wecom_id, UsageEvent.feature == "knowledge_qa", UsageEvent.happened_at >= since))
    for detail in details:
        for key in QUESTION_KEYS:
            if isinstance(detail, dict) and isinstance(detail.get(key), str):
                texts.append(detail[key])
                break
    if staff_id is not None:
        notes = session.execute(select(Contact.note, Contact.next_step).where(
            Contact.advisor_id == staff_id, Contact.happened_at >= since))
        texts += [" ".join(filter(None, row)) for row in notes]
    return texts


def weak_topic(session: Session, wecom_id: str, staff_id: int | None, today: dt.date) -> str | None:
    """The topic the advisor's recent questions and client conversations come back to most, or None."""
    ranked = rank_topics(recent_signals(session, wecom_id, staff_id, today))
    return ranked[0][0] if ranked else None


def topic_in(text: str) -> str | None:
    """The topic named in a learning request, if any ("我想学学保险" → 保险).

    >>> topic_in("给我推荐点养老方面的学习资料"), topic_in("推荐点学习资料") is None
    ('养老', True)
    """
    return topic_of(text)


def learning_material(topic: str, k: int = 3, index_dir: str | Path | None = None,
                      query: str | None = None) -> list[Material]:
    """Up to `k` training or experience documents for `topic` (advisor audience: everything is visible)."""
    from knowledge.api import search

    words = " ".join(TOPICS.get(topic, ())[:4])
    passages = search(query or f"{topic} {words}", k=k, index_dir=index_dir,
                      filters={"type": list(MATERIAL_TYPES), "audience": "advisor"})
    return [Material(p.title, p.type, p.text.replace("\n", " ")[:60], p.source) for p in passages]
