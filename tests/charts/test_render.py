"""render(): dispatch on the payload's kind, and clear errors naming the field for data that cannot be drawn."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from charts import draw
from charts.render import KINDS, ChartDataError, render
from tests.charts.samples import CHARTS


def test_the_samples_cover_every_kind() -> None:
    assert sorted(c["kind"] for c in CHARTS.values()) == sorted(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_renders_a_png(kind: str) -> None:
    assert render(CHARTS[kind])[:8] == draw.PNG_SIGNATURE


def test_numeric_strings_from_decimals_are_accepted() -> None:
    chart = {"kind": "pie", "title": "配置", "data": {"labels": ["现金", "基金"], "values": ["1000.00", 2000]}}
    assert render(chart)[:8] == draw.PNG_SIGNATURE


def test_optional_format_and_titles_are_used() -> None:
    chart = copy.deepcopy(CHARTS["bars"])
    chart["data"]["format"] = "percent"
    assert render(chart) != render(CHARTS["bars"])


def broken(kind: str, path: str, value: Any) -> dict[str, Any]:
    chart = copy.deepcopy(CHARTS[kind])
    *parents, leaf = path.split(".")
    node = chart
    for key in parents:
        node = node[key]
    if value is KeyError:
        del node[leaf]
    else:
        node[leaf] = value
    return chart


@pytest.mark.parametrize(("chart", "message"), [
    ("not a chart", r"^chart: must be an object"),
    ({"kind": "radar", "title": "t", "data": {}}, r"chart\.kind: must be one of pie, pie_pair"),
    ({"kind": "pie", "title": 3, "data": {}}, r"chart\.title: must be a text"),
    ({"kind": "pie", "title": "t", "data": []}, r"chart\.data: must be an object"),
    (broken("pie", "data.labels", KeyError), r"data\.labels: must be a list"),
    (broken("pie", "data.values", []), r"data\.values: must not be empty"),
    (broken("pie", "data.values", [1, 2]), r"data\.values: must have one value per item of labels \(3\), got 2"),
    (broken("pie", "data.values", [1, "很多", 3]), r"data\.values\[1\]: must be a number"),
    (broken("pie", "data.values", [1, True, 3]), r"data\.values\[1\]: must be a number"),
    (broken("pie", "data.values", [1, math.nan, 3]), r"data\.values\[1\]: must be a finite number"),
    (broken("pie", "data.values", [1, -2, 3]), r"data\.values: must not be negative"),
    (broken("pie", "data.format", "yuan"), r"data\.format: must be one of amount, percent, number"),
    (broken("pie_pair", "data.target", [0.5, 0.5]), r"data\.target: must have one value per item of labels"),
    (broken("fan", "data.bands.p50", KeyError), r"data\.bands\.p50: missing"),
    (broken("fan", "data.bands", {"p50": [1.0] * 21}), r"data\.bands: needs at least one pair"),
    (broken("fan", "data.bands.p95", KeyError), r"data\.bands\.p5: has no matching p95"),
    (broken("fan", "data.bands.high", [1]), r"data\.bands\.high: not a percentile band"),
    (broken("fan", "data.bands.p25", [1, 2]), r"data\.bands\.p25: must have one value per item of x"),
    (broken("fan", "data.target", "高"), r"data\.target: must be a number"),
    (broken("bars", "data.series", {}), r"data\.series: must be an object"),
    (broken("bars", "data.series", {"收益": [1]}), r"data\.series\.收益: must have one value per item of labels"),
    (broken("line", "data.x_label", 5), r"data\.x_label: must be a text"),
    (broken("drawdown", "data.nav", [1.0] * 39 + [0.0]), r"data\.nav: every value must be positive"),
    (broken("drawdown", "data.x", [{"d": 1}] * 40), r"data\.x\[0\]: must be a text or a number"),
    (broken("drawdown", "data.drawdown", [0.0] * 39 + [0.1]), r"data\.drawdown: every value must be zero or negative"),
    (broken("drawdown", "data.drawdown", KeyError), r"data\.drawdown: must be a list"),
])
def test_bad_data_is_refused_naming_the_field(chart: Any, message: str) -> None:
    with pytest.raises(ChartDataError, match=message):
        render(chart)


def test_chart_data_error_is_a_value_error() -> None:
    assert issubclass(ChartDataError, ValueError)


def test_a_fan_of_p10_to_p90_as_calc_reports_it_renders() -> None:
    bands = CHARTS["fan"]["data"]["bands"]
    chart = copy.deepcopy(CHARTS["fan"])
    chart["data"]["bands"] = {"p10": bands["p5"], "p25": bands["p25"], "p50": bands["p50"], "p75": bands["p75"],
                              "p90": bands["p95"]}
    chart["data"]["target"] = None
    assert render(chart)[:8] == draw.PNG_SIGNATURE
