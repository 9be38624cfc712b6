"""Questions about products, markets and investing: answered from knowledge/ for the asker's audience."""

from __future__ import annotations

from bank.models import STAFF_ROLES
from knowledge.api import Answer, answer

__all__ = ["Answer", "answer_question", "audience_for", "needs_risk_notice"]
# Words after which an answer needs a risk notice (products, markets, returns).
MARKET_WORDS = ("基金", "理财", "股票", "债", "收益", "利率", "市场", "行情", "指数", "保险", "黄金", "外汇", "存款",
                "产品", "净值", "回撤", "波动", "配置", "投资", "养老", "分红", "年化", "逆回购", "REITs", "汇率")


def audience_for(role: str | None) -> str:
    """The knowledge audience for a role: staff see advisor material, clients client-safe material.

    >>> audience_for("manager"), audience_for("client"), audience_for(None)
    ('advisor', 'client', 'all')
    """
    if role in STAFF_ROLES:
        return "advisor"
    return "client" if role == "client" else "all"


def needs_risk_notice(question: str, reply: Answer) -> bool:
    """Whether the question or the answer touches products or markets.

    >>> needs_risk_notice("国债逆回购是什么", Answer(True, "一种短期借贷"))
    True
    >>> needs_risk_notice("你们几点上班", Answer(True, "工作日九点"))
    False
    """
    text = question + reply.text + "".join(str(s.get("title", "")) for s in reply.sources)
    return any(word in text for word in MARKET_WORDS)


def answer_question(question: str, role: str | None) -> Answer:
    """The knowledge base's answer for `question`, drawn from what the asker's role may read."""
    return answer(question, audience=audience_for(role))
