"""Proposal pages over HTTP against the real app: the page with its numbers, the chart PNGs, and 404/410 pages.

Proposals are made with bank.proposals in the session's demo bank. They have no creator (created_by_id None),
so the dashboards' proposal counts are not affected.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from bank.db import session_scope
from bank.masking import mask_name
from bank.models import Client
from bank.proposals import chart_path, create_proposal, proposal_path
from charts.render import render
from tests.charts.samples import CHARTS, payload

PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Made:
    live: str
    expired: str
    client_name: str
    client_phone: str


@pytest.fixture(scope="module")
def made(demo_db_url: str) -> Made:
    now = dt.datetime.now()
    with session_scope(demo_db_url) as session:
        client = session.scalars(select(Client).where(Client.phone.is_not(None)).order_by(Client.id)).first()
        assert client is not None
        live = create_proposal(session, kind="checkup", payload=payload(subject=mask_name(client.name) or "访客"),
                               client_id=client.id, now=now)
        expired = create_proposal(session, kind="plan_simulation", payload=payload(), now=now - dt.timedelta(days=31),
                                  ttl_days=30)
        return Made(live.share_token, expired.share_token, client.name, client.phone or "")


def test_the_page_shows_title_numbers_charts_assumptions_products_and_risk_notice(
        client: httpx.Client, made: Made) -> None:
    page = client.get(proposal_path(made.live))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert '<h1 id="proposal-title">您的财富体检报告</h1>' in text
    assert "财富体检建议书" in text
    for figure in ("60,000.00元", "目标 75,000.00元", "随时要用的钱还差 1.50万元", "2.50%", "稳享固收30天", "R2"):
        assert figure in text, figure
    assert "<th>资产类别</th>" in text and '<td class="num">73%</td>' in text  # first row read as the header
    assert "应急资金不足三个月支出。" in text and "理财非存款，产品有风险，投资须谨慎。" in text
    for chart in CHARTS.values():
        assert f'src="{chart_path(made.live, chart["name"])}"' in text
    today = dt.date.today()
    assert f"生成于 <time id=\"proposal-created\">{today.year}年{today.month}月{today.day}日</time>" in text
    assert 'id="proposal-expires"' in text


def test_the_page_is_private_and_shows_no_unmasked_personal_data(client: httpx.Client, made: Made) -> None:
    page = client.get(proposal_path(made.live))
    assert made.client_name not in page.text and made.client_phone not in page.text
    assert mask_name(made.client_name) in page.text
    assert page.headers["cache-control"] == "private, no-store"
    assert "noindex" in page.headers["x-robots-tag"] and page.headers["referrer-policy"] == "no-referrer"


def test_the_page_needs_no_login_and_shows_no_identity(client: httpx.Client, made: Made) -> None:
    assert "wa_session" not in client.cookies
    page = client.get(proposal_path(made.live))
    assert page.status_code == 200 and 'id="who"' not in page.text


@pytest.mark.parametrize("name", [chart["name"] for chart in CHARTS.values()])
def test_each_chart_is_a_png_with_cache_headers(client: httpx.Client, made: Made, name: str) -> None:
    answer = client.get(chart_path(made.live, name))
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert answer.content[:8] == PNG and Image.open(io.BytesIO(answer.content)).size == (800, 500)
    assert answer.headers["cache-control"] == "private, max-age=3600" and answer.headers["etag"]
    chart = next(c for c in CHARTS.values() if c["name"] == name)
    assert answer.content == render(chart), "the page's chart differs from the payload's (e.g. series reordered)"


def test_a_chart_the_browser_already_has_is_not_sent_again(client: httpx.Client, made: Made) -> None:
    first = client.get(chart_path(made.live, "pots"))
    again = client.get(chart_path(made.live, "pots"), headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_an_unknown_chart_is_404(client: httpx.Client, made: Made) -> None:
    answer = client.get(chart_path(made.live, "nope"))
    assert answer.status_code == 404 and "没有这张图表" in answer.text


def test_an_unknown_token_is_a_chinese_404_page(client: httpx.Client) -> None:
    page = client.get(proposal_path("A" * 32))
    assert page.status_code == 404 and "没有找到这份建议书" in page.text
    assert client.get(chart_path("A" * 32, "pots")).status_code == 404


def test_an_expired_link_is_a_chinese_410_page(client: httpx.Client, made: Made) -> None:
    page = client.get(proposal_path(made.expired))
    assert page.status_code == 410 and "链接已过期" in page.text and "您的财富体检报告" not in page.text
    assert client.get(chart_path(made.expired, "pots")).status_code == 410


@pytest.mark.parametrize("token", ["abc", "x" * 300, "%3Cscript%3E", "..%2F..%2Fhealth", "%00" * 20,
                                   "a%20b%20c%20d%20e%20f%20g%20h", "%E4%BD%A0%E5%A5%BD" * 6, "' OR 1=1 --aaaaaa"])
def test_an_odd_token_is_404_never_500(client: httpx.Client, token: str) -> None:
    assert client.get(f"/proposals/{token}").status_code == 404
    assert client.get(f"/proposals/{token}/charts/pots.png").status_code == 404


@pytest.mark.parametrize("name", ["..%2Fpots", "%3Cb%3E", "p" * 100])
def test_an_odd_chart_name_is_404(client: httpx.Client, made: Made, name: str) -> None:
    assert client.get(f"/proposals/{made.live}/charts/{name}.png").status_code == 404
