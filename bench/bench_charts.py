"""Benchmark charts/: time to render each chart kind as PNG, against an empty figure's savefig.

Run from the repo root: .venv/bin/python bench/bench_charts.py
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bench.timing import timed
from charts import draw
from charts.fonts import use_cjk_font
from charts.render import render
from tests.charts.samples import CHARTS

REPEAT = 20


def empty_figure() -> bytes:
    """The floor: an empty 800×500 figure saved as PNG."""
    fig = Figure(figsize=(draw.WIDTH_IN, draw.HEIGHT_IN), dpi=draw.DPI)
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def main() -> None:
    use_cjk_font()
    rows = [("empty figure savefig (baseline)", timed(empty_figure, REPEAT), len(empty_figure()))]
    for kind, chart in CHARTS.items():
        size = len(render(chart))
        rows.append((f"{kind} ({len(next(iter(chart['data'].values())))} points)",
                     timed(lambda chart=chart: render(chart), REPEAT), size))
    base = rows[0][1]
    print(f"| chart (800×500 PNG, median of {REPEAT}) | median ms | ratio vs baseline | PNG KB |")
    print("|---|---:|---:|---:|")
    for name, ms, size in rows:
        print(f"| {name} | {ms:.1f} | {ms / base:.1f} | {size / 1024:.0f} |")


if __name__ == "__main__":
    main()
