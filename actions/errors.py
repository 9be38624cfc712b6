"""The action server's no-500 guard: an unexpected exception in an action becomes a logged error and the reply
utter_service_unavailable, answered 200 like any other action call.

rasa-sdk lets an action's exception escape `ActionExecutor.run`, and the catch-all handler of its Sanic app
answers 500 with the exception's text and the whole request body (the tracker: personal data) and logs both;
Rasa 3.6 then drops the failed call without a word, so the user hears nothing. Installed, this guard answers
"抱歉，系统暂时有点忙，请稍后再试。" instead, and logs which action failed, the exception's type and where
(file:line) — never the exception's text, which may hold a name, an id number or an amount.

Install it on the app rasa-sdk builds, before serving it:

    from rasa_sdk.endpoint import create_app
    from actions.errors import install

    app = install(create_app(executor, cors_origins=None))

`install(app)` replaces the app's error handler (keeping any handler registered before it but rasa-sdk's
catch-all). Then:

- POST /webhook: any exception the webhook does not answer itself (it answers rasa-sdk's protocol exceptions:
  rejection 400, unknown action 404, missing domain 449) → 200 `{"events": [], "responses":
  [<utter_service_unavailable>]}`, the response in the form `CollectingDispatcher.utter_message` produces;
- Sanic's own HTTP errors (unknown path 404, 405, malformed JSON 400, body too large 413) keep their status,
  with only the error's class name as the body;
- any other exception → 500 `{"error": "internal error"}`, logged the same way.

No side effects at import and no Action here: rasa-sdk's `register_package("actions")` imports this module.
"""

from __future__ import annotations

import logging
import re
import traceback
from pathlib import Path
from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from sanic import Sanic
from sanic.exceptions import SanicException
from sanic.handlers import ErrorHandler
from sanic.request import Request
from sanic.response import HTTPResponse, json

UNAVAILABLE = "utter_service_unavailable"
"""The domain response a user hears when an action failed."""
WEBHOOK = "/webhook"
ROOT = Path(__file__).resolve().parents[1]
_ACTION_NAME = re.compile(r"[A-Za-z0-9_.-]{1,80}")
log = logging.getLogger(__name__)


def unavailable_reply() -> dict[str, Any]:
    """The body of a 200 action response that says only utter_service_unavailable and sets nothing.

    >>> body = unavailable_reply(); body["events"], body["responses"][0]["response"]
    ([], 'utter_service_unavailable')
    """
    dispatcher = CollectingDispatcher()
    dispatcher.utter_message(response=UNAVAILABLE)
    return {"events": [], "responses": dispatcher.messages}


def where(error: BaseException, frames: int = 6) -> str:
    """Where `error` was raised: the innermost `frames` file:line of its traceback, innermost first (paths inside
    the project relative to it); no source text and no message.

    >>> try:
    ...     {}["于蓉"]
    ... except KeyError as error:
    ...     where(error).startswith("<doctest") and "于蓉" not in where(error)
    True
    """
    stack = traceback.extract_tb(error.__traceback__)[-frames:]
    return " < ".join(f"{_short(frame.filename)}:{frame.lineno}" for frame in reversed(stack)) or "?"


def _short(filename: str) -> str:
    path = Path(filename)
    try:
        return str(path.resolve().relative_to(ROOT))
    except (ValueError, OSError):
        return "/".join(path.parts[-2:]) if len(path.parts) > 1 else filename


def _action_name(request: Request | None) -> str:
    """The action Rasa asked for, if the body says so plainly (a name, never anything the user typed)."""
    try:
        body = request.json if request is not None else None
    except Exception:  # a body that is not JSON (or is compressed): the name is not worth a second failure
        return "?"
    name = body.get("next_action") if isinstance(body, dict) else None
    return name if isinstance(name, str) and _ACTION_NAME.fullmatch(name) else "?"


class GuardedErrorHandler(ErrorHandler):
    """Sanic's error handler for the action server: see the module docstring."""

    def default(self, request: Request, exception: Exception) -> HTTPResponse:
        status = exception.status_code if isinstance(exception, SanicException) else 500
        if request is not None and request.method == "POST" and request.path == WEBHOOK and status >= 500:
            log.error("action %s failed: %s at %s; answered %s", _action_name(request), type(exception).__name__,
                      where(exception), UNAVAILABLE)
            return json(unavailable_reply())
        if isinstance(exception, SanicException) and status < 500:
            return json({"error": type(exception).__name__}, status=status)
        log.error("action server: %s %s failed: %s at %s", getattr(request, "method", "?"),
                  getattr(request, "path", "?"), type(exception).__name__, where(exception))
        return json({"error": "internal error"}, status=500)


def install(app: Sanic) -> Sanic:
    """Put the guard on an action server app built by `rasa_sdk.endpoint.create_app`; returns the app.

    Handlers registered on the app before are kept, except rasa-sdk's catch-all (the one that answers 500 with
    the exception's text and the request body).
    """
    previous = app.error_handler
    catch_all = previous.cached_handlers.get((Exception, None))
    guarded = GuardedErrorHandler(base=previous.base)
    guarded.cached_handlers = {key: handler for key, handler in previous.cached_handlers.items()
                               if handler is not None and handler is not catch_all}
    app.error_handler = guarded
    return app
