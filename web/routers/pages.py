"""The chat page at `/`: pick a demo identity, then talk to the bot."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from web.deps import SessionDep, SettingsDep
from web.identity import MaybeUser
from web.routers.session import demo_people
from web.templating import templates

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse, summary="The chat page")
def chat_page(request: Request, user: MaybeUser, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    people = demo_people(session) if settings.demo_login and user is None else []
    return templates.TemplateResponse(request, "chat.html", {"user": user, "people": people,
                                                             "demo_login": settings.demo_login})
