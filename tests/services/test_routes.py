"""WeCom's rules for reaching a client, through the sender worker against the fake WeCom API: the 微信客服
window, its 5 messages per client message, the session state, advisor-confirmed mass sends with their monthly
budget by priority, fail_list, the advisor's notice and the welcome on enter_session."""

from __future__ import annotations

import datetime as dt

import pytest

from bank.db import session_scope
from bank.notifications import messages_for
from services import routes
from tests.services.outbox_kit import (
    T0,
    client_wrote,
    clients_of,
    drain,
    enqueue,
    fake,
    row,
    states,
    texts,
    worker,
)
from tests.wecom_peer.fake_api import FakeWeCom

__all__ = ["fake"]  # fixture
HOUR = dt.timedelta(hours=1)


def kf_reply(url: str, client: str, text: str, priority: int = 0) -> int:
    """A reply as the 微信客服 channel stores it: a final kf/send_msg body."""
    return enqueue(url, client, text, path=routes.KF_SEND, priority=priority,
                   payload={"touser": client, "open_kfid": "wkTESTKF", "msgtype": "text", "text": {"content": text}})


class TestWindow:
    def test_inside_48_hours_a_reply_goes_through_kf_and_keeps_its_msgid(self, fake: FakeWeCom,
                                                                          bank_url: str) -> None:
        (client, _), = clients_of(bank_url, 1)
        client_wrote(bank_url, client, T0 - 47 * HOUR)
        note_id = kf_reply(bank_url, client, "您好，已为您查询")
        drain(worker(bank_url))
        sent = fake.sent("kf/send_msg", to=client)
        assert texts(sent) == ["您好，已为您查询"] and sent[0]["open_kfid"] == "wkTESTKF"
        note = row(bank_url, note_id)
        assert (note.state, note.route) == ("sent", "kf") and note.external_id  # for msg_send_fail
        assert fake.mass_tasks() == []

    def test_outside_the_window_it_is_a_mass_send_for_the_advisor_who_is_told_once(
            self, fake: FakeWeCom, bank_url: str) -> None:
        (first, advisor), (second, same_advisor) = clients_of(bank_url, 2)
        assert advisor == same_advisor
        client_wrote(bank_url, first, T0 - 49 * HOUR)  # too long ago; the second never wrote
        ids = [enqueue(bank_url, first, "您的产品下周到期", card={"title": "到期提醒", "url": "http://x/m"}),
               kf_reply(bank_url, second, "您的订单已成交")]
        sender = worker(bank_url)
        sender.run_once(T0)
        tasks = fake.mass_tasks(sender=advisor)
        assert sorted(t["external_userid"][0] for t in tasks) == sorted([first, second])
        assert all(t["chat_type"] == "single" for t in tasks) and fake.sent("kf/send_msg") == []
        by_client = {t["external_userid"][0]: t for t in tasks}
        assert by_client[first]["text"]["content"] == "您的产品下周到期"
        assert by_client[first]["attachments"][0]["link"]["url"] == "http://x/m"
        assert by_client[second]["text"]["content"] == "您的订单已成交"
        for note_id in ids:
            note = row(bank_url, note_id)
            assert (note.state, note.route) == ("awaiting_advisor", "mass") and note.external_id.startswith("msgGROUP")
        drain(sender, T0 + dt.timedelta(seconds=1))
        assert texts(fake.sent("message/send", to=advisor)) == [routes.advisor_notice(2)]
        with session_scope(bank_url) as session:
            assert len(messages_for(session, advisor, kind="mass_pending")) == 1

    def test_with_a_person_in_the_session_it_goes_as_a_mass_send(self, fake: FakeWeCom, bank_url: str) -> None:
        (client, advisor), = clients_of(bank_url, 1)
        client_wrote(bank_url, client, T0 - HOUR)
        fake.set_service_state(client, 3)
        note_id = kf_reply(bank_url, client, "人工接待中")
        worker(bank_url).run_once(T0)
        assert fake.sent("kf/send_msg") == [] and len(fake.mass_tasks(sender=advisor)) == 1
        assert row(bank_url, note_id).state == "awaiting_advisor"

    def test_without_a_kf_account_clients_are_reached_by_mass_send(
            self, fake: FakeWeCom, bank_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("WECOM_KF_OPEN_KFID")
        (client, advisor), = clients_of(bank_url, 1)
        client_wrote(bank_url, client, T0 - HOUR)
        note_id = enqueue(bank_url, client, "账单已出")
        worker(bank_url, wecom_kf_open_kfid="").run_once(T0)
        assert fake.sent("kf/send_msg") == [] and len(fake.mass_tasks(sender=advisor)) == 1
        assert row(bank_url, note_id).state == "awaiting_advisor"


class TestFivePerMessage:
    def test_the_sixth_message_of_a_turn_is_held_until_the_client_writes_again(self, fake: FakeWeCom,
                                                                             bank_url: str) -> None:
        (client, _), = clients_of(bank_url, 1)
        client_wrote(bank_url, client, T0 - HOUR)
        ids = [kf_reply(bank_url, client, f"第{n}条") for n in range(1, 8)]
        welcome = enqueue(bank_url, client, "欢迎", path=routes.KF_EVENT, priority=0,
                          payload={"code": "WELCOME", "msgtype": "text", "text": {"content": "欢迎"}})
        sender = worker(bank_url)
        drain(sender)
        assert texts(fake.sent("kf/send_msg", to=client)) == [f"第{n}条" for n in range(1, 6)]
        assert states(bank_url, ids) == ["sent"] * 5 + ["held", "pending"]  # the 7th waits behind the 6th
        assert row(bank_url, ids[5]).error == routes.HELD_KF_LIMIT
        assert fake.mass_tasks() == []
        assert texts(fake.sent(routes.KF_EVENT)) == ["欢迎"] and row(bank_url, welcome).state == "sent"
        client_wrote(bank_url, client, T0 + dt.timedelta(minutes=5))
        drain(sender, T0 + dt.timedelta(minutes=6))
        assert texts(fake.sent("kf/send_msg", to=client)) == [f"第{n}条" for n in range(1, 8)]
        assert states(bank_url, ids) == ["sent"] * 7


class TestMassSend:
    def test_a_client_who_is_not_the_advisors_contact_is_dead_with_the_reason(self, fake: FakeWeCom,
                                                                             bank_url: str) -> None:
        (client, advisor), = clients_of(bank_url, 1)
        fake.not_a_contact(client, sender=advisor)
        note_id = enqueue(bank_url, client, "组合推荐", priority=2)
        report = worker(bank_url).run_once(T0)
        note = row(bank_url, note_id)
        assert (note.state, note.error) == ("dead", routes.NOT_A_CONTACT) and report.notices == []

    def test_the_monthly_budget_is_shared_by_priority(self, fake: FakeWeCom, bank_url: str) -> None:
        (client, advisor), = clients_of(bank_url, 1)
        priorities = [2, 2, 2, 1, 1, 0]  # budget 4: marketing may use 2, service 3, an order notice all 4
        ids = [enqueue(bank_url, client, f"优先级{p}-{n}", priority=p) for n, p in enumerate(priorities)]
        sender = worker(bank_url)
        sender.run_once(T0)
        assert states(bank_url, ids) == ["awaiting_advisor", "awaiting_advisor", "held",
                                         "awaiting_advisor", "held", "awaiting_advisor"]
        assert row(bank_url, ids[2]).error == routes.HELD_BUDGET
        assert [t["text"]["content"] for t in fake.mass_tasks(sender=advisor)] == [
            "优先级2-0", "优先级2-1", "优先级1-3", "优先级0-5"]
        sender.run_once(T0 + dt.timedelta(days=10))  # same month: still held
        assert states(bank_url, [ids[2], ids[4]]) == ["held", "held"]
        sender.run_once(dt.datetime(2027, 1, 2, 9, 0))  # a new month: released and sent within its budget
        assert states(bank_url, [ids[2], ids[4]]) == ["awaiting_advisor", "awaiting_advisor"]
