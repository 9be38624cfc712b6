"""The chat page in headless Chromium at phone width, talking to the real Rasa server through the web app."""

from __future__ import annotations

import pytest

from bank.db import session_scope
from bank.directory import Identity, demo_identities
from tests.browser.conftest import choose, say, screenshot
from tests.servers import Service

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def people(demo_db_url: str) -> dict[str, Identity]:
    with session_scope(demo_db_url) as session:
        found = demo_identities(session)
    return {role: next(p for p in found if p.role == role) for role in ("advisor", "manager", "client")}


class TestPicker:
    def test_picker_lists_demo_people_with_name_and_role(self, page, web_rasa: Service,
                                                         people: dict[str, Identity]) -> None:
        page.goto(web_rasa.url + "/")
        picker = page.locator("#picker")
        for person in people.values():
            button = picker.locator(f'button.person[data-sender="{person.wecom_id}"]')
            assert person.name in button.inner_text()
        assert "行外客户" in picker.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "01-picker")


class TestConversations:
    def test_client_types_hello_and_sees_the_client_menu(self, page, web_rasa: Service,
                                                         people: dict[str, Identity]) -> None:
        client = people["client"]
        choose(page, web_rasa.url, client.wecom_id)
        assert f"{client.name} · 客户" in page.inner_text("#who")
        reply = say(page, "你好").inner_text()
        assert client.name in reply and "财富体检" in reply and "风险测评" in reply
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "02-client-menu")

    def test_advisor_greets_and_sees_the_advisor_menu_with_their_name(self, page, web_rasa: Service,
                                                                       people: dict[str, Identity]) -> None:
        advisor = people["advisor"]
        choose(page, web_rasa.url, advisor.wecom_id)
        reply = say(page, "早上好呀").inner_text()
        assert reply.startswith(f"{advisor.name}您好") and "客户画像" in reply
        assert page.locator("#dashboard-link").count() == 0
        screenshot(page, "03-advisor-menu")

    def test_non_customer_gets_the_registration_hint(self, page, web_rasa: Service) -> None:
        choose(page, web_rasa.url, None)
        assert "访客 · 行外客户" in page.inner_text("#who")
        assert "暂时没有查到您的登记信息" in say(page, "你好").inner_text()

    def test_switching_identity_returns_to_the_picker(self, page, web_rasa: Service,
                                                      people: dict[str, Identity]) -> None:
        choose(page, web_rasa.url, people["manager"].wecom_id)
        page.click("#switch-identity")
        page.wait_for_selector("#picker")
        assert page.locator("#chat").count() == 0
