"""services.sharing: an advisor shares a proposal, a push or a knowledge item with one client — access, validity,
suitability, the outbox row and the contact row written together, and no second send of the same item."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bank.db import session_scope
from bank.directory import Identity, who_is
from bank.models import Client, Contact, InboxMessage, Notification, PortfolioPush, Staff
from bank.proposals import create_proposal
from services import sharing
from services.pushes import push_portfolio
from services.sharing import SHARE_KIND, SharedItem, ShareRefused, resolve_client, share_with_client
from tests.services.push_cast import NOW, Cast

STEADY = "稳健组合"  # R2
NEWS = "news-2026-10-08-lpr"  # audience all
INTERNAL = "suitability-rules"  # audience advisor
R4_SHEET = "product-EF001"  # 远航消费升级股票, R4
PRODUCT_R2 = {"code": "BF001", "name": "远航纯债债券A", "risk_level": "R2", "category": "债券基金", "why": "稳"}
PRODUCT_R4 = {"code": "EF001", "name": "远航消费升级股票", "risk_level": "R4", "category": "股票基金", "why": "增值"}


@pytest.fixture
def session(copy_session: Session) -> Session:
    """This test's private bank (tests/demo_staff.py)."""
    return copy_session


def proposal(session: Session, client_id: int | None, products: list[dict[str, str]] = (), *,  # type: ignore[assignment]
             created: dt.datetime = NOW, ttl_days: int = 30) -> str:
    payload = {"title": "财富体检报告", "subject": "王**", "products": list(products)}
    return create_proposal(session, kind="checkup", payload=payload, client_id=client_id, now=created,
                           ttl_days=ttl_days).share_token


def external(session: Session, client_id: int) -> str:
    client = session.get(Client, client_id)
    assert client is not None and client.wecom_external_userid
    return client.wecom_external_userid


def shares(session: Session, client_id: int) -> list[Notification]:
    return list(session.scalars(select(Notification).where(
        Notification.recipient == external(session, client_id), Notification.kind == SHARE_KIND)))


def contacts(session: Session, client_id: int) -> list[Contact]:
    return list(session.scalars(select(Contact).where(Contact.client_id == client_id, Contact.happened_at == NOW)))


def staff(session: Session, userid: str) -> Identity:
    ident = who_is(session, userid)
    assert ident is not None
    return ident


class TestProposal:
    def test_the_clients_proposal_goes_to_the_outbox_and_is_recorded_as_a_contact(
            self, session: Session, cast: Cast) -> None:
        client_id = cast.suitable[0]
        token = proposal(session, client_id, [PRODUCT_R2])
        result = share_with_client(session, cast.advisor, client_id, SharedItem("proposal", token), NOW)
        assert result.status == "sent" and result.label == "建议书《财富体检报告》"
        [note] = shares(session, client_id)
        assert note.id == result.notification_id and note.state == "pending" and note.priority == 1
        assert note.card["url"].endswith(f"/proposals/{token}") and note.card["share"] == f"proposal:{token}"
        assert "张敏" in note.text and "《财富体检报告》" in note.text and "12月28日前有效" in note.text
        assert len(note.text) <= 120
        [contact] = contacts(session, client_id)
        assert contact.id == result.contact_id and contact.advisor_id == cast.advisor.staff_id
        assert contact.kind == "message" and contact.note == "企业微信发送建议书《财富体检报告》"
        assert result.route == "mass" and "群发助手" in result.message

    def test_a_generic_proposal_may_go_to_any_of_the_advisors_clients(self, session: Session, cast: Cast) -> None:
        token = proposal(session, None)
        assert share_with_client(session, cast.advisor, cast.suitable[1], SharedItem("proposal", token),
                                 NOW).status == "sent"

    def test_another_clients_proposal_is_refused(self, session: Session, cast: Cast) -> None:
        token = proposal(session, cast.suitable[0])
        with pytest.raises(ShareRefused) as refused:
            share_with_client(session, cast.advisor, cast.suitable[1], SharedItem("proposal", token), NOW)
        assert refused.value.code == "other_client" and "其他客户" in refused.value.reason
        assert shares(session, cast.suitable[1]) == []

    def test_an_expired_proposal_is_refused(self, session: Session, cast: Cast) -> None:
        token = proposal(session, cast.suitable[0], created=NOW - dt.timedelta(days=31))
        with pytest.raises(ShareRefused) as refused:
            share_with_client(session, cast.advisor, cast.suitable[0], SharedItem("proposal", token), NOW)
        assert refused.value.code == "expired" and "过期" in refused.value.reason
        assert shares(session, cast.suitable[0]) == [] and contacts(session, cast.suitable[0]) == []

    def test_an_unknown_token_is_not_found(self, session: Session, cast: Cast) -> None:
        with pytest.raises(ShareRefused) as refused:
            share_with_client(session, cast.advisor, cast.suitable[0], SharedItem("proposal", "x" * 32), NOW)
        assert refused.value.code == "not_found"


class TestSuitability:
    def test_a_product_above_the_clients_level_is_never_offered(self, session: Session, cast: Cast) -> None:
        token = proposal(session, cast.low_risk, [PRODUCT_R2, PRODUCT_R4])  # the client is C1
        with pytest.raises(ShareRefused) as refused:
            share_with_client(session, cast.advisor, cast.low_risk, SharedItem("proposal", token), NOW)
        assert refused.value.code == "unsuitable" and "C1" in refused.value.reason and "R4" in refused.value.reason
        assert shares(session, cast.low_risk) == [] and contacts(session, cast.low_risk) == []

    def test_products_need_a_valid_assessment(self, session: Session, cast: Cast) -> None:
        token = proposal(session, cast.expired, [PRODUCT_R2])  # assessed two years ago
        with pytest.raises(ShareRefused) as refused:
            share_with_client(session, cast.advisor, cast.expired, SharedItem("proposal", token), NOW)
        assert refused.value.code == "unsuitable" and "过期" in refused.value.reason

    def test_a_proposal_without_products_needs_no_assessment(self, session: Session, cast: Cast) -> None:
        token = proposal(session, cast.expired)
        assert share_with_client(session, cast.advisor, cast.expired, SharedItem("proposal", token),
                                 NOW).status == "sent"

    def test_the_catalogues_level_counts_not_the_stored_copy(self, session: Session, cast: Cast) -> None:
        understated = {**PRODUCT_R4, "risk_level": "R1"}  # the payload says R1; the catalogue says R4
        token = proposal(session, cast.suitable[0], [understated])
        with pytest.raises(ShareRefused, match="R4"):
            share_with_client(session, cast.advisor, cast.suitable[0], SharedItem("proposal", token), NOW)


    def test_a_product_gone_from_the_catalogue_is_checked_at_its_stored_level(
            self, session: Session, cast: Cast) -> None:
        gone = {"code": "ZZ999", "name": "已下架的股票基金", "risk_level": "R4"}
        token = proposal(session, cast.suitable[0], [gone])  # the client is C3
        with pytest.raises(ShareRefused, match="已下架的股票基金"):
            share_with_client(session, cast.advisor, cast.suitable[0], SharedItem("proposal", token), NOW)

class TestPush:
    def pushed(self, session: Session, cast: Cast, client_id: int) -> str:
        result = push_portfolio(session, cast.advisor, STEADY, [client_id], Decimal("50000"), NOW)
        [sent] = result.sent
        return sent.task_id

    def test_a_push_goes_to_its_client_with_their_sign_in_link(self, session: Session, cast: Cast) -> None:
        task_id = self.pushed(session, cast, cast.suitable[0])
        result = share_with_client(session, cast.advisor, cast.suitable[0], SharedItem("push", task_id), NOW)
        [note] = shares(session, cast.suitable[0])
        assert result.status == "sent" and "稳健组合" in result.label
        assert "/auth/link/" in note.card["url"] and "50,000" in note.text and "12月5日前有效" in note.text

    def test_the_advisors_push_to_another_client_shares_the_portfolio_page(self, session: Session, cast: Cast) -> None:
        task_id = self.pushed(session, cast, cast.suitable[0])
        portfolio_id = session.scalar(select(PortfolioPush.portfolio_id).where(PortfolioPush.task_id == task_id))
        share_with_client(session, cast.advisor, cast.suitable[1], SharedItem("push", task_id), NOW)
        [note] = shares(session, cast.suitable[1])
        assert note.card["url"].endswith(f"/portfolios/{portfolio_id}") and "task" not in note.text
        assert "50,000" not in note.text  # nothing of the other client's push

    def test_a_push_of_a_portfolio_above_the_clients_level_is_refused(self, session: Session, cast: Cast) -> None:
        task_id = self.pushed(session, cast, cast.suitable[0])  # R2, to a C3 client
        with pytest.raises(ShareRefused) as refused:
            share_with_client(session, cast.advisor, cast.low_risk, SharedItem("push", task_id), NOW)
        assert refused.value.code == "unsuitable" and "R2" in refused.value.reason

    def test_another_advisors_push_is_not_found(self, session: Session, cast: Cast) -> None:
        task_id = self.pushed(session, cast, cast.suitable[0])
        liqiang = session.scalar(select(Staff.id).where(Staff.wecom_userid == "liqiang"))
        session.execute(PortfolioPush.__table__.update().where(PortfolioPush.task_id == task_id)
                        .values(advisor_id=liqiang))
        with pytest.raises(ShareRefused) as refused:
            share_with_client(session, cast.advisor, cast.suitable[1], SharedItem("push", task_id), NOW)
        assert refused.value.code == "not_found"

    def test_an_expired_push_is_refused(self, session: Session, cast: Cast) -> None:
        task_id = self.pushed(session, cast, cast.suitable[0])
        with pytest.raises(ShareRefused) as refused:
            share_with_client(session, cast.advisor, cast.suitable[0], SharedItem("push", task_id),
                              NOW + dt.timedelta(days=8))
        assert refused.value.code == "expired"


class TestKnowledge:
    def test_a_client_safe_item_goes_with_title_summary_and_source(
            self, session: Session, cast: Cast, knowledge_dir: Path) -> None:
        result = share_with_client(session, cast.advisor, cast.suitable[0], SharedItem("knowledge", NEWS), NOW,
                                   index_dir=knowledge_dir)
        [note] = shares(session, cast.suitable[0])
        assert result.label == "资讯《10月LPR报价维持不变（演示内容）》"
        assert "《10月LPR报价维持不变（演示内容）》" in note.text and "LPR" in note.text.split("\n")[1]
        assert "来源：本行资讯（2026-10-08）" in note.text and len(note.text) <= 200
        assert note.card == {"share": f"knowledge:{NEWS}"} and note.priority == 2

    def test_advisor_only_material_is_refused(self, session: Session, cast: Cast, knowledge_dir: Path) -> None:
        with pytest.raises(ShareRefused) as refused:
            share_with_client(session, cast.advisor, cast.suitable[0], SharedItem("knowledge", INTERNAL), NOW,
                              index_dir=knowledge_dir)
        assert refused.value.code == "internal_only" and "内部资料" in refused.value.reason

    def test_a_product_sheet_above_the_clients_level_is_refused(
            self, session: Session, cast: Cast, knowledge_dir: Path) -> None:
        with pytest.raises(ShareRefused) as refused:
            share_with_client(session, cast.advisor, cast.suitable[0], SharedItem("knowledge", R4_SHEET), NOW,
                              index_dir=knowledge_dir)  # C3 client, R4 fund
        assert refused.value.code == "unsuitable" and "R4" in refused.value.reason

    def test_an_unknown_document_is_not_found(self, session: Session, cast: Cast, knowledge_dir: Path) -> None:
        with pytest.raises(ShareRefused, match="没有找到"):
            share_with_client(session, cast.advisor, cast.suitable[0], SharedItem("knowledge", "no-such-doc"), NOW,
                              index_dir=knowledge_dir)


class TestAccess:
    def test_another_advisors_client_is_refused_with_a_reason(self, session: Session, cast: Cast) -> None:
        token = proposal(session, None)
        with pytest.raises(ShareRefused) as refused:
            share_with_client(session, cast.advisor, cast.other_advisors_client, SharedItem("proposal", token), NOW)
        assert refused.value.code == "not_your_client" and refused.value.reason == "这位客户不在您的客户名单中，不能发送"
        assert shares(session, cast.other_advisors_client) == []

    def test_a_manager_may_share_with_the_teams_clients_only(self, session: Session, cast: Cast) -> None:
        token = proposal(session, None)
        result = share_with_client(session, staff(session, "chenjing"), cast.other_advisors_client,
                                   SharedItem("proposal", token), NOW)
        assert result.status == "sent"
        with pytest.raises(ShareRefused) as refused:
            share_with_client(session, staff(session, "zhaoli"), cast.suitable[0], SharedItem("proposal", token), NOW)
        assert refused.value.reason == "这位客户不在您团队的客户名单中，不能发送"

    def test_a_client_may_not_share(self, session: Session, cast: Cast) -> None:
        me = staff(session, external(session, cast.suitable[0]))
        with pytest.raises(ShareRefused) as refused:
            share_with_client(session, me, cast.suitable[0], SharedItem("proposal", proposal(session, None)), NOW)
        assert refused.value.code == "not_staff"

    def test_a_client_without_wecom_cannot_receive(self, session: Session, cast: Cast) -> None:
        client = session.get(Client, cast.suitable[0])
        assert client is not None
        client.wecom_external_userid = None
        with pytest.raises(ShareRefused) as refused:
            share_with_client(session, cast.advisor, cast.suitable[0], SharedItem("proposal", proposal(session, None)),
                              NOW)
        assert refused.value.code == "no_wechat"

    def test_an_unknown_item_kind_is_refused(self) -> None:
        with pytest.raises(ShareRefused) as refused:
            SharedItem("video", "abc")
        assert refused.value.code == "bad_item"


class TestOnce:
    def test_the_same_item_twice_is_sent_once(self, session: Session, cast: Cast) -> None:
        item = SharedItem("proposal", proposal(session, cast.suitable[0]))
        first = share_with_client(session, cast.advisor, cast.suitable[0], item, NOW)
        again = share_with_client(session, cast.advisor, cast.suitable[0], item, NOW + dt.timedelta(hours=2))
        assert again.status == "already" and again.message.startswith("已发送过")
        assert again.notification_id == first.notification_id and again.contact_id is None
        assert len(shares(session, cast.suitable[0])) == 1 and len(contacts(session, cast.suitable[0])) == 1

    def test_after_the_window_it_may_go_again(self, session: Session, cast: Cast) -> None:
        item = SharedItem("proposal", proposal(session, cast.suitable[0]))
        share_with_client(session, cast.advisor, cast.suitable[0], item, NOW)
        later = share_with_client(session, cast.advisor, cast.suitable[0], item, NOW + dt.timedelta(hours=25))
        assert later.status == "sent" and len(shares(session, cast.suitable[0])) == 2

    def test_an_earlier_send_that_died_does_not_count(self, session: Session, cast: Cast) -> None:
        item = SharedItem("proposal", proposal(session, cast.suitable[0]))
        share_with_client(session, cast.advisor, cast.suitable[0], item, NOW)
        for note in shares(session, cast.suitable[0]):
            note.state = "dead"
        assert share_with_client(session, cast.advisor, cast.suitable[0], item, NOW).status == "sent"

    def test_a_replayed_turn_returns_its_first_result(self, session: Session, cast: Cast) -> None:
        item = SharedItem("proposal", proposal(session, cast.suitable[0]))
        first = share_with_client(session, cast.advisor, cast.suitable[0], item, NOW, request_key="m1:share")
        replay = share_with_client(session, cast.advisor, cast.suitable[0], item, NOW, request_key="m1:share")
        assert replay.replayed and replay.status == "sent" and replay.notification_id == first.notification_id
        assert len(shares(session, cast.suitable[0])) == 1

    def test_a_different_item_is_not_held_back(self, session: Session, cast: Cast) -> None:
        share_with_client(session, cast.advisor, cast.suitable[0], SharedItem("proposal", proposal(session, None)), NOW)
        other = SharedItem("proposal", proposal(session, None))
        assert share_with_client(session, cast.advisor, cast.suitable[0], other, NOW).status == "sent"


class TestRoute:
    def test_a_client_who_wrote_within_48_hours_is_reached_through_kf(self, session: Session, cast: Cast) -> None:
        session.add(InboxMessage(channel="kf", message_id="share-route-1", sender=external(session, cast.suitable[0]),
                                 text="在吗", received_at=NOW - dt.timedelta(hours=3), state="done", attempts=1))
        result = share_with_client(session, cast.advisor, cast.suitable[0],
                                   SharedItem("proposal", proposal(session, None)), NOW)
        assert result.route == "kf" and "微信客服" in result.message


class TestOneTransaction:
    def test_nothing_is_visible_before_the_caller_commits(self, bank_url: str, cast: Cast) -> None:
        with session_scope(bank_url) as writer:
            token = proposal(writer, cast.suitable[0])
        with session_scope(bank_url) as writer:
            result = share_with_client(writer, cast.advisor, cast.suitable[0], SharedItem("proposal", token), NOW)
            with session_scope(bank_url) as reader:
                assert reader.get(Notification, result.notification_id) is None
                assert reader.get(Contact, result.contact_id) is None
        with session_scope(bank_url) as reader:
            assert reader.get(Notification, result.notification_id) is not None
            assert reader.get(Contact, result.contact_id) is not None

    def test_a_failed_contact_leaves_no_message(self, bank_url: str, cast: Cast, monkeypatch: pytest.MonkeyPatch
                                                ) -> None:
        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("contacts table unavailable")

        with session_scope(bank_url) as writer:
            token = proposal(writer, cast.suitable[0])
            before = writer.scalar(select(func.count()).select_from(Notification))
        monkeypatch.setattr(sharing, "record_contact", broken)
        with pytest.raises(RuntimeError), session_scope(bank_url) as writer:
            share_with_client(writer, cast.advisor, cast.suitable[0], SharedItem("proposal", token), NOW)
        with session_scope(bank_url) as reader:
            assert reader.scalar(select(func.count()).select_from(Notification)) == before
            assert shares(reader, cast.suitable[0]) == []


def unique_name(session: Session, advisor_id: int, others_of: int | None = None) -> Client:
    """A client of `advisor_id` whose name no other client of `others_of` (default: the same advisor) shares."""
    namesakes = (select(Client.name).where(Client.advisor_id == (others_of or advisor_id))
                 .group_by(Client.name).having(func.count() > (0 if others_of else 1)))
    found = session.scalar(select(Client).where(Client.advisor_id == advisor_id, Client.name.not_in(namesakes))
                           .order_by(Client.id).limit(1))
    assert found is not None
    return found


class TestResolveClient:
    def test_a_unique_name_gives_the_client(self, session: Session, cast: Cast) -> None:
        assert cast.advisor.staff_id is not None
        client = unique_name(session, cast.advisor.staff_id)
        assert resolve_client(session, cast.advisor, client.name, NOW.date()) == client.id

    def test_a_phone_tail_picks_one_of_namesakes(self, session: Session, cast: Cast) -> None:
        twins = session.scalars(select(Client).where(Client.advisor_id == cast.advisor.staff_id,
                                                     Client.name == "张伟").order_by(Client.id)).all()
        assert len(twins) == 2 and twins[0].phone and twins[1].phone
        assert resolve_client(session, cast.advisor, f"张伟尾号{twins[1].phone[-4:]}", NOW.date()) == twins[1].id

    def test_namesakes_ask_for_a_phone_tail(self, session: Session, cast: Cast) -> None:
        with pytest.raises(ShareRefused) as refused:
            resolve_client(session, cast.advisor, "张伟", NOW.date())  # 张敏 has two clients named 张伟
        assert refused.value.code == "ambiguous_client" and "尾号" in refused.value.reason

    def test_another_advisors_client_is_not_found_by_name(self, session: Session, cast: Cast) -> None:
        liqiang = session.scalar(select(Staff.id).where(Staff.wecom_userid == "liqiang"))
        assert liqiang is not None and cast.advisor.staff_id is not None
        other = unique_name(session, liqiang, others_of=cast.advisor.staff_id)
        with pytest.raises(ShareRefused) as refused:
            resolve_client(session, cast.advisor, other.name, NOW.date())
        assert refused.value.code == "unknown_client" and "没有找到" in refused.value.reason
