"""The approximate (IVF) dense path beyond EXACT_LIMIT: incremental updates, persistence and reload."""

from __future__ import annotations

from pathlib import Path

import pytest

import knowledge
import knowledge.index as kindex_mod
from knowledge.build import ensure
from knowledge.engine import Engine
from knowledge.store import read_snapshot


def test_ivf_index_updates_in_place_and_reloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import faiss

    monkeypatch.setattr(kindex_mod, "EXACT_LIMIT", 50)
    index_dir = tmp_path / "ivf"
    ensure(index_dir, model="hash", sheets_dir=tmp_path / "no-sheets")
    snap = read_snapshot(index_dir)
    assert snap.faiss_path is not None  # above the limit the trained IVF index is stored with the generation
    knowledge.ingest_text("ivf-note", "晨会", "大额存单到期前十天电话联系客户。", index_dir=index_dir)
    engine = knowledge.api.get_engine(index_dir)
    assert isinstance(engine.index().faiss, faiss.IndexIVFFlat)
    fresh = Engine(index_dir)  # another process: loads the stored IVF index from disk
    assert isinstance(fresh.index().faiss, faiss.IndexIVFFlat)
    assert fresh.index().faiss.ntotal == len(fresh.index()) == len(snap.records) + 1
    hits = knowledge.search("大额存单到期前十天电话联系客户", k=3, index_dir=index_dir, mode="dense")
    assert hits[0].doc_id == "ivf-note"
    assert knowledge.delete("ivf-note", index_dir=index_dir)
    assert "ivf-note" not in [h.doc_id for h in knowledge.search("大额存单到期前十天电话联系客户", k=5,
                                                                   index_dir=index_dir, mode="dense")]
    assert Engine(index_dir).index().faiss.ntotal == len(snap.records)
