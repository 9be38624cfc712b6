"""Input that cannot crash a turn (issue 13, item 6): the no-500 guard of actions/errors.py on rasa-sdk's own
Sanic app, driven over ASGI, and the real push action fed the 27-digit amount that once answered nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from decimal import InvalidOperation
from typing import Any

import httpx
import pytest
from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection
from sanic import Sanic

import actions.push
from actions.errors import UNAVAILABLE, install, unavailable_reply
from actions.push import ActionPushPreview
from bank.db import session_scope
from bank.models import Client
from tests.actions.kit import make_tracker, run_action
from tests.services.push_cast import Cast

SECRET = "于蓉 110101199003071234 13812345678"
"""Personal data an exception's text may carry: it must reach neither the log nor the response."""
ABSURD = "每人999999999999999999999999999元"
ISSUE_TEXT = "把稳健组合推给于蓉 " + ABSURD


def boom(error: Exception) -> Callable[..., Awaitable[list[dict[str, Any]]]]:
    """An action run that fails the way the parsers once did (a function, not an Action subclass: rasa-sdk's
    register_package registers every Action subclass it can see, and test_registry counts them)."""

    async def run(dispatcher: Any, tracker: Any, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text="half a reply")
        raise error

    return run


def action_call(action: str, text: str = "你好", sender: str = "zhangmin", slots: dict[str, Any] | None = None
                ) -> dict[str, Any]:
    """The body Rasa 3.6 posts to the action server."""
    return {"next_action": action, "sender_id": sender, "version": "3.6.21", "domain": {},
            "tracker": {"sender_id": sender, "slots": {"role": "advisor", **(slots or {})}, "events": [],
                        "latest_message": {"text": text, "intent": {"name": "push_portfolio"}, "entities": []},
                        "paused": False, "followup_action": None, "active_loop": {},
                        "latest_action_name": "action_listen"}}


def request(app: Sanic, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request to `app` over ASGI, inside the app's lifespan (startup and shutdown run as when served)."""

    async def go() -> httpx.Response:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        lifespan = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, outbox.put))
        await inbox.put({"type": "lifespan.startup"})
        assert (await asyncio.wait_for(outbox.get(), 30))["type"] == "lifespan.startup.complete"
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://actions") as client:
                return await client.request(method, path, **kwargs)
        finally:
            await inbox.put({"type": "lifespan.shutdown"})
            await asyncio.wait_for(lifespan, 30)

    return asyncio.run(go())


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """rasa-sdk names every app "rasa_sdk"; Sanic allows a name twice only in test mode."""
    monkeypatch.setattr(Sanic, "test_mode", True)
    yield


def guarded_app(action_boom: Callable[..., Any] | None = None, package: str | None = None) -> Sanic:
    executor = ActionExecutor()
    if action_boom is not None:
        executor.register_function("action_boom", action_boom)
    if package:
        executor.register_package(package)
    return install(create_app(executor, cors_origins=None))


class TestGuard:
    @pytest.mark.parametrize("error", [RuntimeError(SECRET), InvalidOperation(SECRET), OverflowError(SECRET),
                                       KeyError(SECRET), RecursionError(SECRET)])
    def test_a_failing_action_answers_200_with_the_unavailable_reply(self, error: Exception,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG)
        response = request(guarded_app(boom(error)), "POST", "/webhook", json=action_call("action_boom", SECRET))
        assert response.status_code == 200
        assert response.json() == unavailable_reply()
        assert response.json()["responses"][0]["response"] == UNAVAILABLE
        failed = [r for r in caplog.records if r.name == "actions.errors"]
        assert len(failed) == 1 and failed[0].levelno == logging.ERROR
        assert "action_boom" in failed[0].getMessage() and type(error).__name__ in failed[0].getMessage()
        assert "tests/actions/test_bad_input.py:" in failed[0].getMessage()  # where, as file:line
        for secret in ("于蓉", "110101", "13812345678"):
            assert secret not in caplog.text and secret not in response.text

    def test_without_the_guard_rasa_sdk_answers_500_with_the_text_and_the_tracker(self) -> None:
        executor = ActionExecutor()
        executor.register_function("action_boom", boom(RuntimeError(SECRET)))
        response = request(create_app(executor, cors_origins=None), "POST", "/webhook",
                           json=action_call("action_boom", ISSUE_TEXT))
        assert response.status_code == 500 and "于蓉" in response.json()["error"]  # what the guard is for

    def test_rasa_sdk_protocol_answers_are_kept(self) -> None:
        app = guarded_app(boom(ActionExecutionRejection("action_boom", SECRET)))
        rejected = request(app, "POST", "/webhook", json=action_call("action_boom"))
        assert rejected.status_code == 400  # a form's rejection: Rasa tries another policy
        unknown = request(guarded_app(), "POST", "/webhook", json=action_call("action_nobody_wrote"))
        assert unknown.status_code == 404

    @pytest.mark.parametrize(("method", "path", "body", "status"), [
        ("GET", "/nowhere", None, 404), ("PUT", "/webhook", None, 405), ("POST", "/webhook", b"{" + SECRET.encode(), 400),
    ])
    def test_http_errors_keep_their_status_and_echo_nothing(self, method: str, path: str, body: bytes | None,
                                                           status: int) -> None:
        response = request(guarded_app(), method, path, content=body,
                           headers={"Content-Type": "application/json"} if body else None)
        assert response.status_code == status and set(response.json()) == {"error"}
        assert "于蓉" not in response.text

    def test_handlers_registered_before_are_kept(self) -> None:
        app = create_app(ActionExecutor(), cors_origins=None)

        @app.exception(LookupError)
        async def lookup_failed(_request: Any, _error: Exception) -> Any:
            from sanic.response import json
            return json({"mine": True}, status=409)

        install(app)
        app.get("/lookup")(self._raise_lookup)
        assert request(app, "GET", "/lookup").status_code == 409

    @staticmethod
    async def _raise_lookup(_request: Any) -> Any:
        raise LookupError(SECRET)


@pytest.fixture
def env(bank_env: str) -> str:
    """A private bank copy and no WeCom; these tests need no knowledge index (tests/actions/conftest.py)."""
    return bank_env


@pytest.fixture
def people(push_cast: Cast) -> Cast:
    return push_cast


def client_name(url: str, client_id: int) -> str:
    with session_scope(url) as session:
        client = session.get(Client, client_id)
        assert client is not None
        return client.name


class TestPushWithAnAbsurdAmount:
    """"把稳健组合推给于蓉 每人999999999999999999999999999元" once answered nothing (InvalidOperation)."""

    def test_the_issue_text_gets_a_polite_reply(self, env: str, people: Cast) -> None:
        messages, _ = run_action(ActionPushPreview(), make_tracker("zhangmin", ISSUE_TEXT, "push_portfolio",
                                                                   slots={"role": "advisor"}))
        assert messages and not any("9999" in str(m.get("text") or "") for m in messages)

    def test_a_real_client_gets_a_preview_without_the_absurd_amount(self, env: str, people: Cast) -> None:
        name = client_name(env, people.suitable[0])
        messages, events = run_action(ActionPushPreview(), make_tracker(
            "zhangmin", f"把稳健组合推给{name} {ABSURD}", "push_portfolio", slots={"role": "advisor"}))
        assert messages and all("9999" not in str(m.get("text") or "") for m in messages)
        # Asked again: never a preview with the default amount silently put in its place.
        assert [m.get("response") for m in messages] == ["utter_push_amount_unreadable"]
        assert not [e for e in events if e.get("name") == "push_amount"]

    def test_through_the_action_server_the_push_answers_200(self, env: str, people: Cast) -> None:
        app = guarded_app(package="actions")
        response = request(app, "POST", "/webhook", json=action_call("action_push_preview", ISSUE_TEXT))
        assert response.status_code == 200 and response.json()["responses"]

    def test_a_push_that_still_fails_answers_the_unavailable_reply(self, env: str, people: Cast,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
        def crash(*_args: Any, **_kwargs: Any) -> None:
            raise RuntimeError(SECRET)  # any failure the action does not expect, wherever it comes from

        monkeypatch.setattr(actions.push, "draft_push", crash)
        response = request(guarded_app(package="actions"), "POST", "/webhook",
                           json=action_call("action_push_preview", ISSUE_TEXT))
        assert response.status_code == 200 and response.json() == unavailable_reply()
