"""The blind held-out set (tests/eval/nlu_heldout*.yml) kept apart from training, and the intent accuracy the
trained model (models/current.tar.gz) reaches on it, parsed in-process exactly as the bot parses messages.

`make nlu-eval` prints the full figures (CV on the training data beside the held-out ones, with the confusions).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scripts.nlu_report import (
    HELDOUT,
    MODEL,
    heldout_examples,
    heldout_files,
    heldout_scores,
    load_model,
    normalise,
    training_examples,
)

ACCURACY_FLOOR = 0.88
MACRO_F1_FLOOR = 0.89
"""Regression floors for models/current.tar.gz on the held-out set (nlu_fallback counts as a miss; no sender
kind, as over the REST channel). Measured 0.890 / 0.900 when they were set (2026-12-02, after the blind pass
of bot/data/nlu/blind_*.yml, written from the product description and the intent definitions only); the target
is 0.97."""

# Short, canonical utterances that were in bot/data before the held-out set was written and that its author
# wrote independently as well ("你好", "确认", "财富体检" …). They stay in training (the bot must know them);
# `make nlu-eval` also reports the held-out figure without them. Nothing may be added to this list.
ALLOWED_OVERLAP = frozenset({
    "35岁", "88", "bye", "help", "hi", "no", "ok", "不对", "不是", "不用了", "不行", "不要", "个人看板", "中途退出", "人工客服", "什么叫最大回撤",
    "你好", "你是男的还是女的", "再见", "取消", "可以", "同意", "否", "哈喽", "嗯嗯", "回见", "团队看板", "夏普比率怎么理解", "多谢多谢", "好", "学习中心", "客户画像",
    "对", "对的没错", "就按这个来", "帮助", "平衡型", "年度账单", "我的工作台", "我的收益率是多少", "我的权益", "我的风险等级是什么", "我该学点什么", "我这周联系了多少客户",
    "投资规划", "拜拜", "早啊", "是的", "晚上好", "查一下我的财富健康分", "没有", "没问题", "确认", "稳健型", "组合回测", "行就这样", "谢谢", "财富体检", "财富健康指数",
    "货币基金安全吗", "转人工", "辛苦了", "这个月赚了多少", "退休测算", "退休规划", "退出", "风险测评", "麻烦你了谢谢",
})


def test_the_held_out_set_covers_every_intent_of_the_domain() -> None:
    intents = {intent for _, intent in heldout_examples()}
    trained = {str(m.get("intent")) for m in training_examples().intent_examples}
    assert HELDOUT in heldout_files() and trained - intents == set()


def test_no_held_out_utterance_is_in_the_training_data() -> None:
    held_out = {normalise(text) for text, _ in heldout_examples()}
    trained = {normalise(str(m.get("text"))) for m in training_examples().intent_examples}
    leaked = sorted((trained & held_out) - ALLOWED_OVERLAP)
    assert leaked == [], f"held-out utterances copied into bot/data: {leaked}"


@pytest.fixture(scope="module")
def agent() -> Any:
    assert Path(MODEL).exists(), "models/current.tar.gz is missing: `make test-rasa` trains it first (`make model`)"
    return load_model(MODEL)


def test_the_trained_model_keeps_its_held_out_accuracy(agent: Any) -> None:
    scores = heldout_scores(agent, with_kinds=False)
    confusions = scores.confusions()[:10]
    print(f"\nheld-out {scores.line()}; most frequent confusions {confusions}")
    assert scores.accuracy >= ACCURACY_FLOOR, f"{scores.line()}; confusions {confusions}"
    assert scores.macro_f1 >= MACRO_F1_FLOOR, f"{scores.line()}; confusions {confusions}"


def test_cross_validation_by_writing_pass_holds_out_one_later_pass_at_a_time() -> None:
    from rasa.shared.nlu.training_data.message import Message

    from scripts.nlu_report import _splits, authors_by_text

    known = authors_by_text()
    by_author: dict[str, list[str]] = {}
    for text, author in known.items():
        by_author.setdefault(author, []).append(text)
    assert {"first", "varied", "breadth", "blind"} <= set(by_author), sorted(by_author)
    texts = [written[0] for written in by_author.values()] * 2
    examples = [Message(data={"text": t}) for t in texts]
    folds = list(_splits(examples, ["x"] * len(examples), 3, 42, by_author=True))
    assert len(folds) == len(by_author) - 1
    for train, test in folds:
        held = {known[texts[i]] for i in test}
        assert len(held) == 1 and held != {"first"}
        assert held.isdisjoint(known[texts[i]] for i in train)
