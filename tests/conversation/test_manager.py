"""Manager journeys over the REST channel: a broadcast reaches every team member through a fake WeCom API and is
answerable right after; the team figures match the database; advisors are refused politely.

These tests run their own action server (with WECOM_* pointing at the fake WeCom API, on a private bank copy
and knowledge index) and their own Rasa server.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bank.db import session_scope
from bank.models import Client, Contact, MeetingNote, Proposal, Staff, Transaction
from tests.actions.wecom_env import wecom_env
from tests.bank_files import copy_bank
from tests.conversation.conftest import Say, responses
from tests.servers import Service, post_json, start_action_server, start_rasa, start_sender, wait_for
from tests.wecom_peer.fake_api import FakeWeCom

pytestmark = pytest.mark.conversation
MANAGER = "chenjing"
BODY = "本周起客户新开个人养老金账户并首次缴存，可领取50元立减金，活动截止12月31日，请大家电访时主动告知客户。"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeWeCom]:
    server = FakeWeCom().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bank_url(demo_template_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return copy_bank(demo_template_url, tmp_path_factory.mktemp("manager-bank") / "bank.db")


@pytest.fixture(scope="module")
def rasa(fake: FakeWeCom, bank_url: str, knowledge_dir: Path,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    index = tmp_path_factory.mktemp("manager-knowledge") / "index"
    shutil.copytree(knowledge_dir, index, ignore=shutil.ignore_patterns("write.lock"))
    actions = start_action_server(env={"DATABASE_URL": bank_url, "KNOWLEDGE_INDEX_DIR": str(index),
                                       **wecom_env(fake)})
    sender = start_sender(env={"DATABASE_URL": bank_url, **wecom_env(fake)}, name="manager-sender")
    try:
        rasa = start_rasa(action_url=actions.url, workdir=tmp_path_factory.mktemp("manager-rasa"))
        yield rasa
        rasa.stop()
    finally:
        sender.stop()
        actions.stop()


@pytest.fixture(scope="module")
def talk(rasa: Service) -> Say:
    def _say(sender: str, text: str) -> list[str]:
        answer = post_json(f"{rasa.url}/webhooks/rest/webhook", {"sender": sender, "message": text}, timeout=120)
        assert isinstance(answer, list)
        return [item.get("text", "") for item in answer]

    return _say


def text_of(key: str, **values: object) -> str:
    return responses()[key][0].format(**values)


def members(url: str) -> set[str]:
    with session_scope(url) as session:
        team = session.scalar(select(Staff.team_id).where(Staff.wecom_userid == MANAGER))
        return set(session.scalars(select(Staff.wecom_userid).where(Staff.team_id == team,
                                                                    Staff.wecom_userid != MANAGER)))


class TestBroadcast:
    def test_confirmed_note_reaches_every_member_and_is_found_by_a_paraphrase(
        self, talk: Say, fake: FakeWeCom, bank_url: str
    ) -> None:
        team = members(bank_url)
        question = "个人养老金账户开户现在有什么优惠活动？"
        assert "立减金" not in talk("zhangmin", question)[0]
        preview = talk(MANAGER, "发布晨会纪要：" + BODY)
        assert preview[0].startswith("预览【") and "晨会纪要】" in preview[0] and BODY in preview[0]
        assert preview[1].startswith(f"将发送给团队{len(team)}位成员")
        assert fake.sent("message/send") == []  # nothing goes out before the confirmation
        done = talk(MANAGER, "确认发布")
        assert done[0].startswith("已发布《") and f"团队{len(team)}位成员" in done[0]
        sent = wait_for(lambda: len(fake.sent("message/send")) >= len(team) and fake.sent("message/send"),
                        what="the note delivered by the sender worker")
        assert {body["touser"] for body in sent} == team and len(sent) == len(team)
        assert all(BODY in body["text"]["content"] for body in sent)
        with session_scope(bank_url) as session:
            assert session.scalar(select(func.count()).select_from(MeetingNote).where(MeetingNote.body == BODY)) == 1
        answer = talk("zhangmin", question)
        today = dt.date.today()
        assert "50元立减金" in answer[0] and f"《{today.month}月{today.day}日晨会纪要》" in answer[0]

    def test_a_note_asked_for_then_pasted_and_dropped(self, talk: Say, fake: FakeWeCom, bank_url: str) -> None:
        fake.reset()
        assert talk(MANAGER, "我要发一份夕会纪要") == [text_of("utter_ask_note_body")]
        preview = talk(MANAGER, "今日完成客户回访二十位，新增重疾险意向客户两位，明天继续跟进大额存单到期客户。")
        assert "夕会纪要】" in preview[0]
        assert talk(MANAGER, "先不发了") == [text_of("utter_note_discarded")]
        assert fake.sent("message/send") == []

    def test_cancel_while_writing(self, talk: Say) -> None:
        assert talk(MANAGER, "帮我发一下晨会纪要") == [text_of("utter_ask_note_body")]
        assert talk(MANAGER, "算了") == [text_of("utter_form_cancelled")]

    def test_too_short_a_note_is_asked_again(self, talk: Say) -> None:
        assert talk(MANAGER, "发布晨会纪要") == [text_of("utter_ask_note_body")]
        replies = talk(MANAGER, "收到谢谢")
        assert replies[0] == text_of("utter_note_body_invalid", reason="纪要内容太短了，请至少写10个字")
        assert talk(MANAGER, "算了") == [text_of("utter_form_cancelled")]

    def test_advisors_are_refused_politely(self, talk: Say, fake: FakeWeCom) -> None:
        fake.reset()
        assert talk("zhangmin", "发布晨会纪要：" + BODY) == [text_of("utter_note_advisor_refused")]
        assert fake.sent("message/send") == []


def number(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match, f"{pattern} not in {text}"
    return match.group(1)


class TestTeamDashboard:
    def test_figures_match_the_database(self, talk: Say, bank_url: str) -> None:
        # The demo bank is built for 2026-11-28, so the month is named; it ends at the real today at the latest.
        reply = talk(MANAGER, "2026年11月团队出了多少建议书")
        first, today = dt.date(2026, 11, 1), min(dt.date(2026, 11, 30), dt.date.today())
        lo, hi = dt.datetime.combine(first, dt.time()), dt.datetime.combine(today, dt.time.max)
        with session_scope(bank_url) as session:
            team = session.scalar(select(Staff.team_id).where(Staff.wecom_userid == MANAGER))
            staff = select(Staff.id).where(Staff.team_id == team)
            proposals = session.scalar(select(func.count()).select_from(Proposal).where(
                Proposal.created_by_id.in_(staff), Proposal.created_at.between(lo, hi)))
            contacts = session.scalar(select(func.count()).select_from(Contact).where(
                Contact.advisor_id.in_(staff), Contact.happened_at.between(lo, hi)))
            sales = session.scalar(select(func.sum(Transaction.amount)).join(Client).where(
                Client.advisor_id.in_(staff), Transaction.kind.in_(("buy", "premium")),
                Transaction.trade_date.between(first, today))) or Decimal(0)
        text = reply[0]
        assert text.startswith("南京分行新街口支行团队2026年11月")
        assert int(number(r"建议书(\d+)份", text)) == proposals
        assert int(number(r"联系客户(\d+)次", text)) == contacts and contacts > 0
        assert number(r"销售额([\d,]+\.\d\d)元", text).replace(",", "") == f"{sales:.2f}"
        assert "/dashboard?start=" in text

    def test_advisors_are_pointed_to_their_own_dashboard(self, talk: Say) -> None:
        assert talk("liqiang", "看看团队运营数据") == [text_of("utter_team_dashboard_advisor")]
