"""Loading (Markdown, text, HTML, PDF, front matter) and Chinese-aware chunking."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from knowledge.chunking import chunk_document, pack, split_sentences
from knowledge.loaders import Document, DocumentError, iter_files, load_file

MD = """---
id: note-1
title: 晨会纪要
type: note
date: 2026-11-25
audience: advisor
tags: [晨会, 债基]
---

# 晨会纪要

今天**债市**走强。请关注[到期客户](http://x)。
"""


def _pdf_bytes(text: str) -> bytes:
    """A minimal one-page PDF with a Helvetica text line (enough for pypdf's extractor)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


def test_markdown_front_matter_and_markup(tmp_path: Path) -> None:
    p = tmp_path / "x.md"
    p.write_text(MD, encoding="utf-8")
    doc = load_file(p)
    assert (doc.doc_id, doc.title, doc.type, doc.date, doc.audience) == ("note-1", "晨会纪要", "note", "2026-11-25",
                                                                        "advisor")
    assert doc.tags == ("晨会", "债基")
    assert "**" not in doc.body and "http" not in doc.body and "到期客户" in doc.body
    assert not doc.body.startswith("晨会纪要")  # the heading repeating the title is dropped


def test_id_defaults_to_file_name_for_text_html_pdf(tmp_path: Path) -> None:
    (tmp_path / "plain-note.txt").write_text("养老规划要趁早。", encoding="utf-8")
    (tmp_path / "page.html").write_text("<html><head><title>黄金</title><script>x()</script></head>"
                                        "<body><p>积存金可以按克买。</p></body></html>", encoding="utf-8")
    (tmp_path / "sheet.pdf").write_bytes(_pdf_bytes("Replacement rate is an assumption"))
    docs = {d.doc_id: d for d in map(load_file, iter_files([tmp_path]))}
    assert set(docs) == {"plain-note", "page", "sheet"}
    assert docs["page"].title == "黄金" and "积存金" in docs["page"].body and "x()" not in docs["page"].body
    assert "Replacement rate" in docs["sheet"].body


def test_bad_fields_are_named(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="type"):
        Document("a", "t", "b", type="blog")
    with pytest.raises(DocumentError, match="audience"):
        Document("a", "t", "b", audience="everyone")
    with pytest.raises(DocumentError, match="date"):
        Document("a", "t", "b", date="2026/1/1")
    with pytest.raises(DocumentError, match="path"):
        load_file(tmp_path / "x.docx")


def test_sentences_split_on_chinese_ends_and_newlines() -> None:
    assert split_sentences("甲。乙！丙？丁；戊\n己") == ["甲。", "乙！", "丙？", "丁；", "戊", "己"]


def test_pack_respects_target_and_overlap() -> None:
    sents = [f"第{i}句话内容比较长一些。" for i in range(30)]
    chunks = pack(sents, target=60, overlap=1)
    assert len(chunks) > 3
    assert all(len(c) <= 60 + len(sents[0]) for c in chunks)
    for a, b in itertools.pairwise(chunks):
        assert b.startswith(split_sentences(a)[-1])  # one sentence of overlap
    assert "".join(sents).endswith(split_sentences(chunks[-1])[-1])


def test_chunks_carry_title_and_ids() -> None:
    doc = Document("d1", "重疾险", "确诊即赔。" * 100)
    chunks = chunk_document(doc)
    assert len(chunks) > 1
    assert [c.chunk_id for c in chunks][:2] == ["d1#0", "d1#1"]
    assert all(c.embed_text.startswith("重疾险\n") for c in chunks)
