"""The 效果回检 page of a proposal (/proposals/{token}/review) against the real app: its advisor and the team's
manager see what the client bought of it since, with the chart; anyone else gets 404 and no chart, even by the
link; it still opens after the proposal's own link expired."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import httpx
from sqlalchemy import select

from bank.db import session_scope
from bank.models import Product, Proposal
from services.advisor_proposals import client_proposal
from services.push_decisions import confirm_push
from services.push_products import product_portfolio
from services.pushes import push_portfolio
from tests.servers import Service
from tests.services.push_cast import Cast
from tests.web.conftest import signed_in
from tests.web.test_portfolios import web  # noqa: F401  (web: a fixture)


@contextmanager
def browser(web: Service, who: str | None) -> Iterator[httpx.Client]:  # noqa: F811
    with httpx.Client(base_url=web.url, timeout=60.0) as http:
        yield signed_in(http, who) if who else http


def test_the_review_of_a_proposal(web: Service, bank_url: str, cast: Cast) -> None:  # noqa: F811
    client = cast.suitable[1]
    made = dt.datetime.now() - dt.timedelta(days=40)
    with session_scope(bank_url) as s:
        proposal = client_proposal(s, cast.advisor, client, "checkup", made.date())
        row = s.scalars(select(Proposal).where(Proposal.share_token == proposal.token)).one()
        row.created_at, row.expires_at = made, made + dt.timedelta(days=30)  # its link has expired
    token = proposal.token
    with browser(web, "zhangmin") as advisor, browser(web, "chenjing") as manager, \
            browser(web, "liqiang") as other, browser(web, None) as nobody:
        assert advisor.get(f"/proposals/{token}").status_code == 410
        page = advisor.get(f"/proposals/{token}/review")
        assert page.status_code == 200 and "效果回检" in page.text and "财富体检建议书推荐产品" in page.text
        assert "建议有效期内成交0笔" in page.text and "建议有效期内还没有成交推荐的产品" in page.text
        assert manager.get(f"/proposals/{token}/review").status_code == 200
        for outsider in (other, nobody):
            assert outsider.get(f"/proposals/{token}/review").status_code == 404
            assert outsider.get(f"/proposals/{token}/review.png").status_code == 404
        assert advisor.get(f"/proposals/{token}/review?benchmark=csi300").status_code == 200
        assert advisor.get(f"/proposals/{token}/review?benchmark=<x>").status_code == 422


def test_what_followed_a_proposal_shows_with_its_chart(web: Service, bank_url: str, cast: Cast) -> None:  # noqa: F811
    client = cast.suitable[2]
    made = dt.datetime.now() - dt.timedelta(days=5)
    with session_scope(bank_url) as s:
        proposal = client_proposal(s, cast.advisor, client, "checkup", made.date())
        row = s.scalars(select(Proposal).where(Proposal.share_token == proposal.token)).one()
        row.created_at, row.expires_at = made, made + dt.timedelta(days=30)
        code = row.payload["products"][0]["code"]
        product = s.scalars(select(Product).where(Product.code == code)).one()
        portfolio = product_portfolio(s, [product], [1.0], cast.advisor.staff_id).id
    with session_scope(bank_url) as s:
        task = push_portfolio(s, cast.advisor, portfolio, [client], Decimal("30000"), dt.datetime.now()).sent[0].task_id
    with session_scope(bank_url) as s:
        assert confirm_push(s, task, client, dt.datetime.now()).status == "confirmed"
    with browser(web, "zhangmin") as advisor:
        page = advisor.get(f"/proposals/{proposal.token}/review")
        assert page.status_code == 200 and "建议有效期内成交1笔" in page.text and "30,000.00元" in page.text
        assert product.name in page.text and 'id="after-sale-chart"' in page.text
        chart = advisor.get(f"/proposals/{proposal.token}/review.png")
        assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
