"""Verify, decrypt and parse WeCom callbacks (and encrypt them, for the test simulator).

The AES part is wechatpy's; the signature is compared here in constant time (wechatpy uses `!=`), and the
replay window, corp id check and size limit turn each bad input into a named error with an HTTP status.
Both the envelope and the decrypted message are parsed by `wecom.xmlsafe` (defusedxml, any encoding), and the
message only after its signature has been checked.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

from wechatpy.crypto.base import BasePrpCrypto
from wechatpy.utils import random_string

from wecom import xmlsafe


class CallbackError(Exception):
    """A callback that must not reach the bot; `status` is the HTTP answer."""

    status = 400


class BadSignature(CallbackError):
    """msg_signature does not match token, timestamp, nonce and the ciphertext."""

    status = 403


class StaleTimestamp(CallbackError):
    """The timestamp is too far from now: a replay or a badly wrong clock."""

    status = 403


class WrongReceiver(CallbackError):
    """The message was encrypted for another corp id."""

    status = 403


class BodyTooLarge(CallbackError):
    """The body is over the configured limit."""

    status = 413


class _Prp(BasePrpCrypto):
    def encrypt(self, text: str, receive_id: str) -> bytes:
        return self._encrypt(text, receive_id)

    def decrypt(self, text: str, receive_id: str) -> str:
        return self._decrypt(text, receive_id, WrongReceiver)


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """SHA-1 of the four strings sorted and joined, as WeCom signs callbacks."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode("utf-8")).hexdigest()


def parse_xml(text: str | bytes) -> dict[str, str]:
    """Flat {tag: text} of an XML document's top-level children; DTDs (entity bombs) are refused in any encoding."""
    try:
        return xmlsafe.parse_flat(text)
    except xmlsafe.UnsafeXML:
        raise CallbackError("body: DTDs are not accepted") from None
    except xmlsafe.MalformedXML:
        raise CallbackError("body: malformed XML") from None


class CallbackCrypto:
    """One callback configuration (token, EncodingAESKey, corp id) and the checks every callback passes."""

    def __init__(
        self,
        token: str,
        aes_key: str,
        corp_id: str,
        max_clock_skew_s: float | None = 300,
        max_body_bytes: int = 64 * 1024,
        clock: Callable[[], float] = time.time,
    ) -> None:
        import base64

        self.key = base64.b64decode(aes_key + "=")
        if len(self.key) != 32:
            raise ValueError("aes_key must be a 43-character EncodingAESKey")
        self.token, self.corp_id = token, corp_id
        self.max_clock_skew_s, self.max_body_bytes, self.clock = max_clock_skew_s, max_body_bytes, clock

    def _check(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        if not (msg_signature and timestamp and nonce and encrypt):
            raise CallbackError("query: msg_signature, timestamp, nonce and the ciphertext are required")
        if not timestamp.isdigit():
            raise CallbackError("timestamp: not a number")
        expected = signature(self.token, timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode("ascii"), msg_signature.encode("utf-8", "replace")):
            raise BadSignature("msg_signature: mismatch")
        if self.max_clock_skew_s is not None and abs(self.clock() - int(timestamp)) > self.max_clock_skew_s:
            raise StaleTimestamp("timestamp: outside the accepted window")

    def _decrypt(self, encrypt: str) -> str:
        try:
            return _Prp(self.key).decrypt(encrypt, self.corp_id)
        except WrongReceiver:
            raise WrongReceiver("receiveid: not this corp") from None
        except Exception as error:  # bad base64, padding or length: the ciphertext is garbage
            raise CallbackError(f"Encrypt: undecryptable ({error.__class__.__name__})") from None

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """The plaintext to answer WeCom's GET URL check with."""
        self._check(msg_signature, timestamp, nonce, echostr)
        return self._decrypt(echostr)

    def decrypt_callback(self, msg_signature: str, timestamp: str, nonce: str, body: bytes) -> dict[str, str]:
        """Check and decrypt a POSTed callback into its flat fields (ToUserName, MsgType, Content, ...).

        The envelope has to be parsed to find the signed ciphertext (size first, then the DTD-refusing parser);
        the message inside is decrypted and parsed only once the signature and timestamp have passed.
        """
        if len(body) > self.max_body_bytes:
            raise BodyTooLarge("body: over the size limit")
        outer = parse_xml(body)
        encrypt = outer.get("Encrypt", "")
        if not encrypt:
            raise CallbackError("Encrypt: missing")
        self._check(msg_signature, timestamp, nonce, encrypt)
        fields = parse_xml(self._decrypt(encrypt))
        if outer.get("ToUserName") and outer["ToUserName"] != self.corp_id:
            raise WrongReceiver("ToUserName: not this corp")
        return fields

    def encrypt_callback(self, plaintext: str, timestamp: str, nonce: str | None = None) -> tuple[bytes, dict[str, str]]:
        """The body and query WeCom would send for `plaintext` (used by the callback simulator)."""
        nonce = nonce or random_string(10)
        encrypt = _Prp(self.key).encrypt(plaintext, self.corp_id).decode("ascii")
        body = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<AgentID><![CDATA[0]]></AgentID><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        ).encode()
        query = {"msg_signature": signature(self.token, timestamp, nonce, encrypt), "timestamp": timestamp, "nonce": nonce}
        return body, query

    def encrypt_echostr(self, plaintext: str) -> str:
        """An echostr for the GET URL check (simulator)."""
        return _Prp(self.key).encrypt(plaintext, self.corp_id).decode("ascii")
