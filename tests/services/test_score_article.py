"""The health-score help article in the knowledge base states what calc/score.py computes: the committed file is
the generated one, every weight and target appears in it, and a changed weight changes the article."""

from __future__ import annotations

import re

import pytest

from calc import score
from services import score_article


def test_the_committed_article_is_the_generated_one() -> None:
    assert score_article.ARTICLE.read_text(encoding="utf-8") == score_article.render()
    assert score_article.main(["--check"]) == 0


def test_the_article_states_the_weights_the_score_uses() -> None:
    text = score_article.ARTICLE.read_text(encoding="utf-8")
    stated = {name: int(p) for name, p in re.findall(r"(活跃度|配置健康|增长潜力)占(\d+)%", text)}
    assert stated == {score.SUB_NAMES[k]: round(v * 100) for k, v in score.WEIGHTS.items()}
    assert sum(stated.values()) == 100
    channel = re.search(r"权重依次为(\d+)%、(\d+)%、(\d+)%", text)
    assert channel and [int(x) / 100 for x in channel.groups()] == list(score.CHANNEL_WEIGHTS.values())
    for part, share in {**score.ALLOCATION_PARTS, **score.POTENTIAL_PARTS}.items():
        assert f"占{round(share * 100)}%" in text, part
    assert f"超过{score.RECENCY_DAYS}天记0分" in text
    assert all(f"{n}次" in text for n in score.COUNT_TARGETS.values())


def test_a_changed_weight_changes_the_article(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(score, "WEIGHTS", {"activity": 0.2, "allocation": 0.5, "potential": 0.3})
    text = score_article.render()
    assert "活跃度占20%" in text and "配置健康占50%" in text and "增长潜力占30%" in text
    assert text != score_article.ARTICLE.read_text(encoding="utf-8")
    assert score_article.main(["--check"]) == 1
