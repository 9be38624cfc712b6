"""De-duplication of callbacks: MsgId for messages, FromUserName+CreateTime for events, shared via the store."""

from __future__ import annotations

from wecom.store import KeyValue

SEEN_TTL_S = 3 * 24 * 3600


def dedup_key(fields: dict[str, str]) -> str:
    """The identity WeCom retries carry: MsgId, or FromUserName+CreateTime(+Event) for events.

    >>> dedup_key({"MsgId": "42", "MsgType": "text"})
    'msg:42'
    >>> dedup_key({"MsgType": "event", "FromUserName": "u1", "CreateTime": "9", "Event": "click"})
    'event:u1:9:click'
    """
    if fields.get("MsgId"):
        return "msg:" + fields["MsgId"]
    return f"event:{fields.get('FromUserName', '')}:{fields.get('CreateTime', '')}:{fields.get('Event', '')}"


def first_time(store: KeyValue, namespace: str, key: str) -> bool:
    """True the first time `key` is seen in `namespace` (atomic set-if-absent, so processes agree)."""
    return store.add(f"seen:{namespace}:{key}", "1", SEEN_TTL_S)
