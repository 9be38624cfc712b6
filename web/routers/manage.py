"""Managers' pages for the house's models (建立初步模型，经专家修正): the model portfolios with their versions (edit
every weight, preview, then save the next version) and the house view (strategic weights by client level).

Rules live in services/portfolio_edits.py and services/house_view.py; a push keeps the version it pushed.
Managers only: 401 without identity, 403 for anyone else; a change that does not add up is 422 with the field.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.directory import Identity, who_is
from bank.models import ModelPortfolio, Product
from calc import clock
from calc.checkup import ASSET_CLASSES, CLASS_MIN_LEVEL, CLASS_ZH
from calc.errors import CalcInputError
from calc.money import fmt_share
from services.house_view import ManagersOnly, current_view, save_view, view_history
from services.portfolio_edits import EditPreview, EditProblem, preview_weights, save_edit, versions
from services.portfolios import CURRENT_MODELS, find_portfolio
from services.prospects import UnknownProduct
from web.deps import SessionDep
from web.identity import MaybeUser, WebUser
from web.templating import templates

router = APIRouter(prefix="/manage", tags=["manage"])
PRIVATE = {"Cache-Control": "private, no-store"}
MAX_PRODUCTS = 12
NOT_FOUND = "没有找到这个模型组合。"
BAD_PERCENT = "请填写0到100之间的数字"


def _refusal(request: Request, user: WebUser | None) -> HTMLResponse | None:
    if user is None:
        return templates.TemplateResponse(request, "refused.html", {"user": None, "message": "请先以管理人员身份登录。"},
                                          status_code=status.HTTP_401_UNAUTHORIZED)
    if user.role != "manager":
        return templates.TemplateResponse(request, "refused.html", {
            "user": user, "message": f"模型组合和配置观点由管理人员维护，您当前的身份是{user.role_name}。"},
            status_code=status.HTTP_403_FORBIDDEN)
    return None


def _model(session: Session, portfolio_id: int) -> ModelPortfolio | None:
    """A house model portfolio (any version) by id; None for an unknown id or a push's own product mix."""
    try:
        portfolio = find_portfolio(session, portfolio_id)
    except UnknownProduct:
        return None
    return portfolio if portfolio.kind == "model" else None


def _not_found(request: Request, user: WebUser) -> HTMLResponse:
    return templates.TemplateResponse(request, "refused.html", {"user": user, "message": NOT_FOUND},
                                      status_code=status.HTTP_404_NOT_FOUND)


def _manager(session: Session, user: WebUser) -> Identity:
    identity = who_is(session, user.sender_id)
    if identity is None:
        raise ManagersOnly()
    return identity


@router.get("/portfolios", response_class=HTMLResponse, summary="The house model portfolios in force (managers)")
def portfolios_page(request: Request, user: MaybeUser, session: SessionDep) -> HTMLResponse:
    refusal = _refusal(request, user)
    if refusal is not None:
        return refusal
    rows = session.scalars(select(ModelPortfolio).where(CURRENT_MODELS)
                           .order_by(ModelPortfolio.risk_level, ModelPortfolio.name)).all()
    view = current_view(session)
    return templates.TemplateResponse(request, "manage_portfolios.html", {
        "user": user, "portfolios": rows, "view": view}, headers=PRIVATE)


def _page(request: Request, user: WebUser, session: Session, portfolio: ModelPortfolio, *,
          form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          preview: EditPreview | None = None, code: int = status.HTTP_200_OK) -> HTMLResponse:
    items = sorted(portfolio.items, key=lambda i: (-i.weight, i.product.code))
    values = form or {i.product.code: _percent_text(i.weight) for i in items}
    history = [(v.id, v.version, v.change_note or "初始版本", v.superseded_at, v.risk_level,
                "、".join(f"{i.product.name}{fmt_share(i.weight)}" for i in sorted(v.items, key=lambda i: -i.weight)))
               for v in versions(session, portfolio.name)]
    return templates.TemplateResponse(request, "manage_portfolio.html", {
        "user": user, "portfolio": portfolio, "items": items, "values": values, "errors": errors or {},
        "preview": preview, "preview_json": json.dumps(preview.as_dict(), ensure_ascii=False) if preview else "",
        "history": history, "current": portfolio.superseded_at is None,
        "share": fmt_share, "choices": product_choices(session)}, status_code=code, headers=PRIVATE)


def _percent_text(weight: float) -> str:
    """A weight as the number a form shows (0.25 → "25", 0.125 → "12.5")."""
    return fmt_share(weight).removesuffix("%")


@router.get("/portfolios/{portfolio_id}", response_class=HTMLResponse, summary="One version of a model portfolio")
def portfolio_page(portfolio_id: int, request: Request, user: MaybeUser, session: SessionDep) -> HTMLResponse:
    refusal = _refusal(request, user)
    if refusal is not None:
        return refusal
    assert user is not None
    portfolio = _model(session, portfolio_id)
    return _not_found(request, user) if portfolio is None else _page(request, user, session, portfolio)


def read_weights(form: dict[str, str]) -> tuple[dict[str, float], dict[str, str]]:
    """Weights by product code from the form's percent fields ("w_<code>", and "new_code" / "new_weight" for a
    product to add); (weights, errors by field) — an empty or 0 field leaves the product out.

    >>> read_weights({"w_BF001": "60", "w_CM001": "40", "new_code": "", "new_weight": ""})
    ({'BF001': 0.6, 'CM001': 0.4}, {})
    >>> read_weights({"w_BF001": "六十"})[1]
    {'w_BF001': '请填写0到100之间的数字'}
    """
    weights: dict[str, float] = {}
    errors: dict[str, str] = {}
    fields = [(key, key.removeprefix("w_"), value) for key, value in form.items() if key.startswith("w_")]
    new_code = form.get("new_code", "").strip().upper()
    if new_code:
        fields.append(("new_weight", new_code, form.get("new_weight", "")))
    for field, code, raw in fields[:MAX_PRODUCTS + 1]:
        weight = _weight(raw)
        if weight is None:
            errors[field] = BAD_PERCENT
        elif weight > 0:
            weights[code] = weights.get(code, 0.0) + weight
    return weights, errors


def _weight(raw: str) -> float | None:
    """A form's percent field as a weight (empty: 0), or None when it is not a number from 0 to 100.

    >>> _weight("12.5%"), _weight(""), _weight("101"), _weight("nan"), _weight("六十")
    (0.125, 0.0, None, None, None)
    """
    text = raw.strip().removesuffix("%")
    if not text:
        return 0.0
    try:
        percent = Decimal(text)
    except InvalidOperation:
        return None
    return float(percent / 100) if percent.is_finite() and 0 <= percent <= 100 else None


async def _form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {str(k): str(v)[:40] for k, v in list(data.items())[:MAX_PRODUCTS + 8]}


@router.post("/portfolios/{portfolio_id}/preview", response_class=HTMLResponse,
             summary="Preview new weights for a model portfolio (managers)",
             responses={422: {"description": "The weights do not add up or name a closed or unknown product"}})
async def portfolio_preview(portfolio_id: int, request: Request, user: MaybeUser, session: SessionDep) -> HTMLResponse:
    refusal = _refusal(request, user)
    if refusal is not None:
        return refusal
    assert user is not None
    form = await _form(request)
    portfolio = _model(session, portfolio_id)
    if portfolio is None:
        return _not_found(request, user)
    weights, errors = read_weights(form)
    values = {k.removeprefix("w_"): v for k, v in form.items() if k.startswith("w_")}
    values |= {"new_code": form.get("new_code", ""), "new_weight": form.get("new_weight", "")}
    if errors:
        return _page(request, user, session, portfolio, form=values, errors=errors,
                     code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    try:
        preview = preview_weights(session, _manager(session, user), portfolio, weights)
    except EditProblem as problem:
        return _page(request, user, session, portfolio, form=values, errors={"weights": str(problem)},
                     code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    return _page(request, user, session, portfolio, form=values, preview=preview)


@router.post("/portfolios/{portfolio_id}/save", summary="Save a previewed change as the next version (managers)",
             response_class=Response, responses={303: {"description": "To the new version's page"},
                                                 422: {"description": "Stale or invalid preview"}})
def portfolio_save(portfolio_id: int, request: Request, user: MaybeUser, session: SessionDep,
                   preview: Annotated[str, Form(max_length=8000)] = "") -> Response:
    refusal = _refusal(request, user)
    if refusal is not None:
        return refusal
    assert user is not None
    portfolio = _model(session, portfolio_id)
    if portfolio is None:
        return _not_found(request, user)
    try:
        change = EditPreview.from_dict(json.loads(preview))
        if change.portfolio_id != portfolio.id:
            raise ValueError("preview of another portfolio")
    except (ValueError, KeyError, TypeError):
        return _page(request, user, session, portfolio, errors={"preview": "预览已失效，请重新预览后再保存。"},
                     code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    try:
        saved = save_edit(session, _manager(session, user), change, clock.now())
    except EditProblem as problem:
        session.rollback()
        return _page(request, user, session, find_portfolio(session, portfolio_id), errors={"weights": str(problem)},
                     code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    session.commit()
    return RedirectResponse(f"/manage/portfolios/{saved.id}", status_code=status.HTTP_303_SEE_OTHER)


def _view_rows(weights: dict[int, dict[str, float]]) -> list[dict[str, Any]]:
    return [{"level": level, "cells": [(cls, _percent_text(weights.get(level, {}).get(cls, 0.0)),
                                        level >= CLASS_MIN_LEVEL[cls]) for cls in ASSET_CLASSES]}
            for level in range(1, 6)]


def _view_page(request: Request, user: WebUser, session: Session, *, values: dict[int, dict[str, float]] | None = None,
               errors: dict[str, str] | None = None, message: str = "", code: int = status.HTTP_200_OK) -> HTMLResponse:
    view = current_view(session)
    return templates.TemplateResponse(request, "manage_house_view.html", {
        "user": user, "view": view, "rows": _view_rows(values or view.weights), "classes": ASSET_CLASSES,
        "class_names": CLASS_ZH, "errors": errors or {}, "message": message,
        "history": view_history(session)}, status_code=code, headers=PRIVATE)


@router.get("/house-view", response_class=HTMLResponse, summary="The house view by client level (managers)")
def house_view_page(request: Request, user: MaybeUser, session: SessionDep) -> HTMLResponse:
    refusal = _refusal(request, user)
    if refusal is not None:
        return refusal
    assert user is not None
    return _view_page(request, user, session)


def read_view(form: dict[str, str]) -> tuple[dict[int, dict[str, float]], dict[str, str]]:
    """The view from fields "C<level>_<class>" in percent; (weights, errors by field).

    >>> read_view({"C1_cash": "30", "C1_fixed": "70"})
    ({1: {'cash': 0.3, 'fixed': 0.7}, 2: {}, 3: {}, 4: {}, 5: {}}, {})
    """
    weights: dict[int, dict[str, float]] = {level: {} for level in range(1, 6)}
    errors: dict[str, str] = {}
    for level in range(1, 6):
        for cls in ASSET_CLASSES:
            field = f"C{level}_{cls}"
            weight = _weight(form.get(field, ""))
            if weight is None:
                errors[field] = BAD_PERCENT
            elif weight > 0:
                weights[level][cls] = weight
    return weights, errors


@router.post("/house-view", response_class=HTMLResponse, summary="Save the next version of the house view",
             responses={422: {"description": "A level does not add up to 100% or holds a class below its level"}})
async def house_view_save(request: Request, user: MaybeUser, session: SessionDep) -> HTMLResponse:
    refusal = _refusal(request, user)
    if refusal is not None:
        return refusal
    assert user is not None
    data = await request.form()
    form = {str(k): str(v)[:200] for k, v in list(data.items())[:40]}
    weights, errors = read_view(form)
    if errors:
        return _view_page(request, user, session, values=weights, errors=errors,
                          code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    try:
        saved = save_view(session, _manager(session, user), weights, clock.now(), form.get("note", ""))
    except CalcInputError as error:
        session.rollback()
        return _view_page(request, user, session, values=weights, errors={error.field: error.reason_zh},
                          code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    session.commit()
    return _view_page(request, user, session, message=f"已保存为第{saved.version}版，之后的财富体检按新观点计算目标配置。")


def product_choices(session: Session) -> list[tuple[str, str, str]]:
    """(code, name, risk) of every product on sale, for the add-a-product field's suggestions."""
    return [(c, n, r) for c, n, r in session.execute(
        select(Product.code, Product.name, Product.risk_level).where(Product.on_sale.is_(True)).order_by(Product.code))]

