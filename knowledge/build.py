"""Build or update the index from the shipped corpus and the generated product sheets, only when something changed.

The sheets are Markdown files that services/product_sheets.py writes from bank/'s catalogue into
`config.sheets_dir()`: knowledge/ reads files and never the bank's records.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from knowledge import config
from knowledge.engine import doc_hash, get_engine
from knowledge.loaders import Document, iter_files, load_file
from knowledge.store import IndexMissingError
from knowledge.thesaurus import vocabulary_key

# Bump when chunking or tokenizing changes: `ensure` then rebuilds (cached embeddings are reused).
INDEX_FORMAT = 6


def corpus_documents(corpus_dir: Path = config.CORPUS_DIR) -> list[Document]:
    """Every document of the shipped corpus."""
    return [load_file(p) for p in iter_files([corpus_dir])]


def ensure(index_dir: str | Path | None = None, corpus_dir: Path = config.CORPUS_DIR,
           sheets_dir: str | Path | None = None, rebuild: bool = False, model: str | None = None,
           progress: bool = False) -> dict:
    """Bring the index in line with the corpus and the sheets directory; a no-op (no model load) when nothing
    changed. A sheets directory that does not exist yet holds no sheets."""
    engine = get_engine(index_dir)
    docs = corpus_documents(corpus_dir)
    sheets_path = Path(sheets_dir) if sheets_dir is not None else config.sheets_dir()
    products = corpus_documents(sheets_path) if sheets_path.is_dir() else []
    products_hash = sheets_hash(products)
    wanted = {d.doc_id: d for d in docs + products}
    if len(wanted) != len(docs) + len(products):
        raise ValueError("id: duplicate document ids in the corpus")
    model = model or config.model_name()
    try:
        meta = engine.snapshot().meta
    except IndexMissingError:
        meta = None
    vocabulary = vocabulary_key()  # documents were tokenized with the thesaurus words of their build
    if (meta is None or rebuild or meta.get("model_key") != model or meta.get("format") != INDEX_FORMAT
            or meta.get("vocabulary") != vocabulary):
        runtime = [Document(**{**d, "tags": tuple(d["tags"]), "headings": tuple(d.get("headings", ()))})
                   for d in (meta or {}).get("runtime", {}).values()]
        res = engine.apply(list(wanted.values()), origin="corpus", model=model, progress=progress,
                           reset=True, extra_meta={"format": INDEX_FORMAT, "products_hash": products_hash,
                                       "vocabulary": vocabulary})
        if runtime:
            res = engine.apply(runtime, origin="runtime", model=model)
        return {"action": "rebuilt", **res}
    known = {k: v for k, v in meta["docs"].items() if v["origin"] == "corpus"}
    changed = [d for k, d in wanted.items() if known.get(k, {}).get("hash") != doc_hash(d)]
    removed = set(known) - set(wanted)
    if not changed and not removed:
        return {"action": "unchanged", "documents": len(meta["docs"])}
    res = engine.apply(changed, removed, origin="corpus", progress=progress,
                       extra_meta={"products_hash": products_hash})
    return {"action": "updated", **res}


def sheets_hash(sheets: list[Document]) -> str:
    """One hash over the sheets' ids and content, kept in the index metadata."""
    return hashlib.sha1("".join(sorted(doc_hash(d) + d.doc_id for d in sheets)).encode()).hexdigest()
