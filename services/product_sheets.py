"""Product fact sheets rendered from bank/'s catalogue, one per product, written as files knowledge/ indexes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.models import Product
from calc.money import fmt_yuan
from knowledge import config
from knowledge.loaders import Document

RISK_TEXT = {"R1": "低风险", "R2": "中低风险", "R3": "中风险", "R4": "中高风险", "R5": "高风险"}
SUITABLE = {"R1": "C1及以上", "R2": "C2及以上", "R3": "C3及以上", "R4": "C4及以上", "R5": "C5"}


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.2f}%"


def render(row: dict) -> Document:
    """One fact sheet: key terms, suitability and the risk notice (never a promised return)."""
    r = row["risk_level"]
    low, high = row.get("expected_return_low"), row.get("expected_return_high")
    if row["category"] == "deposit":
        ret = f"挂牌年利率{_pct(low)}，以存入当日利率为准，受存款保险保护（同一银行50万元以内全额赔付）。"
    elif low is None and high is None:
        ret = "本产品不设业绩比较基准，收益随市场波动，可能亏损本金。"
    else:
        ret = (f"业绩比较基准/参考区间{_pct(low)}至{_pct(high)}（年化），仅供参考，不代表未来表现，"
               "不构成收益承诺。")
    term = f"{row['term_days']}天" if row.get("term_days") else "无固定期限（开放式）"
    lines = [
        f"{row['name']}（产品代码{row['code']}）是{row['issuer']}发行的{row['category_name']}产品，"
        f"风险等级{r}（{RISK_TEXT.get(r, '')}），适合风险测评{SUITABLE.get(r, '')}的投资者。",
        f"期限：{term}。起购金额：{fmt_yuan(float(row['min_amount']))}。",
        ret,
        f"费用：认/申购费{_pct(row.get('subscription_fee'))}，管理费{_pct(row.get('management_fee'))}（年），"
        f"赎回费{_pct(row.get('redemption_fee'))}。",
        f"当前状态：{'在售' if row.get('on_sale') else '暂停销售'}。",
    ]
    if row.get("description"):
        lines.append(f"产品说明：{row['description']}")
    lines.append("风险提示：理财非存款，产品有风险，投资须谨慎。过往业绩不代表未来表现，请以产品说明书为准。"
                 if row["category"] != "deposit" else "提示：提前支取按活期利率计息。")
    return Document(f"product-{row['code']}", f"产品说明书摘要：{row['name']}", "\n".join(lines), "product",
                    "", "all", (row["category_name"], r), source=f"bank:product/{row['code']}")


def catalogue(session: Session) -> list[dict]:
    """Product rows from bank/ as plain dicts, ordered by code."""
    rows = session.scalars(select(Product).order_by(Product.code)).all()
    return [{
        "code": p.code, "name": p.name, "category": p.category, "category_name": p.category_name,
        "risk_level": p.risk_level, "term_days": p.term_days, "min_amount": str(p.min_amount),
        "expected_return_low": p.expected_return_low, "expected_return_high": p.expected_return_high,
        "subscription_fee": p.subscription_fee, "management_fee": p.management_fee,
        "redemption_fee": p.redemption_fee, "issuer": p.issuer, "description": p.description,
        "on_sale": p.on_sale,
    } for p in rows]


def catalogue_hash(rows: list[dict]) -> str:
    """Hash of the product rows (the sheets are regenerated when it changes)."""
    return hashlib.sha1(json.dumps(rows, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def product_documents(session: Session) -> tuple[list[Document], str]:
    """(fact sheets, catalogue hash)."""
    rows = catalogue(session)
    return [render(r) for r in rows], catalogue_hash(rows)


def sheet_text(doc: Document) -> str:
    """A sheet as the plain-text file knowledge/ loads (front matter + body)."""
    meta = {"id": doc.doc_id, "title": doc.title, "type": doc.type, "audience": doc.audience,
            "tags": list(doc.tags), "source": doc.source}
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n" + doc.body + "\n"


def write_sheets(session: Session, directory: Path) -> dict:
    """Write one file per product into `directory`, rewriting only changed files and removing stale ones."""
    directory.mkdir(parents=True, exist_ok=True)
    docs, digest = product_documents(session)
    wanted = {f"{d.doc_id}.txt": sheet_text(d) for d in docs}
    written = 0
    for name, text in wanted.items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written += 1
    stale = [p for p in directory.glob("product-*.txt") if p.name not in wanted]
    for path in stale:
        path.unlink()
    return {"sheets": len(wanted), "written": written, "removed": len(stale), "catalogue_hash": digest}


def refresh_index(session: Session, index_dir: Path | None = None, sheets_dir: Path | None = None,
                  progress: bool = False) -> dict:
    """Write the sheets from the catalogue, then bring the knowledge index up to date."""
    from knowledge.build import ensure

    directory = sheets_dir or config.sheets_dir()
    sheets = write_sheets(session, directory)
    return {**ensure(index_dir, sheets_dir=directory, progress=progress), "sheets": sheets["sheets"]}


def main() -> int:
    """`python -m services.product_sheets`: sheets from the bank, then the index (what `make knowledge` runs)."""
    from bank.db import session_scope

    with session_scope() as session:
        print(json.dumps(refresh_index(session, progress=True), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
