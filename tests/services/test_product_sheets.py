"""Product sheets: what one says, that they follow the catalogue, and that the index picks up a change."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from bank.db import session_scope
from bank.models import Product
from knowledge.loaders import load_file
from services.product_sheets import catalogue, catalogue_hash, product_documents, render, write_sheets


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
    with session_scope(demo_db_url) as s:
        rows = catalogue(s)
        docs, h1 = product_documents(s)
    assert len(docs) == len(rows) >= 10 and h1 == catalogue_hash(rows)
    copy = tmp_path / "bank.db"
    shutil.copy(demo_db_url.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    with session_scope(url) as s:
        s.scalars(select(Product).order_by(Product.code)).first().on_sale = False
    with session_scope(url) as s:
        _, h2 = product_documents(s)
    assert h2 != h1


def test_written_sheets_load_back_as_the_same_documents(demo_db_url: str, tmp_path: Path) -> None:
    with session_scope(demo_db_url) as s:
        docs, _ = product_documents(s)
        first = write_sheets(s, tmp_path)
        again = write_sheets(s, tmp_path)
    assert first["written"] == len(docs) and again["written"] == 0
    loaded = {d.doc_id: d for d in map(load_file, tmp_path.glob("*.txt"))}
    assert loaded == {d.doc_id: d for d in docs}
    (tmp_path / "product-GONE.txt").write_text("---\nid: product-GONE\n---\nx", encoding="utf-8")
    with session_scope(demo_db_url) as s:
        assert write_sheets(s, tmp_path)["removed"] == 1
