"""The shelf pages and API over HTTP against the real app: filters in words and fields, suitability per signed-in
client, nobody else's suitability, 422 naming the field, the comparison with its chart, and the hand-off."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from bank.db import session_scope
from bank.models import Notification
from tests.servers import Service
from tests.web.shelf_kit import Cast, as_who, prepare_cast, start_shelf_web


@pytest.fixture(scope="module")
def cast(bank_url: str) -> Cast:
    return prepare_cast(bank_url)


@pytest.fixture(scope="module")
def shelf_web(bank_url: str, cast: Cast) -> Iterator[Service]:
    service = start_shelf_web(bank_url)
    yield service
    service.stop()


@pytest.fixture
def valid(shelf_web: Service, cast: Cast) -> Iterator[httpx.Client]:
    yield from as_who(shelf_web.url, cast.valid)


@pytest.fixture
def nobody(shelf_web: Service) -> Iterator[httpx.Client]:
    yield from as_who(shelf_web.url, None)


def codes_on(page: str) -> list[str]:
    return re.findall(r'<li class="shelf-item" data-code="(\w+)" data-risk="(R\d)"', page)  # type: ignore[return-value]


def test_words_filter_the_list_for_the_signed_in_client(valid: httpx.Client) -> None:
    page = valid.get("/shelf", params={"q": "有哪些一年以内的R2理财"})
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    found = codes_on(page.text)
    assert found and all(code.startswith("WM") and risk == "R2" for code, risk in found)
    assert 'data-assessment="valid"' in page.text and "C2" in page.text and "风险提示" in page.text
    assert "问理财经理" in page.text and "<li>期限一年以内</li>" in page.text


def test_form_fields_filter_too(valid: httpx.Client) -> None:
    page = valid.get("/shelf", params={"liquidity": "T0", "min_amount_max": "10000", "q": ""})
    found = codes_on(page.text)
    assert found and all(code.startswith("CM") for code, _ in found)


def test_an_unsuitable_request_is_shown_apart_with_the_way_to_reassess(valid: httpx.Client) -> None:
    page = valid.get("/shelf", params={"q": "R4的股票基金"})
    assert codes_on(page.text) == [] and 'id="unsuitable"' in page.text
    assert "高于您的C2" in page.text and "风险测评" in page.text
    data = valid.get("/api/shelf", params={"q": "R4的股票基金"}).json()
    assert data["items"] == [] and all(i["risk_level"] == "R4" and not i["purchasable"] for i in data["unsuitable"])


@pytest.mark.parametrize(("who", "state", "words"), [("expired", "expired", "已超过一年"),
                                                     ("unassessed", "none", "还没有做过风险测评")])
def test_expired_and_unassessed_clients_must_assess_first(shelf_web: Service, cast: Cast, who: str, state: str,
                                                         words: str) -> None:
    for http in as_who(shelf_web.url, getattr(cast, who)):
        data = http.get("/api/shelf", params={"q": "随时能取的"}).json()
        assert data["assessment"] == state and not data["may_buy"] and words in data["notice"]
        assert data["items"] and not any(i["purchasable"] for i in data["items"])


def test_nobody_else_sees_a_clients_suitability(shelf_web: Service, cast: Cast, nobody: httpx.Client) -> None:
    assert nobody.get("/api/shelf", params={"client": cast.valid_id}).status_code == 404
    for http in as_who(shelf_web.url, cast.expired):
        assert http.get("/api/shelf", params={"client": cast.valid_id}).status_code == 404
    for http in as_who(shelf_web.url, cast.other_advisor):
        assert http.get("/shelf", params={"client": cast.valid_id}).status_code == 404
    for http in as_who(shelf_web.url, cast.own_advisor):
        data = http.get("/api/shelf", params={"client": cast.valid_id}).json()
        assert data["client_level"] == "C2" and data["may_buy"]
    data = nobody.get("/api/shelf").json()
    assert data["assessment"] == "anonymous" and data["client_level"] is None


@pytest.mark.parametrize(("params", "field"), [({"risk": "R9"}, "risk"), ({"min_amount_max": "很多"}, "min_amount_max"),
                                               ({"liquidity": "T+9"}, "liquidity"), ({"term_max_days": "0"}, "term_max_days"),
                                               ({"return_min_pct": "500"}, "return_min_pct"), ({"limit": "0"}, "limit")])
def test_bad_filters_are_422_naming_the_field(nobody: httpx.Client, params: dict[str, str], field: str) -> None:
    answer = nobody.get("/api/shelf", params=params)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == field
    if field != "limit":
        page = nobody.get("/shelf", params=params)
        assert page.status_code == 422 and field in page.text


def test_comparison_page_table_chart_and_verdict(valid: httpx.Client) -> None:
    page = valid.get("/shelf/compare", params=[("codes", "BF001"), ("codes", "CM001"), ("codes", "EF001")])
    assert page.status_code == 200 and 'id="compare-table"' in page.text
    for label in ("认/申购费", "最大回撤", "流动性", "起购金额", "是否适合您"):
        assert f"<td>{label}</td>" in page.text
    assert "哪个适合我" in page.text and "高于您的风险等级C2" in page.text and "过往业绩不代表未来表现" in page.text
    chart = re.search(r'id="compare-chart" src="([^"]+)"', page.text)
    assert chart is not None
    png = valid.get(chart.group(1).replace("&amp;", "&"))
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    data = valid.get("/api/shelf/compare", params={"codes": "BF001,CM001"}).json()
    assert data["best"] in ("BF001", "CM001") and data["period"] and data["rows"][0]["label"] == "类别"


@pytest.mark.parametrize("codes", [["BF001"], ["BF001", "CM001", "MF001", "EF001"], ["BF001", "NOPE9"]])
def test_compare_refuses_bad_codes_with_422(nobody: httpx.Client, codes: list[str]) -> None:
    answer = nobody.get("/api/shelf/compare", params=[("codes", c) for c in codes])
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["query", "codes"]


def test_asking_the_advisor_hands_off_once_with_the_product(valid: httpx.Client, nobody: httpx.Client,
                                                            shelf_web: Service, cast: Cast, bank_url: str) -> None:
    assert nobody.post("/api/shelf/WM090/ask").status_code == 401
    for http in as_who(shelf_web.url, cast.own_advisor):
        assert http.post("/api/shelf/WM090/ask").status_code == 403
    first = valid.post("/shelf/WM090/ask")
    assert first.status_code == 200 and "已通知您的理财经理" in first.text
    assert valid.post("/api/shelf/WM090/ask").json()["status"] == "already"
    assert valid.post("/api/shelf/NOPE9/ask").status_code == 404
    with session_scope(bank_url) as session:
        notes = session.scalars(select(Notification).where(Notification.recipient == cast.own_advisor,
                                                           Notification.kind == "handoff")).all()
        mine = [n for n in notes if (n.card or {}).get("product", {}).get("code") == "WM090"]
        assert len(mine) == 1 and "符合适当性" in mine[0].text


def test_an_advisor_is_shown_how_to_push_a_product_and_a_client_is_not(shelf_web: Service, valid: httpx.Client) -> None:
    for advisor in as_who(shelf_web.url, "zhangmin"):
        page = advisor.get("/shelf", params={"q": "随时能取的"}).text
        names = re.findall(r'推给客户：在对话中发送“把(.+?)推给客户姓名”', page)
        assert names and len(names) == len(codes_on(page)) and "问理财经理" not in page
    assert "推给客户" not in valid.get("/shelf", params={"q": "随时能取的"}).text
