"""Who is using the web pages: an identity kept in a signed session cookie, resolved against bank/ per request.

The cookie (Starlette's SessionMiddleware, signed with `SESSION_SECRET`) holds only the sender id; role and name
are looked up in the bank's directory on every request, so a changed role takes effect at once.

`sign_in` is called by WeCom sign-in (`/auth/wecom/callback` in web/routers/auth.py: staff, after exchanging
WeCom's OAuth code for their userid) and, in the demo profile, by the picker (`POST /api/session`, only the
identities it offers).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from bank.directory import who_is
from web.deps import SessionDep

SESSION_KEY = "sender"
GUEST_KEY = "guest"
GUEST_PREFIX = "web-guest-"
ROLE_NAMES = {"advisor": "理财经理", "manager": "管理人员", "client": "客户", "unknown": "行外客户"}


@dataclass(frozen=True)
class WebUser:
    """The signed-in visitor: `sender_id` is what Rasa sees; role is advisor, manager, client or unknown."""

    sender_id: str
    role: str
    name: str
    staff_id: int | None = None
    client_id: int | None = None
    team_name: str | None = None

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self.role]


def sign_in(request: Request, sender_id: str, guest: bool = False) -> None:
    """Remember `sender_id` in the signed session cookie (a fresh session: nothing else is kept)."""
    request.session.clear()
    request.session[SESSION_KEY] = sender_id
    if guest:
        request.session[GUEST_KEY] = True


def sign_in_guest(request: Request) -> str:
    """Sign in a non-customer under a new random sender id, so guests never share a conversation."""
    sender_id = GUEST_PREFIX + secrets.token_hex(6)
    sign_in(request, sender_id, guest=True)
    return sender_id


def sign_out(request: Request) -> None:
    request.session.clear()


def current_user(request: Request, session: SessionDep) -> WebUser | None:
    """The visitor's identity from the cookie, or None when there is none (or it no longer exists in bank/)."""
    sender_id = request.session.get(SESSION_KEY)
    if not isinstance(sender_id, str) or not sender_id:
        return None
    if request.session.get(GUEST_KEY):
        return WebUser(sender_id=sender_id, role="unknown", name="访客")
    identity = who_is(session, sender_id)
    if identity is None:
        return None
    return WebUser(sender_id=identity.wecom_id, role=identity.role, name=identity.name,
                   staff_id=identity.staff_id, client_id=identity.client_id, team_name=identity.team_name)


MaybeUser = Annotated[WebUser | None, Depends(current_user)]


def require_user(user: MaybeUser) -> WebUser:
    """The visitor's identity, or 401 when they have not chosen one."""
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="请先选择身份登录")
    return user


UserDep = Annotated[WebUser, Depends(require_user)]


def require_role(user: WebUser, *roles: str) -> WebUser:
    """`user` when their role is one of `roles`, else 403."""
    if user.role not in roles:
        allowed = "、".join(ROLE_NAMES[r] for r in roles)
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"仅限{allowed}查看")
    return user
