"""Retrieval quality, filters, recency and honest answers on the shipped corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

import knowledge
from knowledge.index import FilterError


@pytest.mark.parametrize(("question", "expected"), [
    ("年金险和增额终身寿有什么区别", "annuity-vs-whole-life"),
    ("基金跌了一半要涨多少才回本", "max-drawdown"),
    ("个人养老金每年能存多少钱", "personal-pension"),
    ("风险测评过期以后还能给客户推产品吗", "risk-assessment-validity"),
])
def test_paraphrased_questions_find_the_document(kindex: Path, question: str, expected: str) -> None:
    hits = knowledge.search(question, k=5, index_dir=kindex)
    assert expected in [h.doc_id for h in hits]
    top = hits[0]
    assert top.title and top.text and top.type in ("training", "news", "product") and top.source
    assert len({h.doc_id for h in hits}) == len(hits)  # one passage per document
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_type_audience_date_and_tag_filters(kindex: Path) -> None:
    news = knowledge.search("债券基金", k=10, filters={"type": "news"}, index_dir=kindex)
    assert news and all(h.type == "news" for h in news)
    client = knowledge.search("营销话术", k=10, filters={"audience": "client"}, index_dir=kindex)
    assert client and all(h.audience in ("client", "all") for h in client)
    dated = knowledge.search("市场", k=10, filters={"date_from": "2026-11-20", "date_to": "2026-11-25"},
                             index_dir=kindex)
    assert dated and all("2026-11-20" <= h.date <= "2026-11-25" for h in dated)
    tagged = knowledge.search("保险", k=10, filters={"tags": ["重疾险"]}, index_dir=kindex)
    assert tagged and all("重疾险" in h.tags for h in tagged)
    with pytest.raises(FilterError, match="colour"):
        knowledge.search("保险", filters={"colour": "red"}, index_dir=kindex)


def test_product_sheets_are_indexed(kindex: Path) -> None:
    hits = knowledge.search("沪深300指数基金的申购费和起购金额", k=10, filters={"type": "product"}, index_dir=kindex)
    assert hits and all(h.doc_id.startswith("product-") for h in hits)
    assert "风险提示" in " ".join(h.text for h in hits)


def test_recent_news_preferred_for_questions_about_now(kindex: Path) -> None:
    hits = knowledge.search("最近债市怎么样", k=5, filters={"type": "news"}, index_dir=kindex)
    dates = [h.date for h in hits]
    assert dates[0] >= "2026-11-01"


def test_answer_is_short_extractive_and_sourced(kindex: Path) -> None:
    ans = knowledge.answer("年金险和增额终身寿有什么区别", audience="advisor", index_dir=kindex)
    assert ans.found
    assert 0 < len(ans.text) <= 300
    assert 1 <= len(ans.sources) <= 3
    assert ans.sources[0]["doc_id"] == "annuity-vs-whole-life"
    assert {"doc_id", "title", "date"} <= set(ans.sources[0])
    sentence = ans.text.split("。")[0]
    assert sentence in ans.passages[0].text  # extractive: copied, not generated


@pytest.mark.parametrize("question", ["今天天气怎么样", "帮我订一张去北京的机票", "讲个笑话吧", ""])
def test_off_topic_questions_get_honest_not_found(kindex: Path, question: str) -> None:
    ans = knowledge.answer(question, index_dir=kindex)
    assert not ans.found
    assert ans.text == "没有找到相关内容"
    assert ans.sources == []


def test_client_answers_never_cite_advisor_material(kindex: Path) -> None:
    ans = knowledge.answer("客户亏钱了情绪很大怎么沟通", audience="client", index_dir=kindex)
    assert all(p.audience in ("client", "all") for p in ans.passages)


def test_every_mode_ranks_and_reranking_is_the_default(kindex: Path) -> None:
    question = "余额宝这类货币基金安全吗"
    for mode in ("bm25", "dense", "hybrid", "rerank"):
        assert "money-market-fund" in [h.doc_id for h in knowledge.search(question, k=5, index_dir=kindex, mode=mode)]
    default = [h.doc_id for h in knowledge.search(question, k=5, index_dir=kindex)]
    assert default == [h.doc_id for h in knowledge.search(question, k=5, index_dir=kindex, mode="rerank")]
    with pytest.raises(ValueError, match="mode"):
        knowledge.search(question, index_dir=kindex, mode="magic")


def test_answers_from_demo_news_stay_labelled(kindex: Path) -> None:
    ans = knowledge.answer("11月LPR下调了多少个基点", audience="client", index_dir=kindex)
    assert ans.found and ans.sources[0]["type"] == "news"
    assert "演示内容" in ans.text and len(ans.text) <= 300
