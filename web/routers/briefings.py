"""The advisor's full morning briefing (/briefing?day=…): every line of every section, for the advisor signed in.

The WeCom message links here; staff sign in with WeCom (web/routers/auth.py), others are refused."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse

from calc import clock
from services.briefings import briefing_for
from web.deps import SessionDep, SettingsDep
from web.identity import MaybeUser
from web.templating import templates

router = APIRouter(tags=["briefings"])


@router.get("/briefing", response_class=HTMLResponse, summary="The signed-in advisor's briefing of a day")
def briefing_page(request: Request, user: MaybeUser, session: SessionDep, settings: SettingsDep,
                  day: Annotated[dt.date | None, Query(description="The day (default today)")] = None) -> HTMLResponse:
    """401 with a sign-in link without an identity, 403 for anyone but an advisor, else the briefing as of
    that day (today: now; another day: its briefing time)."""
    if user is None or user.role != "advisor" or user.staff_id is None:
        target = urllib.parse.quote(str(request.url.path) + ("?" + request.url.query if request.url.query else ""))
        message = "请先登录（理财经理）后查看今日待办。" if user is None else "今日待办仅限理财经理本人查看。"
        return templates.TemplateResponse(request, "refused.html", {
            "user": user, "message": message, "login": f"/auth/login?next={target}"},
            status_code=status.HTTP_401_UNAUTHORIZED if user is None else status.HTTP_403_FORBIDDEN)
    now = clock.now_in(settings.scheduler_timezone)
    at = now if day is None or day == now.date() else dt.datetime.combine(
        day, dt.time.fromisoformat(settings.briefing_at))
    briefing = briefing_for(session, user.staff_id, at, settings)
    return templates.TemplateResponse(request, "briefing.html", {"user": user, "briefing": briefing})
