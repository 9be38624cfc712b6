"""Callback verification and decryption: Tencent's published sample, and every bad input."""

from __future__ import annotations

import pytest

from wecom.crypto import (
    BadSignature,
    BodyTooLarge,
    CallbackCrypto,
    CallbackError,
    StaleTimestamp,
    WrongReceiver,
)

# Tencent's published callback sample: the worked example in WeCom's developer documentation
# "加解密方案说明" (developer.work.weixin.qq.com/document/path/90968 — token, EncodingAESKey, corp id, the POST
# with msg_signature=477715d1…, and the plaintext <Content>hello</Content>), and the URL-verification vector
# (msg_signature 5c45ff5e…, echostr P9nAzCzy…, plaintext 1616140317555161061) from Tencent's WXBizMsgCrypt
# sample code (Sample.php/Sample.cs shipped with the SDK download).
TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
CORP_ID = "wx5823bf96d3bd56c7"
ECHO = ("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780",
        "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==")
POST_QUERY = ("477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149")
ENCRYPTED = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sY"
    "YvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR"
    "+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallc"
    "rw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8"
    "Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)
BODY = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{ENCRYPTED}]]></Encrypt>"
        "<AgentID><![CDATA[218]]></AgentID></xml>").encode()


def sample(clock: float | None = None, **kwargs: object) -> CallbackCrypto:
    if clock is None:
        return CallbackCrypto(TOKEN, AES_KEY, CORP_ID, max_clock_skew_s=None, **kwargs)  # type: ignore[arg-type]
    return CallbackCrypto(TOKEN, AES_KEY, CORP_ID, clock=lambda: clock, **kwargs)  # type: ignore[arg-type]


class TestKnownAnswer:
    def test_url_verification_gives_the_documented_echo(self) -> None:
        assert sample().verify_url(*ECHO) == "1616140317555161061"

    def test_message_decrypts_to_the_documented_plaintext(self) -> None:
        fields = sample().decrypt_callback(*POST_QUERY, BODY)
        assert fields == {"ToUserName": CORP_ID, "FromUserName": "mycreate", "CreateTime": "1409659813",
                          "MsgType": "text", "Content": "hello", "MsgId": "4561255354251345929", "AgentID": "218"}

    def test_round_trip_through_our_encryption(self) -> None:
        crypto = sample()
        body, query = crypto.encrypt_callback("<xml><Content>你好</Content></xml>", "1409659813", "n1")
        assert crypto.decrypt_callback(query["msg_signature"], "1409659813", "n1", body) == {"Content": "你好"}


class TestBadInput:
    def test_wrong_signature_is_403(self) -> None:
        with pytest.raises(BadSignature) as caught:
            sample().decrypt_callback("0" * 40, *POST_QUERY[1:], BODY)
        assert caught.value.status == 403

    def test_wrong_token_fails_the_signature(self) -> None:
        with pytest.raises(BadSignature):
            CallbackCrypto("other", AES_KEY, CORP_ID, max_clock_skew_s=None).verify_url(*ECHO)

    def test_other_corp_is_rejected(self) -> None:
        with pytest.raises(WrongReceiver):
            CallbackCrypto(TOKEN, AES_KEY, "wwsomeoneelse", max_clock_skew_s=None).decrypt_callback(*POST_QUERY, BODY)

    def test_stale_timestamp_is_a_replay(self) -> None:
        with pytest.raises(StaleTimestamp):
            sample(clock=1409659813 + 3600).decrypt_callback(*POST_QUERY, BODY)
        assert sample(clock=1409659813 + 60).decrypt_callback(*POST_QUERY, BODY)["Content"] == "hello"

    @pytest.mark.parametrize("body", [b"not xml", b"<xml><Encrypt></Encrypt></xml>", b"",
                                      b'<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>'])
    def test_malformed_bodies_are_400(self, body: bytes) -> None:
        with pytest.raises(CallbackError) as caught:
            sample().decrypt_callback(*POST_QUERY, body)
        assert caught.value.status == 400

    def test_undecryptable_ciphertext_is_400(self) -> None:
        from wecom.crypto import signature

        garbage = "QUJDRA=="
        body = f"<xml><Encrypt>{garbage}</Encrypt></xml>".encode()
        with pytest.raises(CallbackError) as caught:
            sample().decrypt_callback(signature(TOKEN, "1", "2", garbage), "1", "2", body)
        assert caught.value.status == 400 and not isinstance(caught.value, BadSignature)

    def test_oversized_body_is_413(self) -> None:
        with pytest.raises(BodyTooLarge) as caught:
            sample(max_body_bytes=1024).decrypt_callback(*POST_QUERY, BODY + b" " * 1024)
        assert caught.value.status == 413

    def test_non_numeric_timestamp_is_400(self) -> None:
        with pytest.raises(CallbackError) as caught:
            sample().verify_url(ECHO[0], "yesterday", ECHO[2], ECHO[3])
        assert caught.value.status == 400
