"""财富账单, 财富健康分 and 成长权益 for a known client, worded in a few lines; others get a polite note."""

from __future__ import annotations

import datetime as dt
import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.client.checkup import client_of
from actions.forms import latest_text
from actions.identity import sender
from actions.usage import record_usage
from bank.db import session_scope
from bank.models import CATEGORY_NAMES, STAFF_ROLES
from calc import clock
from calc.clock import today
from calc.errors import CalcInputError
from calc.money import fmt_pct, fmt_yuan
from calc.rewards import RewardsResult
from calc.score import SUB_NAMES, HealthScore, levers
from lexicon.statements import statement_period
from services.settings import get_settings
from services.statements import covered_month, month_name, statement_link
from services.wealth import (
    DEFAULT_PERIOD,
    StatementView,
    client_health_score,
    client_rewards,
    client_statement,
)

log = logging.getLogger(__name__)
MWR_MIN_DAYS = 90
"""Below this many days an annualised money-weighted return swings wildly, so it is not shown."""
STATEMENT_NOTICE = "收益按本行记录的持仓和净值估算，仅供参考；过往业绩不预示未来表现。"


def signed_yuan(amount: float) -> str:
    """Money with an explicit sign.

    >>> signed_yuan(1234.5), signed_yuan(-20), signed_yuan(0)
    ('+1,234.50元', '-20.00元', '0.00元')
    """
    text = fmt_yuan(abs(amount))
    return ("+" if amount > 0.004 else "-" if amount < -0.004 else "") + text


def statement_lines(view: StatementView) -> list[str]:
    """A statement in a few lines: profit, TWR, MWR (long enough periods), benchmark, top products.

    >>> import datetime as dt
    >>> from calc.statement import Statement
    >>> s = Statement(dt.date(2025, 12, 31), dt.date(2026, 11, 28), 1200.0, {"A": 1000.0, "B": 200.0}, {},
    ...               0.045, 0.05, 0.02, 0.025)
    >>> statement_lines(StatementView("this_year", "今年以来", s, "30%沪深300指数基金+70%利率债指数基金",
    ...                               [("A", 1000.0), ("B", 200.0)]))[:3]
    ['今年以来（2025-12-31至2026-11-28）您在本行的投资收益+1,200.00元。', '时间加权收益率4.50%，资金加权年化收益率5.00%。', '同期业绩基准（30%沪深300指数基金+70%利率债指数基金）2.00%，您跑赢了2.50个百分点。']
    """
    s = view.statement
    lines = [f"{view.period_name}（{s.start}至{s.end}）您在本行的投资收益{signed_yuan(s.profit)}。"]
    rates = []
    if s.twr is not None:
        rates.append(f"时间加权收益率{fmt_pct(s.twr)}")
    if s.mwr is not None and (s.end - s.start).days >= MWR_MIN_DAYS:
        rates.append(f"资金加权年化收益率{fmt_pct(s.mwr)}")
    if rates:
        lines.append("，".join(rates) + "。")
    if s.benchmark_return is not None and view.benchmark_name:
        line = f"同期业绩基准（{view.benchmark_name}）{fmt_pct(s.benchmark_return)}"
        if s.excess_return is not None:
            gap = abs(s.excess_return) * 100
            line += f"，您{'跑赢' if s.excess_return >= 0 else '跑输'}了{gap:.2f}个百分点"
        lines.append(line + "。")
    if view.top_products:
        lines.append("收益贡献：" + "；".join(f"{name} {signed_yuan(v)}" for name, v in view.top_products))
    lines.append(STATEMENT_NOTICE)
    return lines


LEVER_ADVICE = {"activity": "多和理财经理保持联系、常登录看看持仓",
                "allocation": "让应急、保障、增值三笔钱更平衡，持仓更分散",
                "potential": "把他行资产和近期到期的资金一起做个规划"}
"""What raises each sub-score (calc/score.py: SUB_NAMES, levers)."""


def score_lines(score: HealthScore) -> list[str]:
    """The health score, its three reasons and what would raise it."""
    parts = {"activity": score.activity, "allocation": score.allocation, "potential": score.potential}
    lines = [f"您的财富健康分是{score.total:.0f}分（满分100）。",
             *(f"· {SUB_NAMES[key]}{part.value:.0f}分：{part.reason_zh}" for key, part in parts.items())]
    top = levers(score)
    if top:
        key, points = top[0]
        lines.append(f"最能提分的是{SUB_NAMES[key]}：最多还能为总分加{points:.0f}分，{LEVER_ADVICE[key]}。")
    if score.raise_with:
        names = "、".join(CATEGORY_NAMES.get(c, c) for c in score.raise_with)
        lines.append(f"想提高分数，可以考虑补充{names}，或做一次财富体检看看具体建议。")
    return lines


def rewards_lines(rewards: RewardsResult) -> list[str]:
    """Rewards earned and the next tier.

    >>> from calc.rewards import Reward
    >>> rewards_lines(RewardsResult([Reward("tier_up", "升级为金卡客户", "达到门槛。")], "金卡客户", "财富客户", 440000.0))
    ['您目前是金卡客户。', '已获得的权益：', '· 升级为金卡客户：达到门槛。', '再增加440,000.00元在本行的资产即可升级为财富客户。']
    """
    lines = [f"您目前是{rewards.current_tier}。"]
    if rewards.earned:
        lines.append("已获得的权益：")
        lines += [f"· {r.title_zh}：{r.reason_zh}" for r in rewards.earned]
    else:
        lines.append("目前还没有新获得的权益。")
    if rewards.next_tier:
        lines.append(f"再增加{fmt_yuan(rewards.amount_to_next_tier)}在本行的资产即可升级为{rewards.next_tier}。")
    else:
        lines.append("您已是最高等级客户。")
    return lines


class _ClientOnlyAction(Action, ABC):
    """Answer a known client from bank/; tell staff and strangers politely that this is the client's own view."""

    feature = ""
    feature_zh = ""

    @abstractmethod
    def answer(self, session: Any, client_id: int, tracker: Tracker, day: dt.date) -> list[str] | None:
        """The lines to send, or None when the client has nothing on record."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        ok, identity = sender(dispatcher, tracker)
        if not ok:
            return []
        client_id = client_of(identity)
        if client_id is None:
            staff = identity is not None and identity.role in STAFF_ROLES
            dispatcher.utter_message(
                response="utter_wealth_staff_only_clients" if staff else "utter_wealth_clients_only",
                feature=self.feature_zh)
            return []
        try:
            with session_scope() as session:
                lines = self.answer(session, client_id, tracker, today())
        except (SQLAlchemyError, CalcInputError, LookupError, ValueError) as error:
            log.error("%s failed: %s", self.feature, type(error).__name__)
            dispatcher.utter_message(response="utter_wealth_failed", feature=self.feature_zh)
            return []
        record_usage(tracker, self.feature)
        if lines is None:
            dispatcher.utter_message(response="utter_statement_empty")
        else:
            dispatcher.utter_message(text="\n".join(lines))
        return []


class ActionWealthStatement(_ClientOnlyAction):
    """财富账单 for the period the message names (本月 / 今年 / 近一年 / 持有以来; 今年 by default)."""

    feature, feature_zh = "wealth_statement", "财富账单"

    def name(self) -> str:
        return "action_wealth_statement"

    def answer(self, session: Any, client_id: int, tracker: Tracker, day: dt.date) -> list[str] | None:
        period = statement_period(latest_text(tracker)) or DEFAULT_PERIOD
        view = client_statement(session, client_id, period, day)
        if view is None:
            return None
        link = statement_link(session, client_id, clock.now(), get_settings())  # last month's page
        return statement_lines(view) + ([f"{month_name(covered_month(day)[0])}财富账单：{link}"] if link else [])


class ActionWealthScore(_ClientOnlyAction):
    """财富健康分 with its three reasons and what would raise it."""

    feature, feature_zh = "wealth_score", "财富健康分"

    def name(self) -> str:
        return "action_wealth_score"

    def answer(self, session: Any, client_id: int, tracker: Tracker, day: dt.date) -> list[str] | None:
        return score_lines(client_health_score(session, client_id, day))


class ActionMyRewards(_ClientOnlyAction):
    """成长权益: what the client earned and what the next tier needs."""

    feature, feature_zh = "rewards", "成长权益"

    def name(self) -> str:
        return "action_my_rewards"

    def answer(self, session: Any, client_id: int, tracker: Tracker, day: dt.date) -> list[str] | None:
        return rewards_lines(client_rewards(session, client_id, day))
