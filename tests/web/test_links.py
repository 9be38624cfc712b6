"""A client's one-time sign-in link (`GET /auth/link/{token}`), against the real app under uvicorn on a private bank
copy: the link the push card carries signs its client in and lands on the push page, once, for 15 minutes, and
only as that client."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from bank.db import session_scope
from bank.models import Client, Order, PortfolioPush
from services.pushes import push_path, send_push
from services.sign_in import client_link
from tests.servers import Service, free_port, start_web
from tests.services.push_cast import Cast
from tests.web.conftest import SESSION_SECRET

LINK = re.compile(r"^/auth/link/[A-Za-z0-9_-]{43}$")


@pytest.fixture(scope="module")
def web(bank_url: str) -> Iterator[Service]:
    port = free_port()
    service = start_web(env={"DATABASE_URL": bank_url, "SESSION_SECRET": SESSION_SECRET,
                             "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}, port=port)
    yield service
    service.stop()


@pytest.fixture
def browser(web: Service) -> Iterator[httpx.Client]:
    """A fresh browser: no cookie yet, redirects not followed."""
    with httpx.Client(base_url=web.url, timeout=60.0) as http:
        yield http


def new_browser(web: Service) -> httpx.Client:
    return httpx.Client(base_url=web.url, timeout=60.0)


def path_of(url: str) -> str:
    path = urlsplit(url).path
    assert LINK.match(path), url
    return path


def pushed_with_link(bank_url: str, cast: Cast, client_id: int) -> tuple[str, str]:
    """Push 稳健组合 to the client as the bot does; returns the task id and the path of the card's sign-in link."""
    with session_scope(bank_url) as session:
        for earlier in session.scalars(select(PortfolioPush).where(PortfolioPush.client_id == client_id,
                                                                   PortfolioPush.status == "pending")):
            earlier.status = "expired"  # so the same portfolio may be pushed to this client again
        session.flush()
        result, views = send_push(session, cast.advisor, "稳健组合", [client_id], Decimal("50000"), dt.datetime.now())
        assert result.sent and views[0].link, result.skipped_with_reasons
        return views[0].task_id, path_of(views[0].link)


def link_for(bank_url: str, client_id: int, next_path: str, made: dt.datetime | None = None) -> str:
    with session_scope(bank_url) as session:
        return path_of(client_link(session, client_id, next_path, made or dt.datetime.now()))


def external(bank_url: str, client_id: int) -> str:
    with session_scope(bank_url) as session:
        client = session.get(Client, client_id)
        assert client is not None and client.wecom_external_userid
        return client.wecom_external_userid


def orders_of(bank_url: str, task_id: str) -> int:
    with session_scope(bank_url) as session:
        push_id = session.scalar(select(PortfolioPush.id).where(PortfolioPush.task_id == task_id))
        return session.execute(select(func.count()).select_from(Order).where(Order.push_id == push_id)).scalar_one()


def signed_in_as(http: httpx.Client) -> str | None:
    answer = http.get("/api/session")
    return answer.json()["sender_id"] if answer.status_code == 200 else None


def assert_plain_page(page: httpx.Response) -> None:
    """A Chinese page with no inline script or style (the edge's Content-Security-Policy allows neither)."""
    assert page.headers["content-type"].startswith("text/html") and page.headers["cache-control"] == "no-store"
    assert "<style" not in page.text and " style=" not in page.text
    assert all('src="' in tag for tag in re.findall(r"<script[^>]*>", page.text))
    assert not re.search(r"\son[a-z]+=", page.text)
    assert "wa_session" not in page.headers.get("set-cookie", "")


class TestFreshLink:
    def test_the_card_link_signs_the_client_in_and_lands_on_their_push_page(
        self, browser: httpx.Client, bank_url: str, cast: Cast
    ) -> None:
        client_id = cast.suitable[0]
        task, link = pushed_with_link(bank_url, cast, client_id)
        opened = browser.get(link)
        assert opened.status_code == 303 and opened.headers["location"] == push_path(task)
        assert opened.headers["cache-control"] == "no-store" and opened.headers["referrer-policy"] == "no-referrer"
        assert "wa_session=" in opened.headers["set-cookie"]
        assert signed_in_as(browser) == external(bank_url, client_id)

        page = browser.get(push_path(task))
        assert page.status_code == 200
        for text in ('id="confirm-button"', 'id="decline-button"', "确认", "暂不", "50,000.00元"):
            assert text in page.text
        assert browser.post(f"{push_path(task)}/confirm").status_code == 303
        assert orders_of(bank_url, task) == 4 and "已确认" in browser.get(push_path(task)).text

    def test_following_the_redirect_shows_the_page_with_the_buttons(self, web: Service, bank_url: str,
                                                                   cast: Cast) -> None:
        task, link = pushed_with_link(bank_url, cast, cast.suitable[1])
        with httpx.Client(base_url=web.url, timeout=60.0, follow_redirects=True) as http:
            page = http.get(link)
        assert page.status_code == 200 and str(page.url).endswith(push_path(task))
        assert 'id="confirm-button"' in page.text and 'id="decline-button"' in page.text

    def test_a_link_starts_a_fresh_session_whoever_was_signed_in_before(self, web: Service, bank_url: str,
                                                                        cast: Cast) -> None:
        a, b = cast.suitable[0], cast.suitable[1]
        with new_browser(web) as http:
            assert http.get(link_for(bank_url, b, "/")).status_code == 303
            assert signed_in_as(http) == external(bank_url, b)
            assert http.get(link_for(bank_url, a, "/")).status_code == 303
            assert signed_in_as(http) == external(bank_url, a)

    def test_the_token_stays_out_of_the_server_log(self, web: Service, browser: httpx.Client, bank_url: str,
                                                   cast: Cast) -> None:
        link = link_for(bank_url, cast.suitable[0], "/")
        token = link.rsplit("/", 1)[1]
        assert browser.get(link).status_code == 303
        assert browser.get(link).status_code in (303, 410)
        assert web.log_path is not None
        log = Path(web.log_path).read_text(encoding="utf-8", errors="replace")
        assert "GET /auth/link/" in log and token not in log


class TestRefusedLinks:
    def test_the_same_link_a_second_time_is_410_and_signs_nobody_in(self, web: Service, bank_url: str,
                                                                    cast: Cast) -> None:
        client_id = cast.suitable[2]
        task, link = pushed_with_link(bank_url, cast, client_id)
        with new_browser(web) as first:
            assert first.get(link).status_code == 303
        with new_browser(web) as second:
            again = second.get(link)
            assert again.status_code == 410 and "已经打开过" in again.text and "我的推荐" in again.text
            assert_plain_page(again)
            assert signed_in_as(second) is None
            assert 'id="confirm-button"' not in second.get(push_path(task)).text
            assert second.post(f"{push_path(task)}/confirm").status_code == 401
        assert orders_of(bank_url, task) == 0

    def test_a_second_click_in_the_browser_it_signed_in_goes_on_to_the_page(self, browser: httpx.Client,
                                                                            bank_url: str, cast: Cast) -> None:
        link = link_for(bank_url, cast.suitable[0], "/pushes/somewhere")
        assert browser.get(link).status_code == 303
        again = browser.get(link)
        assert again.status_code == 303 and again.headers["location"] == "/pushes/somewhere"

    def test_an_expired_link_is_410(self, browser: httpx.Client, bank_url: str, cast: Cast) -> None:
        link = link_for(bank_url, cast.suitable[0], "/", made=dt.datetime.now() - dt.timedelta(minutes=16))
        answer = browser.get(link)
        assert answer.status_code == 410 and "已过期" in answer.text and "15分钟" in answer.text
        assert_plain_page(answer)
        assert signed_in_as(browser) is None

    @pytest.mark.parametrize("token", ["A" * 43, "abc", "x" * 500, "tok%0Aen%3Cscript%3E"])
    def test_a_forged_token_is_404(self, browser: httpx.Client, token: str) -> None:
        answer = browser.get(f"/auth/link/{token}")
        assert answer.status_code == 404 and "没有找到这个登录链接" in answer.text
        assert_plain_page(answer)
        assert signed_in_as(browser) is None

    def test_a_link_for_one_client_does_not_let_anyone_act_as_another(self, browser: httpx.Client, bank_url: str,
                                                                      cast: Cast) -> None:
        a, b = cast.suitable[0], cast.suitable[1]
        b_task, _ = pushed_with_link(bank_url, cast, b)
        assert browser.get(link_for(bank_url, a, push_path(b_task))).status_code == 303
        assert signed_in_as(browser) == external(bank_url, a)
        page = browser.get(push_path(b_task))
        assert page.status_code == 200 and 'id="confirm-button"' not in page.text
        assert browser.post(f"{push_path(b_task)}/confirm").status_code == 403
        assert browser.post(f"{push_path(b_task)}/decline").status_code == 403
        assert orders_of(bank_url, b_task) == 0
        with session_scope(bank_url) as session:
            assert session.scalar(select(PortfolioPush.status).where(PortfolioPush.task_id == b_task)) == "pending"
