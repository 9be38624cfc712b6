"""services.learning: topics from text, weak spots from the advisor's questions and contact notes, material search."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.contacts import record_contact
from bank.directory import Identity
from bank.models import Client, Contact
from bank.usage import record_usage
from services.learning import MATERIAL_TYPES, learning_material, rank_topics, topic_of, weak_topic
from tests.demo_staff import TODAY


@pytest.fixture
def session(scratch_session: Session) -> Session:
    """The bank these tests read (see tests/demo_staff.py)."""
    return scratch_session


class TestTopics:
    @pytest.mark.parametrize(("text", "topic"), [
        ("客户问重疾险怎么选", "保险"), ("个人养老金账户怎么开", "养老"), ("基金定投要注意什么", "基金"),
        ("大额存单利率多少", "存款与利率"), ("客户亏损了很生气，怎么安抚", "客户沟通")])
    def test_topic_of(self, text: str, topic: str) -> None:
        assert topic_of(text) == topic

    def test_nothing_recognised(self) -> None:
        assert topic_of("今天天气怎么样") is None

    def test_rank_counts_texts_not_words(self) -> None:
        assert rank_topics(["保险保险保险", "养老", "养老金", "退休"]) == [("养老", 3), ("保险", 1)]


class TestWeakTopic:
    def test_questions_and_contact_notes_decide(self, session: Session, zhangmin: Identity) -> None:
        since = dt.datetime.combine(TODAY - dt.timedelta(days=30), dt.time())
        session.query(Contact).filter(Contact.advisor_id == zhangmin.staff_id, Contact.happened_at >= since).delete()
        client_id = session.scalar(select(Client.id).where(Client.advisor_id == zhangmin.staff_id))
        assert client_id is not None
        assert weak_topic(session, zhangmin.wecom_id, zhangmin.staff_id, TODAY) is None
        for question in ("重疾险和医疗险的区别", "增额终身寿是什么", "黄金还能买吗"):
            record_usage(session, zhangmin.wecom_id, "advisor", "knowledge_qa", detail={"question": question},
                         at=dt.datetime.combine(TODAY, dt.time(9)))
        record_contact(session, zhangmin, client_id, "phone", "客户想了解黄金", None, dt.datetime.combine(TODAY, dt.time(10)))
        assert weak_topic(session, zhangmin.wecom_id, zhangmin.staff_id, TODAY) == "保险"

    def test_old_signals_are_ignored(self, session: Session, liqiang: Identity) -> None:
        session.query(Contact).filter(Contact.advisor_id == liqiang.staff_id).delete()
        old = dt.datetime.combine(TODAY - dt.timedelta(days=45), dt.time(9))
        record_usage(session, liqiang.wecom_id, "advisor", "knowledge_qa", detail={"question": "年金险"}, at=old)
        assert weak_topic(session, liqiang.wecom_id, liqiang.staff_id, TODAY) is None


class TestMaterial:
    def test_training_or_experience_only_on_the_topic(self, knowledge_dir: Path) -> None:
        items = learning_material("保险", k=3, index_dir=knowledge_dir)
        assert 1 <= len(items) <= 3
        assert all(m.type in MATERIAL_TYPES for m in items)
        assert any(word in items[0].title for word in ("保", "险"))
