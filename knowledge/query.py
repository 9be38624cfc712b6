"""A question prepared for retrieval: BM25 tokens, thesaurus expansion and the query vector(s)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

# Questions about the present get the news recency preference; others only a tie-break between news items.
TEMPORAL = re.compile(r"最近|近期|现在|目前|当前|今天|本周|这周|这几天|今年|本月|这个月|上个月|最新|刚刚|又|近来|这阵子|"
                      r"\d{1,2}月|新闻|消息|行情|公布|发布")
# Cues of what kind of document is wanted: a product of the bank, or material for advisors.
PRODUCT = re.compile(r"产品|哪款|哪只|哪个好|有没有.{0,8}(?:基金|理财|保险|存款|存单)|推荐|起购|起投|费率|代码|"
                     r"咱们行|我行|你们行|在售|利率多少")
ADVISOR = re.compile(r"客户|话术|怎么介绍|怎么推荐|怎么跟|怎么说|怎么聊|开口|切入|晨会|沙龙|同事|支行|网点|经验|"
                     r"理财经理|营销|合规|录音录像|双录|回访|电访")


@dataclass(frozen=True)
class Query:
    """Everything the ranking needs about one question; `qvec` is None for BM25-only searches."""

    text: str
    tokens: list[str]
    expansion: list[str] = field(default_factory=list)
    exp_tokens: list[str] = field(default_factory=list)
    qvec: np.ndarray | None = None

    @property
    def temporal(self) -> bool:
        """True if the question is about the present (recent news preferred)."""
        return bool(TEMPORAL.search(self.text))

    @property
    def wants_product(self) -> bool:
        """True if the question asks about the bank's products (product sheets preferred)."""
        return bool(PRODUCT.search(self.text))

    @property
    def from_advisor(self) -> bool:
        """True if the question sounds like an advisor's (advisor material preferred)."""
        return bool(ADVISOR.search(self.text))


def expansion_tokens(terms: list[str], asked: list[str]) -> list[str]:
    """BM25 tokens of the expansion terms that the question's own tokens do not already contain.

    >>> expansion_tokens(["货币基金"], ["余额宝"])[:2]
    ['货币', '基金']
    """
    from knowledge.tokens import tokenize

    have = set(asked)
    out: list[str] = []
    for term in terms:
        out.extend(t for t in tokenize(term) if t not in have and t not in out)
    return out


def make_query(text: str, embedder=None, expand: bool = True) -> Query:  # type: ignore[no-untyped-def]
    """Tokenize, expand with the thesaurus and (given an embedder) embed `text`.

    The expansion feeds BM25 and the re-ranker only: one model call per question keeps search fast (embedding
    the expanded question too cost a second call and did not move the re-ranked figures under cross-validation).
    """
    from knowledge.thesaurus import expand as thesaurus_expand
    from knowledge.tokens import tokenize

    tokens = tokenize(text)
    terms = thesaurus_expand(text) if expand else []
    exp_tokens = expansion_tokens(terms, tokens)
    qvec = embedder.encode_queries([text])[0] if embedder is not None else None
    return Query(text, tokens, terms, exp_tokens, qvec)
