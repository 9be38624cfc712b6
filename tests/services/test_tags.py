"""Advisor tags (services/tags.py): normalised, unique per client and advisor, and scoped: an advisor tags and sees
only her own clients, a manager reads the team's tags and writes none, nobody else touches them."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bank.access import AccessDenied
from bank.directory import Identity, who_is
from bank.models import Client, ClientTag
from services.tags import (
    MAX_TAG_LENGTH,
    TagInputError,
    TagsReadOnly,
    add_tag,
    clients_with_tag,
    normalise_tag,
    remove_tag,
    tag_counts,
    tags_of,
)

NOW = dt.datetime(2026, 11, 28, 10, 0)


@pytest.fixture
def session(copy_session: Session) -> Session:
    return copy_session


def first_clients(session: Session, advisor: Identity, n: int = 3) -> list[int]:
    return list(session.scalars(select(Client.id).where(Client.advisor_id == advisor.staff_id)
                                .order_by(Client.id).limit(n)))


class TestNormalising:
    @pytest.mark.parametrize(("raw", "stored"), [
        (" 高潜 ", "高潜"), ("高潜\u3000", "高潜"), ("“高潜”", "高潜"), ("#高潜", "高潜"), ("ＶＩＰ", "VIP"),
        ("养老   客户", "养老 客户"), ("一二三四五六七八九十一二", "一二三四五六七八九十一二"),
    ])
    def test_stored_form(self, raw: str, stored: str) -> None:
        assert normalise_tag(raw) == stored

    @pytest.mark.parametrize(("raw", "why"), [
        ("", "空"), ("   ", "空"), ("“”", "空"), ("一二三四五六七八九十一二三", f"{MAX_TAG_LENGTH}个字"),
        ("高\x00潜", "控制字符"), ("高\u200b潜", "控制字符"), (None, "文字"),
    ])
    def test_a_bad_tag_names_the_field_and_says_why_in_chinese(self, raw: object, why: str) -> None:
        with pytest.raises(TagInputError) as error:
            normalise_tag(raw)
        assert error.value.field == "tag" and why in error.value.reason_zh


class TestAnAdvisorsOwnTags:
    def test_add_find_list_remove(self, session: Session, zhangmin: Identity) -> None:
        a, b, c = first_clients(session, zhangmin)
        assert add_tag(session, zhangmin, a, " 高潜", NOW) == ("高潜", True)
        assert add_tag(session, zhangmin, b, "高潜", NOW) == ("高潜", True)
        assert add_tag(session, zhangmin, a, "待回访", NOW + dt.timedelta(minutes=1)) == ("待回访", True)
        assert add_tag(session, zhangmin, a, "高潜 ", NOW) == ("高潜", False)  # a second time is not an error
        assert tags_of(session, zhangmin, a) == ["高潜", "待回访"]
        assert tags_of(session, zhangmin, c) == []
        assert [t.client_id for t in clients_with_tag(session, zhangmin, "“高潜”")] == [a, b]
        assert tag_counts(session, zhangmin) == {"高潜": 2, "待回访": 1}
        assert remove_tag(session, zhangmin, a, "高潜") is True
        assert remove_tag(session, zhangmin, a, "高潜") is False
        assert [t.client_id for t in clients_with_tag(session, zhangmin, "高潜")] == [b]

    def test_the_table_refuses_a_duplicate(self, session: Session, zhangmin: Identity) -> None:
        a = first_clients(session, zhangmin, 1)[0]
        add_tag(session, zhangmin, a, "高潜", NOW)
        session.add(ClientTag(client_id=a, advisor_id=zhangmin.staff_id, tag="高潜", created_at=NOW))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()

    def test_at_most_twenty_tags_on_a_client(self, session: Session, zhangmin: Identity) -> None:
        a = first_clients(session, zhangmin, 1)[0]
        for n in range(20):
            add_tag(session, zhangmin, a, f"标签{n}", NOW)
        with pytest.raises(TagInputError, match="tag"):
            add_tag(session, zhangmin, a, "第二十一个", NOW)


class TestScope:
    def test_an_advisor_cannot_tag_or_read_another_advisors_client(self, session: Session, zhangmin: Identity,
                                                                   liqiang: Identity) -> None:
        hers, his = first_clients(session, zhangmin, 1)[0], first_clients(session, liqiang, 1)[0]
        add_tag(session, liqiang, his, "高潜", NOW)
        with pytest.raises(AccessDenied) as denied:
            add_tag(session, zhangmin, his, "高潜", NOW)
        assert str(his) in str(denied.value) and "张" not in str(denied.value)  # says nothing of the client
        with pytest.raises(AccessDenied):
            remove_tag(session, zhangmin, his, "高潜")
        with pytest.raises(AccessDenied):
            tags_of(session, zhangmin, his)
        add_tag(session, zhangmin, hers, "高潜", NOW)
        assert [t.client_id for t in clients_with_tag(session, zhangmin, "高潜")] == [hers]
        assert [t.client_id for t in clients_with_tag(session, liqiang, "高潜")] == [his]
        assert tags_of(session, liqiang, his) == ["高潜"]

    def test_a_reassigned_client_s_old_tags_leave_with_the_client(self, session: Session, zhangmin: Identity,
                                                                  liqiang: Identity) -> None:
        hers = first_clients(session, zhangmin, 1)[0]
        add_tag(session, zhangmin, hers, "高潜", NOW)
        session.get(Client, hers).advisor_id = liqiang.staff_id
        session.flush()
        assert clients_with_tag(session, zhangmin, "高潜") == []
        assert tags_of(session, liqiang, hers) == []  # the new advisor does not inherit another's labels

    def test_a_manager_reads_the_team_s_tags_and_writes_none(self, session: Session, zhangmin: Identity,
                                                             liqiang: Identity, chenjing: Identity,
                                                             zhaoli: Identity) -> None:
        hers, his = first_clients(session, zhangmin, 1)[0], first_clients(session, liqiang, 1)[0]
        add_tag(session, zhangmin, hers, "高潜", NOW)
        add_tag(session, liqiang, his, "高潜", NOW)
        team = clients_with_tag(session, chenjing, "高潜")
        assert {(t.client_id, t.advisor_name) for t in team} == {(hers, zhangmin.name), (his, liqiang.name)}
        assert tags_of(session, chenjing, hers) == ["高潜"]
        with pytest.raises(TagsReadOnly):
            add_tag(session, chenjing, hers, "重点", NOW)
        with pytest.raises(TagsReadOnly):
            remove_tag(session, chenjing, hers, "高潜")
        assert clients_with_tag(session, zhaoli, "高潜") == []  # another team's manager
        with pytest.raises(AccessDenied):
            tags_of(session, zhaoli, hers)

    def test_clients_and_strangers_cannot_use_tags(self, session: Session, zhangmin: Identity,
                                                   unknown: Identity) -> None:
        hers = first_clients(session, zhangmin, 1)[0]
        ext = session.scalar(select(Client.wecom_external_userid).where(Client.id == hers,
                                                                        Client.wecom_external_userid.is_not(None)))
        client = who_is(session, ext) if ext else None
        for viewer in (unknown, client, None):
            with pytest.raises(TagsReadOnly):
                add_tag(session, viewer, hers, "高潜", NOW)
            with pytest.raises(TagsReadOnly):
                clients_with_tag(session, viewer, "高潜")
