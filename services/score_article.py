"""The help article on the wealth health score (`knowledge/corpus/training/health-score.md`), generated from the
weights and targets calc/score.py computes with, so that what the knowledge base tells a client and what the
score does cannot drift apart (tests/services/test_score_article.py fails when the committed file differs).

    .venv/bin/python -m services.score_article           # write the article
    .venv/bin/python -m services.score_article --check   # exit 1 if the committed article is out of date
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from calc import score

ARTICLE = Path(__file__).resolve().parents[1] / "knowledge" / "corpus" / "training" / "health-score.md"
CHANNELS = {"contacts": "联系理财经理", "logins": "登录查看", "transactions": "交易"}
COUNT_UNITS = {"contacts": "联系{n}次", "logins": "登录{n}次", "transactions": "交易{n}次"}


def pct(share: float) -> str:
    """A weight as the article writes it.

    >>> pct(0.45), pct(0.3)
    ('45%', '30%')
    """
    return f"{share * 100:.0f}%"


def _weights_sentence(weights: Mapping[str, float]) -> str:
    return "，".join(f"{score.SUB_NAMES[key]}占{pct(share)}" for key, share in weights.items())


def render() -> str:
    """The article's Markdown, front matter included, from calc/score.py's current constants."""
    w, parts, potential = score.WEIGHTS, score.ALLOCATION_PARTS, score.POTENTIAL_PARTS
    channels = "、".join(CHANNELS[c] for c in score.CHANNEL_WEIGHTS)
    channel_weights = "、".join(pct(v) for v in score.CHANNEL_WEIGHTS.values())
    targets = "、".join(COUNT_UNITS[c].format(n=n) for c, n in score.COUNT_TARGETS.items())
    names = score.SUB_NAMES
    return f"""---
id: health-score
title: 财富健康分是怎么算的
type: training
date: 2026-10-31
audience: client
tags: [财富健康分, 健康分怎么提高]
summary: 财富健康分满分100分，{_weights_sentence(w)}；分数用来发现短板，不代表收益高低。
---

# 财富健康分是怎么算的

财富健康分满分100分，由三部分加权而成：{_weights_sentence(w)}。每一部分先按0到100分打分，再按权重相加。
分数用来发现家庭财务的短板、跟踪改善，不代表投资收益的高低；分数低，说明至少有一部分还有明显的提升空间。

## {names["activity"]}（{pct(w["activity"])}）

看您和银行的互动，分{channels}三条渠道，权重依次为{channel_weights}。
每条渠道一半看最近一次互动距今多久（距今越近越高，超过{score.RECENCY_DAYS}天记0分），一半看近90天的次数（{targets}即为满分）。

## {names["allocation"]}（{pct(w["allocation"])}）

看资产配置是否合理：应急、保障、增值三笔钱是否平衡占{pct(parts["balance"])}，资产在各大类之间是否分散占{pct(parts["diversification"])}，
持有产品的风险等级是否都在您的风险测评等级以内占{pct(parts["suitability"])}。
应急金不够、保障有缺口、资产集中在单一类别、持有超出风险承受能力的产品，都会拉低这一项。

## {names["potential"]}（{pct(w["potential"])}）

按收入和年龄估算您的金融资产总量：其中可能放在其他机构的部分占{pct(potential["elsewhere"])}，未来90天即将到期的资金占{pct(potential["maturing"])}。
这一项衡量还有多少资金可以一起做规划。

## 怎么提高

每一部分还能为总分增加的分数 = 该部分的权重 ×（100 − 该部分得分），空间最大的一项最值得先做。
问助手“健康分怎么提高”，会告诉您哪一项最能提分，以及可以补充哪类适合您风险等级的产品。
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.score_article", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed article is out of date")
    args = parser.parse_args(argv)
    text = render()
    current = ARTICLE.read_text(encoding="utf-8") if ARTICLE.exists() else ""
    if args.check:
        if current != text:
            print(f"{ARTICLE} is out of date: run python -m services.score_article", file=sys.stderr)
            return 1
        return 0
    if current != text:
        ARTICLE.write_text(text, encoding="utf-8")
        print(f"wrote {ARTICLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
