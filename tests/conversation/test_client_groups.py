"""Clients as groups in chat (issue 18) over the REST channel, against the real Rasa and action servers: an advisor
tags a client, finds the tag's clients, removes it; lists a segment; ranks clients (checked against
services.segments.rank_clients); another advisor cannot tag the client; a client sees their rewards and redeems
one, and the advisor is told through the outbox."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from bank.db import session_scope
from bank.models import Client, Notification, Staff
from calc import clock
from services.rewards_ledger import REDEEM_KIND
from services.segments import rank_clients, segment, segment_members
from services.tags import tags_of
from services.wealth import client_rewards
from tests.conversation.conftest import Chat, said, texts
from tests.demo_staff import staff

pytestmark = pytest.mark.conversation


def _advisor_id(url: str, userid: str) -> int:
    with session_scope(url) as session:
        found = session.scalar(select(Staff.id).where(Staff.wecom_userid == userid))
        assert found is not None
        return int(found)


@pytest.fixture(scope="module")
def tagged(demo_db_url: str) -> dict[str, Any]:
    """A client of zhangmin's whose name neither zhangmin nor liqiang has twice (nor liqiang at all)."""
    with session_scope(demo_db_url) as session:
        rows = session.execute(select(Client.id, Client.name, Staff.wecom_userid)
                               .join(Staff, Staff.id == Client.advisor_id)).all()
    counts = Counter(name for _, name, _ in rows)
    client_id, name = next((cid, name) for cid, name, adv in sorted(rows, reverse=True)
                           if adv == "zhangmin" and counts[name] == 1 and len(name) >= 2)
    return {"id": client_id, "name": name}


def _tags(url: str, client_id: int) -> list[str]:
    with session_scope(url) as session:
        return tags_of(session, staff(session, "zhangmin"), client_id)


def test_an_advisor_tags_a_client_finds_the_tag_and_removes_it(chat: Chat, tagged: dict[str, Any],
                                                               demo_db_url: str) -> None:
    name = tagged["name"]
    chat("zhangmin", "/restart")
    assert texts(chat("zhangmin", f"给{name}打个标签：高潜")) == [
        said("utter_tags_added", name=name, tag="高潜", tags="高潜")]
    assert texts(chat("zhangmin", f"把{name}标成重点客户")) == [
        said("utter_tags_added", name=name, tag="重点客户", tags="高潜、重点客户")]
    assert _tags(demo_db_url, tagged["id"]) == ["高潜", "重点客户"]
    listed = texts(chat("zhangmin", "我标了高潜的客户有哪些"))
    assert len(listed) == 1 and "标了「高潜」的客户共1位" in listed[0] and name in listed[0]
    assert "尾号" in listed[0] and not re.search(r"\d{11}", listed[0])  # the phone shown by its tail only
    assert texts(chat("zhangmin", f"去掉{name}的高潜标签")) == [
        said("utter_tags_removed", name=name, tag="高潜", tags="重点客户")]
    assert _tags(demo_db_url, tagged["id"]) == ["重点客户"]
    assert texts(chat("zhangmin", "我标了高潜的客户有哪些")) == [
        said("utter_tags_none", tag="高潜", known="重点客户")]


def test_another_advisor_cannot_tag_the_client(chat: Chat, tagged: dict[str, Any], demo_db_url: str) -> None:
    before = _tags(demo_db_url, tagged["id"])
    answer = texts(chat("liqiang", f"给{tagged['name']}打个标签：高潜"))
    assert answer and "已给" not in answer[0] and "高潜" not in answer[0]
    assert _tags(demo_db_url, tagged["id"]) == before


@pytest.mark.parametrize(("text", "segment_id"), [("我的沉睡客户有哪些", "dormant"), ("哪些客户测评过期了", "risk_expired"),
                                                  ("金卡客户名单", "tier_gold")])
def test_a_segment_is_listed_with_its_rule(chat: Chat, demo_db_url: str, text: str, segment_id: str) -> None:
    with session_scope(demo_db_url) as session:
        members = segment_members(session, _advisor_id(demo_db_url, "zhangmin"), segment_id, clock.today())
    seg = segment(segment_id)
    answer = texts(chat("zhangmin", text))
    assert len(answer) == 1 and f"【{seg.name}】" in answer[0]
    if members:
        assert f"共{len(members)}位" in answer[0]
        assert all(m.name in answer[0] for m in members[:10])
        assert len(answer[0].splitlines()) <= 12


@pytest.mark.parametrize(("text", "by", "count"), [("健康分最低的十个客户", "health", 10),
                                                   ("亏得最多的五个客户", "loss", 5)])
def test_a_ranking_matches_the_services_ranking(chat: Chat, demo_db_url: str, text: str, by: str,
                                                count: int) -> None:
    with session_scope(demo_db_url) as session:
        ranked = rank_clients(session, _advisor_id(demo_db_url, "zhangmin"), by, count)  # type: ignore[arg-type]
    assert ranked
    answer = texts(chat("zhangmin", text))
    assert len(answer) == 1
    lines = answer[0].splitlines()[1:]
    assert len(lines) == len(ranked) <= count
    for n, (line, member) in enumerate(zip(lines, ranked, strict=True), start=1):
        assert line.startswith(f"{n}. {member.name}（{member.phone_tail}）"), (line, member)


def test_a_client_asking_for_a_ranking_is_refused(chat: Chat, demo_db_url: str) -> None:
    with session_scope(demo_db_url) as session:
        sender = session.scalar(select(Client.wecom_external_userid).where(
            Client.wecom_external_userid.is_not(None)).order_by(Client.id.desc()).limit(1))
    assert texts(chat(str(sender), "健康分最低的十个客户")) == [said("utter_adv_staff_only")]


@pytest.fixture(scope="module")
def rewarded(demo_db_url: str) -> dict[str, Any]:
    """A client (far from the ones other tests use) who has earned the tier-up benefit."""
    with session_scope(demo_db_url) as session:
        rows = session.execute(select(Client.id, Client.wecom_external_userid, Staff.wecom_userid)
                               .join(Staff, Staff.id == Client.advisor_id)
                               .where(Client.wecom_external_userid.is_not(None)).order_by(Client.id)).all()
        for client_id, sender, advisor in rows[150:]:
            if any(r.code == "tier_up" for r in client_rewards(session, client_id, clock.today()).earned):
                return {"id": client_id, "sender": sender, "advisor": advisor}
    raise AssertionError("no demo client earned a tier upgrade")


def _redeemed_notices(url: str, advisor: str) -> list[str]:
    with session_scope(url) as session:
        return list(session.scalars(select(Notification.text).where(
            Notification.recipient == advisor, Notification.kind == REDEEM_KIND).order_by(Notification.id)))


def test_a_client_sees_their_rewards_and_redeems_one_and_the_advisor_is_told(
        chat: Chat, rewarded: dict[str, Any], demo_db_url: str) -> None:
    answer = texts(chat(rewarded["sender"], "我有什么权益可以用"))
    assert len(answer) == 1 and "可兑换的权益" in answer[0] and "升级礼遇" in answer[0] and "有效" in answer[0]
    assert len(answer[0].splitlines()) <= 15
    before = _redeemed_notices(demo_db_url, rewarded["advisor"])
    replies = texts(chat(rewarded["sender"], "我要用那张申购费券"))
    assert replies == [said("utter_rewards_redeemed", name="升级礼遇",
                            gives="基金申购费1折券1张（单笔申购可用，最高抵扣500元）")]
    after = _redeemed_notices(demo_db_url, rewarded["advisor"])
    assert len(after) == len(before) + 1 and "升级礼遇" in after[-1]
    with session_scope(demo_db_url) as session:
        client = session.get(Client, rewarded["id"])
        assert client is not None and client.name in after[-1] and (client.phone or "") not in after[-1]
        assert session.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == REDEEM_KIND, Notification.recipient == rewarded["advisor"])) == len(after)
    again = texts(chat(rewarded["sender"], "我的权益"))
    assert "最近兑换：升级礼遇" in again[0]
