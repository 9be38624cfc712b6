"""Buttons, images, links and cards as Rasa's REST channel sends them (a stub Rasa answers with all of them)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import choose, say, screenshot
from tests.servers import Service
from tests.web.conftest import StubRasa

pytestmark = pytest.mark.browser


def test_every_kind_of_message_is_rendered_and_buttons_send_their_payload(
    page, web_stub: Service, stub_rasa: StubRasa
) -> None:
    choose(page, web_stub.url, "zhangmin")
    say(page, "你好")
    page.wait_for_selector("li.card-msg")
    link = page.locator("li.msg.bot a", has_text="https://example.com/help")
    assert link.get_attribute("href") == "https://example.com/help" and link.get_attribute("target") == "_blank"
    image = page.locator("li.msg.image img")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    card = page.locator("li.card-msg")
    assert "您的财富体检建议书" in card.inner_text() and "三笔钱配置建议已生成" in card.inner_text()
    assert card.locator("a.card-link").get_attribute("href") == "https://example.com/p/abc123"
    assert card.locator("a.card-link").inner_text() == "查看建议书"
    screenshot(page, "05-rich-messages")

    page.locator("li.buttons button", has_text="风险测评").click()
    page.wait_for_function("() => document.querySelectorAll('li.card-msg').length == 2")
    assert stub_rasa.received[-1]["message"] == "/risk_assessment"
    assert stub_rasa.received[-1]["sender"] == "zhangmin"
    assert page.locator("li.msg.user").last.inner_text() == "风险测评"


def test_an_unanswered_message_shows_a_chinese_error(page, web_stub: Service) -> None:
    choose(page, web_stub.url, "zhangmin")
    page.fill("#input", "boom")
    page.click("#send")
    page.wait_for_selector("li.msg.failed")
    assert "稍后再试" in page.inner_text("li.msg.failed")
