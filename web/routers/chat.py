"""The chat proxy: the browser posts to this origin, we forward to Rasa's web chat channel as the signed-in
sender, signed with WEB_CHANNEL_SECRET so that Rasa believes no sender the browser could make up."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import logging
import time
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from web.deps import SettingsDep
from web.identity import UserDep
from wecom import logs

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["chat"])

CHANNEL_PATH = "/webhooks/webchat/webhook"
SIGNATURE_HEADER = "X-Signature"
UNAVAILABLE = "助手暂时无法回复，请稍后再试"


class ChatMessage(BaseModel):
    """What the visitor typed, or the payload of a button they clicked (e.g. `/greet`)."""

    message: str = Field(min_length=1, max_length=2000)


def sign(secret: str, sender: str, timestamp: int, message: str) -> str:
    """The X-Signature value Rasa's web chat channel checks (bot/channels/web.py states the format; the Rasa
    process cannot share this function, tests/rasa_env/test_web_channel.py keeps the two in step):
    `t=<unix seconds>,s=<hex HMAC-SHA256(secret, f"{t}.{sender}.{sha256_hex(message)}")>`, UTF-8 throughout."""
    digest = hashlib.sha256(message.encode()).hexdigest()
    mac = hmac.new(secret.encode(), f"{timestamp}.{sender}.{digest}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},s={mac}"


_TURNS = itertools.count()


def in_turn(urls: list[str]) -> list[str]:
    """The Rasa instances in the order this message tries them: each message starts at the next one."""
    start = next(_TURNS) % len(urls)
    return urls[start:] + urls[:start]


async def post_to_rasa(client: httpx.AsyncClient, urls: list[str], payload: dict[str, str],
                       headers: dict[str, str]) -> httpx.Response:
    """Post to the first instance that takes the connection. Only a refused or failed connection moves on
    (the message never reached that instance); an answer, even an error, is final, so no message runs twice."""
    for number, base in enumerate(urls, start=1):
        try:
            return await client.post(base + CHANNEL_PATH, json=payload, headers=headers)
        except httpx.ConnectError:
            if number == len(urls):
                raise
            log.warning("Rasa instance %d of %d refused the connection; trying the next", number, len(urls))
    raise httpx.ConnectError("no Rasa instance configured")


@router.post("/chat", summary="Send a message to the bot; returns the bot's messages as Rasa's channels do")
async def chat(body: ChatMessage, user: UserDep, settings: SettingsDep) -> list[dict[str, Any]]:
    """Forward to `{RASA_URL}/webhooks/webchat/webhook` as the session's sender (never one from the browser),
    signed with the shared secret; with several Rasa addresses, each message goes to the next that answers."""
    secret = settings.web_channel_secret
    if not secret:
        log.error("WEB_CHANNEL_SECRET is not set: the web chat cannot reach Rasa")
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=UNAVAILABLE)
    headers = {SIGNATURE_HEADER: sign(secret, user.sender_id, int(time.time()), body.message),
               logs.HEADER: logs.current_request_id() or logs.new_request_id()}
    payload = {"sender": user.sender_id, "message": body.message}
    try:
        async with httpx.AsyncClient(timeout=settings.rasa_timeout) as client:
            answer = await post_to_rasa(client, in_turn(settings.rasa_urls), payload, headers)
        answer.raise_for_status()
        messages = answer.json()
    except (httpx.HTTPError, ValueError) as error:
        code = error.response.status_code if isinstance(error, httpx.HTTPStatusError) else None
        log.warning("Rasa did not answer: %s%s", type(error).__name__, f" ({code})" if code else "")
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, detail=UNAVAILABLE) from error
    if not isinstance(messages, list):
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, detail="助手的回复格式有误")
    return [m for m in messages if isinstance(m, dict)]
