"""Staff sign-in with WeCom (OAuth in WeCom's browser, QR login elsewhere) against the fake WeCom API, and the
demo picker that accepts only the identities it offers.

WeCom sign-in runs on an app with the picker off (DEMO_LOGIN=false), the way production runs it.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.servers import Service, start_web
from tests.web.conftest import SESSION_SECRET, signed_in
from tests.wecom_peer.fake_api import FakeWeCom

PUBLIC = "https://wealth.bank.example"
CALLBACK = PUBLIC + "/auth/wecom/callback"
AGENT_ID = "1000002"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeWeCom]:
    api = FakeWeCom().start()
    yield api
    api.stop()


@pytest.fixture(scope="module")
def staff(demo_db_url: str) -> dict[str, Any]:
    """Who is who in the demo bank: staff the picker offers and staff it does not (advisors), and a client."""
    from bank.db import session_scope
    from bank.directory import demo_identities
    from bank.models import Identity, Staff

    with session_scope(demo_db_url) as session:
        offered = demo_identities(session)
        offered_ids = {p.wecom_id for p in offered}
        members = session.execute(select(Identity.wecom_id, Staff.role).join(Staff, Identity.staff_id == Staff.id)
                                  .where(Identity.kind == "staff").order_by(Staff.id)).all()
    hidden = [userid for userid, _ in members if userid not in offered_ids]
    assert hidden, "the demo bank has staff the picker does not offer"
    return {"offered": offered, "hidden": hidden,
            "hidden_advisor": next(u for u, r in members if u in hidden and r == "advisor"),
            "manager": next(p.wecom_id for p in offered if p.role == "manager"),
            "client": next(p for p in offered if p.role == "client"),
            "offered_staff": next(p for p in offered if p.role == "advisor")}


@pytest.fixture(scope="module")
def oauth_web(demo_db_url: str, fake: FakeWeCom) -> Iterator[Service]:
    """The real app with WeCom configured (pointing at the fake API) and the demo picker off."""
    service = start_web(env={
        "DATABASE_URL": demo_db_url, "SESSION_SECRET": SESSION_SECRET, "DEMO_LOGIN": "false",
        "PUBLIC_BASE_URL": PUBLIC, "WECOM_CORP_ID": fake.corp_id, "WECOM_SECRET": "app-secret",
        "WECOM_TOKEN": "token", "WECOM_AES_KEY": "a" * 43, "WECOM_AGENT_ID": AGENT_ID,
        "WECOM_API_BASE": fake.api_base, "REDIS_URL": "",
    })
    yield service
    service.stop()


@pytest.fixture
def http(oauth_web: Service) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=oauth_web.url, timeout=30.0) as client:
        yield client


def begin(http: httpx.Client, path: str = "/auth/wecom/start", next_: str | None = "/dashboard") -> dict[str, Any]:
    """Start a sign-in; the parsed WeCom URL it redirects to (with `state` among its parameters)."""
    answer = http.get(path, params={} if next_ is None else {"next": next_})
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    parts = urllib.parse.urlsplit(location)
    params = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
    return {"raw": location, "parts": parts, "params": params, "state": params["state"]}


def callback(http: httpx.Client, code: str | None, state: str | None) -> httpx.Response:
    params = {k: v for k, v in (("code", code), ("state", state)) if v is not None}
    return http.get("/auth/wecom/callback", params=params)


def who(http: httpx.Client) -> dict[str, Any] | None:
    answer = http.get("/api/session")
    return answer.json() if answer.status_code == 200 else None


class TestRedirectsToWeCom:
    def test_start_sends_wecoms_browser_to_oauth_with_a_state_bound_to_the_session(
            self, http: httpx.Client, fake: FakeWeCom) -> None:
        first = begin(http)
        parts, params = first["parts"], first["params"]
        assert (parts.scheme, parts.netloc, parts.path) == ("https", "open.weixin.qq.com", "/connect/oauth2/authorize")
        assert parts.fragment == "wechat_redirect"
        assert params == {"appid": fake.corp_id, "redirect_uri": CALLBACK, "response_type": "code",
                          "scope": "snsapi_base", "state": first["state"], "agentid": AGENT_ID}
        assert "redirect_uri=" + urllib.parse.quote(CALLBACK, safe="") in first["raw"]
        assert len(first["state"]) >= 20 and "wa_session" in http.cookies
        assert begin(http)["state"] != first["state"]

    def test_qr_sends_other_browsers_to_wecoms_web_login(self, http: httpx.Client, fake: FakeWeCom) -> None:
        qr = begin(http, "/auth/wecom/qr")
        parts, params = qr["parts"], qr["params"]
        assert (parts.scheme, parts.netloc, parts.path) == ("https", "login.work.weixin.qq.com", "/wwlogin/sso/login")
        assert params == {"login_type": "CorpApp", "appid": fake.corp_id, "agentid": AGENT_ID,
                          "redirect_uri": CALLBACK, "state": qr["state"]}
        assert "redirect_uri=" + urllib.parse.quote(CALLBACK, safe="") in qr["raw"]

    def test_the_sign_in_page_offers_both_and_goes_straight_to_oauth_inside_wecom(self, http: httpx.Client) -> None:
        page = http.get("/auth/login", params={"next": "/dashboard"})
        assert page.status_code == 200 and "员工登录" in page.text
        assert 'href="/auth/wecom/qr?next=%2Fdashboard"' in page.text and "<script>" not in page.text
        inside = http.get("/auth/login", params={"next": "/dashboard"},
                          headers={"User-Agent": "Mozilla/5.0 wxwork/4.1.0 MicroMessenger/7.0.1"})
        assert inside.status_code == 302 and inside.headers["location"] == "/auth/wecom/start?next=%2Fdashboard"


class TestCallback:
    @pytest.mark.parametrize("path", ["/auth/wecom/start", "/auth/wecom/qr"])
    def test_a_staff_member_is_signed_in_and_sent_where_they_were_going(
            self, http: httpx.Client, fake: FakeWeCom, staff: dict[str, Any], path: str) -> None:
        userid = staff["hidden_advisor"]  # not offered by the picker: WeCom sign-in is not limited to it
        state = begin(http, path, "/dashboard?start=2026-11-01")["state"]
        answer = callback(http, fake.add_oauth_code(userid), state)
        assert answer.status_code == 303 and answer.headers["location"] == "/dashboard?start=2026-11-01"
        assert answer.headers["cache-control"] == "no-store" and answer.headers["referrer-policy"] == "no-referrer"
        me = who(http)
        assert me is not None and me["sender_id"] == userid and me["role"] == "advisor"

    def test_a_manager_lands_on_the_team_dashboard(self, http: httpx.Client, fake: FakeWeCom,
                                                   staff: dict[str, Any]) -> None:
        state = begin(http)["state"]
        assert callback(http, fake.add_oauth_code(staff["manager"]), state).headers["location"] == "/dashboard"
        assert who(http)["role"] == "manager"  # type: ignore[index]
        assert http.get("/api/dashboard/team").status_code == 200

    def test_signing_in_starts_a_fresh_session(self, http: httpx.Client, fake: FakeWeCom,
                                               staff: dict[str, Any]) -> None:
        state = begin(http)["state"]
        callback(http, fake.add_oauth_code(staff["hidden_advisor"]), state)
        state = begin(http)["state"]
        callback(http, fake.add_oauth_code(staff["manager"]), state)
        assert who(http)["sender_id"] == staff["manager"]  # type: ignore[index]

    def test_no_next_goes_home(self, http: httpx.Client, fake: FakeWeCom, staff: dict[str, Any]) -> None:
        state = begin(http, next_=None)["state"]
        assert callback(http, fake.add_oauth_code(staff["hidden_advisor"]), state).headers["location"] == "/"

    @pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example",
                                        "//evil.example/dashboard", "javascript:alert(1)", "http:/evil.example"])
    def test_an_open_redirect_attempt_lands_on_home(self, http: httpx.Client, fake: FakeWeCom,
                                                    staff: dict[str, Any], target: str) -> None:
        state = begin(http, next_=target)["state"]
        answer = callback(http, fake.add_oauth_code(staff["hidden_advisor"]), state)
        assert answer.status_code == 303 and answer.headers["location"] == "/"


class TestRefused:
    @pytest.mark.parametrize("given", ["wrong", None, ""])
    def test_a_wrong_or_missing_state_is_400_and_signs_nobody_in(self, http: httpx.Client, fake: FakeWeCom,
                                                                 staff: dict[str, Any], given: str | None) -> None:
        right = begin(http)["state"]
        code = fake.add_oauth_code(staff["hidden_advisor"])
        answer = callback(http, code, given)
        assert answer.status_code == 400 and "请重新登录" in answer.text
        assert who(http) is None and code in fake.oauth_codes  # the code was never exchanged
        assert callback(http, code, right).status_code == 400  # the failed attempt used the state up
        assert who(http) is None

    def test_a_state_is_used_once(self, http: httpx.Client, fake: FakeWeCom, staff: dict[str, Any]) -> None:
        state = begin(http)["state"]
        assert callback(http, fake.add_oauth_code(staff["hidden_advisor"]), state).status_code == 303
        http.delete("/api/session")
        answer = callback(http, fake.add_oauth_code(staff["hidden_advisor"]), state)
        assert answer.status_code == 400 and who(http) is None

    def test_a_state_from_another_browser_is_refused(self, http: httpx.Client, oauth_web: Service,
                                                     fake: FakeWeCom, staff: dict[str, Any]) -> None:
        victims_state = begin(http)["state"]
        with httpx.Client(base_url=oauth_web.url) as attacker:
            begin(attacker)
            answer = callback(attacker, fake.add_oauth_code(staff["manager"]), victims_state)
            assert answer.status_code == 400 and who(attacker) is None

    def test_a_used_code_is_refused(self, http: httpx.Client, fake: FakeWeCom, staff: dict[str, Any]) -> None:
        code = fake.add_oauth_code(staff["hidden_advisor"])
        assert callback(http, code, begin(http)["state"]).status_code == 303
        http.delete("/api/session")
        answer = callback(http, code, begin(http)["state"])
        assert answer.status_code == 400 and "已被使用" in answer.text and who(http) is None

    def test_a_code_wecom_never_issued_is_refused(self, http: httpx.Client) -> None:
        answer = callback(http, "made-up-code", begin(http)["state"])
        assert answer.status_code == 400 and who(http) is None

    def test_a_missing_code_is_400(self, http: httpx.Client) -> None:
        assert callback(http, None, begin(http)["state"]).status_code == 400 and who(http) is None

    @pytest.mark.parametrize("kind", ["client", "stranger", "non-member"])
    def test_anyone_but_staff_is_403_and_not_signed_in(self, http: httpx.Client, fake: FakeWeCom,
                                                        staff: dict[str, Any], kind: str) -> None:
        code = {"client": lambda: fake.add_oauth_code(staff["client"].wecom_id),
                "stranger": lambda: fake.add_oauth_code("somebody-else"),
                "non-member": lambda: fake.add_oauth_code(openid="oOUTSIDER")}[kind]()
        answer = callback(http, code, begin(http)["state"])
        assert answer.status_code == 403 and "仅限本行理财经理和管理人员" in answer.text
        assert who(http) is None

    @pytest.mark.parametrize("fault", [503, 60011])
    def test_wecom_failing_is_a_polite_502(self, http: httpx.Client, fake: FakeWeCom, staff: dict[str, Any],
                                           fault: int) -> None:
        code = fake.add_oauth_code(staff["hidden_advisor"])
        state = begin(http)["state"]
        fake.inject("auth/getuserinfo", fault)
        answer = callback(http, code, state)
        assert answer.status_code == 502 and "请稍后再试" in answer.text and who(http) is None

    def test_neither_code_nor_state_reaches_the_log(self, http: httpx.Client, oauth_web: Service,
                                                    fake: FakeWeCom, staff: dict[str, Any]) -> None:
        code = fake.add_oauth_code(staff["hidden_advisor"])
        state = begin(http)["state"]
        assert callback(http, code, state).status_code == 303
        callback(http, "CODEnever-issued", "STATEnever-issued")
        assert oauth_web.log_path is not None
        log = oauth_web.log_path.read_text(encoding="utf-8", errors="replace")
        assert "/auth/wecom/callback" in log
        assert code not in log and state not in log and "never-issued" not in log


class TestDemoPicker:
    def test_with_demo_login_off_the_picker_refuses_while_wecom_sign_in_works(
            self, http: httpx.Client, fake: FakeWeCom, staff: dict[str, Any]) -> None:
        offered = staff["offered_staff"].wecom_id
        assert http.post("/api/session", json={"sender_id": offered}).status_code == 403
        assert http.post("/api/session", json={"guest": True}).status_code == 403
        assert http.get("/api/identities").status_code == 404 and who(http) is None
        assert callback(http, fake.add_oauth_code(offered), begin(http)["state"]).status_code == 303
        assert who(http)["sender_id"] == offered  # type: ignore[index]

    def test_the_picker_accepts_only_whom_it_offers(self, client: httpx.Client, staff: dict[str, Any]) -> None:
        offered = {p["sender_id"] for p in client.get("/api/identities").json()}
        assert offered == {p.wecom_id for p in staff["offered"]}
        for userid in staff["hidden"]:
            answer = client.post("/api/session", json={"sender_id": userid})
            assert answer.status_code == 404 and answer.json()["detail"] == "没有这个演示身份"
            assert who(client) is None
        me = signed_in(client, staff["offered_staff"].wecom_id).get("/api/session").json()
        assert me["sender_id"] == staff["offered_staff"].wecom_id
        assert client.post("/api/session", json={"guest": True}).json()["role"] == "unknown"

    def test_a_client_the_picker_does_not_show_is_404_too(self, client: httpx.Client, demo_db_url: str) -> None:
        from bank.db import session_scope
        from bank.models import Identity

        offered = {p["sender_id"] for p in client.get("/api/identities").json()}
        with session_scope(demo_db_url) as session:
            hidden = next(i for i in session.execute(select(Identity.wecom_id).where(Identity.kind == "client")
                                                     .order_by(Identity.client_id.desc())).scalars()
                          if i not in offered)
        assert client.post("/api/session", json={"sender_id": hidden}).status_code == 404
        assert who(client) is None
