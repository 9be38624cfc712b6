"""The shelf at phone width (390x844) in Debian's Chromium driven by Playwright: the filtered list is visible,
nothing is wider than the screen, and the comparison shows its table and chart. Screenshots go to
test-output/screenshots/ (shelf-list.png, shelf-compare.png)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import ROOT, Service
from tests.web.shelf_kit import Cast, prepare_cast, start_shelf_web

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-output" / "screenshots"
PHONE = {"width": 390, "height": 844}
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"

@pytest.fixture(scope="module")
def cast(bank_url: str) -> Cast:
    return prepare_cast(bank_url)


@pytest.fixture(scope="module")
def shelf_web(bank_url: str, cast: Cast) -> Iterator[Service]:
    service = start_shelf_web(bank_url)
    yield service
    service.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for this module only (Playwright's sync API keeps an event loop while it lives)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        assert CHROMIUM.exists(), "Debian's chromium is missing: `make setup-test-system` installs it"
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, shelf_web: Service, cast: Cast) -> Iterator[Any]:
    """A phone-sized page signed in as the C2 client (the demo picker's API sets the cookie)."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN", is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(20_000)
    assert context.request.post(shelf_web.url + "/api/session", data={"sender_id": cast.valid}).ok
    page = context.new_page()
    yield page
    context.close()


def shot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_filtered_list_fits_a_phone(page: Any, shelf_web: Service) -> None:
    page.goto(shelf_web.url + "/shelf")
    page.fill("#q", "有哪些一年以内的R2理财")
    page.click("#search")
    page.wait_for_selector("#shelf-list li.shelf-item")
    items = page.locator("#shelf-list li.shelf-item")
    assert items.count() >= 3 and items.first.is_visible()
    assert "一年以内" in page.inner_text("#understood")
    assert page.evaluate(OVERFLOW) <= 0
    shot(page, "shelf-list")


def test_unsuitable_request_and_comparison_fit_a_phone(page: Any, shelf_web: Service) -> None:
    page.goto(shelf_web.url + "/shelf?q=" + "纯债基金和货币基金")
    boxes = page.locator("#shelf-list input[name=codes]")
    boxes.nth(0).check()
    boxes.last.check()
    page.click("#compare")
    page.wait_for_selector("#compare-table")
    page.wait_for_function("() => { const i = document.querySelector('#compare-chart'); "
                           "return i && i.complete && i.naturalWidth > 0; }")
    assert page.locator("#verdict").is_visible() and "哪个适合我" in page.inner_text("#verdict")
    assert page.evaluate(OVERFLOW) <= 0
    shot(page, "shelf-compare")
    page.goto(shelf_web.url + "/shelf?q=R4的股票基金")
    assert page.locator("#unsuitable").is_visible() and page.evaluate(OVERFLOW) <= 0
