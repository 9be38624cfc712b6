"""POST /api/share and the /share form: staff send a proposal, a push or a knowledge item to a client, against the
real app under uvicorn on a private bank copy (clock pinned to the demo day)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bank.db import session_scope
from bank.models import Client, Contact, Notification
from bank.proposals import create_proposal
from services.pushes import push_portfolio
from services.sharing import SHARE_KIND
from tests.servers import Service, free_port, start_web
from tests.services.push_cast import NOW, Cast
from tests.web.conftest import SESSION_SECRET
from tests.web.test_portfolios import session_cookie

NEWS = "news-2026-10-08-lpr"
R4_PRODUCT = {"code": "EF001", "name": "远航消费升级股票", "risk_level": "R4", "category": "股票基金", "why": "增值"}


@pytest.fixture(scope="module")
def web(bank_url: str, knowledge_dir: Path) -> Iterator[Service]:
    port = free_port()
    service = start_web(env={"DATABASE_URL": bank_url, "SESSION_SECRET": SESSION_SECRET,
                             "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                             "KNOWLEDGE_INDEX_DIR": str(knowledge_dir), "CLOCK_NOW": NOW.isoformat()}, port=port)
    yield service
    service.stop()


def browser(web: Service, sender_id: str | None = None) -> httpx.Client:
    """A browser, signed in as `sender_id` (the cookie the app sets after sign-in) or anonymous."""
    cookies = {"wa_session": session_cookie(sender_id)} if sender_id else {}
    return httpx.Client(base_url=web.url, timeout=60.0, cookies=cookies)


@pytest.fixture
def advisor(web: Service) -> Iterator[httpx.Client]:
    with browser(web, "zhangmin") as http:
        yield http


@pytest.fixture
def anonymous(web: Service) -> Iterator[httpx.Client]:
    with browser(web) as http:
        yield http


def proposal(bank_url: str, client_id: int | None, products: list[dict[str, str]] | None = None,
             created: dt.datetime = NOW) -> str:
    with session_scope(bank_url) as session:
        return create_proposal(session, kind="checkup", payload={"title": "养老规划建议书", "products": products or []},
                               client_id=client_id, now=created).share_token


def client_row(bank_url: str, client_id: int) -> tuple[str, str]:
    """(name, external userid) of a client."""
    with session_scope(bank_url) as session:
        client = session.get(Client, client_id)
        assert client is not None and client.wecom_external_userid
        return client.name, client.wecom_external_userid


def shared_count(bank_url: str, client_id: int) -> int:
    with session_scope(bank_url) as session:
        return session.scalar(select(func.count()).select_from(Notification).where(
            Notification.recipient == client_row(bank_url, client_id)[1], Notification.kind == SHARE_KIND)) or 0


def contact_notes(bank_url: str, client_id: int) -> list[str]:
    with session_scope(bank_url) as session:
        return list(session.scalars(select(Contact.note).where(Contact.client_id == client_id,
                                                               Contact.note.startswith("企业微信发送"))))


def unique_client(bank_url: str, cast: Cast) -> tuple[int, str]:
    """One of 张敏's clients whose name no other of her clients has."""
    with session_scope(bank_url) as session:
        names = (select(Client.name).where(Client.advisor_id == cast.advisor.staff_id).group_by(Client.name)
                 .having(func.count() > 1))
        row = session.execute(select(Client.id, Client.name).where(
            Client.advisor_id == cast.advisor.staff_id, Client.id.in_(cast.suitable), Client.name.not_in(names))
            .order_by(Client.id).limit(1)).one()
        return row.id, row.name


def error_fields(answer: httpx.Response) -> set[str]:
    assert answer.status_code == 422, answer.text
    return {str(error["loc"][-1]) for error in answer.json()["detail"]}


class TestApiAuthentication:
    def test_anonymous_is_refused_and_nothing_is_sent(self, anonymous: httpx.Client, bank_url: str,
                                                      cast: Cast) -> None:
        token = proposal(bank_url, cast.suitable[0])
        answer = anonymous.post("/api/share", json={"kind": "proposal", "ref": token, "client_id": cast.suitable[0]})
        assert answer.status_code == 401 and shared_count(bank_url, cast.suitable[0]) == 0

    def test_a_client_is_refused(self, web: Service, bank_url: str, cast: Cast) -> None:
        token = proposal(bank_url, cast.suitable[0])
        with browser(web, client_row(bank_url, cast.suitable[0])[1]) as me:
            answer = me.post("/api/share", json={"kind": "proposal", "ref": token, "client_id": cast.suitable[0]})
        assert answer.status_code == 403 and shared_count(bank_url, cast.suitable[0]) == 0

    def test_a_sender_field_is_not_trusted(self, anonymous: httpx.Client, advisor: httpx.Client, bank_url: str,
                                           cast: Cast) -> None:
        body = {"kind": "proposal", "ref": proposal(bank_url, None), "client_id": cast.suitable[0],
                "sender": "zhangmin"}
        assert anonymous.post("/api/share", json=body).status_code == 401
        assert error_fields(advisor.post("/api/share", json=body)) == {"sender"}


class TestApiInput:
    def test_bad_fields_are_named(self, advisor: httpx.Client, cast: Cast) -> None:
        assert error_fields(advisor.post("/api/share", json={"ref": "x", "client_id": 1})) == {"kind"}
        assert error_fields(advisor.post("/api/share", json={"kind": "video", "ref": "x", "client_id": 1})) == {"kind"}
        assert error_fields(advisor.post("/api/share", json={"kind": "push", "ref": " ", "client_id": 1})) == {"ref"}
        assert error_fields(advisor.post("/api/share", json={"kind": "push", "ref": "x", "client_id": -3})) == {
            "client_id"}
        assert "client_id" in error_fields(advisor.post("/api/share", json={"kind": "push", "ref": "x"}))
        both = {"kind": "push", "ref": "x", "client_id": cast.suitable[0], "client_name": "王芳"}
        assert "client_id" in error_fields(advisor.post("/api/share", json=both))

    def test_a_form_encoded_post_is_not_accepted_as_json(self, advisor: httpx.Client, bank_url: str,
                                                         cast: Cast) -> None:
        """A plain cross-site HTML form cannot make the JSON request."""
        data = {"kind": "proposal", "ref": proposal(bank_url, None), "client_id": str(cast.suitable[1])}
        assert advisor.post("/api/share", data=data).status_code == 422
        assert shared_count(bank_url, cast.suitable[1]) == 0


class TestApiShare:
    def test_a_proposal_is_sent_once_and_recorded(self, advisor: httpx.Client, bank_url: str, cast: Cast) -> None:
        client_id = cast.suitable[2]
        body = {"kind": "proposal", "ref": proposal(bank_url, client_id), "client_id": client_id}
        first = advisor.post("/api/share", json=body)
        assert first.status_code == 200, first.text
        assert first.json()["status"] == "sent" and "养老规划建议书" in first.json()["message"]
        assert first.headers["cache-control"] == "private, no-store"
        again = advisor.post("/api/share", json=body)
        assert again.status_code == 200 and again.json()["status"] == "already"
        assert again.json()["message"].startswith("已发送过")
        assert shared_count(bank_url, client_id) == 1
        assert contact_notes(bank_url, client_id) == ["企业微信发送建议书《养老规划建议书》"]

    def test_another_advisors_client_is_refused_with_the_reason(self, advisor: httpx.Client, bank_url: str,
                                                                cast: Cast) -> None:
        body = {"kind": "proposal", "ref": proposal(bank_url, None), "client_id": cast.other_advisors_client}
        answer = advisor.post("/api/share", json=body)
        assert answer.status_code == 403 and answer.json()["code"] == "not_your_client"
        assert "不在您的客户名单" in answer.json()["message"]
        assert shared_count(bank_url, cast.other_advisors_client) == 0

    def test_an_expired_proposal_is_gone(self, advisor: httpx.Client, bank_url: str, cast: Cast) -> None:
        token = proposal(bank_url, cast.suitable[0], created=NOW - dt.timedelta(days=40))
        answer = advisor.post("/api/share", json={"kind": "proposal", "ref": token, "client_id": cast.suitable[0]})
        assert answer.status_code == 410 and "过期" in answer.json()["message"]

    def test_an_unsuitable_product_is_refused(self, advisor: httpx.Client, bank_url: str, cast: Cast) -> None:
        token = proposal(bank_url, cast.low_risk, [R4_PRODUCT])
        answer = advisor.post("/api/share", json={"kind": "proposal", "ref": token, "client_id": cast.low_risk})
        assert answer.status_code == 409 and answer.json()["code"] == "unsuitable" and "R4" in answer.json()["message"]
        assert shared_count(bank_url, cast.low_risk) == 0 and contact_notes(bank_url, cast.low_risk) == []

    def test_a_knowledge_item_by_client_name(self, advisor: httpx.Client, bank_url: str, cast: Cast) -> None:
        client_id, name = unique_client(bank_url, cast)
        answer = advisor.post("/api/share", json={"kind": "knowledge", "ref": NEWS, "client_name": name})
        assert answer.status_code == 200, answer.text
        assert answer.json()["client_id"] == client_id and answer.json()["label"].startswith("资讯《")

    def test_a_push_to_its_client(self, advisor: httpx.Client, bank_url: str, cast: Cast) -> None:
        with session_scope(bank_url) as session:
            [sent] = push_portfolio(session, cast.advisor, "稳健组合", [cast.suitable[1]], Decimal("50000"), NOW).sent
        answer = advisor.post("/api/share", json={"kind": "push", "ref": sent.task_id, "client_id": cast.suitable[1]})
        assert answer.status_code == 200 and answer.json()["status"] == "sent", answer.text

    def test_namesakes_need_a_phone_tail(self, advisor: httpx.Client, bank_url: str) -> None:
        answer = advisor.post("/api/share", json={"kind": "proposal", "ref": proposal(bank_url, None),
                                                  "client_name": "张伟"})
        assert answer.status_code == 409 and "尾号" in answer.json()["message"]


def assert_plain_page(page: httpx.Response) -> None:
    """No inline script, style or event handler (the edge's Content-Security-Policy allows none)."""
    assert page.headers["content-type"].startswith("text/html")
    assert "<style" not in page.text and not re.search(r"\sstyle\s*=", page.text)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)
    assert not re.search(r"\son[a-z]+\s*=", page.text)


class TestForm:
    def test_the_form_is_for_staff_only(self, web: Service, anonymous: httpx.Client, bank_url: str,
                                        cast: Cast) -> None:
        assert anonymous.get("/share", params={"kind": "proposal", "ref": "x"}).status_code == 401
        with browser(web, client_row(bank_url, cast.suitable[0])[1]) as me:
            assert me.get("/share", params={"kind": "proposal", "ref": "x"}).status_code == 403
        posted = anonymous.post("/share", data={"kind": "knowledge", "ref": NEWS, "client_name": "王芳"})
        assert posted.status_code == 401

    def test_the_form_page_is_plain(self, advisor: httpx.Client) -> None:
        page = advisor.get("/share", params={"kind": "knowledge", "ref": NEWS})
        assert page.status_code == 200 and "把资讯发给客户" in page.text and f'value="{NEWS}"' in page.text
        assert_plain_page(page)

    def test_a_missing_name_is_named(self, advisor: httpx.Client) -> None:
        page = advisor.post("/share", data={"kind": "knowledge", "ref": NEWS, "client_name": " "})
        assert page.status_code == 422 and 'id="error-client_name"' in page.text
        bad = advisor.post("/share", data={"kind": "video", "ref": "", "client_name": "王芳"})
        assert bad.status_code == 422 and 'id="error-kind"' in bad.text and 'id="error-ref"' in bad.text
        assert_plain_page(bad)

    def test_the_form_sends_and_then_says_already_sent(self, advisor: httpx.Client, bank_url: str,
                                                       cast: Cast) -> None:
        client_id, name = unique_client(bank_url, cast)
        form = {"kind": "proposal", "ref": proposal(bank_url, client_id), "client_name": name}
        page = advisor.post("/share", data=form)
        assert page.status_code == 200 and f"发给{name}" in page.text and 'id="share-form"' not in page.text
        assert_plain_page(page)
        again = advisor.post("/share", data=form)
        assert again.status_code == 200 and "已发送过" in again.text

    def test_a_refusal_shows_its_reason(self, advisor: httpx.Client, bank_url: str, cast: Cast) -> None:
        token = proposal(bank_url, cast.low_risk, [R4_PRODUCT])
        with session_scope(bank_url) as session:
            client = session.get(Client, cast.low_risk)
            assert client is not None and client.phone
            name = f"{client.name}尾号{client.phone[-4:]}"  # the phone tail picks this client among namesakes
        page = advisor.post("/share", data={"kind": "proposal", "ref": token, "client_name": name})
        assert page.status_code == 409 and "R4" in page.text and 'id="share-form"' in page.text
        assert shared_count(bank_url, cast.low_risk) == 0
