"""财富账单, 财富健康分 and 成长权益 for a known client, worded in a few lines; others get a polite note."""

from __future__ import annotations

import datetime as dt
import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.client.checkup import client_of
from actions.forms import latest_text
from actions.identity import sender
from actions.requests import request_key
from actions.usage import record_usage
from bank.db import session_scope
from bank.directory import Identity
from bank.idempotency import recall, remember
from bank.models import CATEGORY_NAMES, STAFF_ROLES
from calc import clock
from calc.clock import today
from calc.errors import CalcInputError
from calc.money import fmt_pct, fmt_yuan
from calc.rewards import RewardsResult
from calc.score import SUB_NAMES, HealthScore, levers
from lexicon.statements import statement_period
from services.rewards_ledger import (
    Balance,
    Benefit,
    EntryView,
    NothingToRedeem,
    balance,
    catalogue,
    grant_due,
    redeem,
)
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


def client_or_refuse(dispatcher: CollectingDispatcher, identity: Identity | None, feature_zh: str) -> int | None:
    """The id of a sender who is a known client; anyone else is told politely that `feature_zh` is for clients
    (staff: to ask as their client) and gets None."""
    client_id = client_of(identity)
    if client_id is None:
        staff = identity is not None and identity.role in STAFF_ROLES
        dispatcher.utter_message(response="utter_wealth_staff_only_clients" if staff else "utter_wealth_clients_only",
                                 feature=feature_zh)
    return client_id


def client_sender(dispatcher: CollectingDispatcher, tracker: Tracker, feature_zh: str) -> int | None:
    """The client id of the message's sender, or None once the sender has been told why not (unknown, the
    directory down, or not a client: `client_or_refuse`)."""
    ok, identity = sender(dispatcher, tracker)
    return client_or_refuse(dispatcher, identity, feature_zh) if ok else None


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


def rewards_lines(rewards: RewardsResult, held: Balance | None = None, now: dt.datetime | None = None) -> list[str]:
    """The tier, the benefits held (what each gives, until when; expiring soon marked), and the next tier.

    >>> from calc.rewards import Reward
    >>> rewards_lines(RewardsResult([Reward("tier_up", "升级为金卡客户", "达到门槛。")], "金卡客户", "财富客户", 440000.0))
    ['您目前是金卡客户。', '目前没有可兑换的权益。', '再增加440,000.00元在本行的资产即可升级为财富客户。']
    """
    lines = [f"您目前是{rewards.current_tier}。"]
    redeemable = held.redeemable if held else []
    soon = {view.id for view in held.expiring_soon} if held else set()
    if redeemable:
        lines.append("可兑换的权益：")
        for view in redeemable[:5]:
            until = f"，{view.expires_at:%Y-%m-%d}前有效" if view.expires_at else ""
            left = view.days_left(now) if now else None
            mark = f"（还剩{left}天，即将到期）" if view.id in soon and left is not None else ""
            lines.append(f"· {view.name}：{view.gives}{until}{mark}")
        lines.append("想用哪一项，直接说“兑换" + redeemable[0].name + "”即可，我会通知理财经理为您安排。")
    else:
        lines.append("目前没有可兑换的权益。")
    if held and held.redeemed:
        last = held.redeemed[0]
        lines.append(f"最近兑换：{last.name}（{last.redeemed_at:%Y-%m-%d}）" if last.redeemed_at else f"最近兑换：{last.name}")
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
        client_id = client_sender(dispatcher, tracker, self.feature_zh)
        if client_id is None:
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
    """成长权益: the tier, what the client holds and can redeem (granted now if due), what expires soon."""

    feature, feature_zh = "rewards", "成长权益"

    def name(self) -> str:
        return "action_my_rewards"

    def answer(self, session: Any, client_id: int, tracker: Tracker, day: dt.date) -> list[str] | None:
        now = clock.now()
        grant_due(session, now, [client_id], present=[client_id])
        return rewards_lines(client_rewards(session, client_id, day), balance(session, client_id, now), now)


def benefit_in_text(text: str, held: list[EntryView], offered: Sequence[Benefit] = ()) -> EntryView | None:
    """The held benefit a message names: by its name, else by the most words it shares with what a benefit gives
    ("那张申购费券" → 基金申购费1折券); the only one held when the message names none of `offered` (the catalogue);
    None when unclear or when the benefit named is not held.

    >>> a = EntryView(1, "tier_upgrade_gift", "升级礼遇", "基金申购费1折券1张", "granted", "", None, None, None)
    >>> b = EntryView(2, "welcome_back_salon", "回归礼遇", "财富沙龙入场席位1个", "granted", "", None, None, None)
    >>> [benefit_in_text(t, [a, b]).code for t in ("我要用那张申购费券", "兑换沙龙席位", "用一下回归礼遇")]
    ['tier_upgrade_gift', 'welcome_back_salon', 'welcome_back_salon']
    >>> benefit_in_text("兑换权益", [a, b]) is None, benefit_in_text("兑换权益", [a]).code
    (True, 'tier_upgrade_gift')
    >>> benefit_in_text("兑换沙龙席位", [a], [a, b]) is None
    True
    """
    candidates = {item.code: (item.name, item.gives) for item in [*offered, *held]}
    named = [code for code, (name, _) in candidates.items() if name in text]
    if not named:
        pairs = {text[i:i + 2] for i in range(len(text) - 1)}
        scores = {code: sum(pair in gives for pair in pairs) for code, (_, gives) in candidates.items()}
        best = max(scores.values(), default=0)
        named = [code for code, score in scores.items() if score == best] if best > 0 else []
    if len(named) == 1:
        return next((view for view in held if view.code == named[0]), None)
    if not named and len({view.code for view in held}) == 1:
        return held[0]
    return None


class ActionRedeemReward(Action):
    """Redeem one of the client's benefits ("我要用那张申购费券"); the advisor is told through the outbox. Done once
    per message (bank/idempotency.py): a replayed turn answers as before and redeems nothing twice."""

    def name(self) -> str:
        return "action_redeem_reward"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        client_id = client_sender(dispatcher, tracker, "权益兑换")
        if client_id is None:
            return []
        key, now = request_key(tracker, self.name()), clock.now()
        try:
            with session_scope() as session:
                done = recall(session, key)
                if done is None:
                    grant_due(session, now, [client_id], present=[client_id])
                    held = balance(session, client_id, now).redeemable
                    pick = benefit_in_text(latest_text(tracker), held, catalogue())
                    if pick is None:
                        _ask_which(dispatcher, held)
                        return []
                    redeemed = redeem(session, client_id, pick.code, now)
                    done = {"name": redeemed.name, "gives": redeemed.gives}
                    remember(session, key, done, now)
        except NothingToRedeem:
            dispatcher.utter_message(response="utter_rewards_nothing_to_redeem")
            return []
        except (SQLAlchemyError, CalcInputError, LookupError, ValueError) as error:
            log.error("redeem failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_wealth_failed", feature="权益兑换")
            return []
        record_usage(tracker, "rewards_redeem")
        dispatcher.utter_message(response="utter_rewards_redeemed", name=done.get("name", ""),
                                 gives=done.get("gives", ""))
        return []


def _ask_which(dispatcher: CollectingDispatcher, held: list[EntryView]) -> None:
    """No benefit held, or several and the message does not say which: say so, with one button per benefit."""
    if not held:
        dispatcher.utter_message(response="utter_rewards_nothing_to_redeem")
        return
    names = list(dict.fromkeys(view.name for view in held))
    dispatcher.utter_message(response="utter_rewards_which", items="、".join(names),
                             buttons=[{"title": name, "payload": f"兑换{name}"} for name in names])
