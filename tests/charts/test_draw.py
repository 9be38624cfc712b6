"""Every drawer returns an 800×500 PNG that shows something, with Chinese text and no missing glyph."""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from charts import draw
from charts.render import render
from tests.charts.samples import CHARTS

DRAWERS: dict[str, Callable[[], bytes]] = {
    "pie": lambda: draw.pie(["随时要用的钱", "财富增值的钱"], [50000, 250000], "三笔钱"),
    "pie_pair": lambda: draw.pie_pair(["现金", "固收", "权益"], [1, 2, 0], [0.2, 0.5, 0.3], "配置对比"),
    "fan": lambda: draw.fan([2026, 2027, 2028], {"p5": [1e5, 1.0e5, 1.0e5], "p50": [1e5, 1.1e5, 1.2e5],
                                                 "p95": [1e5, 1.3e5, 1.5e5]}, "财富模拟", target=1.4e5),
    "bars": lambda: draw.bars(["近1月", "近1年"], {"收益": [1200, -300]}, "收益"),
    "line": lambda: draw.line(["2026-01-31", "2026-02-28"], {"组合": [1.0, 1.1]}, "净值", fmt="number"),
    "drawdown": lambda: draw.drawdown(["2026-01-05", "2026-01-06", "2026-01-07"], [1.0, 0.9, 1.1],
                                          [0.0, -0.1, 0.0], "回撤"),
}


def image(png: bytes) -> Image.Image:
    assert png[:8] == draw.PNG_SIGNATURE
    picture = Image.open(io.BytesIO(png))
    picture.load()  # raises on a truncated or corrupt file
    return picture


def glyph_warnings(fn: Callable[[], object]) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [str(w.message) for w in caught if "missing from" in str(w.message)]


@pytest.mark.parametrize("kind", sorted(DRAWERS))
def test_each_drawer_returns_an_800_by_500_png_with_content(kind: str) -> None:
    picture = image(DRAWERS[kind]())
    assert picture.format == "PNG" and picture.size == (800, 500)
    colours = picture.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50, "the image is (nearly) blank"


@pytest.mark.parametrize("kind", sorted(CHARTS))
def test_chinese_text_renders_without_missing_glyphs(kind: str) -> None:
    assert glyph_warnings(lambda: render(CHARTS[kind])) == []


def test_the_glyph_check_does_catch_a_font_without_chinese() -> None:
    """Control for the test above: DejaVu Sans alone has no 汉字, and the warning is caught."""

    def without_cjk() -> None:
        fig = Figure(figsize=(2, 1))
        FigureCanvasAgg(fig)
        fig.text(0.1, 0.5, "财富", fontfamily="DejaVu Sans")
        fig.savefig(io.BytesIO(), format="png")

    assert any("missing from font" in message for message in glyph_warnings(without_cjk))


def test_the_data_changes_the_picture() -> None:
    one = draw.bars(["近1月", "近1年"], {"收益": [1200, 300]}, "收益")
    two = draw.bars(["近1月", "近1年"], {"收益": [300, 1200]}, "收益")
    assert one != two


def test_a_pie_of_zeros_still_draws_a_placeholder() -> None:
    assert image(draw.pie_pair(["现金", "权益"], [0, 0], [0.5, 0.5], "配置对比")).size == (800, 500)


@pytest.mark.parametrize(("value", "label"), [(3500, "3,500"), (125000, "12.5万"), (2_000_000, "200万"),
                                              (-45600, "-4.56万"), (350_000_000, "3.5亿"), (12.5, "12.50")])
def test_large_amounts_are_shown_in_wan(value: float, label: str) -> None:
    assert draw.fmt_amount(value) == label


@pytest.mark.parametrize(("call", "field"), [
    (lambda: draw.pie(["a", "b"], [1], "t"), "values"),
    (lambda: draw.pie(["a"], [-1], "t"), "values"),
    (lambda: draw.pie_pair(["a", "b"], [1, 2], [1], "t"), "target"),
    (lambda: draw.fan([1, 2], {"p5": [1, 2], "p95": [1, 2]}, "t"), "bands.p50"),
    (lambda: draw.fan([1, 2], {"p10": [1, 2], "p50": [1, 2]}, "t"), "bands.p10: has no matching p90"),
    (lambda: draw.fan([1, 2], {"p5": [1, 2], "p50": [1], "p95": [1, 2]}, "t"), "bands.p50"),
    (lambda: draw.bars(["a"], {}, "t"), "series"),
    (lambda: draw.line([1, 2], {"x": [1]}, "t"), "series.x"),
    (lambda: draw.drawdown(["2026-01-01"], [1, 2], [0, 0], "t"), "nav"),
    (lambda: draw.drawdown(["2026-01-01"], [1], [0, 0], "t"), "drawdown"),
    (lambda: draw.fmt_value(1, "yuan"), "fmt"),
])
def test_bad_input_is_refused_naming_the_field(call: Callable[[], object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        call()
