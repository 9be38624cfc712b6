"""Clients as groups in chat (actions/advisor/groups.py) and redeeming a benefit (actions/client/wealth.py): tags on
the advisor's own clients only, lists by tag and segment, rankings as services.segments ranks them, and a
redemption done once per message with the advisor told."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from actions.advisor.groups import ActionClientGroup, ActionRankClients, ActionTagClient, member_lines
from actions.client.wealth import ActionMyRewards, ActionRedeemReward
from bank.db import session_scope
from bank.models import Client, Notification, Staff
from calc import clock
from services.rewards_ledger import REDEEM_KIND
from services.segments import rank_clients, segment_members
from services.tags import tags_of
from services.wealth import client_rewards
from tests.actions.kit import make_tracker, run_action
from tests.demo_staff import staff


def responses(messages: list[dict[str, Any]]) -> list[object]:
    return [m.get("response") for m in messages]


def unique_client(url: str, advisor: str) -> tuple[int, str]:
    """A client of `advisor` whose name no other client of theirs shares."""
    with session_scope(url) as session:
        advisor_id = session.scalar(select(Staff.id).where(Staff.wecom_userid == advisor))
        rows = session.execute(select(Client.id, Client.name).where(Client.advisor_id == advisor_id)
                               .order_by(Client.id)).all()
    counts = Counter(name for _, name in rows)
    return next((cid, name) for cid, name in rows if counts[name] == 1 and len(name) >= 2)


def test_an_advisor_tags_lists_and_untags_their_own_client(bank_env: str) -> None:
    client_id, name = unique_client(bank_env, "zhangmin")
    messages, _ = run_action(ActionTagClient(), make_tracker("zhangmin", f"给{name}打个标签：高潜", "tag_client"))
    assert responses(messages) == ["utter_tags_added"] and messages[0]["tag"] == "高潜"
    with session_scope(bank_env) as session:
        assert tags_of(session, staff(session, "zhangmin"), client_id) == ["高潜"]
    messages, _ = run_action(ActionTagClient(), make_tracker("zhangmin", f"给{name}打个标签：高潜", "tag_client"))
    assert responses(messages) == ["utter_tags_already"]
    messages, _ = run_action(ActionClientGroup(), make_tracker("zhangmin", "我标了高潜的客户有哪些",
                                                                    "list_client_group"))
    assert responses(messages) == ["utter_tags_list"] and messages[0]["count"] == 1 and name in messages[0]["items"]
    messages, _ = run_action(ActionTagClient(), make_tracker("zhangmin", f"去掉{name}的高潜标签", "untag_client"))
    assert responses(messages) == ["utter_tags_removed"]
    with session_scope(bank_env) as session:
        assert tags_of(session, staff(session, "zhangmin"), client_id) == []


def test_another_advisors_client_cannot_be_tagged(bank_env: str) -> None:
    client_id, name = unique_client(bank_env, "zhangmin")
    messages, _ = run_action(ActionTagClient(), make_tracker("liqiang", f"给{name}打个标签：高潜", "tag_client"))
    assert responses(messages) in (["utter_adv_client_not_found"], ["utter_adv_did_you_mean"])
    with session_scope(bank_env) as session:
        assert tags_of(session, staff(session, "zhangmin"), client_id) == []


@pytest.mark.parametrize(("sender", "response"), [("chenjing", "utter_tags_advisor_only")])
def test_a_manager_reads_tags_but_writes_none(bank_env: str, sender: str, response: str) -> None:
    _, name = unique_client(bank_env, "zhangmin")
    messages, _ = run_action(ActionTagClient(), make_tracker(sender, f"给{name}打个标签：高潜", "tag_client"))
    assert responses(messages) == [response]


def test_a_client_is_refused_politely(bank_env: str) -> None:
    with session_scope(bank_env) as session:
        sender = session.scalar(select(Client.wecom_external_userid).where(
            Client.wecom_external_userid.is_not(None)).order_by(Client.id).limit(1))
    messages, _ = run_action(ActionRankClients(), make_tracker(str(sender), "健康分最低的十个客户", "rank_clients"))
    assert responses(messages) == ["utter_adv_staff_only"]


def test_a_segment_lists_the_advisors_members(bank_env: str) -> None:
    messages, _ = run_action(ActionClientGroup(), make_tracker("zhangmin", "我的沉睡客户有哪些", "list_client_group"))
    with session_scope(bank_env) as session:
        members = segment_members(session, staff(session, "zhangmin").staff_id or 0, "dormant", clock.today())
    if members:
        assert responses(messages) == ["utter_segments_list"] and messages[0]["count"] == len(members)
        assert messages[0]["items"] == member_lines(members)
    else:
        assert responses(messages) == ["utter_segments_empty"]


@pytest.mark.parametrize(("text", "by", "count"), [("亏得最多的五个客户", "loss", 5), ("健康分最低的十个客户", "health", 10),
                                                   ("配置偏离最大的客户", "drift", 10)])
def test_a_ranking_is_the_services_ranking(bank_env: str, text: str, by: str, count: int) -> None:
    messages, _ = run_action(ActionRankClients(), make_tracker("zhangmin", text, "rank_clients"))
    with session_scope(bank_env) as session:
        ranked = rank_clients(session, staff(session, "zhangmin").staff_id or 0, by, count)  # type: ignore[arg-type]
    if not ranked:  # drift needs a check-up's target, which the demo bank may not have
        assert responses(messages) == ["utter_rank_empty"]
        return
    assert responses(messages) == ["utter_rank_list"] and messages[0]["items"] == member_lines(ranked, limit=count)
    assert len(str(messages[0]["items"]).splitlines()) <= 12


def rewarded_client(url: str) -> tuple[int, str, str]:
    """A client who has earned the tier-up benefit: (id, external userid, advisor's userid)."""
    with session_scope(url) as session:
        rows = session.execute(select(Client.id, Client.wecom_external_userid, Staff.wecom_userid)
                               .join(Staff, Staff.id == Client.advisor_id)
                               .where(Client.wecom_external_userid.is_not(None)).order_by(Client.id)).all()
        for client_id, sender, advisor in rows[60:]:
            if any(r.code == "tier_up" for r in client_rewards(session, client_id, clock.today()).earned):
                return client_id, str(sender), str(advisor)
    raise AssertionError("no demo client earned a tier upgrade")


def test_a_client_sees_and_redeems_a_benefit_once_per_message(bank_env: str) -> None:
    _, sender, advisor = rewarded_client(bank_env)
    messages, _ = run_action(ActionMyRewards(), make_tracker(sender, "我有什么权益可以用", "my_rewards"))
    assert "升级礼遇" in messages[0]["text"] and "申购费" in messages[0]["text"]
    assert len(messages[0]["text"].splitlines()) <= 15
    tracker = make_tracker(sender, "我要用那张申购费券", "redeem_reward")
    tracker.latest_message["message_id"] = "msg-redeem-1"
    first, _ = run_action(ActionRedeemReward(), tracker)
    again, _ = run_action(ActionRedeemReward(), tracker)  # the same message replayed
    assert responses(first) == responses(again) == ["utter_rewards_redeemed"]
    assert first[0]["name"] == again[0]["name"] == "升级礼遇"
    with session_scope(bank_env) as session:
        told = session.scalar(select(func.count()).select_from(Notification).where(
            Notification.recipient == advisor, Notification.kind == REDEEM_KIND))
    assert told == 1
    later = make_tracker(sender, "我要用那张申购费券", "redeem_reward")
    later.latest_message["message_id"] = "msg-redeem-2"
    messages, _ = run_action(ActionRedeemReward(), later)
    assert responses(messages) in (["utter_rewards_nothing_to_redeem"], ["utter_rewards_which"])


def test_staff_cannot_redeem(bank_env: str) -> None:
    messages, _ = run_action(ActionRedeemReward(), make_tracker("zhangmin", "兑换沙龙席位", "redeem_reward"))
    assert responses(messages) == ["utter_wealth_staff_only_clients"]
