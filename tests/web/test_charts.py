"""The SVG charts: one bar per non-zero value, escaped labels, and mismatched input refused by name."""

from __future__ import annotations

import re

import pytest

from web.charts import column_chart, hbar_chart


def bar_values(svg: str) -> list[float]:
    return [float(v) for v in re.findall(r'class="bar" data-value="([^"]+)"', svg)]


class TestHBarChart:
    def test_one_bar_per_label_longest_for_the_largest_value(self) -> None:
        svg = hbar_chart(["张敏", "李强", "王磊"], [30, 15, 0], "联系")
        assert bar_values(svg) == [30, 15, 0]
        widths = [float(w) for w in re.findall(r'class="bar"[^>]* width="([^"]+)"', svg)]
        assert widths[0] == pytest.approx(2 * widths[1]) and widths[2] == 0

    def test_labels_are_escaped(self) -> None:
        svg = hbar_chart(["<script>"], [1], "t")
        assert "<script>" not in svg and "&lt;script&gt;" in svg

    def test_mismatched_lengths_name_the_field(self) -> None:
        with pytest.raises(ValueError, match="labels"):
            hbar_chart(["a"], [1, 2], "t")


class TestColumnChart:
    def test_stacks_series_and_skips_zero_values(self) -> None:
        svg = column_chart(["11-01", "11-02", "11-03"], {"员工": [1, 0, 2], "客户": [3, 0, 0]}, "日活")
        assert bar_values(svg) == [1, 3, 2]

    def test_mismatched_series_name_the_field(self) -> None:
        with pytest.raises(ValueError, match="series"):
            column_chart(["a", "b"], {"x": [1]}, "t")
