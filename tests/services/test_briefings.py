"""The morning briefing's content over a seeded situation (tests/services/briefing_seed.py): each section proven by
a client put into it, controls kept out, the WeCom limit, and a fixed number of queries however many advisors."""

from __future__ import annotations

import pytest

from bank.db import session_scope
from bank.models import Staff
from services.briefings import (
    TITLES,
    Briefing,
    briefing_for,
    briefing_markdown,
    briefing_text,
    build_briefings,
)
from services.settings import Settings
from tests.services.briefing_seed import AT, Seeded, seed

SETTINGS = Settings()
URL = "http://localhost:8000/briefing?day=2026-12-01"


@pytest.fixture
def seeded(bank_url: str) -> Seeded:
    return seed(bank_url)


@pytest.fixture
def briefing(bank_url: str, seeded: Seeded) -> Briefing:
    with session_scope(bank_url) as session:
        return briefing_for(session, seeded.advisor_id, AT, SETTINGS)


def clients_in(briefing: Briefing, key: str) -> set[int]:
    section = briefing.sections.get(key)
    return {line.client_id for line in section.lines if line.client_id is not None} if section else set()


class TestSections:
    @pytest.mark.parametrize("key", ["maturities", "birthdays", "risk", "next_steps", "pushes", "losses", "drift"])
    def test_the_client_put_into_each_section_is_listed_there_with_an_action(
            self, briefing: Briefing, seeded: Seeded, key: str) -> None:
        client_id, name = seeded.clients[key]
        assert client_id in clients_in(briefing, key)
        line = next(line for line in briefing.sections[key].lines if line.client_id == client_id)
        assert name in line.text and line.action

    @pytest.mark.parametrize("key", ["maturities", "birthdays", "risk", "next_steps"])
    def test_sections_hold_only_what_is_due(self, briefing: Briefing, seeded: Seeded, key: str) -> None:
        assert clients_in(briefing, key) == {seeded.clients[key][0]}

    def test_details_each_line_needs(self, briefing: Briefing, seeded: Seeded) -> None:
        lines = {key: next(x for x in briefing.sections[key].lines if x.client_id == seeded.clients[key][0])
                 for key in seeded.clients}
        assert "12-05到期" in lines["maturities"].text and lines["maturities"].action.startswith("沟通续作")
        assert "12-03生日" in lines["birthdays"].text
        assert "12-10到期" in lines["risk"].text and lines["risk"].action == "邀请重新测评"
        assert lines["next_steps"].action == "12月1日回访，带养老规划"
        assert "-20.0%" in lines["losses"].text and "不建议恐慌赎回" in lines["losses"].action
        assert "11-27推送未回复" in lines["pushes"].text
        assert briefing.sections["mass"].lines[0].text.startswith("1条")

    def test_not_yet_due_and_on_target_clients_stay_out(self, briefing: Briefing, seeded: Seeded) -> None:
        control = seeded.controls["on_target"]
        for key in ("next_steps", "pushes", "drift"):
            assert control not in clients_in(briefing, key)

    def test_another_advisors_client_is_in_their_briefing_only(self, bank_url: str, briefing: Briefing,
                                                              seeded: Seeded) -> None:
        assert seeded.other_advisor_birthday not in clients_in(briefing, "birthdays")
        with session_scope(bank_url) as session:
            everyone = build_briefings(session, [seeded.advisor_id, _staff_id(session, "liqiang")], AT, SETTINGS)
        theirs = next(b for b in everyone.values() if b.advisor_userid == "liqiang")
        assert seeded.other_advisor_birthday in clients_in(theirs, "birthdays")
        assert everyone[seeded.advisor_id].sections.keys() == briefing.sections.keys()


class TestMessage:
    def test_markdown_fits_wecom_and_chat_text_is_the_same_lines(self, briefing: Briefing) -> None:
        text = briefing_markdown(briefing, SETTINGS.briefing_max_lines, URL)
        assert len(text.encode()) <= 2048
        assert text.replace("**", "").replace("[打开](" + URL + ")", URL) == "\n".join(
            briefing_text(briefing, SETTINGS.briefing_max_lines, URL))
        for key in ("maturities", "losses", "next_steps"):
            assert f"**{TITLES[key]}（" in text
        assert text.endswith(f"[打开]({URL})")

    def test_a_crowded_briefing_keeps_fewer_lines_per_section_to_fit(self, briefing: Briefing) -> None:
        for section in briefing.ordered:
            section.lines *= 30
        text = briefing_markdown(briefing, 20, URL)
        assert len(text.encode()) <= 2048 and "另有" in text and text.endswith(f"[打开]({URL})")


def _staff_id(session: object, userid: str) -> int:
    from sqlalchemy import select

    return int(session.scalar(select(Staff.id).where(Staff.wecom_userid == userid)))  # type: ignore[attr-defined]




def test_queries_do_not_grow_with_advisors_or_clients(bank_url: str, seeded: Seeded, statements: list[str]) -> None:
    with session_scope(bank_url) as session:
        from sqlalchemy import select

        everyone = list(session.scalars(select(Staff.id).where(Staff.role == "advisor")))
        statements.clear()
        one = build_briefings(session, [seeded.advisor_id], AT, SETTINGS)
        for_one = len(statements)
        statements.clear()
        all_of_them = build_briefings(session, everyone, AT, SETTINGS)
        for_all = len(statements)
    assert len(all_of_them) == len(everyone) > 5 and one
    assert for_all == for_one <= 12, statements
