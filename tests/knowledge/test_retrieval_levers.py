"""The levers of issue 20 as behaviour: thesaurus expansion, field weighting, the CV splitter, the eval command."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import yaml

import knowledge
from knowledge.cli import main
from knowledge.cv import group_kfold
from knowledge.engine import Engine
from knowledge.features import Candidates
from knowledge.loaders import Document
from knowledge.query import make_query
from knowledge.ranking import Params, load_params
from knowledge.thesaurus import expand, expand_with, parse_entries


@pytest.mark.parametrize(("question", "term"), [
    ("余额宝里的钱安全吗", "货币基金"),
    ("零钱通和活期哪个好", "货币基金"),
    ("定存提前取出来亏不亏", "定期存款"),
    ("C2的客户能不能买R4的产品", "适当性"),
    ("央行加息了我的债基会怎样", "债券价格"),
    ("每个月扣款买基金有用吗", "基金定投"),
])
def test_thesaurus_expands_everyday_names_rules_and_effects(question: str, term: str) -> None:
    assert term in expand(question)


def test_thesaurus_adds_nothing_already_asked_and_respects_context() -> None:
    entries = parse_entries({"entries": [{"aka": ["房贷"], "with": ["保险"], "add": ["定期寿险"]}]})
    assert expand_with(entries, "房贷利率会降吗") == []
    assert expand_with(entries, "房贷没还完买什么保险") == ["定期寿险"]
    assert "货币基金" not in expand("货币基金安全吗")  # already asked
    query = make_query("余额宝安全吗")
    assert "货币" in query.exp_tokens and not set(query.exp_tokens) & set(query.tokens)


def test_thesaurus_alias_finds_the_canonical_document(kindex: Path) -> None:
    top = [h.doc_id for h in knowledge.search("零钱通里的钱会亏吗", k=3, index_dir=kindex, mode="bm25")]
    assert {"money-market-fund", "cash-management-wmp"} & set(top)


def _field_index(tmp_path: Path) -> Path:
    filler = [("债券基金的类型", "纯债基金只投债券。二级债基可以买一部分股票。"),
              ("重疾险怎么赔", "确诊合同约定的疾病后一次性赔付。等待期内确诊一般不赔。"),
              ("定期存款和大额存单", "大额存单起存金额为20万元。提前支取按活期计息。"),
              ("基金定投", "每月固定时间投入固定金额。长期下来能摊薄成本。")]
    docs = [
        Document("title-match", "货币基金", "它投资短期工具，流动性好，收益随市场变化。适合放随时要用的钱。", type="training"),
        Document("body-mention", "家庭现金怎么安排", "家庭的钱先按用途分开打理，短期要用的、保障用的和长期增值的各放一处。"
                 "长期不用的钱再按期限和风险承受能力配置债券和股票资产，定期检视和调整比例。"
                 "买房、教育等大额目标要单独规划，提前几年把钱转到稳健的产品里。日常开支放活期，也可以放货币基金。",
                 type="training"),
        *[Document(f"filler-{i}", title, body, type="training") for i, (title, body) in enumerate(filler)],
    ]
    Engine(tmp_path / "idx").apply(docs, origin="corpus", model="hash")
    return tmp_path / "idx"


def test_field_weighting_ranks_a_title_match_over_a_body_mention(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    index = _field_index(tmp_path)
    for mode in ("dense", "rerank"):
        assert knowledge.search("货币基金", k=2, index_dir=index, mode=mode)[0].doc_id == "title-match"
    # BM25F with the title weighing as much as the body (the fitted weight is whatever the development questions
    # chose) ranks the title match first; without the title field's weight BM25 sees only the body mention.
    shipped = load_params()
    for title, first in ((1.0, "title-match"), (0.0, "body-mention")):
        weights = dataclasses.replace(shipped, bm25={"title": title, "headings": 0.0, "summary": 0.0, "exp": 0.0})
        monkeypatch.setattr("knowledge.ranking.load_params", lambda path=None, p=weights: p)
        assert knowledge.search("货币基金", k=2, index_dir=index, mode="bm25")[0].doc_id == first, title


def test_group_kfold_never_puts_a_test_question_into_its_tuning() -> None:
    groups = [f"doc{i % 7}" for i in range(40)] + [f"unanswerable-{i}" for i in range(6)]
    folds = group_kfold(groups, k=5, seed=3)
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested.tolist()) == list(range(len(groups)))  # every question tested exactly once
    for train, test in folds:
        assert set(train.tolist()).isdisjoint(test.tolist())
        assert {groups[i] for i in train}.isdisjoint({groups[i] for i in test})  # no wording of a test doc


def test_cross_validation_fits_each_fold_without_its_test_items(monkeypatch: pytest.MonkeyPatch) -> None:
    from knowledge import tune

    items = [tune.Item(frozenset({f"d{i % 5}"}), Candidates(np.zeros(0, np.int64), np.zeros(0, np.int64),
                                                            np.zeros((0, 1)), {}), [], 1) for i in range(20)]
    groups = [f"d{i % 5}" for i in range(20)]
    seen: list[tuple[set[int], set[int]]] = []
    fitted: list[set[int]] = []

    def fake_fit(train_items: list, train_groups: list[str], base: Params | None = None) -> Params:
        fitted.append({id(it) for it in train_items})
        return Params()

    def fake_evaluate(test_items: list, p: Params, modes: tuple[str, ...]) -> dict:
        seen.append((fitted[-1], {id(it) for it in test_items}))
        return {m: {"recall@1": 0.0, "recall@5": 0.0, "mrr": 0.0, "answered": 0.0, "false_answers": 0.0,
                    "n": len(test_items), "n_unanswerable": 0} for m in modes}

    monkeypatch.setattr(tune, "fit", fake_fit)
    monkeypatch.setattr(tune, "evaluate_items", fake_evaluate)
    tune.cross_validate(items, groups, k=4)
    assert len(seen) == 4
    for train_ids, test_ids in seen:
        assert test_ids and train_ids.isdisjoint(test_ids)


def test_eval_command_prints_cv_and_heldout_figures(kindex: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from knowledge.evaluate import load_questions

    dev = load_questions()
    small = {"questions": dev["questions"][:14], "unanswerable": dev["unanswerable"][:4]}
    stand_in = {"questions": dev["questions"][14:20], "unanswerable": dev["unanswerable"][4:6]}  # not held-out
    (tmp_path / "dev.yml").write_text(yaml.safe_dump(small, allow_unicode=True), encoding="utf-8")
    (tmp_path / "held.yml").write_text(yaml.safe_dump(stand_in, allow_unicode=True), encoding="utf-8")
    assert main(["eval", "--index", str(kindex), "--questions", str(tmp_path / "dev.yml"),
                 "--heldout", str(tmp_path / "held.yml"), "--folds", "2"]) == 0
    out = capsys.readouterr().out
    assert "| mode | CV recall@1 | CV MRR | CV false answers | held-out recall@1 | held-out MRR |" in out
    rows = [line for line in out.splitlines() if line.startswith(("| bm25", "| dense", "| hybrid", "| rerank"))]
    assert len(rows) == 4
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")][1:]
        assert len(cells) == 6 and all(0.0 <= float(c) <= 1.0 for c in cells)
