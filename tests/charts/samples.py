"""One sample chart per kind and a full proposal payload, shared by the chart, web and browser tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from calc.performance import drawdown_series

YEARS = list(range(2026, 2047))
P50 = [200000 * 1.05**i for i in range(len(YEARS))]
DATES = [(dt.date(2025, 12, 1) + dt.timedelta(days=7 * i)).isoformat() for i in range(40)]
NAV = [1.0 + 0.004 * i - (0.08 if 15 <= i < 25 else 0.0) for i in range(40)]

CHARTS: dict[str, dict[str, Any]] = {
    "pie": {"name": "pots", "kind": "pie", "title": "三笔钱现状",
            "data": {"labels": ["随时要用的钱", "财富增值的钱", "家庭保障的钱"], "values": [60000, 250000, 15000]}},
    "pie_pair": {"name": "allocation", "kind": "pie_pair", "title": "当前配置与建议配置",
                 "data": {"labels": ["现金类", "固收类", "权益类", "保障类"], "current": [180000, 60000, 0, 5000],
                          "target": [0.1, 0.45, 0.35, 0.1]}},
    "fan": {"name": "projection", "kind": "fan", "title": "20年财富模拟",
            "data": {"x": YEARS, "target": 500000, "x_label": "年份",
                     "bands": {"p5": [v * (1 - 0.015 * i) for i, v in enumerate(P50)],
                               "p25": [v * (1 - 0.006 * i) for i, v in enumerate(P50)], "p50": P50,
                               "p75": [v * (1 + 0.008 * i) for i, v in enumerate(P50)],
                               "p95": [v * (1 + 0.02 * i) for i, v in enumerate(P50)]}}},
    "bars": {"name": "profit", "kind": "bars", "title": "各期收益",
             "data": {"labels": ["近1月", "近3月", "近1年"], "series": {"收益": [1200, -350, 8800],
                                                                      "基准": [900, 100, 6100]}}},
    "line": {"name": "savings", "kind": "line", "title": "养老金积累",
             "data": {"x": YEARS, "series": {"账户余额": P50}, "x_label": "年份"}},
    "drawdown": {"name": "backtest", "kind": "drawdown", "title": "组合回测",
                 "data": {"x": DATES, "nav": NAV, "drawdown": drawdown_series(NAV).tolist()}},
}


def payload(subject: str = "张**") -> dict[str, Any]:
    """A check-up proposal with every part of the schema and every chart kind."""
    return {
        "title": "您的财富体检报告",
        "subject": subject,
        "summary": ["随时要用的钱还差 1.50万元", "建议把 30% 的资产配置到固收类", "家庭保障额度偏低"],
        "sections": [
            {"heading": "三笔钱", "rows": [["随时要用的钱", "60,000.00元", "目标 75,000.00元"],
                                           ["财富增值的钱", "250,000.00元", "目标 200,000.00元"],
                                           ["家庭保障的钱", "15,000.00元", "目标 50,000.00元"]]},
            {"heading": "资产配置", "rows": [["资产类别", "当前", "建议"], ["现金类", "73%", "10%"],
                                             ["固收类", "24%", "45%"]]},
            {"heading": "主要发现", "text": "应急资金不足三个月支出。\n权益类占比为零，长期收益可能跑不赢通胀。"},
        ],
        "charts": list(CHARTS.values()),
        "assumptions": [["通胀率", "2.50%"], ["预期年化收益", "4.00%"], ["测算年限", "20年"]],
        "products": [{"code": "FX1001", "name": "稳享固收30天", "risk_level": "R2", "category": "固收类理财",
                      "why": "风险较低，适合补足随时要用的钱"}],
        "risk_notice": "理财非存款，产品有风险，投资须谨慎。以上测算不代表未来收益。",
    }
