"""bot/nlu/intent_classifier.py inside real Rasa: trains, is stored without pickle, loads and classifies
paraphrases it never saw."""

from __future__ import annotations

import asyncio
from pathlib import Path

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
