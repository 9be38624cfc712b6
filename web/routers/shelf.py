"""The product shelf (/shelf): search and filter products in everyday words, compare two or three, ask the
advisor about one; HTML for phones and a JSON API (/api/shelf…) over services/shelf.py.

Who sees whose suitability: a client signed in (the demo picker or the one-time link the bot sends,
`/auth/link/{token}` → `/shelf?…`) sees their own; an advisor or manager may add `client=<id>` for a client in
their scope (bank.access), anyone else's id is "not found"; a visitor sees products without suitability and is
told to sign in and assess. Bad filters answer 422 naming the field.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response

from bank.access import can_see_client
from bank.directory import who_is
from bank.models import CATEGORY_NAMES
from calc import clock
from charts.render import render
from lexicon.shelf_terms import RISK_NAMES
from services.prospects import UnknownProduct
from services.shelf import ShelfInputError, ShelfQuery, browse, parse_shelf_query
from services.shelf_compare import compare
from services.shelf_handoff import ask_advisor
from web.deps import SessionDep
from web.identity import MaybeUser, WebUser
from web.templating import templates

router = APIRouter(tags=["shelf"])
PRIVATE = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}
LIQUIDITY_NAMES = {"T0": "T+0随时可取", "T1": "T+1及更快", "open": "无封闭期", "closed": "有封闭期"}
SORT_NAMES = {"return": "参考收益从高到低", "risk": "风险从低到高", "minimum": "起购金额从低到高", "fees": "费率从低到高"}
TERM_CHOICES = {"92": "3个月以内", "183": "半年以内", "365": "一年以内", "1095": "三年以内"}
NO_CLIENT = "没有找到这位客户，或您无权查看TA的适当性。"
Text = Annotated[str | None, Query(max_length=200)]


class BadFilter(Exception):
    """A filter of the request is invalid: `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def _number(field: str, raw: str | None, low: float, high: float) -> Decimal | None:
    if raw is None or not raw.strip():
        return None
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise BadFilter(field, f"应为数字，收到“{raw[:20]}”") from None
    if not value.is_finite() or not low <= value <= high:
        raise BadFilter(field, f"应在{low:g}到{high:g}之间")
    return value


def _choice(field: str, raw: str | None, allowed: dict[str, str]) -> str | None:
    if raw is None or not raw.strip():
        return None
    if raw.strip() not in allowed:
        raise BadFilter(field, "可选值为" + "、".join(allowed))
    return raw.strip()


def shelf_query(q: str | None, category: str | None, risk: str | None, term_max_days: str | None,
                term_min_days: str | None, min_amount_max: str | None, return_min_pct: str | None,
                liquidity: str | None, sort: str | None) -> ShelfQuery:
    """The client's words parsed, then the form's fields over them (a field left empty keeps the words' filter)."""
    query = parse_shelf_query(q or "")
    changes: dict[str, Any] = {}
    if (value := _choice("category", category, CATEGORY_NAMES)) is not None:
        changes["categories"] = (value,)
    if (value := _choice("risk", risk.upper() if risk else risk, {f"R{n}": "" for n in RISK_NAMES})) is not None:
        changes["risk_levels"] = tuple(range(1, int(value[1]) + 1))
    if (number := _number("term_max_days", term_max_days, 1, 36500)) is not None:
        changes["term_max_days"] = int(number)
    if (number := _number("term_min_days", term_min_days, 1, 36500)) is not None:
        changes["term_min_days"] = int(number)
    if (number := _number("min_amount_max", min_amount_max, 0, 1e11)) is not None:
        changes["min_amount_max"] = number.quantize(Decimal("0.01"))
    if (number := _number("return_min_pct", return_min_pct, -100, 100)) is not None:
        changes["return_min"] = float(number) / 100
    if (value := _choice("liquidity", liquidity, LIQUIDITY_NAMES)) is not None:
        changes["liquidity"] = value
    if (value := _choice("sort", sort, SORT_NAMES)) is not None:
        changes["sort"] = value
    return query.but(**changes) if changes else query


def viewer_client(session: SessionDep, user: WebUser | None, client: int | None) -> int | None:
    """Whose suitability the page uses: a client's own, or a client in an advisor's or manager's scope (404
    otherwise, the same for unknown and forbidden ids)."""
    if user is None or user.role == "unknown":
        if client is not None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_CLIENT)
        return None
    if user.role == "client":
        if client is not None and client != user.client_id:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_CLIENT)
        return user.client_id
    if client is None:
        return None
    if not can_see_client(session, who_is(session, user.sender_id), client):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_CLIENT)
    return client


def _unprocessable(field: str, message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                         detail=[{"loc": ["query", field], "msg": message, "type": "value_error"}])


def _codes(codes: list[str]) -> list[str]:
    """Codes from repeated `codes=` and comma-separated lists alike."""
    return [c.strip() for raw in codes for c in raw.replace("，", ",").split(",") if c.strip()][:10]


def _page_error(request: Request, user: WebUser | None, code: int, message: str) -> HTMLResponse:
    return templates.TemplateResponse(request, "refused.html", {"user": user, "message": message},
                                      status_code=code, headers=PRIVATE)


def _filters(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k != "client" and v}


@router.get("/shelf", response_class=HTMLResponse, summary="The product shelf page: filter form and list")
def shelf_page(request: Request, user: MaybeUser, session: SessionDep, q: Text = None, category: Text = None,
               risk: Text = None, term_max_days: Text = None, term_min_days: Text = None,
               min_amount_max: Text = None, return_min_pct: Text = None, liquidity: Text = None, sort: Text = None,
               client: int | None = None) -> HTMLResponse:
    try:
        client_id = viewer_client(session, user, client)
        query = shelf_query(q, category, risk, term_max_days, term_min_days, min_amount_max, return_min_pct,
                            liquidity, sort)
    except BadFilter as error:
        return _page_error(request, user, status.HTTP_422_UNPROCESSABLE_CONTENT, f"筛选条件“{error.field}”{error.message}。")
    except HTTPException as error:
        return _page_error(request, user, error.status_code, str(error.detail))
    return _shelf_response(request, user, session, query, client_id, _filters(request), client=client)


def _shelf_response(request: Request, user: WebUser | None, session: SessionDep, query: ShelfQuery,
                    client_id: int | None, form: dict[str, str], client: int | None = None,
                    flash: str = "") -> HTMLResponse:
    result = browse(session, client_id, query, limit=8)
    return templates.TemplateResponse(request, "shelf.html", {
        "user": user, "r": result, "form": form, "client": client, "flash": flash,
        "categories": CATEGORY_NAMES, "risks": RISK_NAMES, "terms": TERM_CHOICES, "liquidities": LIQUIDITY_NAMES,
        "sorts": SORT_NAMES, "may_ask": user is not None and user.role == "client",
        "may_push": user is not None and user.role == "advisor"}, headers=PRIVATE)


@router.get("/api/shelf", summary="The product shelf as JSON (the same filters as the page)",
            responses={404: {"description": "Client not visible"}, 422: {"description": "A filter is invalid"}})
def shelf_api(user: MaybeUser, session: SessionDep, q: Text = None, category: Text = None, risk: Text = None,
              term_max_days: Text = None, term_min_days: Text = None, min_amount_max: Text = None,
              return_min_pct: Text = None, liquidity: Text = None, sort: Text = None, client: int | None = None,
              limit: Annotated[int, Query(ge=1, le=50)] = 5) -> JSONResponse:
    client_id = viewer_client(session, user, client)
    try:
        query = shelf_query(q, category, risk, term_max_days, term_min_days, min_amount_max, return_min_pct,
                            liquidity, sort)
    except BadFilter as error:
        raise _unprocessable(error.field, error.message) from None
    return JSONResponse(browse(session, client_id, query, limit=limit).as_dict(), headers=PRIVATE)


def _comparison(session: SessionDep, user: WebUser | None, codes: list[str], client: int | None,
                horizon_years: float) -> Any:
    client_id = viewer_client(session, user, client)
    try:
        return compare(session, client_id, _codes(codes), horizon_years=horizon_years)
    except ShelfInputError as error:
        raise _unprocessable(error.field, error.reason_zh) from None
    except UnknownProduct:
        raise _unprocessable("codes", "没有这个产品代码") from None


Codes = Annotated[list[str], Query(max_length=40)]
Horizon = Annotated[float, Query(gt=0, le=50, description="Investment horizon in years")]


@router.get("/shelf/compare", response_class=HTMLResponse, summary="Two or three products side by side")
def compare_page(request: Request, user: MaybeUser, session: SessionDep, codes: Codes = [],  # noqa: B006
                 client: int | None = None, horizon_years: Horizon = 5.0) -> HTMLResponse:
    try:
        result = _comparison(session, user, codes, client, horizon_years)
    except HTTPException as error:
        detail = error.detail
        message = f"“{detail[0]['loc'][-1]}”：{detail[0]['msg']}" if isinstance(detail, list) else str(detail)
        return _page_error(request, user, error.status_code, message)
    chart = "/shelf/compare.png?" + urlencode([("codes", c) for c in result.codes])
    return templates.TemplateResponse(request, "shelf_compare.html", {
        "user": user, "c": result, "chart": chart, "may_ask": user is not None and user.role == "client",
        "back": "/shelf" + (f"?client={client}" if client is not None else "")}, headers=PRIVATE)


@router.get("/api/shelf/compare", summary="Two or three products side by side, as JSON")
def compare_api(user: MaybeUser, session: SessionDep, codes: Codes = [],  # noqa: B006
                client: int | None = None, horizon_years: Horizon = 5.0) -> JSONResponse:
    return JSONResponse(_comparison(session, user, codes, client, horizon_years).as_dict(), headers=PRIVATE)


@router.get("/shelf/compare.png", summary="The comparison chart: cumulative return over the same period (PNG)",
            response_class=Response, responses={200: {"content": {"image/png": {}}}})
def compare_chart(session: SessionDep, codes: Codes = []) -> Response:  # noqa: B006
    result = _comparison(session, None, codes, None, 5.0)  # no client: the chart holds no personal data
    return Response(render(result.chart), media_type="image/png", headers={"Cache-Control": "private, max-age=600"})


def _ask(session: SessionDep, user: WebUser | None, code: str) -> Any:
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="请先从企业微信打开链接登录，再联系理财经理。")
    if user.role != "client" or user.client_id is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="只有本行客户可以请理财经理联系。")
    try:
        outcome = ask_advisor(session, user.client_id, code, clock.now())
    except UnknownProduct:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="没有这个产品。") from None
    session.commit()  # stored in the outbox before the client is told
    return outcome


ASK_WORDS = {"sent": "已通知您的理财经理{advisor}，TA会尽快联系您介绍{product}。",
             "already": "您刚才已经请理财经理{advisor}联系您了解{product}，请稍候。",
             "unassigned": "您暂时没有专属理财经理，请到网点或拨打客服热线咨询{product}。"}


@router.post("/shelf/{code}/ask", response_class=HTMLResponse, summary="Ask my advisor about this product")
def ask_page(code: str, request: Request, user: MaybeUser, session: SessionDep) -> HTMLResponse:
    try:
        outcome = _ask(session, user, code[:16])
    except HTTPException as error:
        return _page_error(request, user, error.status_code, str(error.detail))
    message = ASK_WORDS[outcome.status].format(advisor=outcome.advisor_name, product=outcome.product_name)
    return _shelf_response(request, user, session, ShelfQuery(), user.client_id if user else None, {}, flash=message)


@router.post("/api/shelf/{code}/ask", summary="Ask my advisor about this product (JSON)")
def ask_api(code: str, user: MaybeUser, session: SessionDep) -> dict[str, str]:
    outcome = _ask(session, user, code[:16])
    return {"status": outcome.status, "advisor_name": outcome.advisor_name, "product_name": outcome.product_name,
            "message": ASK_WORDS[outcome.status].format(advisor=outcome.advisor_name, product=outcome.product_name)}
