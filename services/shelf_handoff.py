"""A client asks their advisor about one product of the shelf: a hand-off (bank.handoffs) with the product and
the client's suitability for it, through the outbox, not sent twice in a short while."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.handoffs import KIND as HANDOFF_KIND
from bank.handoffs import prepare_handoff, summary_card
from bank.models import Product
from bank.notifications import add_notification, told_since
from bank.risk_profiles import RISK_VALID_DAYS, risk_status
from calc import clock
from calc.risk import is_suitable
from services.links import public_url
from services.prospects import UnknownProduct
from services.shelf import ASK_AGAIN_WITHIN


@dataclass(frozen=True)
class AdvisorRequest:
    """What happened when a client asked their advisor about a product: "sent", "already" or "unassigned"."""

    status: str
    advisor_name: str = ""
    product_name: str = ""


def ask_advisor(session: Session, client_id: int, product_code: str, now: dt.datetime | None = None, *,
                valid_days: int = RISK_VALID_DAYS) -> AdvisorRequest:
    """Hand the client over to their advisor about one product (bank.handoffs, the chat's hand-off): the advisor
    gets a WeCom message in the outbox with the product, the client's suitability for it and a summary link.
    The same request again within ASK_AGAIN_WITHIN is not sent twice. The caller commits.

    Raises services.prospects.UnknownProduct and LookupError (unknown client).
    """
    now = now or clock.now()
    product = session.scalars(select(Product).where(Product.code == product_code.strip().upper())).first()
    if product is None:
        raise UnknownProduct(f"product_code: no product {product_code!r}")
    handoff = prepare_handoff(session, client_id)
    if handoff is None:
        return AdvisorRequest("unassigned", product_name=product.name)
    status = risk_status(session, client_id, now.date(), valid_days)
    if not status.usable:
        fit = "客户的风险测评" + ("已过期" if status.level else "尚未完成") + "，请先协助测评"
    elif is_suitable(status.level or "C1", product.risk_level):
        fit = f"客户{status.level}，产品{product.risk_level}，符合适当性"
    else:
        fit = f"客户{status.level}，产品{product.risk_level}高于客户等级，不能销售，可协助重新测评"
    question = f"想了解{product.name}（{product.code}，{product.risk_level}）"
    text = f"客户{handoff.client_name}（{handoff.phone_tail}）请您联系。\n客户的问题：{question}\n适当性：{fit}"
    if told_since(session, handoff.advisor_userid, HANDOFF_KIND, text, now - ASK_AGAIN_WITHIN):
        return AdvisorRequest("already", handoff.advisor_name, product.name)
    card = summary_card(handoff, question, [{"who": "客户", "text": f"（产品货架）{question}"}],
                        public_url(f"/handoffs/{handoff.token}"))
    card["product"] = {"code": product.code, "name": product.name, "risk_level": product.risk_level, "fit": fit}
    add_notification(session, handoff.advisor_userid, text, kind=HANDOFF_KIND, card=card, now=now)
    return AdvisorRequest("sent", handoff.advisor_name, product.name)
