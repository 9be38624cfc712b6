"""The monthly statement in chat, over the REST channel against the real Rasa and action servers: a client stops
it ("不要再给我发账单"), turns it back on, and "账单" — the reply the
advisor's mass send asks for — answers with the link to their own statement page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bank.db import session_scope
from bank.models import Client, Holding
from bank.preferences import statements_opted_out
from tests.conversation.conftest import Chat, said, texts

pytestmark = pytest.mark.conversation


def _client(url: str) -> tuple[int, str]:
    with session_scope(url) as session:
        row = session.execute(select(Client.id, Client.wecom_external_userid).where(
            Client.wecom_external_userid.is_not(None), Client.id.in_(select(Holding.client_id)))
            .order_by(Client.id.desc()).limit(1)).one()
    return int(row[0]), str(row[1])


def _off(url: str, client_id: int) -> bool:
    with session_scope(url) as session:
        return client_id in statements_opted_out(session, [client_id])


def test_a_client_stops_the_statement_then_turns_it_back_on(chat: Chat, demo_db_url: str) -> None:
    client_id, sender = _client(demo_db_url)
    assert texts(chat(sender, "不要再给我发账单了")) == [said("utter_statements_off")]
    assert _off(demo_db_url, client_id)
    assert texts(chat(sender, "账单还是每月发给我吧")) == [said("utter_statements_on")]
    assert not _off(demo_db_url, client_id)


def test_the_reply_statement_gives_the_clients_own_link(chat: Chat, demo_db_url: str) -> None:
    _, sender = _client(demo_db_url)
    answer = texts(chat(sender, "账单"))
    assert any("/statements/" in line for line in answer), answer
