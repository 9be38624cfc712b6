"""Choosing a demo identity, the signed session cookie, signing out, and WeCom sign-in when it is not set up."""

from __future__ import annotations

import httpx
import pytest

from tests.servers import start_web
from tests.web.conftest import signed_in


class TestIdentities:
    def test_lists_demo_people_of_every_role_without_personal_numbers(self, client: httpx.Client) -> None:
        people = client.get("/api/identities").json()
        assert {p["role"] for p in people} == {"advisor", "manager", "client"}
        assert {"chenjing", "zhangmin"} <= {p["sender_id"] for p in people}
        assert all(set(p) == {"sender_id", "role", "role_name", "name", "team_name"} for p in people)

    def test_chat_page_offers_them_with_name_and_role(self, client: httpx.Client) -> None:
        page = client.get("/").text
        assert 'data-sender="zhangmin"' in page and "张敏" in page and "理财经理" in page
        assert "行外客户" in page and 'data-guest="1"' in page


class TestSignIn:
    def test_sign_in_sets_a_signed_cookie_and_whoami_answers(self, client: httpx.Client) -> None:
        assert client.get("/api/session").status_code == 401
        me = signed_in(client, "zhangmin").get("/api/session").json()
        assert me == {"sender_id": "zhangmin", "role": "advisor", "role_name": "理财经理", "name": "张敏",
                      "team_name": me["team_name"]}
        assert "wa_session" in client.cookies

    def test_the_cookie_is_not_sent_by_other_sites_forms(self, client: httpx.Client) -> None:
        """SameSite=Lax and HttpOnly: a cross-site form posting to /pushes/{task}/confirm arrives without it."""
        answer = client.post("/api/session", json={"sender_id": "zhangmin"})
        cookie = answer.headers["set-cookie"].lower()
        assert "wa_session=" in cookie and "samesite=lax" in cookie and "httponly" in cookie

    def test_a_tampered_cookie_is_no_identity(self, client: httpx.Client) -> None:
        signed_in(client, "zhangmin")
        value = client.cookies["wa_session"]
        client.cookies.set("wa_session", value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB"))
        assert client.get("/api/session").status_code == 401

    def test_a_cookie_signed_with_another_secret_is_refused(self, web_stub, demo_db_url: str) -> None:
        other = start_web(env={"DATABASE_URL": demo_db_url, "SESSION_SECRET": "another-secret"})
        try:
            with httpx.Client(base_url=other.url) as foreign:
                signed_in(foreign, "chenjing")
                cookie = foreign.cookies["wa_session"]
        finally:
            other.stop()
        with httpx.Client(base_url=web_stub.url) as http:
            http.cookies.set("wa_session", cookie)
            assert http.get("/api/session").status_code == 401
            assert http.get("/api/dashboard/team").status_code == 401

    def test_guests_get_a_fresh_sender_each(self, client: httpx.Client, web_stub) -> None:
        first = client.post("/api/session", json={"guest": True}).json()
        with httpx.Client(base_url=web_stub.url) as other:
            second = other.post("/api/session", json={"guest": True}).json()
        assert first["role"] == second["role"] == "unknown"
        assert first["sender_id"].startswith("web-guest-") and first["sender_id"] != second["sender_id"]
        assert client.get("/api/session").json()["sender_id"] == first["sender_id"]

    def test_unknown_sender_is_404_and_missing_one_is_422_naming_the_field(self, client: httpx.Client) -> None:
        assert client.post("/api/session", json={"sender_id": "nobody-here"}).status_code == 404
        answer = client.post("/api/session", json={})
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "sender_id"]

    def test_sign_out_forgets_the_identity(self, client: httpx.Client) -> None:
        signed_in(client, "zhangmin")
        assert client.delete("/api/session").status_code == 204
        assert client.get("/api/session").status_code == 401


class TestWeComNotConfigured:
    def test_wecom_sign_in_without_wecom_settings_is_a_polite_503(self, client: httpx.Client) -> None:
        """The stub app has no WECOM_* settings; WeCom sign-in itself is tested in test_auth.py."""
        for path in ("/auth/wecom/callback?code=abc&state=x", "/auth/wecom/start", "/auth/wecom/qr"):
            answer = client.get(path)
            assert answer.status_code == 503 and "企业微信登录暂未开通" in answer.text
        assert client.get("/api/session").status_code == 401

    @pytest.mark.slow
    def test_demo_login_can_be_turned_off(self, demo_db_url: str) -> None:
        service = start_web(env={"DATABASE_URL": demo_db_url, "DEMO_LOGIN": "false"})
        try:
            with httpx.Client(base_url=service.url) as http:
                assert http.post("/api/session", json={"sender_id": "zhangmin"}).status_code == 403
                assert http.get("/api/identities").status_code == 404
                assert 'data-sender="' not in http.get("/").text
        finally:
            service.stop()
