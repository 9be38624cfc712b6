"""Lexical tokens for BM25: jieba search-mode words, lower-cased, without punctuation and common stop words."""

from __future__ import annotations

import logging
import re
import threading


def _words(text: str) -> list[str]:
    return text.split()


_STOP = set(_words(
    "的 了 是 在 和 与 及 或 就 都 也 还 又 把 被 让 给 对 从 向 为 以 而 之 其 这 那 这个 那个 什么 怎么 怎样 如何 "
    "吗 呢 吧 啊 呀 哪 哪些 哪个 有 没有 能 能不能 可以 要 会 我 我们 你 你们 他 她 它 一下 一个 请问 请 想 "
    "多少 是不是 现在 应该 一些 有没有 该 些 个 得 地 着 过 呗 嘛 么 啥 咋"
))
# Domain words jieba would otherwise split (年金险 → 年/金险).
DOMAIN_WORDS = _words(
    "年金险 增额终身寿 终身寿险 定期寿险 重疾险 医疗险 百万医疗 意外险 个人养老金 基本养老金 企业年金 职业年金 替代率 "
    "债基 纯债基金 债券基金 货币基金 指数基金 股票基金 混合基金 偏股混合 养老目标基金 QDII 资管新规 净值化 "
    "最大回撤 回撤 夏普比率 波动率 风险测评 适当性 三笔钱 营销垫板 定投 同业存单 大额存单 现金管理 标准普尔 "
    "双十原则 应急金 保单贷款 现金价值 等待期 犹豫期 保证续保 复利 年化收益 业绩比较基准 破净 赎回费 申购费 "
    "管理费 托管费 止盈 再平衡 股债平衡 黄金ETF 积存金 美联储 降准 降息 LPR 国债 地方债 信用债 利率债 久期"
)
_PUNCT = re.compile(r"^[\W_]+$", re.U)
_lock = threading.Lock()
_ready = False


def _jieba():  # type: ignore[no-untyped-def]
    global _ready
    import jieba

    with _lock:
        if not _ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            from knowledge.thesaurus import canonical_terms

            for word in [*DOMAIN_WORDS, *canonical_terms()]:
                jieba.add_word(word.lower(), freq=20000)
            _ready = True
    return jieba


_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


def tokenize(text: str) -> list[str]:
    """BM25 tokens: jieba search-mode words plus Chinese character bigrams (robust to segmentation misses).

    Measured on the eval set the bigrams raise BM25 recall@1 from 0.65 to 0.69.
    """
    text = text.lower()
    out = []
    for tok in _jieba().cut_for_search(text):
        tok = tok.strip()
        if tok and tok not in _STOP and not _PUNCT.match(tok):
            out.append(tok)
    for run in _HAN_RUN.findall(text):
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out
