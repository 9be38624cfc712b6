"""Market-event alerts with a controlled clock, the outbox and the fake WeCom API: a NAV drop brings exactly one
alert to each advisor whose clients hold the product (masked names, exposure, a script from the knowledge base)
and one team summary to their manager; nobody else hears of it; a re-run, a catch-up or a second scheduler adds
nothing; a slide over 20 trading days is one event, not one a day."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bank.clients import phone_tail
from bank.db import session_scope
from bank.masking import mask_name
from bank.models import Client, Holding, JobRun, NavPoint, Notification, Product, Staff, Team
from calc.money import fmt_yuan
from calc.nav import nav_events
from services import nav_alerts
from services.scheduler import Scheduler
from services.settings import Settings
from tests.services.outbox_kit import drain, fake, worker
from tests.wecom_peer.fake_api import FakeWeCom

__all__ = ["fake"]  # fixture
LAST = dt.date(2026, 11, 27)  # the demo bank's last NAV (made on 2026-11-28)
DROP_DAY = dt.date(2026, 11, 30)  # a Monday
AT = dt.datetime(2026, 11, 30, 19, 10)
FALL = Decimal("0.85")  # -15% in a day: far beyond anything the demo's own series do


@pytest.fixture(autouse=True)
def knowledge(knowledge_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KNOWLEDGE_INDEX_DIR", str(knowledge_dir))


def settings(**more: object) -> Settings:
    values: dict[str, object] = {"nav_alert_day_drop": 0.12, "nav_alert_window_drop": 0.5, **more}
    return Settings(**values)  # type: ignore[arg-type]


def scheduler(url: str, **more: object) -> Scheduler:
    return Scheduler(settings(**more), url)


class Drop:
    """The product that falls, its holders by advisor userid (client id → exposure at the new NAV), the advisors
    without holders, and the managers of the affected teams."""

    def __init__(self, url: str) -> None:
        with session_scope(url) as session:
            holders = session.execute(
                select(Product.code, Staff.wecom_userid, Client.id, Holding.units)
                .join(Holding, Holding.product_id == Product.id).join(Client, Holding.client_id == Client.id)
                .join(Staff, Client.advisor_id == Staff.id)
                .where(Product.category == "equity_fund", Holding.units > 0)).tuples().all()
            by_code: dict[str, set[str]] = defaultdict(set)
            for code, userid, _, _ in holders:
                by_code[code].add(userid)
            advisors = set(session.scalars(select(Staff.wecom_userid).where(Staff.role == "advisor")))
            # a product some advisors' clients hold and others' do not
            self.code = min((c for c, who in by_code.items() if 1 < len(who) < len(advisors)),
                            key=lambda c: (-len(by_code[c]), c))
            product = session.scalars(select(Product).where(Product.code == self.code)).one()
            last = session.scalars(select(NavPoint.nav).where(NavPoint.product_id == product.id,
                                                              NavPoint.date == LAST)).one()
            self.nav = (Decimal(last) * FALL).quantize(Decimal("0.0001"))
            session.add(NavPoint(product_id=product.id, date=DROP_DAY, nav=self.nav))
            self.held: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
            for code, userid, client_id, units in holders:
                if code == self.code:
                    self.held[userid][client_id] += float(units) * float(self.nav)
            self.bystanders = advisors - set(self.held)
            self.managers = set(session.scalars(
                select(Staff.wecom_userid).join(Team, Team.manager_id == Staff.id)
                .where(Team.id.in_(select(Staff.team_id).where(Staff.wecom_userid.in_(list(self.held)))))))
            self.names = dict(session.execute(select(Client.id, Client.name)).tuples().all())
            self.phones = dict(session.execute(select(Client.id, Client.phone)).tuples().all())
            self.advisor_names = dict(session.execute(select(Staff.wecom_userid, Staff.name)).tuples().all())


@pytest.fixture
def drop(bank_url: str) -> Drop:
    return Drop(bank_url)


def alerts(url: str) -> dict[str, list[str]]:
    """Recipient → texts of their NAV alerts."""
    out: dict[str, list[str]] = defaultdict(list)
    with session_scope(url) as session:
        for recipient, text in session.execute(select(Notification.recipient, Notification.text)
                                               .where(Notification.kind == nav_alerts.JOB).order_by(Notification.id)):
            out[recipient].append(text)
    return dict(out)


class TestOneAlertPerAffectedAdvisor:
    def test_each_holder_advisor_gets_one_alert_with_masked_clients_exposure_and_a_script(
            self, bank_url: str, drop: Drop) -> None:
        report = scheduler(bank_url).fire("nav_alerts", AT)
        got = alerts(bank_url)
        assert set(got) == set(drop.held) | drop.managers and len(report.sent) == len(got)
        key = f"{drop.code}:{DROP_DAY.isoformat()}"
        assert all(sent.endswith(key) for sent in report.sent)
        for userid, clients in drop.held.items():
            [text] = got[userid]
            assert drop.code in text and "-15.00%" in text and f"{len(clients)}位客户" in text
            assert len(text.encode()) <= 2048
            biggest = max(clients, key=lambda c: (clients[c], -c))
            assert f"{mask_name(drop.names[biggest])}（{phone_tail(drop.phones[biggest])}）：" \
                   f"{fmt_yuan(clients[biggest])}" in text
            assert all(drop.names[c] not in text for c in clients if len(drop.names[c]) > 1)
            assert "安抚话术" in text and "摘自《" in text  # drawn from the knowledge base

    def test_an_advisor_without_holders_gets_nothing(self, bank_url: str, drop: Drop) -> None:
        scheduler(bank_url).fire("nav_alerts", AT)
        assert drop.bystanders and not drop.bystanders & set(alerts(bank_url))

    def test_the_manager_gets_the_team_summary(self, bank_url: str, drop: Drop) -> None:
        scheduler(bank_url).fire("nav_alerts", AT)
        got = alerts(bank_url)
        for manager in drop.managers:
            [summary] = got[manager]
            assert "团队市场波动汇总" in summary and drop.code in summary
        mentioned = {userid for userid in drop.held for manager in drop.managers
                     if drop.advisor_names[userid] in got[manager][0]}
        assert mentioned == set(drop.held)

    def test_delivered_once_through_the_outbox_as_markdown(self, fake: FakeWeCom, bank_url: str, drop: Drop) -> None:
        scheduler(bank_url).fire("nav_alerts", AT)
        sender = worker(bank_url)
        drain(sender, start=AT)
        sender.close()
        for userid in drop.held:
            [body] = fake.sent("message/send", to=userid)
            assert body["msgtype"] == "markdown" and len(body["markdown"]["content"].encode()) <= 2048
        assert not any(fake.sent("message/send", to=userid) for userid in drop.bystanders)


class TestNothingTwice:
    def test_a_rerun_and_a_later_catch_up_send_nothing_more(self, bank_url: str, drop: Drop) -> None:
        first = scheduler(bank_url).fire("nav_alerts", AT)
        assert first.sent
        assert scheduler(bank_url).fire("nav_alerts", AT + dt.timedelta(minutes=30)).sent == []
        assert scheduler(bank_url).fire("nav_alerts", dt.datetime(2026, 12, 1, 9, 0)).sent == []  # next morning
        assert {len(texts) for texts in alerts(bank_url).values()} == {1}

    def test_a_second_scheduler_that_read_before_the_first_committed_sends_nothing(
            self, bank_url: str, drop: Drop, monkeypatch: pytest.MonkeyPatch) -> None:
        first = scheduler(bank_url).fire("nav_alerts", AT)
        monkeypatch.setattr(nav_alerts, "done_for", lambda *args, **kwargs: set())  # saw nothing done yet
        second = scheduler(bank_url).fire("nav_alerts", AT)
        assert second.sent == [] and sorted(second.already_done) == sorted(first.sent)
        assert {len(texts) for texts in alerts(bank_url).values()} == {1}
        with session_scope(bank_url) as session:
            assert session.scalar(select(func.count()).select_from(JobRun)) == len(first.sent)

    def test_outside_the_alert_hours_it_waits_and_goes_in_the_morning(self, bank_url: str, drop: Drop) -> None:
        assert scheduler(bank_url).fire("nav_alerts", dt.datetime(2026, 11, 30, 22, 10)).sent == []
        assert alerts(bank_url) == {}
        assert scheduler(bank_url).fire("nav_alerts", dt.datetime(2026, 12, 1, 8, 10)).sent
        assert scheduler(bank_url).fire("nav_alerts", dt.datetime(2026, 12, 8, 8, 10)).sent == []  # long gone

    def test_a_small_fall_or_the_job_off_sends_nothing(self, bank_url: str, drop: Drop) -> None:
        assert scheduler(bank_url, nav_alert_day_drop=0.2).fire("nav_alerts", AT).sent == []
        assert scheduler(bank_url, nav_alerts_enabled=False).fire("nav_alerts", AT).sent == []
        assert alerts(bank_url) == {}


class TestSlideAndSize:
    def test_a_slide_over_20_trading_days_alerts_once_on_the_day_it_crosses(self, bank_url: str) -> None:
        with session_scope(bank_url) as session:
            product_id = session.scalars(select(Product.id).where(Product.code == "EF001")).one()
            back = session.scalars(select(NavPoint.nav).where(NavPoint.product_id == product_id)
                                   .order_by(NavPoint.date.desc()).offset(19).limit(1)).one()
            monday = Decimal(back) * Decimal("0.85")
            session.add_all([NavPoint(product_id=product_id, date=DROP_DAY, nav=monday.quantize(Decimal("0.0001"))),
                             NavPoint(product_id=product_id, date=DROP_DAY + dt.timedelta(days=1),
                                      nav=(monday * Decimal("0.99")).quantize(Decimal("0.0001")))])
        slide = {"nav_alert_day_drop": 0.5, "nav_alert_window_drop": 0.10}
        first = scheduler(bank_url, **slide).fire("nav_alerts", AT)
        later = scheduler(bank_url, **slide).fire("nav_alerts", AT + dt.timedelta(days=1))
        mine = [sent for sent in first.sent if ":EF001:" in sent]
        assert mine and all(sent.endswith("EF001:2026-11-30") for sent in mine)
        assert not [sent for sent in later.sent if ":EF001:" in sent]
        texts = [t for got in alerts(bank_url).values() for t in got if "EF001" in t]
        assert len(texts) == len(mine) and all("近20个交易日-15.00%" in t for t in texts)

    def test_many_holders_fit_in_one_wecom_markdown_message(self) -> None:
        event = nav_alerts.MarketEvent(1, "EF001", "远航消费升级股票", "equity_fund", DROP_DAY, 1.2345, -0.05, -0.12,
                                       True, True)
        held = [nav_alerts.Exposure(k, f"欧阳**（尾号{k:04d}）", 1_000_000.0 - k) for k in range(300)]
        text = nav_alerts.advisor_alert(event, held, "先倾听，不急于解释。" * 20, settings(nav_alert_max_clients=30))
        assert len(text.encode()) <= 2048 and "您有300位客户持有" in text and "…另有" in text
        assert "**安抚话术**" in text
        capped = nav_alerts.advisor_alert(event, held, "先倾听。", settings(nav_alert_max_clients=3))
        assert capped.count("> 欧阳") == 3 and "…另有297位" in capped


class TestEvents:
    DAYS = tuple(dt.date(2026, 11, 2) + dt.timedelta(days=k) for k in range(8))

    def test_a_slide_over_the_window_is_one_event_on_the_day_it_crosses(self) -> None:
        slide = [1.0, 0.98, 0.96, 0.94, 0.92, 0.90, 0.88, 0.86]
        found = nav_events(self.DAYS, slide, 0.03, 0.05, window=3)
        assert [(e.day.day, e.window_fall, e.day_fall) for e in found] == [(5, True, False)]

    def test_a_recovery_then_a_new_slide_is_a_new_event(self) -> None:
        navs = [1.0, 0.96, 0.93, 0.95, 0.99, 1.0, 0.96, 0.93]
        found = nav_events(self.DAYS, navs, 0.5, 0.06, window=2)
        assert [e.day.day for e in found] == [4, 9]

    def test_a_day_fall_beyond_the_threshold_only(self) -> None:
        found = nav_events(self.DAYS[:3], [1.0, 0.9701, 0.94], 0.03, 0.5, window=20)
        assert [(e.day.day, e.day_fall, e.window_change) for e in found] == [(4, True, None)]

    def test_bad_input_is_named(self) -> None:
        with pytest.raises(ValueError, match="day_threshold"):
            nav_events(self.DAYS, [1.0] * 8, 0, 0.1)
        with pytest.raises(ValueError, match="navs"):
            nav_events(self.DAYS, [1.0] * 7, 0.1, 0.1)
