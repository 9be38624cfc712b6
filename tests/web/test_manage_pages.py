"""Managers' pages for the model portfolios and the house view (web/routers/manage.py), against the real app under
uvicorn on a private bank copy: preview then save the next version, 422 with the field for weights that do not
add up, and nobody but a manager gets in."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import select

from bank.db import session_scope
from bank.models import ModelPortfolio
from services.house_view import current_view
from services.portfolios import find_portfolio
from tests.servers import Service
from tests.web.conftest import signed_in
from tests.web.test_portfolios import web  # noqa: F401  (a fixture)


@contextmanager
def browser(web: Service, who: str | None) -> Iterator[httpx.Client]:  # noqa: F811
    with httpx.Client(base_url=web.url, timeout=60.0, follow_redirects=False) as http:
        yield signed_in(http, who) if who else http


@pytest.fixture
def manager(web: Service) -> Iterator[httpx.Client]:  # noqa: F811
    with browser(web, "chenjing") as http:
        yield http


def weights_form(bank_url: str, name: str, **changes: str) -> tuple[int, dict[str, str]]:
    with session_scope(bank_url) as session:
        portfolio = find_portfolio(session, name)
        form = {f"w_{i.product.code}": f"{i.weight * 100:g}" for i in portfolio.items}
        return portfolio.id, form | changes


def test_only_managers(web: Service, bank_url: str) -> None:  # noqa: F811
    pid, form = weights_form(bank_url, "平衡组合")
    with browser(web, None) as nobody, browser(web, "zhangmin") as advisor:
        assert nobody.get("/manage/portfolios").status_code == 401
        assert advisor.get("/manage/portfolios").status_code == 403
        assert advisor.get("/manage/house-view").status_code == 403
        assert advisor.post(f"/manage/portfolios/{pid}/preview", data=form).status_code == 403
        assert advisor.post("/manage/house-view", data={"C1_cash": "50", "C1_fixed": "50"}).status_code == 403
    with session_scope(bank_url) as session:
        assert find_portfolio(session, "平衡组合").id == pid and current_view(session).version == 0


def test_preview_then_save_the_next_version(manager: httpx.Client, bank_url: str) -> None:
    listing = manager.get("/manage/portfolios")
    assert listing.status_code == 200 and "稳健组合" in listing.text and "第1版" in listing.text
    pid, form = weights_form(bank_url, "稳健组合")
    page = manager.get(f"/manage/portfolios/{pid}")
    assert page.status_code == 200 and 'id="edit-form"' in page.text
    bad = manager.post(f"/manage/portfolios/{pid}/preview", data=form | {"w_BF001": "30"})
    assert bad.status_code == 422 and "加起来是105%" in bad.text
    assert manager.post(f"/manage/portfolios/{pid}/preview", data=form | {"w_BF001": "abc"}).status_code == 422
    form |= {"w_BF001": "15", "w_CM001": "15", "new_code": "BF004", "new_weight": "10"}
    preview = manager.post(f"/manage/portfolios/{pid}/preview", data=form)
    assert preview.status_code == 200 and 'id="preview"' in preview.text and "松柏中短债债券A" in preview.text
    hidden = re.search(r'name="preview" value="([^"]+)"', preview.text)
    assert hidden is not None
    payload = json.loads(hidden.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    assert payload["weights"]["BF004"] == pytest.approx(0.1)
    saved = manager.post(f"/manage/portfolios/{pid}/save", data={"preview": json.dumps(payload)})
    assert saved.status_code == 303
    with session_scope(bank_url) as session:
        current = find_portfolio(session, "稳健组合")
        assert current.version == 2 and saved.headers["location"] == f"/manage/portfolios/{current.id}"
        assert {i.product.code: i.weight for i in current.items}["BF004"] == pytest.approx(0.1)
        old = session.get(ModelPortfolio, pid)
        assert old is not None and old.superseded_at is not None
    again = manager.post(f"/manage/portfolios/{pid}/save", data={"preview": json.dumps(payload)})
    assert again.status_code == 422 and "第2版" in again.text
    history = manager.get(saved.headers["location"])
    assert "第2版" in history.text and "第1版" in history.text and "现行" in history.text


def test_the_house_view(manager: httpx.Client, bank_url: str) -> None:
    page = manager.get("/manage/house-view")
    assert page.status_code == 200 and "初始模型" in page.text and 'name="C3_equity"' in page.text
    assert 'name="C1_equity"' not in page.text  # a class below its level cannot even be typed
    with session_scope(bank_url) as session:
        view = current_view(session).weights
    form = {f"C{level}_{cls}": f"{w * 100:g}" for level, ws in view.items() for cls, w in ws.items()}
    bad = manager.post("/manage/house-view", data=form | {"C3_equity": "40"})
    assert bad.status_code == 422 and "C3" in bad.text and "加起来是125%" in bad.text
    sneaky = manager.post("/manage/house-view", data=form | {"C2_equity": "10", "C2_fixed": "55"})
    assert sneaky.status_code == 422 and "不能有权益类" in sneaky.text
    saved = manager.post("/manage/house-view", data=form | {"C3_equity": "20", "C3_fixed": "40",
                                                              "note": "投委会观点：C3权益上调"})
    assert saved.status_code == 200 and "已保存为第1版" in saved.text
    with session_scope(bank_url) as session:
        view = current_view(session)
        assert view.version == 1 and view.weights[3]["equity"] == pytest.approx(0.2)
        assert view.change_note == "投委会观点：C3权益上调"
        assert session.scalar(select(ModelPortfolio.id).limit(1)) is not None
