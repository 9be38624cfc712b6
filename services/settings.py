"""The settings of the action server, the web app and the jobs: one class, read from the environment.

Each field maps to an upper-case environment variable (or a line of `.env`). The web app extends this class
with its own fields (web/settings.py); the Rasa process, which cannot import services/, reads WeCom's
settings through wecom/settings.py, and the knowledge leaf keeps its index paths in knowledge/config.py.
Later features add their settings here.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bank.db import database_url
from bank.proposals import DEFAULT_PUBLIC_BASE_URL
from wecom.settings import SettingsError, WeComSettings

MIN_SECRET_LENGTH = 32
"""Shortest secret (session key, service tokens) the production profile accepts: 32 characters."""


class Settings(BaseSettings):
    """What services/ can be configured with."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(default_factory=database_url,
                              description="SQLAlchemy URL of bank/ (default: SQLite at var/bank.db)")
    public_base_url: str = Field(default=DEFAULT_PUBLIC_BASE_URL,
                                 description="The web app's address as users reach it, for links the bot sends")
    wecom_kf_open_kfid: str = Field(default="", description="微信客服 account that sends clients cards and notices")
    app_env: Literal["demo", "production"] = Field(
        default="demo", description="demo (embedded, open on loopback) or production (refuses demo settings)")
    action_server_token: str = Field(
        default="", description="Bearer secret Rasa sends to the action server (header, never the URL)")
    rasa_auth_token: str = Field(default="", description="Token of Rasa's HTTP API")
    web_channel_secret: str = Field(
        default="", description="HMAC key the web app signs chat senders with; Rasa's web channel checks it")
    # The outbox sender (services/outbox.py) and WeCom's rules for reaching a client (services/routes.py).
    outbox_poll_s: float = Field(default=0.2, gt=0, description="Pause of the sender worker when nothing is due")
    outbox_listen_s: float = Field(
        default=1.0, gt=0, description="On PostgreSQL, which wakes the sender for every new message: its longest "
        "pause (how often it still looks for messages due later)")
    outbox_max_attempts: int = Field(default=12, ge=1, description="Attempts before a message is dead")
    outbox_backoff_base_s: float = Field(default=1.0, gt=0, description="First retry delay (doubles, full jitter)")
    outbox_backoff_cap_s: float = Field(default=300.0, gt=0, description="Longest retry delay")
    outbox_lease_s: float = Field(default=120.0, gt=0, description="How long a claimed message is the claimer's")
    outbox_batch: int = Field(default=20, ge=1, description="Recipients served per pass")
    outbox_threads: int = Field(default=4, ge=1, description="Recipients sent to in parallel")
    outbox_app_per_minute: int = Field(default=30, ge=1, description="WeCom's app messages a minute per member")
    outbox_mass_per_month: int = Field(
        default=4, ge=1, description="Mass sends a client may receive a month (marketing gets 2 fewer, service 1)")
    outbox_kf_window_hours: float = Field(default=48.0, gt=0, description="微信客服 window after a client message")
    outbox_kf_per_message: int = Field(default=5, ge=1, description="微信客服 messages per client message")
    outbox_mass_check_s: float = Field(default=300.0, gt=0,
                                       description="How often the sender asks WeCom what became of mass sends")
    outbox_mass_confirm_days: float = Field(
        default=3.0, gt=0, description="Days an advisor has to confirm a mass send before it counts as failed")
    # Prometheus metrics of the two workers (wecom/metrics.py): /metrics on 127.0.0.1 at this port, 0 = off.
    outbox_metrics_port: int = Field(default=0, ge=0, le=65535,
                                     description="Port of the sender's /metrics on 127.0.0.1 (0: not served)")
    scheduler_metrics_port: int = Field(default=0, ge=0, le=65535,
                                        description="Port of the scheduler's /metrics on 127.0.0.1 (0: not served)")
    metrics_host: Literal["127.0.0.1", "0.0.0.0"] = Field(
        default="127.0.0.1", description="Address the two workers' /metrics bind: loopback, or every address of a "
                                         "pod, where a NetworkPolicy admits only the monitoring namespace")
    # The scheduler (services/scheduler.py): China time; each job on/off, its time and its grace for catch-up.
    scheduler_timezone: str = Field(default="Asia/Shanghai", description="Time zone the jobs' times are in")
    briefing_enabled: bool = Field(default=True, description="Send each advisor's morning briefing")
    briefing_at: str = Field(default="08:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
                             description="Default time of the briefing on working days (an advisor may choose another)")
    briefing_grace_minutes: int = Field(default=180, ge=0, description="How late a missed briefing is still sent")
    briefing_max_lines: int = Field(default=5, ge=1, le=20, description="Lines per section of the briefing message")
    briefing_maturity_days: int = Field(default=14, ge=1, description="Maturities this many days ahead")
    briefing_birthday_days: int = Field(default=7, ge=0, description="Birthdays this many days ahead")
    briefing_risk_days: int = Field(default=30, ge=0, description="Risk assessments expiring within this many days")
    briefing_push_wait_days: int = Field(default=2, ge=0, description="Pushes unanswered this many days")
    rule_loss_threshold: float = Field(default=0.10, gt=0, lt=1,
                                       description="A holding down this much since purchase or over 30 days is a loss")
    rule_drift_threshold: float = Field(default=0.20, gt=0, le=1,
                                        description="Share of a portfolio off its last check-up's target that is drift")
    reminder_acted_days: int = Field(default=3, ge=1,
                                     description="Days within which a contact, proposal or push counts as acting")
    # The managers' weekly report (services/weekly_report.py): the first working day of each week.
    weekly_report_enabled: bool = Field(default=True, description="Send each manager the team's weekly report")
    weekly_report_at: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
                                  description="Time of the weekly report on the first working day of the week")
    weekly_report_grace_minutes: int = Field(default=480, ge=0, description="How late a missed weekly report is sent")
    # Monthly statements (services/statements.py): on the first working day, from this time, for the grace days.
    statement_enabled: bool = Field(default=True, description="Announce each client's monthly 财富账单")
    statement_at: str = Field(default="09:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
                              description="Time on the month's first working day the statements go out")
    statement_grace_days: int = Field(default=3, ge=0, description="How many days late missed statements still go")
    statement_ttl_days: int = Field(default=90, ge=1, description="Days a statement's link stays valid")
    # NAV intake (services/nav_intake.py) and market-event alerts (services/nav_alerts.py).
    nav_intake_enabled: bool = Field(default=True, description="Load new NAVs (file drop; demo continuation)")
    nav_inbox_dir: str = Field(default="var/nav-inbox",
                               description="Directory of NAV files (*.csv: product_code,date,nav); done ones move on")
    nav_demo_continuation: bool = Field(
        default=True, description="Demo profile only: continue each product's NAV series up to today (seeded)")
    nav_demo_seed: int = Field(default=42, description="Seed of the demo continuation")
    nav_alerts_enabled: bool = Field(default=True, description="Alert advisors and managers to NAV falls")
    nav_alert_day_drop: float = Field(default=0.03, gt=0, lt=1, description="A fall in one day that is an event")
    nav_alert_window_drop: float = Field(default=0.10, gt=0, lt=1,
                                         description="A fall over the window (trading days) that is an event")
    nav_alert_window_days: int = Field(default=20, ge=2, description="Trading days of the window fall")
    nav_alert_grace_days: int = Field(default=3, ge=0, description="How many days after its day an event is still sent")
    nav_alert_hours: str = Field(default="08:00-21:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$",
                                 description="When alerts may go out (China time); outside they wait")
    nav_alert_max_clients: int = Field(default=10, ge=1, le=30, description="Clients listed in one alert")
    # Order settlement (services/settlement.py, rules in calc/settlement.py) and order caps (services/order_caps.py).
    settlement_enabled: bool = Field(default=True, description="Settle confirmed orders into holdings")
    settlement_cut_off: str = Field(default="15:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
                                    description="Orders after this time on a trading day trade the next trading day")
    settlement_nav_grace_days: int = Field(
        default=3, ge=0, description="Trading days after confirmation to wait for a missing NAV before failing")
    insurance_cooling_off_days: int = Field(default=15, ge=0,
                                            description="犹豫期: days from the effective day to cancel a policy")
    order_max_amount: float = Field(default=5_000_000, gt=0, description="Largest amount of one confirmation (元)")
    order_max_share_of_assets: float = Field(
        default=1.0, gt=0, description="Largest confirmation as a share of the client's investable assets")
    # 售后检视 (services/after_sale.py): the benchmark a push's results are set against unless a page asks for another.
    after_sale_benchmark: str = Field(
        default="level", pattern=r"^(level|csi300|bond|[A-Za-z0-9]{2,16})$",
        description="level (a CSI 300 / rate-bond mix by the portfolio's risk level), csi300, bond or a product code")
    # The rewards ledger (services/rewards_ledger.py): expire every run, grant what is due once a day from this time.
    rewards_enabled: bool = Field(default=True, description="Grant 成长权益 when a rule is met, and expire old ones")
    rewards_at: str = Field(default="22:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
                            description="Time (China time) from which the day's benefits are granted")

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.strip().rstrip("/") or DEFAULT_PUBLIC_BASE_URL


    @property
    def production(self) -> bool:
        return self.app_env == "production"

    def production_problems(self) -> list[str]:
        """What keeps this configuration from running as production, one line per setting (empty: none).

        The production profile refuses to start while any holds: service secrets missing or short, the bank
        on SQLite, WeCom not configured. The web app adds its own (web/settings.py).
        """
        problems = [f"{name}: must be set to a random secret of at least {MIN_SECRET_LENGTH} characters"
                    for name, value in (("ACTION_SERVER_TOKEN", self.action_server_token),
                                        ("RASA_AUTH_TOKEN", self.rasa_auth_token),
                                        ("WEB_CHANNEL_SECRET", self.web_channel_secret))
                    if len(value) < MIN_SECRET_LENGTH]
        if self.database_url.startswith("sqlite"):
            problems.append("DATABASE_URL: SQLite is the demo database; use PostgreSQL (postgresql+psycopg://…)")
        try:
            configured = WeComSettings.from_env("app") is not None
        except SettingsError as error:
            problems.append(str(error))
        else:
            if not configured:
                problems.append("WECOM_CORP_ID, WECOM_SECRET, WECOM_TOKEN, WECOM_AES_KEY: WeCom must be configured")
        if not self.public_base_url.startswith("https://"):
            problems.append("PUBLIC_BASE_URL: links sent to users must use https://")
        problems += [f"{name}: fault injection is for the fault tests only" for name in os.environ
                     if name.startswith("FAULT_")]
        return problems


class ProductionRefused(RuntimeError):
    """The production profile was asked to start with demo or missing settings; the message lists them."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("production profile refused to start:\n  " + "\n  ".join(problems))
        self.problems = problems


def check_profile(settings: Settings) -> None:
    """Raise ProductionRefused when `settings` claim production but hold demo or missing settings."""
    if settings.production and (problems := settings.production_problems()):
        raise ProductionRefused(problems)


def get_settings() -> Settings:
    """The settings as the environment states them now: built once per distinct environment (so a changed
    variable counts), not on every call — links are made several times per reply."""
    return _settings_for(frozenset(os.environ.items()))


@lru_cache(maxsize=8)
def _settings_for(_environment: frozenset[tuple[str, str]]) -> Settings:
    return Settings()
