"""The fields a document is indexed by: title, headings (section headings and tags), summary, the whole
document, the body chunk by chunk, and each body sentence (dense only, for re-ranking).

Title, headings and summary are document-level fields with their own BM25 index and their own dense vector;
the whole document (title and the start of the body) has a dense vector only; the body is indexed chunk by
chunk. Searching then weights a title match above a passing mention in the body.
"""

from __future__ import annotations

from knowledge.loaders import Document

DOC_FIELDS = ("title", "headings", "summary", "doc")
LEXICAL_FIELDS = ("title", "headings", "summary")
SUMMARY_CHARS = 120
DOC_CHARS = 480  # multilingual-e5 reads 512 tokens; a Chinese character is about one token
SENTENCE = "sentence"  # one dense vector per body sentence: re-ranking features only, never searched whole
MAX_SENTENCES = 40
MIN_SENTENCE_CHARS = 5


def summary_of(body: str, limit: int = SUMMARY_CHARS) -> str:
    """The opening sentences of `body` up to about `limit` characters (at least one sentence, cut at `limit`).

    >>> summary_of("货币基金风险很低。它投资短期工具。第三句。", limit=12)
    '货币基金风险很低。'
    >>> summary_of("")
    ''
    """
    from knowledge.chunking import split_sentences

    out = ""
    for sentence in split_sentences(body):
        if out and len(out) + len(sentence) > limit:
            break
        out += sentence
    return out[:limit]


def document_fields(doc: Document) -> dict[str, str]:
    """Field texts of `doc`: the title, its headings and tags joined, its summary (front matter `summary`, else
    the opening sentences) and the whole document (title and body sentences, cut at `DOC_CHARS`: for a one-chunk
    document the same text as its chunk, so the vector is shared). An empty string means the document has no
    such field.

    >>> d = Document("d", "货币基金", "风险低。可随时赎回。", tags=("现金管理",), headings=("特点",))
    >>> document_fields(d)["headings"], document_fields(d)["doc"]
    ('特点 · 现金管理', '货币基金\\n风险低。可随时赎回。')
    """
    from knowledge.chunking import split_sentences

    return {
        "title": doc.title.strip(),
        "headings": " · ".join([*doc.headings, *doc.tags]).strip(),
        "summary": (doc.summary or summary_of(doc.body)).strip(),
        "doc": f"{doc.title}\n{''.join(split_sentences(doc.body))}"[:DOC_CHARS],
    }


def document_sentences(doc: Document, limit: int = MAX_SENTENCES) -> list[str]:
    """The distinct body sentences of `doc` worth a vector of their own (at least `MIN_SENTENCE_CHARS` long),
    at most `limit`.

    >>> document_sentences(Document("d", "t", "短。这一句足够长。这一句足够长。"))
    ['这一句足够长。']
    """
    from knowledge.chunking import split_sentences

    out: list[str] = []
    for sentence in split_sentences(doc.body):
        if len(sentence) >= MIN_SENTENCE_CHARS and sentence not in out:
            out.append(sentence)
    return out[:limit]
