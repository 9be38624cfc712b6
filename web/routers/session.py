"""Choose who you are: the demo identities offered by the picker, sign in and out.

Staff sign in for real with WeCom (web/routers/auth.py); the picker is the demo profile's only.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field

from bank.directory import demo_identities
from web.deps import SessionDep, SettingsDep
from web.identity import ROLE_NAMES, MaybeUser, WebUser, sign_in, sign_in_guest, sign_out

router = APIRouter(tags=["session"])


class Person(BaseModel):
    """An identity as shown to the visitor (no phone or ID numbers)."""

    sender_id: str
    role: Literal["advisor", "manager", "client", "unknown"]
    role_name: str
    name: str
    team_name: str | None = None


class SignIn(BaseModel):
    """Sign in as a demo identity (`sender_id`) or as a non-customer (`guest: true`)."""

    sender_id: str | None = Field(default=None, max_length=64)
    guest: bool = False


def _person(user: WebUser) -> Person:
    return Person(sender_id=user.sender_id, role=user.role, role_name=user.role_name,  # type: ignore[arg-type]
                  name=user.name, team_name=user.team_name)


def demo_people(session: SessionDep, per_role: int = 3) -> list[Person]:
    """The demo identities offered by the picker: managers, advisors, clients."""
    return [Person(sender_id=p.wecom_id, role=p.role, role_name=ROLE_NAMES[p.role], name=p.name,  # type: ignore[arg-type]
                   team_name=p.team_name) for p in demo_identities(session, per_role=per_role)]


@router.get("/api/identities", response_model=list[Person], summary="Demo identities to choose from")
def identities(session: SessionDep, settings: SettingsDep) -> list[Person]:
    if not settings.demo_login:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="演示登录已关闭")
    return demo_people(session)


@router.get("/api/session", response_model=Person, summary="Who the session cookie says you are")
def whoami(user: MaybeUser) -> Person:
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="请先选择身份登录")
    return _person(user)


@router.post("/api/session", response_model=Person, summary="Sign in as a demo identity or a non-customer")
def demo_sign_in(body: SignIn, request: Request, session: SessionDep, settings: SettingsDep) -> Person:
    if not settings.demo_login:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="演示登录已关闭，请从企业微信进入")
    if body.guest:
        return _person(WebUser(sender_id=sign_in_guest(request), role="unknown", name="访客"))
    if not body.sender_id:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            detail=[{"loc": ["body", "sender_id"], "msg": "sender_id or guest is required"}])
    # Only the identities the picker offers: any other one, known to the bank or not, is "no such demo identity".
    offered = {person.sender_id: person for person in demo_people(session)}
    person = offered.get(body.sender_id)
    if person is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="没有这个演示身份")
    sign_in(request, person.sender_id)
    return person


@router.delete("/api/session", status_code=status.HTTP_204_NO_CONTENT, summary="Sign out")
def demo_sign_out(request: Request) -> None:
    sign_out(request)
