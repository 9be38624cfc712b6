"""Retrieval over market news, product documents and training content (FAISS + BM25, fused by RRF).

Importing this package is cheap: torch, faiss, jieba and the embedding model load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Answer", "Passage", "answer", "delete", "ensure", "ingest_paths", "ingest_text", "search", "stats"]

if TYPE_CHECKING:
    from knowledge.api import Answer, Passage, answer, delete, ingest_paths, ingest_text, search, stats
    from knowledge.build import ensure


def __getattr__(name: str) -> Any:
    if name == "ensure":
        from knowledge.build import ensure

        return ensure
    if name in __all__:
        from knowledge import api

        return getattr(api, name)
    raise AttributeError(name)
