"""Request ids and JSON log lines (wecom/logs.py): what a line holds, what it never shows, and that an id
follows the work into threads and tasks."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys

import pytest

from wecom import logs


def emitted(fmt: str, message: str, *args: object, exc: bool = False) -> str:
    """What one record logged through the project's handler looks like."""
    stream = io.StringIO()
    handler = logs.handler("actions", fmt)
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    logger = logging.getLogger("tests.wecom.logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        if exc:
            try:
                raise ValueError("卡号 6222021234567890123 无效")
            except ValueError:
                logger.exception(message, *args)
        else:
            logger.warning(message, *args)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_json_line_carries_service_level_logger_and_the_bound_request_id() -> None:
    with logs.bound("4f1c2a9d0b7e4e21a3c5d6e7f8091a2b"):
        line = emitted("json", "outbox %s to %s: %s", 12, "zh******01", "sent")
    entry = json.loads(line)
    assert entry["request_id"] == "4f1c2a9d0b7e4e21a3c5d6e7f8091a2b"
    assert (entry["service"], entry["level"], entry["logger"]) == ("actions", "WARNING", "tests.wecom.logs")
    assert entry["message"] == "outbox 12 to zh******01: sent"
    assert entry["time"].endswith("+00:00")
    assert line.count("\n") == 1


def test_outside_a_request_the_id_is_empty() -> None:
    assert json.loads(emitted("json", "started"))["request_id"] is None
    assert "[-] started" in emitted("text", "started")


def test_personal_numbers_in_messages_arguments_and_tracebacks_are_masked() -> None:
    line = emitted("json", "客户 %s 回拨 %s，证件 %s", "王*", "13812345678", "11010119900307123X", exc=True)
    entry = json.loads(line)
    assert "13812345678" not in line and "11010119900307123X" not in line and "6222021234567890123" not in line
    assert "138****5678" in entry["message"] and "110***********123X" in entry["message"]
    assert "6222***********0123" in entry["exception"]
    text = emitted("text", "回拨 %s", "13812345678")
    assert "138****5678" in text and "13812345678" not in text


def test_numbers_that_are_not_personal_stay() -> None:
    entry = json.loads(emitted("json", "turn took %d ms, outbox id %d, amount %s", 1234, 20261202, "123456.78"))
    assert entry["message"] == "turn took 1234 ms, outbox id 20261202, amount 123456.78"


@pytest.mark.parametrize("sent", ["", "short", "has space in it", "a" * 65, "x\n{\"level\": \"ERROR\"}", "id;rm"])
def test_an_ill_formed_id_from_outside_is_replaced_by_a_new_one(sent: str) -> None:
    accepted = logs.accepted_request_id(sent)
    assert accepted != sent and len(accepted) == 32 and accepted.isalnum()


def test_a_well_formed_id_from_the_edge_is_kept() -> None:
    assert logs.accepted_request_id("0123456789abcdef0123456789abcdef") == "0123456789abcdef0123456789abcdef"


def test_the_id_follows_work_into_a_thread_and_stays_in_its_task() -> None:
    def seen() -> str:
        return logs.current_request_id()

    async def main() -> tuple[str, str, str]:
        async def turn(request_id: str) -> str:
            logs.REQUEST_ID.set(request_id)
            await asyncio.sleep(0)
            return await logs.in_thread(seen)

        first, second = await asyncio.gather(turn("aaaaaaaa-1"), turn("bbbbbbbb-2"))
        return first, second, logs.current_request_id()

    assert asyncio.run(main()) == ("aaaaaaaa-1", "bbbbbbbb-2", "")


def test_the_log_format_follows_the_profile_unless_set() -> None:
    assert logs.log_format({"APP_ENV": "production"}) == "json"
    assert logs.log_format({"APP_ENV": "production", "LOG_FORMAT": "text"}) == "text"
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logs.log_format({"LOG_FORMAT": "xml"})


def test_configure_replaces_console_handlers_and_adopts_the_servers_loggers() -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    console = logging.StreamHandler(sys.stderr)
    kept = logging.StreamHandler(io.StringIO())  # a capture or a file: not ours to remove
    sanic_access = logging.getLogger("sanic.access")
    saved_sanic = list(sanic_access.handlers), sanic_access.propagate
    sanic_access.addHandler(logging.StreamHandler(sys.stdout))
    sanic_access.propagate = False
    root.addHandler(console)
    root.addHandler(kept)
    try:
        logs.configure("rasa", fmt="json")
        logs.configure("rasa", fmt="json")  # again: still one handler of ours
        ours = [h for h in root.handlers if isinstance(h.formatter, logs.JsonFormatter)]
        assert len(ours) == 1 and console not in root.handlers and kept in root.handlers
        assert sanic_access.propagate and not sanic_access.handlers
        jieba = logging.getLogger("jieba")
        assert jieba.propagate and not jieba.isEnabledFor(logging.DEBUG)  # its own DEBUG chatter stays out
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        sanic_access.handlers[:] = saved_sanic[0]
        sanic_access.propagate = saved_sanic[1]
