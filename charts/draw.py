"""Pure chart drawers: data in, PNG bytes out (~800×500 px, Chinese titles and labels, readable on a phone).

One function per chart kind of the proposal payload: `pie`, `pie_pair`, `fan`, `bars`, `line`, `drawdown`.
They use matplotlib's object API (no pyplot, no global figure) and hold one lock while drawing, because
matplotlib's font caches are not thread-safe and the web app renders in a thread pool.

Value formats (`fmt` arguments): ``"amount"`` — yuan, shown as 3,500 / 12.5万 / 1.2亿; ``"percent"`` — a
fraction shown as 3.5%; ``"number"`` — shown as is.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from matplotlib import dates as mdates
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from charts.fonts import use_cjk_font

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 5.0, 100  # 800 × 500 px
PALETTE = ("#1f6feb", "#f08c00", "#2f9e44", "#c92a2a", "#7048e8", "#0c8599", "#e64980", "#5c940d",
           "#868e96", "#d9480f")
TITLE_SIZE, LABEL_SIZE, TICK_SIZE, LEGEND_SIZE = 22, 18, 17, 16  # shown ~350 px wide on a phone
FORMATS = ("amount", "percent", "number")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_draw_lock = threading.RLock()
F = TypeVar("F", bound=Callable[..., bytes])


def fmt_amount(value: float) -> str:
    """A compact yuan amount for labels: 万 from ten thousand, 亿 from a hundred million.

    >>> fmt_amount(3500), fmt_amount(125000), fmt_amount(1_000_000), fmt_amount(-23456), fmt_amount(123456789)
    ('3,500', '12.5万', '100万', '-2.35万', '1.23亿')
    """
    size = abs(value)
    if size >= 1e8:
        return f"{value / 1e8:.3g}亿"
    if size >= 1e4:
        return f"{value / 1e4:.3g}万" if size < 1e7 else f"{value / 1e4:,.0f}万"
    return f"{value:,.0f}" if float(value).is_integer() or size >= 100 else f"{value:,.2f}"


def fmt_value(value: float, fmt: str = "amount") -> str:
    """A value as a label in one of FORMATS.

    >>> fmt_value(250000), fmt_value(0.035, "percent"), fmt_value(-0.1234, "percent"), fmt_value(1.5, "number")
    ('25万', '3.5%', '-12.3%', '1.50')
    """
    if fmt == "amount":
        return fmt_amount(value)
    if fmt == "percent":
        return f"{value * 100:.1f}%"
    if fmt == "number":
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    raise ValueError(f"fmt: must be one of {', '.join(FORMATS)}, got {fmt!r}")


def parse_x(x: Sequence[Any]) -> list[Any]:
    """X values for an axis: ISO date strings become dates; numbers and other labels stay as they are.

    >>> parse_x(["2026-01-05", "2026-02-05"])
    [datetime.date(2026, 1, 5), datetime.date(2026, 2, 5)]
    >>> parse_x([2026, 2027]), parse_x(["1月", "2月"])
    ([2026, 2027], ['1月', '2月'])
    """
    if x and all(isinstance(v, str) for v in x):
        try:
            return [dt.date.fromisoformat(v[:10]) for v in x]
        except ValueError:
            return list(x)
    return list(x)


def legend_columns(labels: Sequence[str], size: float, most: int = 4) -> int:
    """How many legend entries fit side by side across the figure (CJK characters are about `size` pt wide).

    >>> legend_columns(["现金类", "固收类", "权益类", "保障类"], 18), legend_columns(["活期及货币基金"] * 4, 18)
    (4, 3)
    """
    widest = max((sum(1.0 if ord(ch) > 0x2E80 else 0.6 for ch in str(label)) for label in labels), default=1.0)
    entry = widest * size + 3.2 * size  # text, marker and gap, in points
    return max(1, min(most, len(labels), int(WIDTH_IN * 72 * 0.97 // entry)))


def _locked(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> bytes:
        use_cjk_font()
        with _draw_lock:
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _figure() -> Figure:
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, facecolor="white", layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def _check_len(name: str, values: Sequence[Any], expected: int, of: str) -> None:
    if len(values) != expected:
        raise ValueError(f"{name}: must have one value per item of {of} ({expected}), got {len(values)}")


def _style(ax: Any, title: str, fmt: str, x_label: str = "", y_label: str = "") -> None:
    ax.set_title(title, fontsize=TITLE_SIZE, pad=12)
    ax.tick_params(labelsize=TICK_SIZE)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_value(v, fmt)))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.grid(axis="y", color="#dfe4ea", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if x_label:
        ax.set_xlabel(x_label, fontsize=LABEL_SIZE)
    if y_label:
        ax.set_ylabel(y_label, fontsize=LABEL_SIZE)


def _date_axis(ax: Any, xs: Sequence[Any]) -> None:
    if xs and isinstance(xs[0], dt.date):
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=6))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=True))


def _pie_on(ax: Any, labels: Sequence[str], values: Sequence[float], colors: Sequence[str], empty: str) -> None:
    shown = [(label, value, color) for label, value, color in zip(labels, values, colors, strict=True) if value > 0]
    if not shown:
        ax.pie([1], colors=["#eef1f5"], startangle=90, wedgeprops={"edgecolor": "white"})
        ax.text(0, 0, empty, ha="center", va="center", fontsize=LABEL_SIZE, color="#7a8594")
        return
    ax.pie([v for _, v, _ in shown], colors=[c for _, _, c in shown], startangle=90, counterclock=False,
           autopct=lambda pct: f"{pct:.0f}%" if pct >= 4 else "", pctdistance=0.72,
           textprops={"fontsize": TICK_SIZE, "color": "white", "fontweight": "bold"},
           wedgeprops={"edgecolor": "white", "linewidth": 1.5, "width": 0.55})
    ax.set_aspect("equal")


@_locked
def pie(labels: Sequence[str], values: Sequence[float], title: str, fmt: str = "amount") -> bytes:
    """A ring chart of shares, the legend giving each label with its value (zero values are left out).

    >>> pie(["随时要用的钱", "财富增值的钱", "家庭保障的钱"], [50000, 300000, 20000], "资产配置")[:8] == PNG_SIGNATURE
    True
    """
    _check_len("values", values, len(labels), "labels")
    if any(v < 0 for v in values):
        raise ValueError("values: must not be negative")
    fig = _figure()
    ax = fig.add_subplot()
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(labels))]
    _pie_on(ax, labels, values, colors, "暂无数据")
    total = sum(values)
    legend = [f"{label}  {fmt_value(value, fmt)}" + (f"（{value / total:.0%}）" if total else "")
              for label, value in zip(labels, values, strict=True) if value > 0]
    if legend:
        fig.legend(ax.patches[:len(legend)], legend, loc="outside right center", frameon=False,
                   fontsize=LABEL_SIZE)
    fig.suptitle(title, fontsize=TITLE_SIZE)
    return _png(fig)


@_locked
def pie_pair(labels: Sequence[str], current: Sequence[float], target: Sequence[float], title: str,
             current_title: str = "当前配置", target_title: str = "建议配置") -> bytes:
    """Current and target allocation side by side, one colour per label in both rings, one shared legend.

    >>> png = pie_pair(["现金", "固收", "权益"], [80000, 20000, 0], [0.1, 0.5, 0.4], "配置对比")
    >>> png[:8] == PNG_SIGNATURE
    True
    """
    _check_len("current", current, len(labels), "labels")
    _check_len("target", target, len(labels), "labels")
    if any(v < 0 for v in (*current, *target)):
        raise ValueError("current/target: must not be negative")
    fig = _figure()
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(labels))]
    for position, (values, subtitle) in enumerate(((current, current_title), (target, target_title)), start=1):
        ax = fig.add_subplot(1, 2, position)
        _pie_on(ax, labels, values, colors, "暂无资产")
        ax.set_title(subtitle, fontsize=LABEL_SIZE + 1)
    from matplotlib.patches import Patch

    fig.legend([Patch(color=c) for c in colors], list(labels), loc="outside lower center",
               ncol=legend_columns(labels, LABEL_SIZE), frameon=False, fontsize=LABEL_SIZE)
    fig.suptitle(title, fontsize=TITLE_SIZE)
    return _png(fig)


BAND_KEY = re.compile(r"^p(\d{1,2})$")


def band_pairs(bands: Mapping[str, Sequence[float]]) -> list[tuple[str, str]]:
    """The symmetric percentile pairs of a fan, outermost first; p50 is required.

    >>> band_pairs({"p5": [], "p25": [], "p50": [], "p75": [], "p95": []})
    [('p5', 'p95'), ('p25', 'p75')]
    >>> band_pairs({"p10": [], "p50": [], "p90": []})
    [('p10', 'p90')]
    >>> band_pairs({"p10": [], "p50": []})
    Traceback (most recent call last):
    ...
    ValueError: bands.p10: has no matching p90
    """
    percentiles = {}
    for key in bands:
        match = BAND_KEY.match(key)
        if not match or not 0 < int(match.group(1)) < 100:
            raise ValueError(f"bands.{key}: not a percentile band (use p5 … p95)")
        percentiles[int(match.group(1))] = key
    if 50 not in percentiles:
        raise ValueError("bands.p50: missing (the median line)")
    for p, key in percentiles.items():
        if p != 50 and 100 - p not in percentiles:
            raise ValueError(f"bands.{key}: has no matching p{100 - p}")
    pairs = [(percentiles[p], percentiles[100 - p]) for p in sorted(percentiles) if p < 50]
    if not pairs:
        raise ValueError("bands: needs at least one pair around p50, such as p5/p95 or p10/p90")
    return pairs


@_locked
def fan(x: Sequence[Any], bands: Mapping[str, Sequence[float]], title: str, target: float | None = None,
        x_label: str = "年份", fmt: str = "amount") -> bytes:
    """A projection fan: percentile bands shaded (outermost lightest), the median as a line, an optional target
    as a dashed line.

    `bands` needs p50 and at least one symmetric pair (p5/p95, p10/p90, p25/p75, …).

    >>> bands = {"p5": [10, 11, 12], "p25": [10, 12, 14], "p50": [10, 13, 16], "p75": [10, 14, 18],
    ...          "p95": [10, 16, 22]}
    >>> fan([2026, 2027, 2028], {k: [v * 10000 for v in vs] for k, vs in bands.items()}, "财富预测",
    ...     target=200000)[:8] == PNG_SIGNATURE
    True
    """
    pairs = band_pairs(bands)
    for key, values in bands.items():
        _check_len(f"bands.{key}", values, len(x), "x")
    xs = parse_x(x)
    fig = _figure()
    ax = fig.add_subplot()
    for depth, (low, high) in enumerate(pairs):
        ax.fill_between(xs, bands[low], bands[high], color=PALETTE[0], alpha=min(0.15 * (depth + 1), 0.6),
                        linewidth=0, label=f"{low[1:]}%–{high[1:]}%区间")
    ax.plot(xs, bands["p50"], color=PALETTE[0], linewidth=2.5, label="中位数")
    if target is not None:
        ax.axhline(target, color=PALETTE[3], linestyle="--", linewidth=1.8, label=f"目标 {fmt_value(target, fmt)}")
    _style(ax, title, fmt, x_label=x_label)
    _date_axis(ax, xs)
    last = bands["p50"][-1] if bands["p50"] else None
    if last is not None:
        ax.annotate(fmt_value(last, fmt), (xs[-1], last), textcoords="offset points", xytext=(-4, 8),
                    ha="right", fontsize=TICK_SIZE, color=PALETTE[0])
    ax.legend(loc="upper left", frameon=False, fontsize=LEGEND_SIZE)
    return _png(fig)


@_locked
def bars(labels: Sequence[str], series: Mapping[str, Sequence[float]], title: str, fmt: str = "amount") -> bytes:
    """Grouped bars, one group per label and one colour per series; values printed on the bars when few.

    >>> bars(["近1月", "近3月", "近1年"], {"收益": [1200, -300, 8800]}, "收益")[:8] == PNG_SIGNATURE
    True
    """
    if not series:
        raise ValueError("series: needs at least one series")
    for name, values in series.items():
        _check_len(f"series.{name}", values, len(labels), "labels")
    fig = _figure()
    ax = fig.add_subplot()
    n = len(series)
    width = 0.8 / n
    positions = range(len(labels))
    label_values = len(labels) * n <= 12
    for s, (name, values) in enumerate(series.items()):
        offsets = [p - 0.4 + width * (s + 0.5) for p in positions]
        drawn = ax.bar(offsets, values, width * 0.92, color=PALETTE[s % len(PALETTE)], label=name)
        if label_values:
            ax.bar_label(drawn, labels=[fmt_value(v, fmt) for v in values], padding=3, fontsize=TICK_SIZE - 1)
    ax.axhline(0, color="#8a94a3", linewidth=0.8)
    _style(ax, title, fmt)
    ax.set_xticks(list(positions), list(labels))
    ax.margins(y=0.15)
    if n > 1:
        ax.legend(frameon=False, fontsize=LEGEND_SIZE)
    return _png(fig)


@_locked
def line(x: Sequence[Any], series: Mapping[str, Sequence[float]], title: str, x_label: str = "",
         fmt: str = "amount") -> bytes:
    """One line per series over `x` (numbers, labels or ISO dates), with a legend when there are several;
    a series named like a target (目标…) is dashed.

    >>> line(["2026-01-31", "2026-02-28", "2026-03-31"], {"组合": [1.0, 1.02, 1.05], "基准": [1.0, 1.01, 1.0]},
    ...      "净值走势", fmt="number")[:8] == PNG_SIGNATURE
    True
    """
    if not series:
        raise ValueError("series: needs at least one series")
    for name, values in series.items():
        _check_len(f"series.{name}", values, len(x), "x")
    xs = parse_x(x)
    categorical = bool(xs) and isinstance(xs[0], str)
    positions = list(range(len(xs))) if categorical else xs
    fig = _figure()
    ax = fig.add_subplot()
    for s, (name, values) in enumerate(series.items()):
        ax.plot(positions, values, color=PALETTE[s % len(PALETTE)], linewidth=2.2, label=name,
                linestyle="--" if "目标" in name else "-", marker="o" if len(xs) <= 12 else None)
    _style(ax, title, fmt, x_label=x_label)
    if categorical:
        step = max(1, math.ceil(len(xs) / 8))
        ax.set_xticks(positions[::step], xs[::step])
    else:
        _date_axis(ax, xs)
    if len(series) > 1:
        ax.legend(frameon=False, fontsize=LEGEND_SIZE)
    return _png(fig)


@_locked
def drawdown(x: Sequence[Any], nav: Sequence[float], dd: Sequence[float], title: str) -> bytes:
    """NAV on top and its drawdown `dd` (from calc.performance.drawdown_series) below as a shaded area, the
    maximum drawdown marked and named.

    >>> drawdown(["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08"], [1.0, 1.1, 0.95, 1.02],
    ...          [0.0, 0.0, -0.136, -0.073], "回测净值")[:8] == PNG_SIGNATURE
    True
    """
    _check_len("nav", nav, len(x), "x")
    _check_len("drawdown", dd, len(x), "x")
    if not nav:
        raise ValueError("nav: needs at least one value")
    xs = parse_x(x)
    dd = list(dd)
    worst = min(range(len(dd)), key=dd.__getitem__)
    fig = _figure()
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
    top.plot(xs, nav, color=PALETTE[0], linewidth=2.2, label="净值")
    _style(top, title, "number")
    top.legend(loc="upper left", frameon=False, fontsize=LEGEND_SIZE)
    bottom.fill_between(xs, dd, 0, color=PALETTE[3], alpha=0.35, linewidth=0)
    bottom.plot(xs, dd, color=PALETTE[3], linewidth=1.2)
    _style(bottom, "", "percent")
    bottom.yaxis.set_major_locator(MaxNLocator(nbins=3))
    if dd[worst] < 0:
        right_half = worst > len(dd) / 2
        bottom.annotate(f"最大回撤 {fmt_value(dd[worst], 'percent')}", (xs[worst], dd[worst]),
                        textcoords="offset points", xytext=(-10, 0) if right_half else (10, 0),
                        ha="right" if right_half else "left", va="center", fontsize=TICK_SIZE, color=PALETTE[3],
                        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    bottom.set_ylim(top=0.0)
    if dd[worst] < 0:
        bottom.set_ylim(bottom=dd[worst] * 1.35)
    _date_axis(bottom, xs)
    return _png(fig)
