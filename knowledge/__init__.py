"""Retrieval over market news, product documents and training content (FAISS + BM25)."""
