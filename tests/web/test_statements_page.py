"""The monthly statement page over HTTP against the real app: the month's figures in yuan to the fen, no login,
nothing unmasked, and 404 / 410 pages for unknown and expired links."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import delete, select, update

from bank.db import session_scope
from bank.masking import mask_name
from bank.models import Client, ClientStatement, Holding
from calc.money import fmt_yuan
from services.settings import Settings
from services.statements import statement_link, statement_path
from services.wealth import client_statement


@dataclass(frozen=True)
class Made:
    live: str
    expired: str
    name: str
    profit: str


@pytest.fixture(scope="module")
def made(demo_db_url: str) -> Made:
    now = dt.datetime.now()
    with session_scope(demo_db_url) as session:
        clients = session.scalars(select(Client).where(Client.id.in_(select(Holding.client_id)))
                                  .order_by(Client.id.desc()).limit(2)).all()
        # A statement made earlier in the run (by another module's orders or '账单' answers) keeps the figures of
        # its day: start from none so that the page and the expected figures are of the same data.
        session.execute(delete(ClientStatement).where(ClientStatement.client_id.in_([c.id for c in clients])))
        links = [statement_link(session, c.id, now, Settings()) for c in clients]
        assert all(links)
        live, expired = (str(link).rsplit("/", 1)[1] for link in links)
        session.execute(update(ClientStatement).where(ClientStatement.share_token == expired)
                        .values(expires_at=now - dt.timedelta(minutes=1)))
        last = now.date().replace(day=1) - dt.timedelta(days=1)
        view = client_statement(session, clients[0].id, "this_month", last)
        assert view is not None
        return Made(live, expired, clients[0].name, fmt_yuan(view.statement.profit))


def test_the_page_shows_the_months_figures_in_yuan(client: httpx.Client, made: Made) -> None:
    page = client.get(statement_path(made.live))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    last = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    assert f'<h1 id="statement-title">{last.month}月财富账单</h1>' in page.text
    assert f'<td>本月投资收益</td><td class="num">{made.profit}</td>' in page.text
    assert "月末持仓市值" in page.text and "理财非存款，产品有风险，投资须谨慎。" in page.text


def test_the_page_is_private_needs_no_login_and_shows_no_unmasked_name(client: httpx.Client, made: Made) -> None:
    page = client.get(statement_path(made.live))
    assert made.name not in page.text and str(mask_name(made.name)) in page.text
    assert page.headers["cache-control"] == "private, no-store" and "noindex" in page.headers["x-robots-tag"]
    assert "wa_session" not in client.cookies and 'id="who"' not in page.text


@pytest.mark.parametrize(("token", "code", "words"), [("x" * 32, 404, "没有找到这份账单"), ("../etc", 404, None),
                                                      ("expired", 410, "链接已过期")])
def test_unknown_and_expired_links_are_refused(client: httpx.Client, made: Made, token: str, code: int,
                                               words: str | None) -> None:
    page = client.get(statement_path(made.expired if token == "expired" else token))
    assert page.status_code == code
    if words:
        assert words in page.text and made.profit not in page.text


def test_the_access_log_never_shows_the_token(made: Made) -> None:
    from web.logs import masked_path

    assert masked_path(statement_path(made.live)) == "/statements/{token}"
