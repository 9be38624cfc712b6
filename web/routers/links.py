"""A client's sign-in link: `GET /auth/link/{token}` signs the browser in as the client the bot sent it to.

The bot sends the link in WeCom (services/sign_in.py makes it: 15 minutes, one use, only its hash stored).
Opening it starts a fresh session as the client's WeCom external userid and goes on (303) to the page it was
made for, a local path such as `/pushes/{task}`. An unknown token gets a 404 page, an expired or used one 410
(Chinese pages, no sign-in); a browser already signed in as that very client simply goes on to the page.

The token is never logged: uvicorn's access log masks it (web/logs.py), and nothing here writes it anywhere.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse, Response

from calc import clock
from services.sign_in import (
    LINK_TTL,
    LinkExpired,
    LinkNotFound,
    LinkUsed,
    SignInLinkError,
    UnsafeNextPath,
    local_path,
    redeem,
)
from web.deps import SessionDep
from web.identity import MaybeUser, WebUser, sign_in
from web.templating import templates
from wecom.masking import mask_id

log = logging.getLogger(__name__)
router = APIRouter(tags=["sign-in"])
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}
MINUTES = int(LINK_TTL.total_seconds() // 60)
HINT = "请回到企业微信，直接点消息里的“确认”或“暂不”；也可以在对话里发送“我的推荐”，获取新的链接。"
PAGES: dict[type[SignInLinkError], tuple[int, str, str]] = {
    LinkNotFound: (status.HTTP_404_NOT_FOUND, "链接无效", "没有找到这个登录链接，请检查链接是否完整。"),
    LinkExpired: (status.HTTP_410_GONE, "链接已过期",
                  f"这个登录链接已过期。为保护您的账户安全，链接发出后{MINUTES}分钟内有效。"),
    LinkUsed: (status.HTTP_410_GONE, "链接已使用",
               "这个登录链接已经打开过了。为保护您的账户安全，每个链接只能使用一次。"),
}


def _already_them(user: WebUser | None, error: SignInLinkError) -> str | None:
    """The link's page when the browser is already signed in as the link's own client (a second click on the
    same card), else None."""
    if user is None or error.client_id is None or error.next_path is None:
        return None
    if user.client_id != error.client_id or user.sender_id != error.sender_id:
        return None
    try:
        return local_path(error.next_path)
    except UnsafeNextPath:
        return None


@router.get("/auth/link/{token}", summary="Open a client's one-time sign-in link",
            response_class=RedirectResponse, status_code=status.HTTP_303_SEE_OTHER,
            responses={303: {"description": "Signed in; go on to the page the link was made for"},
                       404: {"description": "Unknown link"}, 410: {"description": "Expired or already used"}})
def open_link(token: str, request: Request, user: MaybeUser, session: SessionDep) -> Response:
    try:
        sender_id, next_path = redeem(session, token, clock.now())
    except SignInLinkError as error:
        if (page := _already_them(user, error)) is not None:
            return RedirectResponse(page, status_code=status.HTTP_303_SEE_OTHER, headers=PRIVATE)
        code, heading, reason = PAGES[type(error)]
        log.info("sign-in link refused: %s", type(error).__name__)
        return templates.TemplateResponse(request, "sign_in_link.html",
                                          {"user": user, "heading": heading, "reason": reason, "hint": HINT},
                                          status_code=code, headers=PRIVATE)
    session.commit()  # the link is spent before the browser holds the session it gives
    sign_in(request, sender_id)
    log.info("client %s signed in with a link", mask_id(sender_id))
    return RedirectResponse(next_path, status_code=status.HTTP_303_SEE_OTHER, headers=PRIVATE)
