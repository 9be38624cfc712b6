"""The client's statement choices in chat ("不要再给我发账单" / "恢复发送账单") and the link "账单" now carries."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from actions.client.statements import ActionStatementPreference
from actions.client.wealth import ActionWealthStatement
from bank.db import session_scope
from bank.directory import Identity
from bank.models import ClientStatement
from bank.preferences import statements_opted_out
from tests.actions.kit import make_tracker, run_action


def responses(messages: list[dict[str, object]]) -> list[object]:
    return [m.get("response") for m in messages]


def opted_out(url: str, client_id: int) -> bool:
    with session_scope(url) as session:
        return client_id in statements_opted_out(session, [client_id])


def test_a_client_opts_out_and_back_in(people: dict[str, Identity], bank_env: str) -> None:
    client = people["client"]
    assert client.client_id is not None
    messages, _ = run_action(ActionStatementPreference(), make_tracker(client.wecom_id, "不要再给我发账单",
                                                                       "statements_off"))
    assert responses(messages) == ["utter_statements_off"] and opted_out(bank_env, client.client_id)
    messages, _ = run_action(ActionStatementPreference(), make_tracker(client.wecom_id, "恢复发送账单",
                                                                       "statements_on"))
    assert responses(messages) == ["utter_statements_on"] and not opted_out(bank_env, client.client_id)


@pytest.mark.parametrize(("role", "response"), [("advisor", "utter_wealth_staff_only_clients"),
                                                ("manager", "utter_wealth_staff_only_clients")])
def test_staff_have_no_statement_to_stop(people: dict[str, Identity], bank_env: str, role: str,
                                         response: str) -> None:
    messages, _ = run_action(ActionStatementPreference(), make_tracker(people[role].wecom_id, "不要再发账单",
                                                                       "statements_off"))
    assert responses(messages) == [response]


def test_the_reply_statement_carries_the_link_to_last_months_page(people: dict[str, Identity],
                                                                  bank_env: str) -> None:
    messages, _ = run_action(ActionWealthStatement(), make_tracker(people["client"].wecom_id, "账单",
                                                                   "wealth_statement"))
    last = messages[0]["text"].splitlines()[-1]
    assert "财富账单：http" in last and "/statements/" in last
    with session_scope(bank_env) as session:
        token = last.rsplit("/", 1)[1]
        assert session.scalar(select(ClientStatement.client_id).where(ClientStatement.share_token == token)) == \
            people["client"].client_id
