"""Parse untrusted XML (WeCom callbacks) with defusedxml, whatever encoding the bytes claim.

The bytes are decoded here first, by XML 1.0 Appendix F (byte-order mark, then the pattern of the first four
bytes, then the declared encoding), and the text is handed to expat as `str`, which makes expat ignore the
declaration. So UTF-32, which expat cannot read, and a declaration that lies about the bytes both meet the
same rule: defusedxml refuses any DOCTYPE (and with it every entity) in the text actually parsed.
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ElementTree

import defusedxml
import defusedxml.ElementTree as SafeElementTree

BOMS = (  # longest first: the UTF-32-LE mark starts with the UTF-16-LE one
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
ASCII_PROBE = "<?xml version='1.0'?>\\"
DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")


class UnsafeXML(ValueError):
    """The document has a DTD (DOCTYPE, ENTITY or external reference): entity bombs and XXE start there."""


class MalformedXML(ValueError):
    """The bytes do not decode, or the text is not well-formed XML."""


def sniff_encoding(raw: bytes) -> tuple[str, int]:
    """(codec, length of the byte-order mark) of an XML document's bytes; UTF-8 unless they say otherwise.

    >>> sniff_encoding("<a/>".encode("utf-16"))
    ('utf-16-le', 2)
    >>> sniff_encoding("<a/>".encode("utf-32-be"))
    ('utf-32-be', 0)
    >>> sniff_encoding(b'<?xml version="1.0" encoding="GB18030"?><a/>')
    ('gb18030', 0)
    >>> sniff_encoding(b'<?xml version="1.0" encoding="UTF-16"?><a/>')  # the bytes are 8-bit: the declaration lies
    ('utf-8', 0)
    """
    for bom, codec in BOMS:
        if raw.startswith(bom):
            return codec, len(bom)
    head = raw[:4]
    if len(head) == 4:
        zeros = tuple(byte == 0 for byte in head)
        by_pattern = {(True, True, True, False): "utf-32-be", (False, True, True, True): "utf-32-le",
                      (True, False, True, False): "utf-16-be", (False, True, False, True): "utf-16-le"}
        if zeros in by_pattern:
            return by_pattern[zeros], 0
    declared = DECLARED_ENCODING.match(raw[:200])
    if declared:
        try:
            codec = codecs.lookup(declared.group(1).decode("ascii")).name
            # Only an ASCII-compatible codec can be what was just read as ASCII (this also rules out the escape
            # codecs, which would turn backslash sequences into markup, and non-text codecs such as zlib).
            compatible = ASCII_PROBE.encode(codec) == ASCII_PROBE.encode("ascii")
        except (LookupError, ValueError):
            raise MalformedXML(f"unknown encoding {declared.group(1).decode('ascii')!r}") from None
        if compatible:
            return codec, 0
    return "utf-8", 0


def decode(data: str | bytes) -> str:
    """The document as text: `str` is taken as it is, bytes are decoded by `sniff_encoding`."""
    if isinstance(data, str):
        return data
    codec, bom = sniff_encoding(data)
    try:
        return data[bom:].decode(codec)
    except ValueError:  # UnicodeDecodeError, or a codec's own complaint
        raise MalformedXML(f"not valid {codec}") from None


def parse(data: str | bytes) -> ElementTree.Element:
    """The root element of an untrusted document; UnsafeXML for any DTD, MalformedXML for anything else bad."""
    text = decode(data)
    try:
        return SafeElementTree.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException:
        raise UnsafeXML("DTDs are not accepted") from None
    except ElementTree.ParseError as error:
        raise MalformedXML(str(error)) from None


def parse_flat(data: str | bytes) -> dict[str, str]:
    """{tag: text} of the root element's children, each text stripped (WeCom's messages are flat).

    >>> parse_flat("<xml><MsgType><![CDATA[text]]></MsgType><Content> 你好 </Content></xml>")
    {'MsgType': 'text', 'Content': '你好'}
    """
    return {child.tag: (child.text or "").strip() for child in parse(data)}
