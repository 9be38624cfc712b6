"""What became of a mass send: the sender asks WeCom (get_groupmsg_send_result) and settles each one —
delivered, refused with WeCom's reason, or not confirmed in time — so none waits unseen for ever."""

from __future__ import annotations

import datetime as dt

from services import routes
from tests.services.outbox_kit import T0, client_wrote, clients_of, enqueue, fake, row, worker  # noqa: F401
from tests.wecom_peer.fake_api import FakeWeCom


def test_delivered_refused_unconfirmed_and_still_waiting(fake: FakeWeCom, bank_url: str) -> None:  # noqa: F811
    clients = [client for client, _ in clients_of(bank_url, 4)]
    for client in clients:
        client_wrote(bank_url, client, T0 - dt.timedelta(days=5))  # outside 微信客服's window: mass sends
    ids = [enqueue(bank_url, client, f"您的账单已生成{n}") for n, client in enumerate(clients)]
    sender = worker(bank_url, outbox_mass_confirm_days=3.0)
    sender.run_once(T0)
    tasks = {row(bank_url, note_id).external_id: note_id for note_id in ids}
    assert all(row(bank_url, note_id).state == "awaiting_advisor" for note_id in ids) and len(tasks) == 4
    task_of = {client: row(bank_url, note_id).external_id for client, note_id in zip(clients, ids, strict=True)}
    fake.mass_result(task_of[clients[0]], clients[0], 1)
    fake.mass_result(task_of[clients[1]], clients[1], 2)
    fake.mass_result(task_of[clients[2]], clients[2], 3)

    assert sender.check_mass_sends(T0 + dt.timedelta(hours=1)) == {"sent": 1, "dead": 2, "waiting": 1}
    first, second, third, fourth = (row(bank_url, note_id) for note_id in ids)
    assert first.state == "sent" and (second.state, second.error) == ("dead", routes.MASS_FAILED[2])
    assert (third.state, third.error) == ("dead", routes.MASS_FAILED[3]) and fourth.state == "awaiting_advisor"
    asked = fake.sent("externalcontact/get_groupmsg_send_result")
    assert {body["msgid"] for body in asked} == set(task_of.values()) and all(body["userid"] for body in asked)

    assert sender.check_mass_sends(T0 + dt.timedelta(days=2)) == {"sent": 0, "dead": 0, "waiting": 1}
    assert sender.check_mass_sends(T0 + dt.timedelta(days=3, hours=1)) == {"sent": 0, "dead": 1, "waiting": 0}
    assert row(bank_url, ids[3]).error == routes.MASS_UNCONFIRMED.format(days=3.0)
