""""把这份建议书发给王芳" / "把这条资讯转给李娜" / "把刚才的推送发给张伟": which kind of item a chat message means, and
the advisor's latest one of that kind (for the client named, when there is one). Sending is services/sharing.py.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.directory import Identity
from bank.models import PortfolioPush, Proposal
from services.share_items import SharedItem

KIND_WORDS = (
    ("proposal", re.compile(r"建议书|方案|报告|体检结果|规划书|测算")),
    ("push", re.compile(r"推送|推荐卡|组合推荐|推的|推给|确认卡片|下单链接")),
    ("knowledge", re.compile(r"资讯|新闻|文章|解读|知识|这条|那条|回答|刚才说的|刚才的内容|观点|快讯")),
)


def kind_named(text: str) -> str | None:
    """The kind of item a message asks to send (the earliest word wins), or None.

    >>> kind_named("把这份建议书发给王芳"), kind_named("把刚才的推送发给张伟"), kind_named("这条资讯转给李娜")
    ('proposal', 'push', 'knowledge')
    >>> kind_named("发给王芳") is None
    True
    """
    found = [(m.start(), kind) for kind, pattern in KIND_WORDS if (m := pattern.search(text))]
    return min(found)[1] if found else None


def latest_item(session: Session, advisor: Identity, kind: str, client_id: int | None,
                knowledge_doc: str | None = None) -> SharedItem | None:
    """The advisor's latest proposal or push of `kind` (for `client_id` first, else any of theirs), or the
    knowledge item last answered in this conversation; None when there is none."""
    if kind == "knowledge":
        return SharedItem("knowledge", knowledge_doc) if knowledge_doc else None
    if advisor.staff_id is None:
        return None
    if kind == "proposal":
        query = select(Proposal.share_token).where(Proposal.created_by_id == advisor.staff_id)
        newest = (Proposal.created_at.desc(), Proposal.id.desc())
        mine = session.scalar(query.where(Proposal.client_id == client_id).order_by(*newest).limit(1)) \
            if client_id is not None else None
        token = mine or session.scalar(query.order_by(*newest).limit(1))
        return SharedItem("proposal", token) if token else None
    if kind == "push":
        query = select(PortfolioPush.task_id).where(PortfolioPush.advisor_id == advisor.staff_id)
        newest = (PortfolioPush.created_at.desc(), PortfolioPush.id.desc())
        mine = session.scalar(query.where(PortfolioPush.client_id == client_id).order_by(*newest).limit(1)) \
            if client_id is not None else None
        task = mine or session.scalar(query.order_by(*newest).limit(1))
        return SharedItem("push", task) if task else None
    return None
