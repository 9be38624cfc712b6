"""The manager dashboard page shows how many of the briefings' reminders the team acted on, by advisor and by kind
(services/reminders.py), against the real app under uvicorn on a private bank copy (clock pinned after every
window closed)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.servers import Service, start_web
from tests.services.test_conversion import Situation, seed_conversion
from tests.web.conftest import SESSION_SECRET, signed_in

PERIOD = {"start": "2026-12-01", "end": "2026-12-07"}


@pytest.fixture(scope="module")
def situation(bank_url: str) -> Situation:
    return seed_conversion(bank_url)


@pytest.fixture(scope="module")
def web(bank_url: str, situation: Situation) -> Iterator[Service]:
    service = start_web(env={"DATABASE_URL": bank_url, "SESSION_SECRET": SESSION_SECRET,
                             "CLOCK_NOW": "2026-12-31T10:00:00"})
    yield service
    service.stop()


@pytest.fixture
def browser(web: Service) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web.url, timeout=60.0) as http:
        yield http


def cells(page: str, attribute: str, value: object) -> list[str]:
    """The cells of the table row marked `attribute="value"`."""
    row = re.search(rf'<tr {attribute}="{value}">(.*?)</tr>', page, re.S)
    assert row is not None, f"{attribute}={value}"
    return [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


def test_the_page_shows_the_conversion_by_advisor_and_by_kind(browser: httpx.Client, situation: Situation) -> None:
    page = signed_in(browser, "chenjing").get("/dashboard", params=PERIOD)
    assert page.status_code == 200 and 'id="conversion"' in page.text
    assert "待办提醒跟进率：57.1%" in page.text and "3 个工作日内" in page.text
    assert cells(page.text, "data-staff", situation.zhangmin) == ["张敏", "5", "3", "60.0%", "0"]
    assert cells(page.text, "data-staff", situation.liqiang) == ["李强", "2", "1", "50.0%", "0"]
    quiet = [sid for sid in situation.team if sid not in (situation.zhangmin, situation.liqiang)]
    assert quiet and all(cells(page.text, "data-staff", sid)[1:4] == ["0", "0", "—"] for sid in quiet)
    assert cells(page.text, "data-kind", "maturities") == ["到期", "2", "2", "100.0%", "0"]
    assert cells(page.text, "data-kind", "birthdays") == ["生日", "1", "0", "0.0%", "0"]


def test_the_json_carries_the_same_figures(browser: httpx.Client, situation: Situation) -> None:
    figures = signed_in(browser, "chenjing").get("/api/dashboard/team", params=PERIOD).json()["conversion"]
    assert figures["total"] == {"reminded": 7, "acted": 4, "open": 0, "rate": 57.1}
    assert [row["staff_id"] for row in figures["by_advisor"]] == situation.team


def test_the_other_team_sees_none_of_it(browser: httpx.Client) -> None:
    page = signed_in(browser, "zhaoli").get("/dashboard", params=PERIOD)
    assert page.status_code == 200 and "待办提醒跟进率：—" in page.text and 'id="conversion-kinds"' not in page.text
