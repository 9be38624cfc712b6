"""The hand-off summary page: only the advisor the request went to may read it."""

from __future__ import annotations

import httpx
import pytest

from bank.db import session_scope
from bank.handoffs import KIND
from bank.notifications import add_notification
from tests.web.conftest import signed_in

TOKEN = "handoff-token-for-web-tests"


@pytest.fixture(scope="module")
def handoff(demo_db_url: str) -> str:
    with session_scope(demo_db_url) as session:
        add_notification(session, "zhangmin", "客户王芳（尾号1234）请您联系。", kind=KIND, card={
            "token": TOKEN, "title": "客户王芳请求联系", "url": f"http://x/handoffs/{TOKEN}", "question": "基金亏了怎么办",
            "transcript": [{"who": "客户", "text": "基金亏了怎么办"}, {"who": "助手", "text": "已为您联系理财经理"}]})
    return TOKEN


def test_the_recipient_reads_the_question_and_the_transcript(client: httpx.Client, handoff: str) -> None:
    page = signed_in(client, "zhangmin").get(f"/handoffs/{handoff}")
    assert page.status_code == 200
    assert "客户王芳请求联系" in page.text and page.text.count("基金亏了怎么办") == 2 and "已为您联系理财经理" in page.text


def test_another_advisor_gets_not_found(client: httpx.Client, handoff: str) -> None:
    page = signed_in(client, "liqiang").get(f"/handoffs/{handoff}")
    assert page.status_code == 404 and "基金亏了怎么办" not in page.text


def test_without_identity_is_401(client: httpx.Client, handoff: str) -> None:
    assert client.get(f"/handoffs/{handoff}").status_code == 401


@pytest.mark.parametrize("token", ["nope", "x" * 300, "%3Cscript%3E"])
def test_unknown_or_odd_tokens_are_404(client: httpx.Client, token: str) -> None:
    assert signed_in(client, "zhangmin").get(f"/handoffs/{token}").status_code == 404
