"""组合回检 in chat: a model portfolio's return, maximum drawdown and volatility, with its drawdown chart."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import latest_text
from actions.staff import StaffAction
from actions.usage import record_usage
from bank.directory import Identity
from calc.money import fmt_pct
from services.backtests import PortfolioBacktest, backtest_path, portfolio_backtest, portfolio_path
from services.links import public_url
from services.portfolios import portfolio_named_in, portfolio_names
from services.prospects import UnknownProduct


def backtest_text(b: PortfolioBacktest) -> str:
    """The figures in a few lines, with the conventions and a risk notice."""
    return "\n".join([
        f"{b.name}（{b.risk_level}）回测，{b.start}至{b.end}，买入持有：",
        f"· 累计收益{fmt_pct(b.total_return)}，年化收益{fmt_pct(b.annualized_return)}",
        f"· 最大回撤{fmt_pct(b.max_drawdown)}（{b.drawdown_peak}至{b.drawdown_trough}）",
        f"· 年化波动率{fmt_pct(b.annualized_volatility)}（按每年242个交易日）",
        "历史回测不代表未来表现，不构成收益承诺。",
    ])


class ActionBacktestPortfolio(StaffAction):
    """Back-test the model portfolio the message names (or the one just discussed)."""

    feature = "backtest"

    def name(self) -> str:
        return "action_adv_backtest"

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        try:
            with self.session() as session:
                named = portfolio_named_in(session, latest_text(tracker))
                key = named.id if named is not None else tracker.get_slot("adv_portfolio_id")
                if key in (None, ""):
                    names = "、".join(n for n, _ in portfolio_names(session))
                    dispatcher.utter_message(response="utter_adv_ask_portfolio", portfolios=names)
                    return []
                figures = portfolio_backtest(session, int(float(key)))
        except (UnknownProduct, TypeError, ValueError, OverflowError):
            dispatcher.utter_message(response="utter_adv_ask_portfolio", portfolios="稳健组合、平衡组合、进取组合")
            return []
        if figures is None:
            dispatcher.utter_message(response="utter_adv_backtest_no_data")
            return []
        record_usage(tracker, "backtest", portfolio=figures.name)
        dispatcher.utter_message(text=backtest_text(figures))
        dispatcher.utter_message(image=public_url(backtest_path(figures.portfolio_id)))
        dispatcher.utter_message(json_message={
            "type": "card", "title": f"{figures.name}回测", "description": "持仓明细、回测净值与回撤",
            "url": public_url(portfolio_path(figures.portfolio_id)), "button_text": "查看组合"})
        return [SlotSet("adv_portfolio_id", figures.portfolio_id)]
