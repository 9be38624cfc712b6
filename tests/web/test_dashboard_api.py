"""Dashboard JSON and page over HTTP: who may see what (401/403), period validation (422) and the figures."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from bank.db import session_scope
from bank.directory import demo_identities, who_is
from services.dashboard import team_dashboard
from tests.web.conftest import signed_in

PERIOD = {"start": "2026-10-30", "end": "2026-11-28"}


@pytest.fixture(scope="module")
def a_client(demo_db_url: str) -> str:
    """The WeCom external userid of one demo client."""
    with session_scope(demo_db_url) as session:
        return next(p.wecom_id for p in demo_identities(session) if p.role == "client")


class TestAccess:
    @pytest.mark.parametrize("path", ["/api/dashboard/team", "/api/dashboard/me"])
    def test_no_identity_is_401(self, client: httpx.Client, path: str) -> None:
        assert client.get(path, params=PERIOD).status_code == 401

    @pytest.mark.parametrize(("who", "path"), [
        ("zhangmin", "/api/dashboard/team"), ("client", "/api/dashboard/team"), ("client", "/api/dashboard/me"),
    ])
    def test_wrong_role_is_403(self, client: httpx.Client, a_client: str, who: str, path: str) -> None:
        userid = a_client if who == "client" else who
        answer = signed_in(client, userid).get(path, params=PERIOD)
        assert answer.status_code == 403 and "仅限" in answer.json()["detail"]

    def test_guest_is_403(self, client: httpx.Client) -> None:
        client.post("/api/session", json={"guest": True})
        assert client.get("/api/dashboard/me", params=PERIOD).status_code == 403

    def test_advisor_is_refused_the_dashboard_page(self, client: httpx.Client) -> None:
        page = signed_in(client, "zhangmin").get("/dashboard")
        assert page.status_code == 403 and "仅限管理人员" in page.text

    def test_no_identity_gets_the_page_401(self, client: httpx.Client) -> None:
        page = client.get("/dashboard")
        assert page.status_code == 401 and "请先选择身份" in page.text


class TestFigures:
    def test_team_json_is_the_managers_own_team_and_equals_the_query(
        self, client: httpx.Client, demo_db_url: str
    ) -> None:
        figures = signed_in(client, "zhaoli").get("/api/dashboard/team", params=PERIOD).json()
        with session_scope(demo_db_url) as session:
            manager = who_is(session, "zhaoli")
            assert manager is not None and manager.staff_id is not None
            expected = team_dashboard(session, manager.staff_id, dt.date(2026, 10, 30), dt.date(2026, 11, 28))
        assert figures == expected
        assert figures["team"]["manager"] == "赵丽"

    def test_advisor_sees_their_own_figures(self, client: httpx.Client) -> None:
        figures = signed_in(client, "zhangmin").get("/api/dashboard/me", params=PERIOD).json()
        assert figures["advisor"]["name"] == "张敏" and figures["clients"] > 0

    def test_default_period_is_the_last_30_days(self, client: httpx.Client) -> None:
        figures = signed_in(client, "chenjing").get("/api/dashboard/team").json()
        assert figures["period"]["days"] == 30

    def test_manager_page_has_four_non_empty_charts(self, client: httpx.Client) -> None:
        page = signed_in(client, "chenjing").get("/dashboard", params=PERIOD)
        assert page.status_code == 200
        charts = re.findall(r'<svg class="chart".*?</svg>', page.text, flags=re.S)
        assert len(charts) == 4
        for chart in charts:  # each draws its data: at least one bar with a positive value, not just axes
            values = [float(v) for v in re.findall(r'<rect class="bar" data-value="([^"]+)"', chart)]
            assert values and max(values) > 0, chart[:200]
        for chart in page.text.split('<svg class="chart"')[1:]:
            assert 'class="bar" data-value="' in chart.split("</svg>")[0]


class TestPeriodValidation:
    @pytest.mark.parametrize(("params", "field"), [
        ({"start": "2026-11-28", "end": "2026-11-01"}, "end"),
        ({"start": "2024-01-01", "end": "2026-11-28"}, "start"),
        ({"start": "yesterday"}, "start"),
        ({"end": "2026-13-01"}, "end"),
    ])
    def test_bad_period_is_422_naming_the_field(self, client: httpx.Client, params: dict[str, str], field: str) -> None:
        answer = signed_in(client, "chenjing").get("/api/dashboard/team", params=params)
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["loc"] == ["query", field]

    def test_bad_period_on_the_page_falls_back_with_a_message(self, client: httpx.Client) -> None:
        page = signed_in(client, "chenjing").get("/dashboard", params={"start": "2026-11-28", "end": "2026-11-01"})
        assert page.status_code == 422 and "日期区间无效" in page.text
