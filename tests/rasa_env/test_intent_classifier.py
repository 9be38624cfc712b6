"""bot/nlu/intent_classifier.py inside real Rasa: trains, is stored without pickle, loads and classifies
paraphrases it never saw."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.rasa_env.nlu_models import load_agent, stored_files, train_nlu

CONFIG = """
recipe: default.v1
language: zh
pipeline:
  - name: JiebaTokenizer
  - name: bot.nlu.intent_classifier.CharE5IntentClassifier
policies: []
"""

NLU = """
version: "3.1"
nlu:
  - intent: open_account
    examples: |
      - 我想开户
      - 怎么开一个银行账户
      - 办张银行卡
      - 开户需要带什么
      - 新开一个账户
  - intent: fx_rate
    examples: |
      - 美元汇率多少
      - 今天欧元兑人民币
      - 日元现在什么价
      - 查一下英镑汇率
      - 外汇牌价
  - intent: lost_card
    examples: |
      - 我的卡丢了
      - 银行卡找不到了
      - 卡被偷了怎么办
      - 挂失银行卡
      - 钱包丢了卡也没了
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    domain = 'version: "3.1"\nintents: [open_account, fx_rate, lost_card]\n'
    return train_nlu(tmp_path_factory.mktemp("clf"), CONFIG, NLU, domain, "clf")


def test_the_model_is_stored_as_arrays_and_json(model: Path) -> None:
    names = stored_files(model)
    assert any(n.endswith("weights.npz") for n in names) and any(n.endswith("meta.json") for n in names)


def test_loaded_model_classifies_unseen_paraphrases(model: Path) -> None:
    agent = load_agent(model)

    async def parse(text: str) -> dict:
        return await agent.parse_message(text)

    results = {text: asyncio.run(parse(text)) for text in ("信用卡不见了", "港币汇率是多少", "想办个新账户")}
    assert [r["intent"]["name"] for r in results.values()] == ["lost_card", "fx_rate", "open_account"]
    for result in results.values():
        confidences = [item["confidence"] for item in result["intent_ranking"]]
        assert np.isclose(sum(confidences), 1.0, atol=1e-4) and confidences == sorted(confidences, reverse=True)


class TestSenderKind:
    """The channels' `sender_kind` (staff or client) weighs down intents of the other audience."""

    @staticmethod
    def classifier(tmp_path: Path) -> Any:
        from rasa.engine.graph import ExecutionContext, GraphSchema
        from rasa.engine.storage.local_model_storage import LocalModelStorage
        from rasa.engine.storage.resource import Resource

        from bot.nlu.intent_classifier import CharE5IntentClassifier

        config = {"staff_intents": ["client_profile"], "client_intents": ["wealth_statement"], "other_kind_weight": 0.1}
        component = CharE5IntentClassifier.create(config, LocalModelStorage(tmp_path), Resource("clf"),
                                                  ExecutionContext(GraphSchema({}), "test"))
        component._state = {"classes": ["client_profile", "greet", "wealth_statement"]}
        return component

    def test_a_client_is_less_likely_to_mean_a_staff_journey(self, tmp_path: Path) -> None:
        row = np.array([0.5, 0.1, 0.4])
        weighted = self.classifier(tmp_path).weigh_by_sender_kind(row, "client")
        assert weighted.argmax() == 2 and np.isclose(weighted.sum(), 1.0)
        assert np.allclose(weighted, np.array([0.05, 0.1, 0.4]) / 0.55)

    def test_staff_the_other_way_round_and_no_kind_changes_nothing(self, tmp_path: Path) -> None:
        row = np.array([0.4, 0.2, 0.4])
        classifier = self.classifier(tmp_path)
        assert classifier.weigh_by_sender_kind(row, "staff").argmax() == 0
        assert classifier.weigh_by_sender_kind(row, None) is row

    def test_the_kind_is_read_from_the_message_metadata(self) -> None:
        from rasa.shared.nlu.training_data.message import Message

        from bot.nlu.intent_classifier import sender_kind

        assert sender_kind(Message(data={"text": "x", "metadata": {"sender_kind": "client"}})) == "client"
        assert sender_kind(Message(data={"text": "x", "metadata": {"sender_kind": "robot"}})) is None
        assert sender_kind(Message(data={"text": "x"})) is None


class TestIntentFallback:
    """bot/nlu/fallback.py: a threshold per intent, the ranking kept under nlu_fallback for the buttons."""

    @staticmethod
    def run(ranking: list[dict[str, Any]]) -> Any:
        from rasa.shared.nlu.training_data.message import Message

        from bot.nlu.fallback import IntentFallbackClassifier

        config = {**IntentFallbackClassifier.get_default_config(), "threshold": 0.4, "ambiguity_threshold": 0.1,
                  "intent_thresholds": {"plan_pension": 0.7}}
        message = Message(data={"text": "x", "intent": dict(ranking[0]), "intent_ranking": [dict(r) for r in ranking]})
        return IntentFallbackClassifier(config).process([message])[0]

    def test_an_intent_with_its_own_threshold_falls_back_sooner(self) -> None:
        message = self.run([{"name": "plan_pension", "confidence": 0.6}, {"name": "ask_knowledge", "confidence": 0.2}])
        assert message.get("intent")["name"] == "nlu_fallback"
        assert [r["name"] for r in message.get("intent_ranking")] == ["nlu_fallback", "plan_pension", "ask_knowledge"]

    def test_others_use_the_common_threshold(self) -> None:
        message = self.run([{"name": "greet", "confidence": 0.6}, {"name": "help", "confidence": 0.2}])
        assert message.get("intent")["name"] == "greet"

    def test_two_intents_too_close_fall_back(self) -> None:
        message = self.run([{"name": "greet", "confidence": 0.48}, {"name": "help", "confidence": 0.45}])
        assert message.get("intent")["name"] == "nlu_fallback"


class CountingE5:
    """Stands in for the e5 model to count what reaches it (the real one is deterministic as well)."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def query(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [[float(len(t)), 1.0, *([0.0] * 382)] for t in texts]


def test_a_text_seen_before_is_not_embedded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from collections import OrderedDict

    import bot.nlu.intent_classifier as classifier

    model = CountingE5()
    monkeypatch.setattr(classifier, "_E5", model)
    monkeypatch.setattr(classifier, "_CACHE", OrderedDict())
    monkeypatch.setattr(classifier, "CACHE_SIZE", 2)
    first = classifier.embed(["确认", "好的"])
    again = classifier.embed(["好的", "确认", "好的"])
    assert model.calls == [["确认", "好的"]]  # nothing new: the model is not called
    assert np.allclose(again, first[[1, 0, 1]]) and np.allclose(np.linalg.norm(again, axis=1), 1.0)
    classifier.embed(["谢谢"])  # a third text: the least recently used ("确认"… then "好的" was used last) goes
    assert list(classifier._CACHE) == ["好的", "谢谢"]
    classifier.embed(["确认"])
    assert model.calls[-1] == ["确认"]
