"""Model portfolio pages and the client's push page, against the real app under uvicorn on a private bank copy."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from bank.db import session_scope
from bank.models import Client, Order, PortfolioPush
from bank.notifications import messages_for
from services.pushes import push_portfolio
from tests.servers import Service, free_port, start_web
from tests.services.push_cast import Cast
from tests.web.conftest import SESSION_SECRET

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def web(bank_url: str) -> Iterator[Service]:
    port = free_port()
    service = start_web(env={"DATABASE_URL": bank_url, "SESSION_SECRET": SESSION_SECRET,
                             "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}, port=port)
    yield service
    service.stop()


@pytest.fixture
def http(web: Service) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web.url, timeout=60.0) as client:
        yield client


def session_cookie(sender_id: str) -> str:
    """The session cookie the app itself sets after a client signs in through their link (Starlette's
    SessionMiddleware format, signed with the test app's SESSION_SECRET)."""
    payload = base64.b64encode(json.dumps({"sender": sender_id}).encode())
    return TimestampSigner(SESSION_SECRET).sign(payload).decode()


def external_id(bank_url: str, client_id: int) -> str:
    with session_scope(bank_url) as session:
        client = session.get(Client, client_id)
        assert client is not None and client.wecom_external_userid
        return client.wecom_external_userid


def as_client(web: Service, bank_url: str, client_id: int) -> httpx.Client:
    """A browser signed in as the client `client_id`."""
    return httpx.Client(base_url=web.url, timeout=60.0,
                        cookies={"wa_session": session_cookie(external_id(bank_url, client_id))})


def new_push(bank_url: str, cast: Cast, client_id: int, now: dt.datetime | None = None,
             amount: str = "50000") -> str:
    with session_scope(bank_url) as session:
        result = push_portfolio(session, cast.advisor, "稳健组合", [client_id], Decimal(amount), now or dt.datetime.now())
        assert result.sent, result.skipped_with_reasons
        return result.sent[0].task_id


def orders_of(bank_url: str, task_id: str) -> int:
    with session_scope(bank_url) as session:
        push_id = session.scalar(select(PortfolioPush.id).where(PortfolioPush.task_id == task_id))
        return session.execute(select(func.count()).select_from(Order).where(Order.push_id == push_id)).scalar_one()


class TestPortfolioPage:
    def test_page_shows_items_backtest_figures_and_the_chart(self, http: httpx.Client) -> None:
        page = http.get("/portfolios/1")
        assert page.status_code == 200
        for text in ("稳健组合", "稳健添利90天理财", "30%", "累计收益", "最大回撤", "过往业绩不代表未来表现",
                     'src="/portfolios/1/backtest.png"', "33,333.33元"):
            assert text in page.text
        chart = http.get("/portfolios/1/backtest.png")
        assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
        assert chart.content.startswith(PNG_SIGNATURE) and len(chart.content) > 10_000

    def test_unknown_portfolio_is_404(self, http: httpx.Client) -> None:
        assert http.get("/portfolios/999").status_code == 404
        assert http.get("/portfolios/999/backtest.png").status_code == 404
        assert http.get("/portfolios/abc").status_code == 422


class TestPushPage:
    def test_pending_push_shows_both_buttons_to_its_client_only(self, web: Service, http: httpx.Client,
                                                              bank_url: str, cast: Cast) -> None:
        task = new_push(bank_url, cast, cast.suitable[0])
        anonymous = http.get(f"/pushes/{task}")
        assert anonymous.status_code == 200 and "confirm-button" not in anonymous.text and "登录后再确认" in anonymous.text
        with as_client(web, bank_url, cast.suitable[0]) as owner:
            page = owner.get(f"/pushes/{task}")
        assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
        for text in ("稳健组合", "50,000.00元", "15,000.00元", "待确认", f'action="/pushes/{task}/confirm"',
                     f'action="/pushes/{task}/decline"', "风险提示"):
            assert text in page.text

        with session_scope(bank_url) as session:
            client = session.get(Client, cast.suitable[0])
            assert client is not None and client.name not in anonymous.text  # masked for whoever holds the link
        for action in ("confirm", "decline"):  # holding the link is not enough: the client must be signed in
            answer = http.post(f"/pushes/{task}/{action}")
            assert answer.status_code == 401 and "登录后再确认" in answer.text
        assert orders_of(bank_url, task) == 0 and "待确认" in http.get(f"/pushes/{task}").text

    def test_unknown_and_odd_ids_are_404_and_expired_is_410(self, http: httpx.Client, bank_url: str,
                                                           cast: Cast) -> None:
        assert http.get("/pushes/" + "x" * 32).status_code == 404
        assert http.get("/pushes/..%2F..%2Fetc").status_code == 404
        assert http.post("/pushes/" + "x" * 32 + "/confirm").status_code == 404
        old = new_push(bank_url, cast, cast.suitable[1], now=dt.datetime.now() - dt.timedelta(days=8))
        assert http.get(f"/pushes/{old}").status_code == 410
        assert http.post(f"/pushes/{old}/confirm").status_code == 410
        assert orders_of(bank_url, old) == 0

    def test_five_confirmations_including_concurrent_ones_make_one_order_set(
        self, web: Service, bank_url: str, cast: Cast
    ) -> None:
        task = new_push(bank_url, cast, cast.suitable[2])
        statuses: list[int] = []
        barrier = threading.Barrier(4)

        def press() -> None:
            with as_client(web, bank_url, cast.suitable[2]) as own:
                barrier.wait()
                statuses.append(own.post(f"/pushes/{task}/confirm").status_code)

        threads = [threading.Thread(target=press) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
        with as_client(web, bank_url, cast.suitable[2]) as own:
            statuses.append(own.post(f"/pushes/{task}/confirm").status_code)
            page = own.get(f"/pushes/{task}")
        assert statuses == [303] * 5
        assert orders_of(bank_url, task) == 4
        assert "已确认" in page.text and page.text.count('class="order"') == 4 and "confirm-button" not in page.text
        with session_scope(bank_url) as session:
            told = [n for n in messages_for(session, "zhangmin", kind="push_confirmed") if "50,000.00元" in n.text]
            assert len(told) == 1

    def test_decline_then_confirm_buys_nothing(self, web: Service, bank_url: str, cast: Cast) -> None:
        with session_scope(bank_url) as session:  # a fresh suitable client of the same advisor
            client = session.scalar(select(Client).where(Client.advisor_id == cast.advisor.staff_id,
                                                         Client.id.not_in([*cast.suitable, cast.low_risk, cast.expired]),
                                                         Client.wecom_external_userid.is_not(None)).limit(1))
            assert client is not None
            client.risk_level, client.risk_assessed_on = "C2", dt.date(2026, 10, 1)
            client_id = client.id
        task = new_push(bank_url, cast, client_id)
        with as_client(web, bank_url, client_id) as http:
            assert http.post(f"/pushes/{task}/decline").status_code == 303
            assert http.post(f"/pushes/{task}/confirm").status_code == 303
            assert "已暂不购买" in http.get(f"/pushes/{task}").text and orders_of(bank_url, task) == 0

    def test_someone_else_signed_in_may_look_but_not_decide(self, web: Service, bank_url: str, cast: Cast) -> None:
        with session_scope(bank_url) as session:
            owner = session.get(Client, cast.suitable[0])
            assert owner is not None
            other = session.scalar(select(Client.wecom_external_userid).where(
                Client.id != owner.id, Client.wecom_external_userid.is_not(None)).limit(1))
            for earlier in session.scalars(select(PortfolioPush).where(PortfolioPush.client_id == owner.id)):
                earlier.status = "declined"  # the first test's push: one pending push per portfolio and client
        task = new_push(bank_url, cast, cast.suitable[0], amount="60000")
        with httpx.Client(base_url=web.url, timeout=60.0, cookies={"wa_session": session_cookie(str(other))}) as browser:
            assert "confirm-button" not in browser.get(f"/pushes/{task}").text
            assert browser.post(f"/pushes/{task}/confirm").status_code == 403
        with as_client(web, bank_url, owner.id) as browser:
            assert "confirm-button" in browser.get(f"/pushes/{task}").text
            assert browser.post(f"/pushes/{task}/confirm").status_code == 303
        assert orders_of(bank_url, task) == 4

    def test_a_client_no_longer_suitable_is_refused_with_the_reason(self, web: Service, bank_url: str,
                                                                    cast: Cast) -> None:
        task = new_push(bank_url, cast, cast.suitable[1], amount="70000")
        with session_scope(bank_url) as session:
            client = session.get(Client, cast.suitable[1])
            assert client is not None
            client.risk_level = "C1"
        with as_client(web, bank_url, cast.suitable[1]) as http:
            answers = [http.post(f"/pushes/{task}/confirm") for _ in range(3)]
        assert [a.status_code for a in answers] == [409] * 3 and orders_of(bank_url, task) == 0
        assert "风险等级C1低于" in answers[0].text and "已通知您的理财经理" in answers[0].text
        with session_scope(bank_url) as session:  # the advisor hears of it once, not at every press
            told = [n for n in messages_for(session, "zhangmin", kind="push_refused") if "C1低于" in n.text]
            assert len(told) == 1
