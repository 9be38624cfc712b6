"""Sharing: a signed-in advisor (or manager) sends a proposal, a push or a knowledge item to one of their clients.

`POST /api/share` (JSON) and the `/share` page (a form) call services/sharing.py, which checks access, validity and
suitability, puts the message in the outbox and records the contact; this module only parses, authenticates and
maps refusals to answers. The sender is the signed-in staff member (never a field of the request); like the other
POST forms, cross-site posts carry no session cookie (SameSite=Lax) and are refused as not signed in.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bank.directory import Identity, who_is
from calc import clock
from services.sharing import (
    ITEM_KINDS,
    SharedItem,
    ShareRefused,
    ShareResult,
    resolve_client,
    share_with_client,
)
from web.deps import SessionDep
from web.identity import MaybeUser, UserDep, WebUser, require_role
from web.templating import templates

router = APIRouter(tags=["sharing"])
PRIVATE = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex, nofollow"}
STAFF = ("advisor", "manager")
REFUSED_STATUS = {
    "not_staff": status.HTTP_403_FORBIDDEN, "not_your_client": status.HTTP_403_FORBIDDEN,
    "internal_only": status.HTTP_403_FORBIDDEN, "unknown_client": status.HTTP_404_NOT_FOUND,
    "not_found": status.HTTP_404_NOT_FOUND, "expired": status.HTTP_410_GONE,
    "bad_item": status.HTTP_422_UNPROCESSABLE_CONTENT, "unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
}  # the rest (ambiguous_client, no_wechat, other_client, unsuitable): 409
ITEM_LABELS = {"proposal": "建议书", "push": "组合推荐", "knowledge": "资讯"}
SIGN_IN_FIRST = "请先以理财经理身份登录，再给客户发送内容。"
STAFF_ONLY = "只有理财经理和管理人员可以给客户发送内容。"

Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class ShareRequest(BaseModel):
    """What to send to whom: the item (`kind`, `ref`) and the client by id or by name (one of the two)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["proposal", "push", "knowledge"]
    ref: Ref = Field(description="The proposal's share token, the push's task id or the knowledge doc_id")
    client_id: int | None = Field(default=None, gt=0)
    client_name: Name | None = Field(default=None, description="A client name, optionally with 尾号 and a phone tail")


def _unprocessable(field: str, message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                         detail=[{"loc": ["body", field], "msg": message, "type": "value_error"}])


def _identity(session: SessionDep, user: WebUser) -> Identity:
    """The signed-in staff member as the directory knows them now."""
    identity = who_is(session, user.sender_id)
    if identity is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=SIGN_IN_FIRST)
    return identity


def _share(session: SessionDep, advisor: Identity, kind: str, ref: str, client_id: int | None,
           client_name: str | None) -> ShareResult:
    """Resolve the client and share; commits, so the message and the contact are stored before the answer."""
    if client_id is None:
        assert client_name is not None
        client_id = resolve_client(session, advisor, client_name, clock.today())
    result = share_with_client(session, advisor, client_id, SharedItem(kind, ref), clock.now())
    session.commit()
    return result


def _refused_status(refused: ShareRefused) -> int:
    return REFUSED_STATUS.get(refused.code, status.HTTP_409_CONFLICT)


@router.post("/api/share", summary="Send a proposal, a push or a knowledge item to one client",
             responses={401: {"description": "Not signed in"}, 403: {"description": "Not staff, or not their client"},
                        404: {"description": "Unknown client or item"}, 409: {"description": "Refused (reason)"},
                        410: {"description": "The item expired"}, 422: {"description": "Bad input (field names)"}})
def share_api(body: ShareRequest, user: UserDep, session: SessionDep) -> JSONResponse:
    """200 with status "sent" or "already" (nothing sent again) and the advisor's message."""
    require_role(user, *STAFF)
    if (body.client_id is None) == (body.client_name is None):
        raise _unprocessable("client_id", "give client_id or client_name (one of them)")
    try:
        result = _share(session, _identity(session, user), body.kind, body.ref, body.client_id, body.client_name)
    except ShareRefused as refused:
        return JSONResponse({"status": "refused", "code": refused.code, "message": refused.reason},
                            status_code=_refused_status(refused), headers=PRIVATE)
    return JSONResponse(result.as_dict(), headers=PRIVATE)


def _page(request: Request, user: WebUser | None, form: dict[str, str], *, code: int = status.HTTP_200_OK,
          errors: dict[str, str] | None = None, message: str = "", sent: bool = False) -> HTMLResponse:
    return templates.TemplateResponse(request, "share.html", {
        "user": user, "form": form, "errors": errors or {}, "message": message, "sent": sent,
        "item_label": ITEM_LABELS.get(form.get("kind", ""), "内容"), "kinds": ITEM_LABELS,
    }, status_code=code, headers=PRIVATE)


def _staff_page_refusal(request: Request, user: WebUser | None) -> HTMLResponse | None:
    if user is None:
        return templates.TemplateResponse(request, "refused.html", {"user": None, "message": SIGN_IN_FIRST},
                                          status_code=status.HTTP_401_UNAUTHORIZED, headers=PRIVATE)
    if user.role not in STAFF:
        return templates.TemplateResponse(request, "refused.html", {"user": user, "message": STAFF_ONLY},
                                          status_code=status.HTTP_403_FORBIDDEN, headers=PRIVATE)
    return None


def _form_errors(kind: str, ref: str, client_name: str) -> dict[str, str]:
    """Field name → what is wrong with it (Chinese), for the form page.

    >>> _form_errors("video", "", "王芳" * 30)
    {'kind': '请选择要发送的内容类型', 'ref': '缺少要发送的内容', 'client_name': '客户姓名太长'}
    """
    errors = {}
    if kind not in ITEM_KINDS:
        errors["kind"] = "请选择要发送的内容类型"
    if not ref or len(ref) > 200:
        errors["ref"] = "缺少要发送的内容"
    if not client_name:
        errors["client_name"] = "请填写客户姓名"
    elif len(client_name) > 40:
        errors["client_name"] = "客户姓名太长"
    return errors


@router.get("/share", response_class=HTMLResponse, summary="The form to send an item to a client (staff)")
def share_form(request: Request, user: MaybeUser, kind: str = "", ref: str = "") -> HTMLResponse:
    refusal = _staff_page_refusal(request, user)
    if refusal is not None:
        return refusal
    return _page(request, user, {"kind": kind[:16], "ref": ref[:200], "client_name": ""})


@router.post("/share", response_class=HTMLResponse, summary="Send an item to a client from the form (staff)",
             responses={401: {"description": "Not signed in"}, 403: {"description": "Not staff"},
                        422: {"description": "A field is missing or invalid"}})
def share_submit(request: Request, user: MaybeUser, session: SessionDep,
                 kind: Annotated[str, Form()] = "", ref: Annotated[str, Form()] = "",
                 client_name: Annotated[str, Form()] = "") -> HTMLResponse:
    refusal = _staff_page_refusal(request, user)
    if refusal is not None:
        return refusal
    assert user is not None
    form = {"kind": kind.strip()[:16], "ref": ref.strip()[:200], "client_name": client_name.strip()[:40]}
    errors = _form_errors(kind.strip(), ref.strip(), client_name.strip())
    if errors:
        return _page(request, user, form, code=status.HTTP_422_UNPROCESSABLE_CONTENT, errors=errors)
    try:
        result = _share(session, _identity(session, user), form["kind"], form["ref"], None, form["client_name"])
    except ShareRefused as refused:
        return _page(request, user, form, code=_refused_status(refused), message=refused.reason)
    return _page(request, user, form, message=result.message, sent=True)

