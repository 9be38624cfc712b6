"""Chinese-aware chunking: split on sentence ends (。！？；and line breaks), pack to a target length with overlap."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from knowledge.loaders import Document

_SENT = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;]+[”’」』)]?|\n|$)")
TARGET = 220
OVERLAP = 1
MAX_SENTENCE = 300


@dataclass(frozen=True)
class Chunk:
    """A passage of one document; `text` is what is shown, `embed_text` carries the title for embedding/BM25."""

    chunk_id: str
    doc_id: str
    seq: int
    text: str
    title: str

    @property
    def embed_text(self) -> str:
        return f"{self.title}\n{self.text}"

    @property
    def content_hash(self) -> str:
        return hashlib.sha1(self.embed_text.encode("utf-8")).hexdigest()


def split_sentences(text: str) -> list[str]:
    """Split Chinese text into sentences on 。！？；(and ASCII equivalents) and line breaks.

    >>> split_sentences("先存够应急金。再买保险！\\n最后投资")
    ['先存够应急金。', '再买保险！', '最后投资']
    """
    out: list[str] = []
    for piece in _SENT.findall(text):
        piece = piece.strip()
        while len(piece) > MAX_SENTENCE:
            out.append(piece[:MAX_SENTENCE])
            piece = piece[MAX_SENTENCE:]
        if piece:
            out.append(piece)
    return out


def pack(sentences: list[str], target: int = TARGET, overlap: int = OVERLAP) -> list[str]:
    """Greedily pack sentences into chunks of about `target` characters, repeating `overlap` sentences.

    >>> pack(["一二三。", "四五六。", "七八九。"], target=8, overlap=1)
    ['一二三。四五六。', '四五六。七八九。']
    """
    chunks: list[str] = []
    cur: list[str] = []
    size = 0
    fresh = 0
    for s in sentences:
        if cur and size + len(s) > target and fresh:
            chunks.append("".join(cur))
            cur = cur[-overlap:] if overlap else []
            size = sum(map(len, cur))
            fresh = 0
        cur.append(s)
        size += len(s)
        fresh += 1
    if cur and fresh:
        chunks.append("".join(cur))
    return chunks


def chunk_document(doc: Document, target: int = TARGET, overlap: int = OVERLAP) -> list[Chunk]:
    """Chunk one document; every chunk carries the document title."""
    parts = pack(split_sentences(doc.body), target, overlap)
    return [Chunk(f"{doc.doc_id}#{i}", doc.doc_id, i, p, doc.title) for i, p in enumerate(parts)]
