"""The chat proxy: the browser posts to this origin, we forward to Rasa's REST channel as the signed-in sender."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from web.deps import SettingsDep
from web.identity import UserDep

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["chat"])


class ChatMessage(BaseModel):
    """What the visitor typed, or the payload of a button they clicked (e.g. `/greet`)."""

    message: str = Field(min_length=1, max_length=2000)


@router.post("/chat", summary="Send a message to the bot; returns Rasa's REST channel messages")
async def chat(body: ChatMessage, user: UserDep, settings: SettingsDep) -> list[dict[str, Any]]:
    """Forward to `{RASA_URL}/webhooks/rest/webhook` with the session's sender id (never one from the browser)."""
    url = settings.rasa_url.rstrip("/") + "/webhooks/rest/webhook"
    try:
        async with httpx.AsyncClient(timeout=settings.rasa_timeout) as client:
            answer = await client.post(url, json={"sender": user.sender_id, "message": body.message})
        answer.raise_for_status()
        messages = answer.json()
    except (httpx.HTTPError, ValueError) as error:
        log.warning("Rasa did not answer: %s", type(error).__name__)
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, detail="助手暂时无法回复，请稍后再试") from error
    if not isinstance(messages, list):
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, detail="助手的回复格式有误")
    return [m for m in messages if isinstance(m, dict)]
