"""services.sign_in: a client's one-time sign-in link (hash stored, 15 minutes, one use, bound to the client and a
local landing page), and the push cards and lists that carry one (services.pushes.with_sign_in_links)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bank.db import session_scope
from bank.models import Client, Identity, SignInLink
from bank.sign_in_links import purge_links
from services.pushes import push_path, send_push, with_sign_in_links
from services.sign_in import (
    LINK_TTL,
    LinkExpired,
    LinkNotFound,
    LinkUsed,
    NotLinkable,
    UnsafeNextPath,
    client_link,
    redeem,
)
from tests.services.push_cast import NOW, Cast

BASE = "https://wealth.example.cn"


@pytest.fixture
def session(copy_session: Session, monkeypatch: pytest.MonkeyPatch) -> Session:
    """This test's private copy of the demo bank, with links made for BASE."""
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE + "/")
    return copy_session


def external(session: Session, client_id: int) -> str:
    client = session.get(Client, client_id)
    assert client is not None and client.wecom_external_userid
    return client.wecom_external_userid


def token_of(url: str) -> str:
    prefix = BASE + "/auth/link/"
    assert url.startswith(prefix), url
    return url.removeprefix(prefix)


def link_count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(SignInLink)).scalar_one()


class TestMaking:
    def test_the_url_carries_an_unguessable_token_and_only_its_hash_is_stored(self, session: Session,
                                                                              cast: Cast) -> None:
        client_id = cast.suitable[0]
        url = client_link(session, client_id, "/pushes/abc", NOW)
        token = token_of(url)
        assert len(token) == 43 and token.replace("-", "").replace("_", "").isalnum()
        row = session.scalars(select(SignInLink)).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in {str(v) for v in vars(row).values()}
        assert (row.client_id, row.sender_id, row.next_path) == (client_id, external(session, client_id), "/pushes/abc")
        assert (row.created_at, row.expires_at, row.used_at) == (NOW, NOW + LINK_TTL, None)
        assert dt.timedelta(minutes=15) == LINK_TTL

    def test_the_token_is_nowhere_in_the_database_file(self, bank_url: str, session: Session, cast: Cast) -> None:
        token = token_of(client_link(session, cast.suitable[0], "/pushes/abc", NOW))
        session.commit()
        raw = b"".join(p.read_bytes() for p in Path(bank_url.removeprefix("sqlite:///")).parent.glob("bank.db*"))
        assert hashlib.sha256(token.encode()).hexdigest().encode() in raw and token.encode() not in raw

    def test_each_link_is_new(self, session: Session, cast: Cast) -> None:
        urls = {client_link(session, cast.suitable[0], "/pushes/abc", NOW) for _ in range(5)}
        assert len(urls) == 5 and link_count(session) == 5

    @pytest.mark.parametrize("path", ["https://evil.example/pushes/abc", "//evil.example/pushes", "/\\evil.example",
                                      "pushes/abc", "", "/pushes/a b", "/pushes/\r\nSet-Cookie:x", "/" + "a" * 300,
                                      "javascript:alert(1)"])
    def test_the_landing_page_must_be_a_local_path(self, session: Session, cast: Cast, path: str) -> None:
        with pytest.raises(UnsafeNextPath):
            client_link(session, cast.suitable[0], path, NOW)
        assert link_count(session) == 0

    def test_a_client_without_a_wecom_identity_gets_no_link(self, session: Session, cast: Cast) -> None:
        with pytest.raises(NotLinkable):
            client_link(session, 999_999, "/pushes/abc", NOW)
        client = session.get(Client, cast.suitable[0])
        assert client is not None
        client.wecom_external_userid = None
        with pytest.raises(NotLinkable):
            client_link(session, client.id, "/pushes/abc", NOW)
        assert link_count(session) == 0


class TestRedeeming:
    def test_a_fresh_link_signs_in_as_its_client_once(self, session: Session, cast: Cast) -> None:
        token = token_of(client_link(session, cast.suitable[0], "/pushes/abc?x=1", NOW))
        assert redeem(session, token, NOW + dt.timedelta(minutes=1)) == (external(session, cast.suitable[0]),
                                                                         "/pushes/abc?x=1")
        with pytest.raises(LinkUsed) as used:
            redeem(session, token, NOW + dt.timedelta(minutes=2))
        assert used.value.client_id == cast.suitable[0] and used.value.next_path == "/pushes/abc?x=1"
        assert token not in str(used.value)
        row = session.scalars(select(SignInLink)).one()
        assert row.used_at == NOW + dt.timedelta(minutes=1)

    def test_a_link_expires_after_fifteen_minutes(self, session: Session, cast: Cast) -> None:
        on_time = token_of(client_link(session, cast.suitable[0], "/pushes/abc", NOW))
        late = token_of(client_link(session, cast.suitable[0], "/pushes/abc", NOW))
        assert redeem(session, on_time, NOW + LINK_TTL)[1] == "/pushes/abc"
        with pytest.raises(LinkExpired):
            redeem(session, late, NOW + LINK_TTL + dt.timedelta(seconds=1))
        with pytest.raises(LinkExpired):  # still expired, and never marked used
            redeem(session, late, NOW + dt.timedelta(days=1))
        assert session.scalar(select(SignInLink.used_at).where(SignInLink.token_hash == hashlib.sha256(
            late.encode()).hexdigest())) is None

    @pytest.mark.parametrize("token", ["", "abc", "x" * 43 + "y", "!" * 43, "../" * 15, "a" * 10_000])
    def test_malformed_tokens_are_not_found(self, session: Session, token: str) -> None:
        with pytest.raises(LinkNotFound):
            redeem(session, token, NOW)

    def test_a_forged_token_is_not_found(self, session: Session, cast: Cast) -> None:
        client_link(session, cast.suitable[0], "/pushes/abc", NOW)
        with pytest.raises(LinkNotFound):
            redeem(session, secrets.token_urlsafe(32), NOW)

    def test_the_stored_hash_is_not_a_token(self, session: Session, cast: Cast) -> None:
        client_link(session, cast.suitable[0], "/pushes/abc", NOW)
        stored = session.scalars(select(SignInLink.token_hash)).one()
        with pytest.raises(LinkNotFound):
            redeem(session, stored, NOW)
        with pytest.raises(LinkNotFound):
            redeem(session, stored[:43], NOW)

    def test_each_link_is_bound_to_its_own_client(self, session: Session, cast: Cast) -> None:
        a, b = cast.suitable[0], cast.suitable[1]
        link_a = token_of(client_link(session, a, "/pushes/for-a", NOW))
        link_b = token_of(client_link(session, b, "/pushes/for-b", NOW))
        assert redeem(session, link_b, NOW) == (external(session, b), "/pushes/for-b")
        assert redeem(session, link_a, NOW) == (external(session, a), "/pushes/for-a")
        assert external(session, a) != external(session, b)

    def test_a_link_leads_nowhere_once_the_clients_wecom_binding_changed(self, session: Session,
                                                                         cast: Cast) -> None:
        client_id = cast.suitable[0]
        token = token_of(client_link(session, client_id, "/pushes/abc", NOW))
        old = external(session, client_id)
        session.execute(delete(Identity).where(Identity.wecom_id == old))
        session.add(Identity(wecom_id="wmRebound000000000000000000000", kind="client", client_id=client_id))
        session.get(Client, client_id).wecom_external_userid = "wmRebound000000000000000000000"  # type: ignore[union-attr]
        session.flush()
        with pytest.raises(LinkNotFound):
            redeem(session, token, NOW)

    def test_of_simultaneous_uses_only_one_signs_in(self, bank_url: str, session: Session, cast: Cast) -> None:
        token = token_of(client_link(session, cast.suitable[0], "/pushes/abc", NOW))
        session.commit()
        outcomes: list[str] = []
        barrier = threading.Barrier(4)

        def use() -> None:
            barrier.wait()
            try:
                with session_scope(bank_url) as own:
                    redeem(own, token, NOW + dt.timedelta(minutes=1))
                outcomes.append("signed in")
            except LinkUsed:
                outcomes.append("used")

        threads = [threading.Thread(target=use) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sorted(outcomes) == ["signed in", "used", "used", "used"]

    def test_old_links_can_be_purged(self, session: Session, cast: Cast) -> None:
        client_link(session, cast.suitable[0], "/pushes/old", NOW - dt.timedelta(days=2))
        client_link(session, cast.suitable[0], "/pushes/new", NOW)
        assert purge_links(session, NOW - dt.timedelta(days=1)) == 1
        assert session.scalars(select(SignInLink.next_path)).all() == ["/pushes/new"]


class TestPushCards:
    def test_each_sent_push_carries_its_clients_link_to_the_push_page(self, session: Session, cast: Cast) -> None:
        result, views = send_push(session, cast.advisor, "稳健组合", cast.suitable, Decimal("50000"), NOW)
        assert len(views) == 3 and link_count(session) == 3
        for sent, view in zip(result.sent, views, strict=True):
            assert view.link is not None
            assert redeem(session, token_of(view.link), NOW) == (external(session, sent.client_id),
                                                                 push_path(sent.task_id))

    def test_a_client_missing_from_the_directory_gets_the_plain_page(self, session: Session, cast: Cast) -> None:
        _, views = send_push(session, cast.advisor, "稳健组合", cast.suitable[:1], Decimal("50000"), NOW)
        session.execute(delete(Identity).where(Identity.client_id == cast.suitable[0]))
        (again,) = with_sign_in_links(session, views, NOW)
        assert again.link is None and again.task_id == views[0].task_id
