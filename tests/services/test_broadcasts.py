"""services.broadcasts: who may publish, what is stored, who receives it, and that knowledge/ finds it at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bank.db import session_scope
from bank.directory import who_is
from bank.models import MeetingNote, Staff
from knowledge.api import answer
from services.broadcasts import NotAllowed, ingest_note, note_body, note_kind, publish_note, team_members

NOW = dt.datetime(2026, 11, 29, 8, 30)
BODY = "本周重点：大额存单到期客户提前两周电话回访，续作优先推荐鑫享定期存款；合规提醒：双录不能漏。"


class TestParsing:
    @pytest.mark.parametrize(("text", "kind"), [("发布晨会纪要：…", "morning"), ("夕会小结如下", "evening"),
                                                ("分享一个经验", "experience"), ("今天重点是续作", "morning")])
    def test_kind(self, text: str, kind: str) -> None:
        assert note_kind(text) == kind

    @pytest.mark.parametrize(("text", "body"), [
        ("发布晨会纪要：" + BODY, BODY), ("晨会纪要 " + BODY, BODY), (BODY, BODY), ("帮我发一下晨会纪要", ""),
        ("把今天的夕会小结发给大家：明天跟进保险到期客户", "明天跟进保险到期客户")])
    def test_body(self, text: str, body: str) -> None:
        assert note_body(text) == body


class TestPublish:
    def test_manager_publishes_to_every_other_team_member(self, bank_url: str) -> None:
        with session_scope(bank_url) as session:
            manager = who_is(session, "chenjing")
            assert manager is not None
            team = session.scalar(select(Staff.team_id).where(Staff.wecom_userid == "chenjing"))
            expected = set(session.scalars(select(Staff.wecom_userid).where(Staff.team_id == team,
                                                                            Staff.wecom_userid != "chenjing")))
            before = session.execute(select(func.count()).select_from(MeetingNote)).scalar_one()
            note = publish_note(session, manager, BODY, "morning", NOW)
            assert {m.userid for m in note.recipients} == expected and "zhangmin" in expected
            assert "zhaoli" not in expected  # the other team's manager
            stored = session.get(MeetingNote, note.note_id)
            assert stored is not None and stored.team_id == team and stored.title == "11月29日晨会纪要"
            assert session.execute(select(func.count()).select_from(MeetingNote)).scalar_one() == before + 1

    @pytest.mark.parametrize("userid", ["zhangmin", "liqiang"])
    def test_advisors_may_not_publish(self, bank_url: str, userid: str) -> None:
        with session_scope(bank_url) as session:
            advisor = who_is(session, userid)
            assert advisor is not None
            with pytest.raises(NotAllowed):
                publish_note(session, advisor, BODY, "morning", NOW)
            with pytest.raises(NotAllowed):
                team_members(session, advisor)

    @pytest.mark.parametrize("body", ["", "太短", "长" * 2001])
    def test_empty_short_or_overlong_notes_are_refused(self, bank_url: str, body: str) -> None:
        with session_scope(bank_url) as session:
            manager = who_is(session, "chenjing")
            assert manager is not None
            with pytest.raises(ValueError, match="纪要内容"):
                publish_note(session, manager, body, "morning", NOW)


def test_an_ingested_note_is_found_by_a_paraphrase_right_away(bank_url: str, index_dir: Path) -> None:
    question = "大额存单快到期的客户应该什么时候打电话"
    before = answer(question, audience="advisor", index_dir=index_dir)
    assert not any(s["doc_id"].startswith("meeting-note-") for s in before.sources)
    with session_scope(bank_url) as session:
        manager = who_is(session, "chenjing")
        assert manager is not None
        note = publish_note(session, manager, BODY, "morning", NOW)
    ingest_note(note, index_dir=index_dir)
    after = answer(question, audience="advisor", index_dir=index_dir)
    assert after.found and after.sources[0]["doc_id"] == note.doc_id and "提前两周" in after.text
    assert after.sources[0]["type"] == "note"
    client_view = answer(question, audience="client", index_dir=index_dir)
    assert all(s["doc_id"] != note.doc_id for s in client_view.sources)  # staff-only
