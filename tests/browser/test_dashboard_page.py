"""The manager dashboard in headless Chromium: non-empty charts for a manager, a refusal for an advisor."""

from __future__ import annotations

import pytest

from tests.browser.conftest import choose, screenshot
from tests.servers import Service

pytestmark = pytest.mark.browser
PERIOD = "?start=2026-10-30&end=2026-11-28"


def test_manager_opens_the_dashboard_and_sees_non_empty_charts(page, web_stub: Service) -> None:
    choose(page, web_stub.url, "chenjing")
    page.click("#dashboard-link")
    page.wait_for_selector("#dashboard")
    page.goto(web_stub.url + "/dashboard" + PERIOD)
    charts = page.locator("section[data-chart]")
    assert charts.count() == 4
    for i in range(4):
        chart = charts.nth(i)
        box = chart.locator("svg.chart").bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 50
        bars = chart.locator("rect.bar")
        heights = [b.bounding_box()["height"] for b in bars.all()]
        widths = [b.bounding_box()["width"] for b in bars.all()]
        assert sum(1 for h, w in zip(heights, widths, strict=True) if h > 1 and w > 1) >= 2, chart.inner_text()
    assert int(page.inner_text("#kpi-active")) > 0
    assert page.locator("#advisors tbody tr").count() >= 3
    assert page.evaluate("document.querySelector('main').scrollWidth") <= 390
    screenshot(page, "04-manager-dashboard")


def test_advisor_is_refused_the_dashboard(page, web_stub: Service) -> None:
    choose(page, web_stub.url, "zhangmin")
    response = page.goto(web_stub.url + "/dashboard" + PERIOD)
    assert response is not None and response.status == 403
    assert "仅限管理人员" in page.inner_text("#refused")
    assert page.locator("svg.chart").count() == 0
    screenshot(page, "06-advisor-refused")


def test_without_identity_the_dashboard_asks_to_choose_one(page, web_stub: Service) -> None:
    response = page.goto(web_stub.url + "/dashboard")
    assert response is not None and response.status == 401
    assert "请先选择身份" in page.inner_text("#refused")
