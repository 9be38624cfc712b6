"""The callback XML parser: DTDs refused in every encoding the bytes may use or claim, good documents read alike."""

from __future__ import annotations

import time

import pytest

from wecom import xmlsafe
from wecom.crypto import BadSignature, CallbackCrypto, CallbackError, parse_xml, signature

LAUGHS = "".join(f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, 10))
BILLION_LAUGHS = f'<!DOCTYPE xml [<!ENTITY lol0 "lol">{LAUGHS}]><xml><Content>&lol9;</Content></xml>'
XXE = '<!DOCTYPE xml [<!ENTITY leak SYSTEM "file:///etc/passwd">]><xml><Content>&leak;</Content></xml>'
GOOD = "<xml><MsgType><![CDATA[text]]></MsgType><Content>你好，理财经理</Content></xml>"
GOOD_FIELDS = {"MsgType": "text", "Content": "你好，理财经理"}


def declared(text: str, encoding: str) -> str:
    return f'<?xml version="1.0" encoding="{encoding}"?>{text}'


# (label, bytes) for one document in every way the bytes can be laid out
def layouts(text: str) -> list[tuple[str, bytes]]:
    return [
        ("utf-8", text.encode("utf-8")),
        ("utf-8 with BOM", text.encode("utf-8-sig")),
        ("utf-16 with BOM", text.encode("utf-16")),
        ("utf-16-le without BOM", text.encode("utf-16-le")),
        ("utf-16-be without BOM", text.encode("utf-16-be")),
        ("utf-32 with BOM", text.encode("utf-32")),
        ("utf-32-le without BOM", text.encode("utf-32-le")),
        ("utf-32-be without BOM", text.encode("utf-32-be")),
        ("declared UTF-16, in UTF-16", declared(text, "UTF-16").encode("utf-16")),
        ("declared UTF-16, without BOM", declared(text, "UTF-16").encode("utf-16-be")),
        ("declared UTF-32, in UTF-32", declared(text, "UTF-32").encode("utf-32")),
        ("declared UTF-16, in 8 bits (a lie)", declared(text, "UTF-16").encode("utf-8")),
        ("declared UTF-32, in 8 bits (a lie)", declared(text, "UTF-32").encode("utf-8")),
        ("declared GB18030", declared(text, "GB18030").encode("gb18030")),
        ("declared ISO-8859-1", declared(text, "ISO-8859-1").encode("utf-8")),
    ]


def ids(cases: list[tuple[str, bytes]]) -> list[str]:
    return [label for label, _ in cases]


class TestDTDsAreRefusedInEveryEncoding:
    @pytest.mark.parametrize(("label", "raw"), layouts(BILLION_LAUGHS), ids=ids(layouts(BILLION_LAUGHS)))
    def test_billion_laughs(self, label: str, raw: bytes) -> None:
        started = time.perf_counter()
        with pytest.raises(xmlsafe.UnsafeXML):
            xmlsafe.parse(raw)
        assert time.perf_counter() - started < 0.5  # refused at the DOCTYPE, nothing expanded

    @pytest.mark.parametrize(("label", "raw"), layouts(XXE), ids=ids(layouts(XXE)))
    def test_external_entity(self, label: str, raw: bytes) -> None:
        with pytest.raises(xmlsafe.UnsafeXML):
            xmlsafe.parse(raw)

    @pytest.mark.parametrize("text", [BILLION_LAUGHS, declared(BILLION_LAUGHS, "UTF-16"), XXE])
    def test_text_as_str_is_refused_too(self, text: str) -> None:
        with pytest.raises(xmlsafe.UnsafeXML):
            xmlsafe.parse(text)

    def test_a_doctype_hidden_by_an_escape_codec_is_found_after_decoding(self) -> None:
        hidden = declared("\\u003c!DOCTYPE xml [\\u003c!ENTITY a 'x'>]><xml>&a;</xml>", "raw_unicode_escape")
        with pytest.raises(xmlsafe.UnsafeXML):
            xmlsafe.parse(hidden.encode("ascii"))

    def test_the_error_is_the_guards_clear_message_and_a_400(self) -> None:
        for _, raw in layouts(BILLION_LAUGHS):
            with pytest.raises(CallbackError) as caught:
                parse_xml(raw)
            assert str(caught.value) == "body: DTDs are not accepted" and caught.value.status == 400


class TestGoodDocuments:
    @pytest.mark.parametrize(("label", "raw"), layouts(GOOD), ids=ids(layouts(GOOD)))
    def test_every_layout_reads_the_same_fields(self, label: str, raw: bytes) -> None:
        if "ISO-8859-1" in label:  # bytes that really are Latin-1 give Latin-1 text
            assert xmlsafe.parse_flat(raw)["MsgType"] == "text"
        else:
            assert xmlsafe.parse_flat(raw) == GOOD_FIELDS

    def test_str_input_ignores_its_declaration(self) -> None:
        assert xmlsafe.parse_flat(declared(GOOD, "UTF-16")) == GOOD_FIELDS


class TestMalformed:
    @pytest.mark.parametrize("raw", [
        b"", b"not xml", b"<xml><Encrypt>", b"<xml>\xff\xfe\xfa</xml>",  # the last is not UTF-8
        GOOD.encode("utf-16")[:-1],  # odd length
        declared(GOOD, "x-no-such-codec").encode(),
        declared(GOOD, "zlib").encode(),  # a bytes-to-bytes codec is no text encoding
        b"<!doctype xml><xml/>",  # lower case is no DOCTYPE to expat: just malformed
    ])
    def test_is_malformed_not_a_crash(self, raw: bytes) -> None:
        with pytest.raises(xmlsafe.MalformedXML):
            xmlsafe.parse(raw)

    def test_maps_to_a_400_without_content(self) -> None:
        with pytest.raises(CallbackError) as caught:
            parse_xml(declared(GOOD, "x-secret-looking-name").encode())
        assert caught.value.status == 400 and "secret" not in str(caught.value)


AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"


class TestThroughTheCallback:
    """The envelope and the message inside both go through the safe parser, the message after the signature."""

    def crypto(self) -> CallbackCrypto:
        return CallbackCrypto("tok", AES_KEY, "wwcorp", max_clock_skew_s=None)

    def test_utf16_envelope_with_a_bomb_is_refused(self) -> None:
        crypto = self.crypto()
        body, query = crypto.encrypt_callback(GOOD, "1700000000", "n1")
        envelope = body.decode().replace("<xml>", BILLION_LAUGHS.split("<xml>")[0] + "<xml>", 1)
        hostile = declared(envelope, "UTF-16").encode("utf-16")
        with pytest.raises(CallbackError, match="DTDs are not accepted"):
            crypto.decrypt_callback(query["msg_signature"], "1700000000", "n1", hostile)

    def test_utf16_envelope_without_a_dtd_is_read(self) -> None:
        crypto = self.crypto()
        body, query = crypto.encrypt_callback(GOOD, "1700000000", "n1")
        assert crypto.decrypt_callback(query["msg_signature"], "1700000000", "n1", body.decode().encode("utf-16")) == GOOD_FIELDS

    def test_signed_message_with_a_bomb_is_refused(self) -> None:
        crypto = self.crypto()
        body, query = crypto.encrypt_callback(declared(BILLION_LAUGHS, "UTF-16"), "1700000000", "n1")
        with pytest.raises(CallbackError, match="DTDs are not accepted"):
            crypto.decrypt_callback(query["msg_signature"], "1700000000", "n1", body)

    def test_the_message_is_not_parsed_before_the_signature_holds(self, monkeypatch: pytest.MonkeyPatch) -> None:
        crypto = self.crypto()
        body, _ = crypto.encrypt_callback(BILLION_LAUGHS, "1700000000", "n1")
        parsed: list[str | bytes] = []
        real = xmlsafe.parse_flat
        monkeypatch.setattr(xmlsafe, "parse_flat", lambda data: parsed.append(data) or real(data))
        with pytest.raises(BadSignature):
            crypto.decrypt_callback(signature("other", "1700000000", "n1", "x"), "1700000000", "n1", body)
        assert parsed == [body]  # the envelope only
