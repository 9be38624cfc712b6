"""Render one chart of a proposal payload as PNG bytes, after checking its data.

A chart is ``{"name", "kind", "title", "data"}`` (see bank.proposals). Data by kind:

- ``pie``: ``labels``, ``values``
- ``pie_pair``: ``labels``, ``current``, ``target`` (optional ``current_title``, ``target_title``)
- ``fan``: ``x``, ``bands`` {``p50`` and symmetric pairs such as ``p5``/``p95``, ``p25``/``p75`` or ``p10``/``p90``},
  ``target`` (number or null; optional ``x_label``)
- ``bars``: ``labels``, ``series`` {name: values}
- ``line``: ``x``, ``series`` {name: values} (optional ``x_label``)
- ``drawdown``: ``x`` (dates), ``nav``

Every kind but ``drawdown`` takes an optional ``format``: ``amount`` (yuan, the default; 12.5万), ``percent``
(fractions; 3.5%) or ``number``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from charts import draw

KINDS = ("pie", "pie_pair", "fan", "bars", "line", "drawdown")


class ChartDataError(ValueError):
    """A chart's kind or data cannot be drawn; the message names the offending field."""


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ChartDataError(f"{where}: must be a number, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ChartDataError(f"{where}: must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ChartDataError(f"{where}: must be a finite number, got {value!r}")
    return number


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list | tuple):
        raise ChartDataError(f"{where}.{key}: must be a list")
    if not value:
        raise ChartDataError(f"{where}.{key}: must not be empty")
    return list(value)


def _numbers(data: Mapping[str, Any], key: str, where: str, length: int | None = None,
             of: str = "") -> list[float]:
    values = [_number(v, f"{where}.{key}[{i}]") for i, v in enumerate(_list(data, key, where))]
    if length is not None and len(values) != length:
        raise ChartDataError(f"{where}.{key}: must have one value per item of {of} ({length}), got {len(values)}")
    return values


def _labels(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    labels = _list(data, key, where)
    for i, label in enumerate(labels):
        if isinstance(label, bool) or not isinstance(label, str | int | float):
            raise ChartDataError(f"{where}.{key}[{i}]: must be a text or a number, got {label!r}")
    return labels


def _series(data: Mapping[str, Any], where: str, length: int, of: str) -> dict[str, list[float]]:
    series = data.get("series")
    if not isinstance(series, Mapping) or not series:
        raise ChartDataError(f"{where}.series: must be an object of name → values with at least one series")
    return {str(name): _numbers(series, name, f"{where}.series", length, of) for name in series}


def _fmt(data: Mapping[str, Any], where: str) -> str:
    fmt = data.get("format", "amount")
    if fmt not in draw.FORMATS:
        raise ChartDataError(f"{where}.format: must be one of {', '.join(draw.FORMATS)}, got {fmt!r}")
    return str(fmt)


def _text(data: Mapping[str, Any], key: str, where: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ChartDataError(f"{where}.{key}: must be a text")
    return value


def _pie(data: Mapping[str, Any], title: str) -> bytes:
    labels = _labels(data, "labels", "data")
    values = _numbers(data, "values", "data", len(labels), "labels")
    if any(v < 0 for v in values):
        raise ChartDataError("data.values: must not be negative")
    return draw.pie([str(x) for x in labels], values, title, fmt=_fmt(data, "data"))


def _pie_pair(data: Mapping[str, Any], title: str) -> bytes:
    labels = _labels(data, "labels", "data")
    current = _numbers(data, "current", "data", len(labels), "labels")
    target = _numbers(data, "target", "data", len(labels), "labels")
    if any(v < 0 for v in (*current, *target)):
        raise ChartDataError("data.current/data.target: must not be negative")
    return draw.pie_pair([str(x) for x in labels], current, target, title,
                         current_title=_text(data, "current_title", "data", "当前配置"),
                         target_title=_text(data, "target_title", "data", "建议配置"))


def _fan(data: Mapping[str, Any], title: str) -> bytes:
    x = _labels(data, "x", "data")
    bands = data.get("bands")
    if not isinstance(bands, Mapping):
        raise ChartDataError("data.bands: must be an object with p50 and percentile pairs such as p5/p95")
    try:
        draw.band_pairs(bands)
    except ValueError as error:
        raise ChartDataError(f"data.{error}") from error
    checked = {key: _numbers(bands, key, "data.bands", len(x), "x") for key in bands}
    target = data.get("target")
    return draw.fan(x, checked, title, target=None if target is None else _number(target, "data.target"),
                    x_label=_text(data, "x_label", "data", "年份"), fmt=_fmt(data, "data"))


def _bars(data: Mapping[str, Any], title: str) -> bytes:
    labels = _labels(data, "labels", "data")
    return draw.bars([str(x) for x in labels], _series(data, "data", len(labels), "labels"), title,
                     fmt=_fmt(data, "data"))


def _line(data: Mapping[str, Any], title: str) -> bytes:
    x = _labels(data, "x", "data")
    return draw.line(x, _series(data, "data", len(x), "x"), title, x_label=_text(data, "x_label", "data", ""),
                     fmt=_fmt(data, "data"))


def _drawdown(data: Mapping[str, Any], title: str) -> bytes:
    x = _labels(data, "x", "data")
    nav = _numbers(data, "nav", "data", len(x), "x")
    if any(v <= 0 for v in nav):
        raise ChartDataError("data.nav: every value must be positive")
    drawdowns = _numbers(data, "drawdown", "data", len(x), "x")
    if any(v > 0 for v in drawdowns):
        raise ChartDataError("data.drawdown: every value must be zero or negative")
    return draw.drawdown(x, nav, drawdowns, title)


DRAWERS: dict[str, Callable[[Mapping[str, Any], str], bytes]] = {
    "pie": _pie, "pie_pair": _pie_pair, "fan": _fan, "bars": _bars, "line": _line, "drawdown": _drawdown,
}


def render(chart: Mapping[str, Any]) -> bytes:
    """PNG bytes of one payload chart, dispatching on its ``kind``.

    Raises
    ------
    ChartDataError
        Unknown kind, or data missing, mistyped or of mismatched lengths (the message names the field).

    Examples
    --------
    >>> png = render({"name": "alloc", "kind": "pie", "title": "资产配置",
    ...               "data": {"labels": ["现金", "基金"], "values": [20000, 80000]}})
    >>> png[:8] == draw.PNG_SIGNATURE
    True
    >>> render({"kind": "radar", "title": "t", "data": {}})
    Traceback (most recent call last):
    ...
    charts.render.ChartDataError: chart.kind: must be one of pie, pie_pair, fan, bars, line, drawdown, got 'radar'
    >>> render({"kind": "pie", "title": "t", "data": {"labels": ["a", "b"], "values": [1]}})
    Traceback (most recent call last):
    ...
    charts.render.ChartDataError: data.values: must have one value per item of labels (2), got 1
    """
    if not isinstance(chart, Mapping):
        raise ChartDataError("chart: must be an object with kind, title and data")
    kind = chart.get("kind")
    if kind not in DRAWERS:
        raise ChartDataError(f"chart.kind: must be one of {', '.join(KINDS)}, got {kind!r}")
    title = chart.get("title", "")
    if not isinstance(title, str):
        raise ChartDataError("chart.title: must be a text")
    data = chart.get("data")
    if not isinstance(data, Mapping):
        raise ChartDataError("chart.data: must be an object")
    try:
        return DRAWERS[kind](data, title)
    except ChartDataError:
        raise
    except ValueError as error:  # a drawer's own check (e.g. lengths inside bands)
        raise ChartDataError(f"data: {error}") from error
