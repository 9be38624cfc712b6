"""Message payloads within WeCom's limits: text split at sentence ends, markdown ≤ 2,048 bytes, card fields
truncated on character boundaries, template_card buttons, and the 微信客服 (kf) shapes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

TEXT_MAX_BYTES = 2048
MARKDOWN_MAX_BYTES = 2048
SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")


def truncate_bytes(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut `text` to at most `limit` UTF-8 bytes without splitting a character.

    >>> truncate_bytes("理财助手", 9)
    '理财…'
    >>> truncate_bytes("ok", 7)
    'ok'
    """
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len(ellipsis.encode("utf-8"))
    return text.encode("utf-8")[: max(room, 0)].decode("utf-8", "ignore") + ellipsis


def split_text(text: str, max_bytes: int = 600, max_parts: int = 4) -> list[str]:
    """Split a reply at sentence ends into at most `max_parts` parts of ≤ `max_bytes` (the last may be
    up to TEXT_MAX_BYTES, then truncated), so long answers stay readable and within limits.

    >>> split_text("第一句。第二句。", max_bytes=13)
    ['第一句。', '第二句。']
    """
    text = text.strip()
    if not text:
        return []
    parts: list[str] = []
    current = ""
    for sentence in SENTENCE_END.split(text):
        while len(sentence.encode("utf-8")) > max_bytes:  # one sentence too long: cut it hard
            head = truncate_bytes(sentence, max_bytes, ellipsis="")
            if current:
                parts.append(current)
                current = ""
            parts.append(head)
            sentence = sentence[len(head):]
        if len((current + sentence).encode("utf-8")) > max_bytes and current:
            parts.append(current)
            current = ""
        current += sentence
    if current:
        parts.append(current)
    parts = [p.strip() for p in parts if p.strip()]
    if len(parts) > max_parts:
        parts = [*parts[: max_parts - 1], "".join(parts[max_parts - 1:])]
    return [truncate_bytes(p, TEXT_MAX_BYTES) for p in parts]


def text(content: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": truncate_bytes(content, TEXT_MAX_BYTES)}}


def markdown(content: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": truncate_bytes(content, MARKDOWN_MAX_BYTES)}}


def image(media_id: str) -> dict[str, Any]:
    return {"msgtype": "image", "image": {"media_id": media_id}}


def textcard(title: str, description: str, url: str, btntxt: str = "详情") -> dict[str, Any]:
    """A text card: title ≤ 128 bytes, description ≤ 512 bytes, button text ≤ 4 characters."""
    return {
        "msgtype": "textcard",
        "textcard": {
            "title": truncate_bytes(title, 128),
            "description": truncate_bytes(description, 512),
            "url": url,
            "btntxt": btntxt[:4],
        },
    }


def news(articles: Sequence[dict[str, str]]) -> dict[str, Any]:
    """A news message: 1-8 articles, title ≤ 128 bytes, description ≤ 512 bytes."""
    if not articles:
        raise ValueError("articles: at least one is needed")
    return {
        "msgtype": "news",
        "news": {
            "articles": [
                {
                    "title": truncate_bytes(a.get("title", ""), 128),
                    "description": truncate_bytes(a.get("description", ""), 512),
                    "url": a.get("url", ""),
                    "picurl": a.get("picurl", ""),
                }
                for a in articles[:8]
            ]
        },
    }


def button_card(title: str, buttons: Sequence[tuple[str, str]], desc: str = "", task_id: str = "") -> dict[str, Any]:
    """A template_card of type button_interaction: up to 6 (text, key) buttons; the key comes back on click."""
    if not 1 <= len(buttons) <= 6:
        raise ValueError("buttons: 1 to 6 are allowed")
    return {
        "msgtype": "template_card",
        "template_card": {
            "card_type": "button_interaction",
            "main_title": {"title": truncate_bytes(title, 128) or "请选择", "desc": truncate_bytes(desc, 512)},
            "task_id": task_id or uuid.uuid4().hex,
            "button_list": [
                {"text": truncate_bytes(label, 40), "style": 1, "key": truncate_bytes(key, 1024, "")}
                for label, key in buttons
            ],
        },
    }


def numbered_menu(title: str, buttons: Sequence[tuple[str, str]]) -> str:
    """Buttons as a numbered text menu (for more than 6 buttons or where cards are unavailable).

    >>> numbered_menu("请选择", [("体检", "/check"), ("测评", "/risk")])
    '请选择\\n1. 体检\\n2. 测评\\n回复序号即可。'
    """
    lines = [title, *(f"{i}. {label}" for i, (label, _) in enumerate(buttons, 1)), "回复序号即可。"]
    return "\n".join(lines)


def kf_text(content: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": truncate_bytes(content, TEXT_MAX_BYTES)}}


def kf_menu(head: str, buttons: Sequence[tuple[str, str]], tail: str = "") -> dict[str, Any]:
    """A 微信客服 msgmenu of click items (at most 10); a click comes back as text with menu_id = payload."""
    return {
        "msgtype": "msgmenu",
        "msgmenu": {
            "head_content": truncate_bytes(head, 1024),
            "list": [{"type": "click", "click": {"id": truncate_bytes(key, 128, ""), "content": label[:64]}}
                     for label, key in buttons[:10]],
            "tail_content": truncate_bytes(tail, 1024),
        },
    }


def kf_link(title: str, url: str, desc: str = "", thumb_media_id: str = "") -> dict[str, Any]:
    return {
        "msgtype": "link",
        "link": {"title": truncate_bytes(title, 128), "desc": truncate_bytes(desc, 512), "url": url,
                 "thumb_media_id": thumb_media_id},
    }
