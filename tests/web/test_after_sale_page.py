"""效果回检 on the push page and 售后检视 on the manager dashboard, against the real app under uvicorn on a private bank
copy where a push was sold, confirmed and settled (tests/services/test_after_sale.py's story), its clock pinned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from bank.db import session_scope
from calc.money import fmt_pct, fmt_yuan
from services.after_sale import push_review
from services.dashboard import after_sale_figures
from services.push_decisions import decline_push
from services.pushes import push_portfolio
from tests.servers import Service, free_port, start_web
from tests.services.after_sale_story import TODAY, sold
from tests.services.push_cast import Cast
from tests.web.conftest import SESSION_SECRET, signed_in
from tests.web.test_portfolios import PNG_SIGNATURE, as_client

PERIOD = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture(scope="module")
def tasks(bank_url: str, cast: Cast) -> list[str]:
    """平衡组合 pushed to three of 张敏's clients on 2026-11-02: two confirm (settled), one declines."""
    return sold(bank_url, cast)


@pytest.fixture(scope="module")
def web(bank_url: str, tasks: list[str]) -> Iterator[Service]:
    port = free_port()
    service = start_web(env={"DATABASE_URL": bank_url, "SESSION_SECRET": SESSION_SECRET,
                             "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                             "CLOCK_NOW": f"{TODAY.isoformat()}T12:00:00"}, port=port)
    yield service
    service.stop()


@pytest.fixture
def http(web: Service) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web.url, timeout=60.0) as client:
        yield client


class TestPushPage:
    def test_the_advisor_sees_the_batch_with_figures_and_chart(self, http: httpx.Client, bank_url: str,
                                                               cast: Cast, tasks: list[str]) -> None:
        with session_scope(bank_url) as s:
            review = push_review(s, cast.advisor, tasks[0], TODAY)
        assert review.total is not None and review.benchmark is not None and review.before is not None
        page = signed_in(http, "zhangmin").get(f"/pushes/{tasks[0]}")
        assert page.status_code == 200
        section = page.text.split('id="after-sale"')[1].split("</section>")[0]
        for text in ("效果回检", "推送3位，确认2位", "100,000.00元", fmt_yuan(float(review.value)),
                     fmt_pct(review.total.total_return), fmt_pct(review.total.max_drawdown),
                     fmt_pct(review.benchmark.total_return), fmt_pct(review.before.total_return),
                     "30%沪深300指数基金+70%利率债指数基金", "成交份额", "2026-11-02至2026-12-01",
                     f'src="/pushes/{tasks[0]}/review.png"'):
            assert text in section, text
        assert section.count('class="after-sale-client"') == 2
        for client in review.clients:
            assert client.client_name in section and fmt_pct(client.figures.total_return) in section
        chart = http.get(f"/pushes/{tasks[0]}/review.png")
        assert chart.status_code == 200 and chart.content.startswith(PNG_SIGNATURE) and len(chart.content) > 10_000

    def test_the_manager_chooses_the_benchmark(self, http: httpx.Client, bank_url: str, cast: Cast,
                                               tasks: list[str]) -> None:
        page = signed_in(http, "chenjing").get(f"/pushes/{tasks[1]}", params={"benchmark": "csi300"})
        assert page.status_code == 200 and "远航沪深300指数A" in page.text
        assert '<option value="csi300" selected>' in page.text
        assert f'src="/pushes/{tasks[1]}/review.png?benchmark=csi300"' in page.text
        assert http.get(f"/pushes/{tasks[1]}/review.png", params={"benchmark": "csi300"}).status_code == 200
        assert http.get(f"/pushes/{tasks[1]}", params={"benchmark": "../x"}).status_code == 422

    def test_the_client_sees_only_their_own_result(self, web: Service, bank_url: str, cast: Cast,
                                                   tasks: list[str]) -> None:
        with as_client(web, bank_url, cast.suitable[0]) as own:
            page = own.get(f"/pushes/{tasks[0]}")
            section = page.text.split('id="after-sale"')[1].split("</section>")[0]
            assert "推送1位，确认1位" in section and section.count('class="after-sale-client"') == 1
            assert "50,000.00元" in section
            other = own.get(f"/pushes/{tasks[1]}")  # another client's push of the same batch
            assert other.status_code == 200 and 'id="after-sale"' not in other.text
            assert own.get(f"/pushes/{tasks[1]}/review.png").status_code == 404

    def test_strangers_see_no_results(self, http: httpx.Client, tasks: list[str]) -> None:
        anonymous = http.get(f"/pushes/{tasks[0]}")
        assert anonymous.status_code == 200 and 'id="after-sale"' not in anonymous.text
        assert http.get(f"/pushes/{tasks[0]}/review.png").status_code == 404
        for outsider in ("liqiang", "zhaoli"):  # another advisor of the team; another team's manager
            signed_in(http, outsider)
            assert 'id="after-sale"' not in http.get(f"/pushes/{tasks[0]}").text
            assert http.get(f"/pushes/{tasks[0]}/review.png").status_code == 404

    def test_a_push_nobody_confirmed_shows_the_benchmark_only(self, http: httpx.Client, bank_url: str,
                                                               cast: Cast) -> None:
        at = dt.datetime(2026, 11, 10, 10, 0)
        with session_scope(bank_url) as s:
            task = push_portfolio(s, cast.advisor, "稳健组合", cast.suitable[2:], Decimal("50000"), at).sent[0].task_id
            decline_push(s, task, cast.suitable[2], at)
        page = signed_in(http, "zhangmin").get(f"/pushes/{task}")
        section = page.text.split('id="after-sale"')[1].split("</section>")[0]
        assert "推送1位，确认0位" in section and "还没有客户确认购买" in section
        assert "after-sale-client" not in section and "review.png" not in section
        assert http.get(f"/pushes/{task}/review.png").status_code == 404


class TestDashboard:
    def test_after_sale_by_advisor_table_and_json(self, http: httpx.Client, bank_url: str, cast: Cast,
                                                  tasks: list[str]) -> None:
        with session_scope(bank_url) as s:
            expected = after_sale_figures(s, [cast.advisor.staff_id or 0], TODAY.replace(day=1, month=11),
                                          TODAY.replace(day=30, month=11), TODAY)["advisors"][0]
        signed_in(http, "chenjing")
        figures = http.get("/api/dashboard/team", params=PERIOD).json()["after_sale"]
        mine = next(a for a in figures["advisors"] if a["name"] == "张敏")
        assert mine == expected
        assert mine["pushes"] >= 3 and (mine["confirmed"], mine["invested"]) == (2, "100000.00")
        assert figures["total"]["invested"] == "100000.00" and figures["as_of"] == TODAY.isoformat()
        page = http.get("/dashboard", params=PERIOD)
        table = page.text.split('id="after-sale-advisors"')[1].split("</table>")[0]
        row = next(r for r in table.split("<tr>") if "张敏" in r)
        for text in (f"{mine['pushes']}/2", "100,000.00", fmt_pct(mine["average_return"]), fmt_pct(mine["worst_drawdown"])):
            assert text in row, text
