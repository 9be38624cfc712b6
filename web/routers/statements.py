"""Monthly statement pages: `/statements/{token}`, a client's 财富账单 for one month (services/statements.py).

No login, as for proposals: the unguessable, expiring token is the secret, and the page holds only what the job
froze, masked. Unknown or malformed tokens get 404, expired ones 410 (Chinese pages).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse

from calc import clock
from services.statements import StatementExpired, StatementNotFound, find_statement
from web.deps import SessionDep
from web.routers.proposals import PAGE_HEADERS, _date
from web.templating import templates

router = APIRouter(prefix="/statements", tags=["statements"])
MESSAGES = {
    status.HTTP_404_NOT_FOUND: "没有找到这份账单，请检查链接是否完整。",
    status.HTTP_410_GONE: "这份账单的链接已过期。请在对话中回复“账单”获取最新账单，或联系您的理财经理。",
}


def _pairs(rows: object) -> list[tuple[str, str]]:
    """(label, figure) rows of the payload, odd items dropped.

    >>> _pairs([["本月投资收益", "1,200.00元"], "junk", ["a"]])
    [('本月投资收益', '1,200.00元')]
    """
    return [(str(row[0]), str(row[1])) for row in rows or [] if isinstance(row, list) and len(row) == 2] \
        if isinstance(rows, list) else []


@router.get("/{token}", response_class=HTMLResponse, summary="A monthly statement page (no login: the token is the secret)",
            responses={404: {"description": "Unknown or malformed token"}, 410: {"description": "Link expired"}})
def statement_page(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    try:
        found = find_statement(session, token, clock.now())
    except (StatementNotFound, StatementExpired) as error:
        code = status.HTTP_410_GONE if isinstance(error, StatementExpired) else status.HTTP_404_NOT_FOUND
        return templates.TemplateResponse(request, "refused.html", {"user": None, "message": MESSAGES[code]},
                                          status_code=code, headers=PAGE_HEADERS)
    payload = found.payload if isinstance(found.payload, dict) else {}
    view = {"title": str(payload.get("title") or "财富账单"), "subject": str(payload.get("subject") or "客户"),
            "start": str(payload.get("start", "")), "end": str(payload.get("end", "")),
            "rows": _pairs(payload.get("rows")), "products": _pairs(payload.get("products")),
            "risk_notice": str(payload.get("risk_notice") or "理财非存款，产品有风险，投资须谨慎。"),
            "created": _date(found.created_at), "expires": _date(found.expires_at)}
    return templates.TemplateResponse(request, "statement.html", {"user": None, "s": view}, headers=PAGE_HEADERS)
