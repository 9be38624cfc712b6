"""bot/nlu/entity_extractor.py inside real Rasa: trains on characters, is stored without pickle, loads, and
finds entities in messages it never saw (names the word segmenter would split, Chinese numerals)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.rasa_env.nlu_models import load_agent, stored_files, train_nlu

CONFIG = """
recipe: default.v1
language: zh
pipeline:
  - name: JiebaTokenizer
  - name: bot.nlu.entity_extractor.CharCRFEntityExtractor
  - name: bot.nlu.intent_classifier.CharE5IntentClassifier
policies: []
"""

NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈明", "杨静", "赵磊", "黄敏", "周杰", "吴霞", "徐超", "孙丽", "马强", "朱红",
         "胡军", "郭亮", "何平", "林峰", "罗琳", "高原", "王建国", "李秀英", "陈晓东", "欧阳娜", "张婷婷", "刘志强"]
PROFILE = ["帮我看看{}的画像", "{}这个客户怎么样", "查一下{}的持仓", "给{}出一份建议书", "调出{}的资料"]
AMOUNTS = ["5万", "两万五", "30000元", "一百二十万", "3千", "50w", "8万块", "十万"]


def nlu_yaml() -> str:
    profile = [t.format(f"[{n}](person)") for i, n in enumerate(NAMES) for t in PROFILE[i % len(PROFILE):][:2]]
    invest = [f"我想投资[{a}](amount)" for a in AMOUNTS] + [f"每月能存[{a}](amount)" for a in AMOUNTS]
    lines = ['version: "3.1"', "nlu:", "  - intent: client_profile", "    examples: |"]
    lines += [f"      - {t}" for t in profile]
    lines += ["  - intent: plan_investment", "    examples: |"] + [f"      - {t}" for t in invest]
    lines += ["  - intent: greet", "    examples: |"] + [f"      - {t}" for t in
                                                          ["你好", "您好", "早上好", "嗨", "在吗", "下午好", "哈喽"]]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    domain = 'version: "3.1"\nintents: [client_profile, plan_investment, greet]\nentities: [person, amount]\n'
    return train_nlu(tmp_path_factory.mktemp("ner"), CONFIG, nlu_yaml(), domain, "ner")


def test_the_model_is_stored_in_crfsuite_format_and_json(model: Path) -> None:
    names = stored_files(model)
    assert any(n.endswith("crf.model") for n in names) and any(n.endswith("patterns.json") for n in names)


def test_unseen_names_and_amounts_are_found_with_offsets(model: Path) -> None:
    agent = load_agent(model)

    def entities(text: str) -> list[tuple[str, str, int, int]]:
        parsed = asyncio.run(agent.parse_message(text))
        return [(e["entity"], e["value"], e["start"], e["end"]) for e in parsed["entities"]]

    assert entities("帮我看看钱小雨的画像") == [("person", "钱小雨", 4, 7)]  # unseen surname, three characters
    assert ("amount", "六万", 4, 6) in entities("我想投资六万")
    assert entities("你好") == []
    found = asyncio.run(agent.parse_message("查一下郑凯的持仓"))["entities"]
    assert found and found[0]["extractor"] == "CharCRFEntityExtractor" and 0 < found[0]["confidence_entity"] <= 1
