"""Broadcast helpers for later features: to a list of users, a department, or an app group chat."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wecom.api import WeComAPI

MAX_USERS_PER_CALL = 1000


def to_users(api: WeComAPI, user_ids: Sequence[str], body: dict[str, Any]) -> list[str]:
    """Send `body` (a messages.* payload) to users in batches of 1,000; returns the ids WeCom rejected."""
    invalid: list[str] = []
    for start in range(0, len(user_ids), MAX_USERS_PER_CALL):
        batch = user_ids[start:start + MAX_USERS_PER_CALL]
        answer = api.call("message/send", {"touser": "|".join(batch), "agentid": api.settings.agent_id, **body})
        invalid += [u for u in str(answer.get("invaliduser", "")).split("|") if u]
    return invalid


def to_department(api: WeComAPI, department_ids: Sequence[int], body: dict[str, Any]) -> dict[str, Any]:
    """Send `body` to every member of the departments (toparty)."""
    payload = {"toparty": "|".join(str(d) for d in department_ids), "agentid": api.settings.agent_id, **body}
    result: dict[str, Any] = api.call("message/send", payload)
    return result


def to_app_chat(api: WeComAPI, chat_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Send `body` to an app group chat; template_card is not allowed there, so it is refused up front."""
    if body.get("msgtype") == "template_card":
        raise ValueError("msgtype: appchat/send does not accept template_card")
    result: dict[str, Any] = api.call("appchat/send", {"chatid": chat_id, **body})
    return result
