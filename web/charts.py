"""Server-side SVG charts for the dashboard page: no JavaScript, no build step, readable on a phone.

Each chart is an <svg class="chart"> whose bars are <rect class="bar" data-value="…">, so tests can check
that a chart really shows data.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#1f6feb", "#f08c00", "#2f9e44", "#c92a2a", "#7048e8", "#0c8599")


def _number(value: float) -> str:
    """A compact label for a bar's value.

    >>> _number(3), _number(2.5), _number(27837400)
    ('3', '2.5', '2783.7万')
    """
    if abs(value) >= 10_000:
        return f"{value / 10_000:.1f}万"
    return f"{value:g}"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    label = escape(title)
    return (
        f'<svg class="chart" role="img" aria-label="{label}" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{label}</title>{''.join(body)}</svg>"
    )


def hbar_chart(labels: Sequence[str], values: Sequence[float], title: str, color: str = PALETTE[0]) -> str:
    """Horizontal bars, one row per label, the value printed at the end of each bar.

    >>> svg = hbar_chart(["电访", "面访"], [3, 1], "联系方式")
    >>> svg.count('class="bar"'), 'data-value="3"' in svg
    (2, True)
    """
    if len(labels) != len(values):
        raise ValueError("labels: must have as many items as values")
    width, row, left, right = 360, 26, 92, 56
    height = max(row * len(labels), row) + 8
    top = max(values, default=0) or 1
    body = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 4 + i * row
        length = (width - left - right) * value / top
        body.append(f'<text x="{left - 6}" y="{y + 17}" text-anchor="end" class="axis">{escape(label)}</text>')
        body.append(f'<rect class="bar" data-value="{value:g}" x="{left}" y="{y + 4}" width="{length:.1f}" '
                    f'height="{row - 8}" rx="3" fill="{color}"><title>{escape(label)}：{value:g}</title></rect>')
        body.append(f'<text x="{left + length + 4:.1f}" y="{y + 17}" class="value">{_number(value)}</text>')
    return _svg(width, height, title, body)


def column_chart(labels: Sequence[str], series: dict[str, Sequence[float]], title: str, every: int = 5) -> str:
    """Stacked columns over time (one stack per label), with a legend; every `every`-th label is printed.

    >>> svg = column_chart(["11-01", "11-02"], {"员工": [1, 0], "客户": [2, 3]}, "日活")
    >>> svg.count('class="bar"'), svg.count('class="legend"')
    (3, 2)
    """
    if any(len(values) != len(labels) for values in series.values()):
        raise ValueError("series: every series must have one value per label")
    width, height, left, bottom, top_pad = 360, 190, 28, 34, 22
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    top = max(totals, default=0) or 1
    plot_h = height - bottom - top_pad
    slot = (width - left - 6) / max(len(labels), 1)
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 4}" y2="{height - bottom}" class="grid"/>',
            f'<text x="{left - 4}" y="{top_pad + 4}" text-anchor="end" class="axis">{_number(top)}</text>',
            f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" class="axis">0</text>']
    for s, (name, color) in enumerate(zip(series, PALETTE, strict=False)):
        body.append(f'<rect class="legend" x="{left + s * 70}" y="4" width="10" height="10" fill="{color}"/>'
                    f'<text x="{left + 14 + s * 70}" y="13" class="axis">{escape(name)}</text>')
    for i, label in enumerate(labels):
        x, base = left + i * slot + slot * 0.15, height - bottom
        for (name, values), color in zip(series.items(), PALETTE, strict=False):
            value = values[i]
            if value <= 0:
                continue
            h = plot_h * value / top
            base -= h
            body.append(f'<rect class="bar" data-value="{value:g}" x="{x:.1f}" y="{base:.1f}" '
                        f'width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{color}">'
                        f"<title>{escape(label)} {escape(name)}：{value:g}</title></rect>")
        if i % every == 0 or i == len(labels) - 1:
            anchor, tx = ("end", x + slot * 0.7) if i == len(labels) - 1 else ("middle", x + slot * 0.35)
            body.append(f'<text x="{tx:.1f}" y="{height - bottom + 14}" text-anchor="{anchor}" '
                        f'class="axis">{escape(label)}</text>')
    return _svg(width, height, title, body)
