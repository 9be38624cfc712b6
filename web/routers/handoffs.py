"""Hand-off summaries: the advisor a client asked for reads the conversation before calling back."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse

from bank.handoffs import find_handoff
from web.deps import SessionDep
from web.identity import MaybeUser
from web.templating import templates

router = APIRouter(prefix="/handoffs", tags=["handoffs"])


@router.get("/{token}", response_class=HTMLResponse, summary="A client's hand-off request with the conversation")
def handoff_page(token: str, request: Request, user: MaybeUser, session: SessionDep) -> HTMLResponse:
    """Only the advisor the request was sent to may read it: 401 without identity, 404 for anyone else."""
    if user is None:
        return templates.TemplateResponse(request, "refused.html", {
            "user": None, "message": "请先以理财经理身份登录，再打开客户的转人工记录。"},
            status_code=status.HTTP_401_UNAUTHORIZED)
    note = find_handoff(session, user.sender_id, token) if len(token) <= 64 else None
    if note is None:
        return templates.TemplateResponse(request, "refused.html", {
            "user": user, "message": "没有找到这条转人工记录，或它不是发给您的。"},
            status_code=status.HTTP_404_NOT_FOUND)
    return templates.TemplateResponse(request, "handoff.html", {"user": user, "note": note, "card": note.card or {}})
