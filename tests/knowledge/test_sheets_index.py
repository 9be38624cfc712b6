"""The index follows the product sheets that services/product_sheets.py writes."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from bank.db import session_scope
from bank.models import Product
from knowledge.build import ensure
from knowledge.store import read_snapshot
from services.product_sheets import write_sheets


def test_ensure_regenerates_sheets_when_the_catalogue_changes(kindex: Path, demo_db_url: str, sheets_dir: Path,
                                                            tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(kindex, index)
    copy = tmp_path / "bank.db"
    shutil.copy(demo_db_url.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    with session_scope(url) as s:
        product = s.scalars(select(Product).order_by(Product.code)).first()
        code = product.code
        product.on_sale = False
    sheets = tmp_path / "sheets"
    shutil.copytree(sheets_dir, sheets)
    with session_scope(url) as s:
        write_sheets(s, sheets)
    res = ensure(index, sheets_dir=sheets)
    assert res["action"] == "updated" and res["added_docs"] == 1 and res["replaced_docs"] == 1
    text = " ".join(r["text"] for r in read_snapshot(index).records if r["doc_id"] == f"product-{code}")
    assert "暂停销售" in text
