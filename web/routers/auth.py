"""Staff sign-in with WeCom: OAuth inside WeCom's browser, the web QR login elsewhere, one callback for both.

`/auth/wecom/start` (WeCom's in-app browser) and `/auth/wecom/qr` (any other browser) put a random `state`
into the signed session cookie, remember where to go afterwards (a local path only), and send the browser to
WeCom. WeCom sends it back to `/auth/wecom/callback?code&state`: the state must be the session's (compared in
constant time, used once), the code is exchanged with `auth/getuserinfo` for the member's userid, and only a
staff member (advisor or manager) in bank/'s directory is signed in, in a fresh session.

Neither the code nor the state is ever logged (uvicorn's access log drops query strings: web/logs.py).
"""

from __future__ import annotations

import logging
import secrets
import time
import urllib.parse
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bank.directory import who_is
from services.sign_in import UnsafeNextPath, local_path
from web.deps import SessionDep, SettingsDep
from web.identity import MaybeUser, sign_in
from web.settings import Settings
from web.templating import templates
from wecom.api import WeComAPI, WeComAPIError
from wecom.settings import SettingsError, WeComSettings

router = APIRouter(prefix="/auth", tags=["sign-in"])
log = logging.getLogger(__name__)

OAUTH_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"
QR_LOGIN_URL = "https://login.work.weixin.qq.com/wwlogin/sso/login"
CALLBACK_PATH = "/auth/wecom/callback"
PENDING_KEY = "wecom_oauth"
"""Session key of the sign-in under way: {"state", "next", "at"}."""
STATE_TTL_S = 600
"""A started sign-in must come back within 10 minutes (WeCom's code itself lives 5)."""
MAX_PARAM = 512
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
"""Answers carrying or answering a state or code are not cached, and their address is not sent on as a referrer."""
STAFF_ROLES = frozenset({"advisor", "manager"})
INVALID_CODE = frozenset({40029, 40163})
"""WeCom's answers for a code that is unknown, expired or already used: the visitor must start again."""


# --- helpers -------------------------------------------------------------------------------------------
def safe_next(target: str | None) -> str:
    r"""`target` when it is a path of this site (services.sign_in.local_path: "/…", not "//…", no scheme, host,
    backslash, space or control character), else "/".

    >>> safe_next("/dashboard?start=2026-11-01"), safe_next("//evil.example"), safe_next("https://evil.example")
    ('/dashboard?start=2026-11-01', '/', '/')
    >>> safe_next("/\\evil.example"), safe_next(None), safe_next("/a\tb"), safe_next("")
    ('/', '/', '/', '/')
    """
    try:
        return local_path(target) if target else "/"
    except UnsafeNextPath:
        return "/"


def wecom_settings() -> WeComSettings | None:
    """The WeCom app's settings (WECOM_*), or None when they are missing or malformed."""
    try:
        return WeComSettings.from_env("app")
    except SettingsError as error:
        log.warning("WeCom sign-in unavailable: %s", error)
        return None


@lru_cache(maxsize=4)
def wecom_client(settings: WeComSettings) -> WeComAPI:
    """One API client per WeCom app and process, so the access token is fetched once and shared."""
    return WeComAPI(settings)


def callback_url(settings: Settings) -> str:
    return settings.public_base_url + CALLBACK_PATH


def _begin(request: Request, next_: str | None) -> str:
    """Start a sign-in: a new random state bound to this session (replacing any earlier one)."""
    state = secrets.token_urlsafe(24)
    request.session[PENDING_KEY] = {"state": state, "next": safe_next(next_), "at": int(time.time())}
    return state


def _page(request: Request, status_code: int, message: str, user: Any = None, next_: str = "/") -> HTMLResponse:
    """The sign-in page, with `message` saying what went wrong (or nothing) and the ways to sign in."""
    query = urllib.parse.urlencode({"next": next_})
    return templates.TemplateResponse(
        request, "signin.html",
        {"user": user, "message": message, "start_url": f"/auth/wecom/start?{query}",
         "qr_url": f"/auth/wecom/qr?{query}"},
        status_code=status_code, headers=PRIVATE,
    )


NOT_CONFIGURED = "企业微信登录暂未开通，请联系系统管理员。"


# --- routes --------------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse, summary="The sign-in page (opens WeCom sign-in inside WeCom)")
def login_page(request: Request, user: MaybeUser, next: str | None = None) -> Response:
    """Inside WeCom's browser go straight to OAuth; elsewhere offer the QR login (and the in-WeCom link)."""
    target = safe_next(next)
    if "wxwork/" in request.headers.get("user-agent", "").lower() and user is None:
        return RedirectResponse(f"/auth/wecom/start?{urllib.parse.urlencode({'next': target})}",
                                status_code=status.HTTP_302_FOUND)
    return _page(request, status.HTTP_200_OK, "", user=user, next_=target)


def oauth_url(wecom: WeComSettings, callback: str, state: str) -> str:
    """WeCom's OAuth URL for its in-app browser."""
    query = urllib.parse.urlencode({"appid": wecom.corp_id, "redirect_uri": callback, "response_type": "code",
                                    "scope": "snsapi_base", "state": state, "agentid": str(wecom.agent_id)})
    return f"{OAUTH_URL}?{query}#wechat_redirect"


def qr_login_url(wecom: WeComSettings, callback: str, state: str) -> str:
    """WeCom's QR-code login URL for other browsers."""
    query = urllib.parse.urlencode({"login_type": "CorpApp", "appid": wecom.corp_id, "agentid": str(wecom.agent_id),
                                    "redirect_uri": callback, "state": state})
    return f"{QR_LOGIN_URL}?{query}"


def _to_wecom(request: Request, settings: Settings, next_: str | None,
              url: Callable[[WeComSettings, str, str], str]) -> Response:
    """Start a sign-in (a fresh state bound to this session) and send the browser to WeCom."""
    wecom = wecom_settings()
    if wecom is None:
        return _page(request, status.HTTP_503_SERVICE_UNAVAILABLE, NOT_CONFIGURED)
    state = _begin(request, next_)
    return RedirectResponse(url(wecom, callback_url(settings), state), status_code=status.HTTP_302_FOUND,
                            headers=PRIVATE)


@router.get("/wecom/start", summary="Sign in inside WeCom's browser (redirects to WeCom OAuth)",
            status_code=status.HTTP_302_FOUND, response_class=RedirectResponse)
def wecom_start(request: Request, settings: SettingsDep, next: str | None = None) -> Response:
    return _to_wecom(request, settings, next, oauth_url)


@router.get("/wecom/qr", summary="Sign in from another browser (redirects to WeCom's QR-code login)",
            status_code=status.HTTP_302_FOUND, response_class=RedirectResponse)
def wecom_qr(request: Request, settings: SettingsDep, next: str | None = None) -> Response:
    return _to_wecom(request, settings, next, qr_login_url)


def _exchange(api: WeComAPI, code: str) -> dict[str, Any]:
    answer: dict[str, Any] = api.call("auth/getuserinfo", None, {"code": code})
    return answer


@router.get(CALLBACK_PATH.removeprefix("/auth"), summary="WeCom sends the browser back here with code and state",
            status_code=status.HTTP_303_SEE_OTHER, response_class=RedirectResponse)
async def wecom_callback(request: Request, session: SessionDep, settings: SettingsDep,
                         code: str | None = None, state: str | None = None) -> Response:
    """Check the state (single use), exchange the code for the userid, sign in a staff member, go to `next`."""
    wecom = wecom_settings()
    if wecom is None:
        return _page(request, status.HTTP_503_SERVICE_UNAVAILABLE, NOT_CONFIGURED)
    pending = request.session.pop(PENDING_KEY, None)  # consumed whatever happens next
    if not isinstance(pending, dict):
        pending = {}
    expected = str(pending.get("state") or "")
    fresh = isinstance(pending.get("at"), int) and time.time() - pending["at"] <= STATE_TTL_S
    given = state or ""
    if not (expected and given and fresh and len(given) <= MAX_PARAM
            and secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))):
        return _page(request, status.HTTP_400_BAD_REQUEST,
                     "登录请求已失效或不是从本页面发起的，请重新登录。")
    target = safe_next(str(pending.get("next") or "/"))
    if not code or len(code) > MAX_PARAM:
        return _page(request, status.HTTP_400_BAD_REQUEST, "企业微信没有返回登录凭证，请重新登录。", next_=target)
    try:
        answer = await run_in_threadpool(_exchange, wecom_client(wecom), code)
    except WeComAPIError as error:
        if error.errcode in INVALID_CODE:
            return _page(request, status.HTTP_400_BAD_REQUEST, "登录凭证无效或已被使用，请重新登录。", next_=target)
        log.warning("WeCom sign-in failed: errcode=%s status=%s", error.errcode, error.status)
        return _page(request, status.HTTP_502_BAD_GATEWAY, "暂时无法连接企业微信完成登录，请稍后再试。", next_=target)
    userid = answer.get("userid") or answer.get("UserId")
    identity = await run_in_threadpool(who_is, session, userid) if isinstance(userid, str) and userid else None
    if identity is None or identity.role not in STAFF_ROLES:
        log.info("WeCom sign-in refused: not a staff member")
        return _page(request, status.HTTP_403_FORBIDDEN, "此页面仅限本行理财经理和管理人员登录。")
    sign_in(request, identity.wecom_id)
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER, headers=PRIVATE)
