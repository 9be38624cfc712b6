"""A proposal page in headless Chromium at phone width: heading, every chart image loaded, no sideways scroll."""

from __future__ import annotations

import datetime as dt

import pytest

from bank.db import session_scope
from bank.proposals import create_proposal, proposal_path
from tests.browser.conftest import PHONE, screenshot
from tests.charts.samples import CHARTS, payload
from tests.servers import Service

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def tokens(demo_db_url: str) -> dict[str, str]:
    now = dt.datetime.now()
    with session_scope(demo_db_url) as session:
        live = create_proposal(session, kind="checkup", payload=payload(), now=now)
        expired = create_proposal(session, kind="plan_investment", payload=payload(), now=now - dt.timedelta(days=60))
        return {"live": live.share_token, "expired": expired.share_token}


def test_the_proposal_page_renders_with_every_chart_on_a_phone(page, web_stub: Service,
                                                                tokens: dict[str, str]) -> None:
    response = page.goto(web_stub.url + proposal_path(tokens["live"]))
    assert response is not None and response.status == 200
    assert page.inner_text("h1#proposal-title") == "您的财富体检报告"
    images = page.locator("figure.chart-figure img")
    assert images.count() == len(CHARTS)
    page.wait_for_function("[...document.querySelectorAll('figure.chart-figure img')].every(i => i.complete)")
    widths = page.eval_on_selector_all("figure.chart-figure img", "imgs => imgs.map(i => i.naturalWidth)")
    assert widths == [800] * len(CHARTS), widths
    shown = images.first.bounding_box()
    assert shown is not None and 300 < shown["width"] <= PHONE["width"]
    assert "理财非存款" in page.inner_text("#risk-notice")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # paint the images below the fold
    page.wait_for_timeout(300)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar back at the top of the full-page shot
    screenshot(page, "20-proposal-page")


def test_an_expired_proposal_says_so_in_chinese(page, web_stub: Service, tokens: dict[str, str]) -> None:
    response = page.goto(web_stub.url + proposal_path(tokens["expired"]))
    assert response is not None and response.status == 410
    assert "链接已过期" in page.inner_text("#refused")
    assert page.locator("figure.chart-figure img").count() == 0
    screenshot(page, "21-proposal-expired")
