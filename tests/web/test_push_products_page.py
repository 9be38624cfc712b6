"""The client's push page for a single product and an insurance product (title = the product, 犹豫期 stated, no
link to a model portfolio's back-test), against the real app under uvicorn on a private bank copy."""

from __future__ import annotations

import datetime as dt

from bank.db import session_scope
from services.pushes import draft_push, push_portfolio
from tests.servers import Service
from tests.services.push_cast import Cast
from tests.web.test_portfolios import as_client, web  # noqa: F401  (web: a fixture)


def product_push(bank_url: str, cast: Cast, text: str) -> str:
    """Push the product(s) `text` names to the cast's first suitable client, as the chat does; the task id."""
    with session_scope(bank_url) as session:
        draft = draft_push(session, cast.advisor, text, dt.datetime.now(), shown_client_ids=cast.suitable[:1])
        assert draft.preview is not None, draft
        result = push_portfolio(session, cast.advisor, draft.preview.portfolio_id, cast.suitable[:1],
                                draft.preview.amount, dt.datetime.now())
        assert result.sent, result.skipped_with_reasons
        return result.sent[0].task_id


def test_a_single_product_and_an_insurance_push_page(web: Service, bank_url: str, cast: Cast) -> None:  # noqa: F811
    wmp = product_push(bank_url, cast, "把稳健添利90天推给他们，2万")
    policy = product_push(bank_url, cast, "组合下单：福寿康宁重疾险，推给他们")
    with as_client(web, bank_url, cast.suitable[0]) as owner:
        single, insured = owner.get(f"/pushes/{wmp}"), owner.get(f"/pushes/{policy}")
    assert single.status_code == 200 and insured.status_code == 200
    assert '<h1 id="push-title">稳健添利90天理财</h1>' in single.text and "产品推荐" in single.text
    assert "20,000.00元" in single.text and "查看组合介绍和历史回测" not in single.text
    assert '<h1 id="push-title">福寿康宁重疾险</h1>' in insured.text and "保险推荐" in insured.text
    assert "犹豫期15天，期间可全额退保" in insured.text and "3,000.00元" in insured.text
