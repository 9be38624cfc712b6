"""Browser fixtures: Debian's Chromium driven by Playwright, the web app in front of the real Rasa, screenshots."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import ROOT, Service, start_web
from tests.web.conftest import SESSION_SECRET, stub_rasa, web_stub  # noqa: F401  (fixtures reused here)

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-output" / "screenshots"
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[object]:
    """Playwright for the browser package only: its sync API keeps an event loop running while it lives,
    which would break later tests that call asyncio.run()."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.fail("Debian's chromium is missing: run `make setup-test-system` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def page(playwright_driver, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A phone-sized page in a fresh Chromium profile (so no cookie carries over between tests)."""
    context = playwright_driver.chromium.launch_persistent_context(
        user_data_dir=str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
        args=CHROMIUM_ARGS, viewport=PHONE, device_scale_factor=2, locale="zh-CN", is_mobile=True, has_touch=True,
    )
    context.set_default_timeout(20_000)
    page = context.pages[0] if context.pages else context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def web_rasa(demo_db_url: str, rasa_server: Service) -> Iterator[Service]:
    """The web app on the session's demo bank, proxying to the session's real Rasa server."""
    service = start_web(env={"DATABASE_URL": demo_db_url, "RASA_URL": rasa_server.url,
                             "SESSION_SECRET": SESSION_SECRET})
    yield service
    service.stop()


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save a full-page screenshot under test-output/screenshots/ for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def choose(page, base_url: str, sender: str | None) -> None:  # type: ignore[no-untyped-def]
    """Open the chat page and pick the demo identity `sender` (None: the non-customer)."""
    page.goto(base_url + "/")
    selector = "button.person[data-guest]" if sender is None else f'button.person[data-sender="{sender}"]'
    page.click(selector)
    page.wait_for_selector("#chat[data-ready='1']")


def say(page, text: str, replies_before: int | None = None):  # type: ignore[no-untyped-def]
    """Type `text`, press send, wait for the bot's answer; return the last bot bubble."""
    bots = page.locator("li.msg.bot:not(.hint-msg)")
    count = bots.count() if replies_before is None else replies_before
    page.fill("#input", text)
    page.click("#send")
    page.wait_for_function(
        "n => document.querySelectorAll('li.msg.bot:not(.hint-msg):not(.pending)').length > n "
        "&& !document.querySelector('li.msg.pending')", arg=count)
    return bots.last
