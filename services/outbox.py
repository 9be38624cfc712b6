"""The sender worker: delivers the outbox (bank's `notifications`) through WeCom, in its own process.

    python -m services.outbox run          # until SIGTERM / SIGINT
    python -m services.outbox dead         # dead letters: id, masked recipient, reason
    python -m services.outbox resend ID    # put a dead (held, dropped) message back in line
    python -m services.outbox drop ID      # never send it

Each pass claims the oldest due message of each recipient (an atomic lease, so several workers never send one
twice), sends one recipient's messages one after another and several recipients in parallel. Failures are
retried with exponential backoff and full jitter; a rejected token is forgotten and retried at once; an error
WeCom will repeat (or too many attempts) makes the message dead with the reason. Staff get app messages (at
most 30 a minute each); clients get what services/routes.py allows. Logs carry masked ids, never contents.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import random
import re
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bank import notifications as outbox
from bank.db import session_scope
from bank.models import Notification
from services import routes
from services.notify import is_external, wecom_body
from services.outbox_wakeup import listener
from services.settings import ProductionRefused, Settings, check_profile, get_settings
from wecom import logs, metrics
from wecom.api import TOKEN_ERRORS, WeComAPI, WeComAPIError, fetch_bytes
from wecom.masking import mask_id
from wecom.settings import SettingsError, WeComSettings

log = logging.getLogger(__name__)
MAX_PER_RECIPIENT = 10  # messages one recipient may get in one pass (the rest wait for the next)
NOT_CONFIGURED_PAUSE = dt.timedelta(minutes=1)
RATE_WINDOW = dt.timedelta(minutes=1)
_ERRCODE = re.compile(r"errcode=(-?\d+)")


def backoff_delay(attempt: int, base_s: float, cap_s: float, rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt `attempt` + 1: full jitter, uniform in [0, min(cap, base·2^(attempt−1))].

    >>> [backoff_delay(n, 1.0, 5.0, random.Random(0)) <= min(5.0, 2 ** (n - 1)) for n in (1, 2, 3, 10)]
    [True, True, True, True]
    """
    if attempt < 1:
        raise ValueError("attempt: counts from 1")
    ceiling = min(cap_s, base_s * 2.0 ** min(attempt - 1, 60))
    return (rng or random).uniform(0.0, ceiling)


@dataclass(frozen=True)
class Outcome:
    """What became of one message in a pass: sent | awaiting_advisor | retry | dead | held | wait."""

    id: int
    recipient: str
    result: str
    detail: str = ""
    advisor: str = ""


@dataclass
class PassReport:
    """What one pass did."""

    released: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    notices: list[int] = field(default_factory=list)

    def ids(self, result: str) -> list[int]:
        return [o.id for o in self.outcomes if o.result == result]

    @property
    def busy(self) -> bool:
        return bool(self.outcomes or self.released or self.notices)


class _Postpone(Exception):
    """Not to be tried now (rate limit): look again at `at` without counting an attempt."""

    def __init__(self, at: dt.datetime) -> None:
        super().__init__(at.isoformat())
        self.at = at


class _Undeliverable(Exception):
    """WeCom (or the content) makes this message impossible: dead with the reason."""


class Outbox:
    """A sender over the bank at `url` (default: DATABASE_URL) with WeCom from the WECOM_* variables."""

    def __init__(self, settings: Settings | None = None, url: str | None = None,
                 rng: random.Random | None = None, clock: Callable[[], dt.datetime] = dt.datetime.now) -> None:
        self.settings = settings or get_settings()
        self.url, self.rng, self.clock = url, rng or random.Random(), clock
        self.rules = routes.Rules.from_settings(self.settings)
        self._apis: dict[tuple[str, ...], WeComAPI] = {}
        self._apis_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=self.settings.outbox_threads, thread_name_prefix="outbox")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    # --- WeCom ------------------------------------------------------------------------------------------
    def api(self, kind: str) -> WeComAPI | None:
        """The app's or 微信客服's API client, or None when its settings are missing or invalid."""
        try:
            settings = WeComSettings.from_env(kind)
        except SettingsError as error:
            log.warning("wecom %s settings invalid: %s", kind, error)
            return None
        if settings is None:
            return None
        key = (kind, settings.corp_id, settings.api_base, settings.secret)
        with self._apis_lock:
            if key not in self._apis:
                self._apis[key] = WeComAPI(settings)
            return self._apis[key]

    # --- a pass -----------------------------------------------------------------------------------------
    def run_once(self, now: dt.datetime | None = None) -> PassReport:
        """Release what may go again, claim the due messages (one per recipient), send them, tell advisors what
        awaits their confirmation. `now` pins the time (tests); by default the wall clock is read as it goes."""
        stamp: Callable[[], dt.datetime] = (lambda: now) if now is not None else self.clock
        report = PassReport()
        if self.api("app") is None and self.api("kf") is None:
            return report  # without WeCom, messages wait in the outbox (no attempt is spent)
        with session_scope(self.url) as session:
            moment = stamp()
            report.released = outbox.release_on_client_message(session) + outbox.release_held_before(
                session, routes.HELD_BUDGET, routes.month_start(moment))
            candidates = outbox.due_ids(session, moment, self.settings.outbox_batch)
        claimed = [message for note_id in candidates if (message := self._claim(note_id, stamp())) is not None]
        for outcomes in self._pool.map(lambda message: self._serve_recipient(message, stamp), claimed):
            report.outcomes.extend(outcomes)
        report.notices = self._tell_advisors(report.outcomes, stamp())
        return report

    def check_mass_sends(self, now: dt.datetime | None = None) -> dict[str, int]:
        """Ask WeCom what became of each mass send awaiting its advisor: delivered → sent; refused, or not
        confirmed within `outbox_mass_confirm_days` → dead with the reason (never left waiting unseen)."""
        moment = now or self.clock()
        api = self.api("app")
        counts = {"sent": 0, "dead": 0, "waiting": 0}
        if api is None:
            return counts
        deadline = moment - dt.timedelta(days=self.settings.outbox_mass_confirm_days)
        with session_scope(self.url) as session:
            waiting = [(n.id, n.recipient, n.external_id, n.sent_at, n.kind) for n in
                       outbox.awaiting_confirmation(session, moment - dt.timedelta(minutes=1))]
            advisors = {r: outbox.advisor_userid_of(session, r) if is_external(r) else r for r in {w[1] for w in waiting}}
        for note_id, recipient, task_id, created, kind in waiting:
            try:
                answer = api.call(routes.MASS_RESULT, {"msgid": task_id, "userid": advisors[recipient] or "",
                                                       "limit": 1000})
            except WeComAPIError as error:
                log.warning("outbox %s: mass-send result not read (%s)", note_id, error.errcode or error.status)
                metrics.OUTBOX_SEND_FAILURES.labels(api_group(error.path)).inc()
                counts["waiting"] += 1
                continue
            status = _mass_status(answer.get("send_list") or [], recipient)
            if status == 0 and created is not None and created > deadline:
                counts["waiting"] += 1
                continue
            reason = routes.MASS_FAILED.get(status) or routes.MASS_UNCONFIRMED.format(
                days=self.settings.outbox_mass_confirm_days)
            with session_scope(self.url) as session:
                outbox.settle_mass_send(session, note_id, delivered=status == 1, reason=reason, now=moment)
            if status != 1:
                metrics.OUTBOX_DEAD_LETTERS.labels(kind or "-").inc()
            counts["sent" if status == 1 else "dead"] += 1
            log.log(logging.INFO if status == 1 else logging.WARNING, "outbox %s to %s: mass send %s", note_id,
                    mask_id(recipient), "delivered" if status == 1 else "failed")
        return counts

    def _claim(self, note_id: int, moment: dt.datetime) -> Notification | None:
        """Take the lease on a due message and read it, in one transaction (None: not due, or another sender
        has it). Its attributes stay loaded after the session (expire_on_commit=False)."""
        lease = moment + dt.timedelta(seconds=self.settings.outbox_lease_s)
        with session_scope(self.url) as session:
            if not outbox.claim(session, note_id, moment, lease):
                return None
            return session.get(Notification, note_id)

    def _claim_next(self, recipient: str, moment: dt.datetime) -> Notification | None:
        """The recipient's next due message, claimed and read in one transaction (None: nothing due now)."""
        lease = moment + dt.timedelta(seconds=self.settings.outbox_lease_s)
        with session_scope(self.url) as session:
            following = outbox.due_ids(session, moment, 1, recipient=recipient)
            if not following or not outbox.claim(session, following[0], moment, lease):
                return None
            return session.get(Notification, following[0])

    def _serve_recipient(self, message: Notification, stamp: Callable[[], dt.datetime]) -> list[Outcome]:
        """Send one recipient's due messages in order, one at a time, until one must wait. Three transactions
        a message: claim and read, record the outcome, claim and read the next."""
        outcomes: list[Outcome] = []
        following: Notification | None = message
        while following is not None:
            try:
                outcome = self._deliver(following, stamp)
            except SQLAlchemyError as error:  # the lease runs out and another pass takes the message again
                log.error("outbox %s: database error %s", following.id, type(error).__name__)
                return outcomes
            outcomes.append(outcome)
            if outcome.result in ("retry", "wait") or len(outcomes) >= MAX_PER_RECIPIENT:
                return outcomes
            following = self._claim_next(outcome.recipient, stamp())
        return outcomes

    def _deliver(self, message: Notification, stamp: Callable[[], dt.datetime]) -> Outcome:
        with logs.bound(message.request_id or ""):  # the send is logged under the id of what it answers
            return self._deliver_loaded(message, stamp)

    def _deliver_loaded(self, message: Notification, stamp: Callable[[], dt.datetime]) -> Outcome:
        try:
            return self._send(message, stamp)
        except _Postpone as wait:
            return self._record(message, "wait", outbox.postpone, wait.at)
        except _Undeliverable as reason:
            return self._record(message, "dead", outbox.mark_dead, str(reason))
        except WeComAPIError as error:
            return self._failed(message, error, stamp())
        except (KeyError, TypeError, ValueError) as error:  # a body that cannot be built or completed
            return self._record(message, "dead", outbox.mark_dead, f"消息无法生成：{type(error).__name__}")

    def _record(self, message: Notification, result: str, mark: Callable[..., bool], *args: Any,
                advisor: str = "", **kwargs: Any) -> Outcome:
        with session_scope(self.url) as session:
            changed = mark(session, message.id, *args, **kwargs)
        if not changed:  # an operator dropped or resent it meanwhile
            log.warning("outbox %s to %s: state changed while sending", message.id, mask_id(message.recipient))
        level = logging.WARNING if result in ("dead", "held") else logging.INFO
        log.log(level, "outbox %s to %s: %s", message.id, mask_id(message.recipient), result)
        if result == "dead" and changed:
            metrics.OUTBOX_DEAD_LETTERS.labels(message.kind or "-").inc()
        detail = next((arg for arg in args if isinstance(arg, str)), "")
        return Outcome(message.id, message.recipient, result, detail, advisor)

    def _failed(self, message: Notification, error: WeComAPIError, moment: dt.datetime) -> Outcome:
        attempt = message.attempts + 1
        metrics.OUTBOX_SEND_FAILURES.labels(api_group(error.path)).inc()
        reason = str(error)[:200]
        if not (error.retryable or error.token_invalid):
            return self._record(message, "dead", outbox.mark_dead, reason)
        if attempt >= self.settings.outbox_max_attempts:
            return self._record(message, "dead", outbox.mark_dead, f"{attempt}次尝试均失败：{reason}")
        delay = 0.0
        if error.token_invalid:
            self._forget_tokens()
        if not error.token_invalid or _errcode(message.error) in TOKEN_ERRORS:
            delay = backoff_delay(attempt, self.settings.outbox_backoff_base_s, self.settings.outbox_backoff_cap_s,
                                  self.rng)
        return self._record(message, "retry", outbox.retry_later, moment + dt.timedelta(seconds=delay), reason)

    def _forget_tokens(self) -> None:
        with self._apis_lock:
            apis = list(self._apis.values())
        for api in apis:
            api.forget_token()

    # --- routes -----------------------------------------------------------------------------------------
    def _send(self, message: Notification, stamp: Callable[[], dt.datetime]) -> Outcome:
        external = is_external(message.recipient)
        if message.path == routes.MASS_SEND:
            return self._mass_task(message, stamp)
        if message.path and not (external and message.path == routes.KF_SEND):
            return self._as_is(message, message.path, dict(message.payload or {}), stamp)
        if not external:
            body = wecom_body(message.text, message.card, external=False)
            return self._as_is(message, "message/send", body, stamp)
        return self._to_client(message, stamp)

    def _as_is(self, message: Notification, path: str, body: dict[str, Any],
               stamp: Callable[[], dt.datetime]) -> Outcome:
        """A body for `path` (staff messages, replies, the 微信客服 welcome): only completed and sent."""
        kind = "kf" if path.startswith("kf/") else "app"
        api = self.api(kind)
        if api is None:
            return self._record(message, "wait", outbox.postpone, stamp() + NOT_CONFIGURED_PAUSE)
        if path == "message/send":
            body = {"touser": message.recipient, "agentid": api.settings.agent_id, **body}
            self._check_rate(message.recipient, stamp())
        elif path == routes.KF_SEND:
            body = {"touser": message.recipient, **body}
        answer = api.call(path, self._with_media(api, body))
        if message.recipient in str(answer.get("invaliduser") or "").split("|"):
            raise _Undeliverable(f"{path}: invaliduser（不在应用可见范围内）")
        return self._record(message, "sent", outbox.mark_sent, route=kind, external_id=_msgid(answer), now=stamp())

    def _mass_task(self, message: Notification, stamp: Callable[[], dt.datetime]) -> Outcome:
        """A mass-send task a job built for many clients (the monthly statement): like any mass send it waits for
        its advisor's confirmation; it fails only when none of its clients is the advisor's contact."""
        api = self.api("app")
        if api is None:
            return self._record(message, "wait", outbox.postpone, stamp() + NOT_CONFIGURED_PAUSE)
        body = dict(message.payload or {})
        answer = api.call(routes.MASS_SEND, body)
        failed, wanted = set(answer.get("fail_list") or []), set(body.get("external_userid") or [])
        if wanted and failed >= wanted:
            raise _Undeliverable(routes.NOT_A_CONTACT)
        if failed:
            log.warning("mass send %s: %d of %d clients are not the advisor's contacts", message.id, len(failed),
                        len(wanted))
        return self._record(message, "awaiting_advisor", outbox.mark_awaiting_advisor, str(answer.get("msgid")),
                            advisor=str(body.get("sender") or message.recipient), now=stamp())

    def _check_rate(self, recipient: str, moment: dt.datetime) -> None:
        """WeCom drops a member's app messages past 30 a minute without a word: wait for a free slot."""
        with session_scope(self.url) as session:
            recent = outbox.sent_times(session, recipient, ("app",), moment - RATE_WINDOW)
        if len(recent) >= self.settings.outbox_app_per_minute:
            raise _Postpone(recent[-self.settings.outbox_app_per_minute] + RATE_WINDOW)

    def _to_client(self, message: Notification, stamp: Callable[[], dt.datetime]) -> Outcome:
        kf_api, app_api = self.api("kf"), self.api("app")
        open_kfid = str((message.payload or {}).get("open_kfid") or self.settings.wecom_kf_open_kfid)
        with session_scope(self.url) as session:
            facts = routes.gather(session, message.recipient, stamp(), self.rules)

        def service_state() -> int:
            assert kf_api is not None
            answer = kf_api.call("kf/service_state/get", {"open_kfid": open_kfid,
                                                          "external_userid": message.recipient})
            return int(answer.get("service_state", -1))

        route = routes.decide(facts, message.priority, self.rules, open_kfid=open_kfid if kf_api else "",
                              mass_possible=app_api is not None, service_state=service_state)
        if route.kind == "kf":
            assert kf_api is not None
            body = {**(message.payload or wecom_body(message.text, message.card, external=True)),
                    "touser": message.recipient, "open_kfid": route.open_kfid}
            answer = kf_api.call(routes.KF_SEND, self._with_media(kf_api, body))
            return self._record(message, "sent", outbox.mark_sent, route="kf", external_id=_msgid(answer),
                                now=stamp())
        if route.kind == "mass":
            assert app_api is not None
            content, attachments = routes.mass_content(message.text, message.card, message.payload)
            attachments = [self._with_media(app_api, item) for item in attachments]
            answer = app_api.call(routes.MASS_SEND, routes.mass_body(route.sender, message.recipient, content,
                                                                   attachments))
            if message.recipient in (answer.get("fail_list") or []):
                raise _Undeliverable(routes.NOT_A_CONTACT)
            return self._record(message, "awaiting_advisor", outbox.mark_awaiting_advisor, str(answer.get("msgid")),
                                advisor=route.sender, now=stamp())
        if route.kind == "held":
            return self._record(message, "held", outbox.mark_held, route.reason, stamp())
        if route.kind == "dead":
            raise _Undeliverable(route.reason)
        return self._record(message, "wait", outbox.postpone, stamp() + NOT_CONFIGURED_PAUSE)

    def _with_media(self, api: WeComAPI, body: dict[str, Any]) -> dict[str, Any]:
        """An image given by URL is fetched and uploaded first (its media_id lives 3 days: done per attempt)."""
        image = body.get("image")
        if body.get("msgtype") != "image" or not isinstance(image, dict) or not image.get("url"):
            return body
        url = str(image["url"])
        try:
            content = fetch_bytes(url)
        except ValueError as error:
            raise _Undeliverable(f"image: {error}") from None
        except OSError as error:
            raise WeComAPIError("image fetch", None, type(error).__name__) from None
        filename = "image.jpg" if url.lower().split("?")[0].endswith((".jpg", ".jpeg")) else "image.png"
        return {**body, "image": {"media_id": api.upload_media(content, filename)}}

    def _tell_advisors(self, outcomes: list[Outcome], moment: dt.datetime) -> list[int]:
        """One notice per advisor for the mass sends this pass left waiting for their confirmation."""
        waiting = Counter(o.advisor for o in outcomes if o.result == "awaiting_advisor" and o.advisor)
        if not waiting:
            return []
        with session_scope(self.url) as session:
            return [outbox.add_notification(session, advisor, routes.advisor_notice(count), kind="mass_pending",
                                            now=moment).id for advisor, count in sorted(waiting.items())]


def _mass_status(send_list: list[dict[str, Any]], recipient: str) -> int:
    """WeCom's status of a mass send (0 unsent, 1 sent, 2 not a contact, 3 already got one today). A task for one
    client reads that client's row; a task a job built for many (addressed to its advisor) counts as sent once
    any client got it, its advisor having confirmed it, and as failed only when every client failed.

    >>> _mass_status([{"external_userid": "wmA", "status": 2}, {"external_userid": "wmB", "status": 1}], "zhangmin")
    1
    >>> _mass_status([{"external_userid": "wmA", "status": 2}], "wmA")
    2
    """
    if is_external(recipient):
        return next((int(item.get("status", 0)) for item in send_list if item.get("external_userid") == recipient), 0)
    statuses = [int(item.get("status", 0)) for item in send_list]
    if 1 in statuses:
        return 1
    return statuses[0] if statuses and 0 not in statuses else 0


def _msgid(answer: dict[str, Any]) -> str | None:
    return str(answer["msgid"]) if answer.get("msgid") else None


def api_group(path: str) -> str:
    """A bounded label for a WeCom API path: its group, never a query string or an id.

    >>> api_group("kf/send_msg"), api_group("message/send"), api_group("externalcontact/add_msg_template?x=1")
    ('kf/send_msg', 'message/send', 'externalcontact/add_msg_template')
    """
    path = path.split("?", 1)[0].strip("/")
    return "/".join(path.split("/")[:2]) or "-"


OUTBOX_DEPTH_STATES = ("pending", "held", "awaiting_advisor", "dead")
"""The outbox states the depth gauge reports (sent and dropped only grow, and are not depth)."""


def outbox_depth(url: str | None = None) -> dict[str, int]:
    """Messages per waiting or dead state, every state present (the sender's wecom_outbox_depth gauge)."""
    with session_scope(url) as session:
        rows = session.execute(select(Notification.state, func.count()).where(
            Notification.state.in_(OUTBOX_DEPTH_STATES)).group_by(Notification.state)).all()
    return {**dict.fromkeys(OUTBOX_DEPTH_STATES, 0), **{str(state): int(count) for state, count in rows}}


def _errcode(error: str | None) -> int | None:
    """WeCom's errcode in a stored error text.

    >>> _errcode("kf/send_msg: errcode=42001 status=None expired"), _errcode(None)
    (42001, None)
    """
    match = _ERRCODE.search(error or "")
    return int(match.group(1)) if match else None


def run_once(now: dt.datetime | None = None, url: str | None = None, settings: Settings | None = None) -> PassReport:
    """One pass of a fresh sender over the bank at `url` (default: DATABASE_URL)."""
    worker = Outbox(settings, url)
    try:
        return worker.run_once(now)
    finally:
        worker.close()


HISTORY_ROUTE = "history"
"""The route of messages recorded as sent because they are a replayed past, never delivered (mark_history)."""


def mark_history(session: Session, start: dt.datetime, end: dt.datetime) -> int:
    """Record the pending messages created in [start, end) as sent at their own time, on route "history": they
    belong to a replayed past (the demo bank's history, services/demo_history.py) and must never reach WeCom
    when the sender starts. Nothing is deleted; returns how many were marked."""
    result = session.execute(update(Notification).where(
        Notification.state == "pending", Notification.created_at >= start, Notification.created_at < end)
        .values(state="sent", sent_at=Notification.created_at, route=HISTORY_ROUTE, next_attempt_at=None,
                error=None)
        .execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- the process ----------------------------------------------------------------------------------------------
def run(stop: threading.Event, worker: Outbox | None = None) -> None:
    """Pass after pass until `stop` is set. When a pass found nothing to do it pauses: on PostgreSQL until a
    message is stored or `outbox_listen_s` has passed (services/outbox_wakeup.py), elsewhere `outbox_poll_s`."""
    worker = worker or Outbox()
    metrics.OUTBOX_DEPTH.watch(partial(outbox_depth, worker.url))
    # On PostgreSQL the sender is woken by each new message; elsewhere it polls.
    wakeups = listener(worker.url or worker.settings.database_url)
    log.info("outbox sender started (%s)", "woken by the database" if wakeups else "polling")
    checked = 0.0
    try:
        while not stop.is_set():
            try:
                if time.monotonic() - checked >= worker.settings.outbox_mass_check_s:
                    checked = time.monotonic()
                    worker.check_mass_sends()
                busy = worker.run_once().busy
            except Exception as error:  # the database is down, or a bug: keep the worker, pause, go again
                log.error("outbox pass failed: %s", type(error).__name__)
                busy = False
                stop.wait(5 * worker.settings.outbox_poll_s)
            if not busy:
                if wakeups is not None:
                    wakeups.wait(worker.settings.outbox_listen_s, stop)
                else:
                    stop.wait(worker.settings.outbox_poll_s)
    finally:
        if wakeups is not None:
            wakeups.close()
        worker.close()
        log.info("outbox sender stopped")


def _operator(command: str, note_id: int) -> int:
    with session_scope() as session:
        done = (outbox.resend if command == "resend" else outbox.drop)(session, note_id)
    print(f"{command} {note_id}: {'ok' if done else '没有可操作的消息（编号或状态不对）'}")
    return 0 if done else 1


def _print_dead(limit: int) -> int:
    with session_scope() as session:
        letters = outbox.dead_letters(session, limit)
        for note in letters:
            print(f"{note.id}\t{mask_id(note.recipient)}\t{note.kind}\t{note.created_at:%Y-%m-%d %H:%M}\t"
                  f"{note.attempts}\t{note.error or ''}")
        print(f"共{outbox.count_dead(session)}条死信" + (f"（显示最新{len(letters)}条）" if letters else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.outbox", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="deliver the outbox until SIGTERM / SIGINT")
    dead = commands.add_parser("dead", help="list dead letters (masked recipients, reasons)")
    dead.add_argument("--limit", type=int, default=50)
    for name in ("resend", "drop"):
        commands.add_parser(name, help=f"{name} one message").add_argument("id", type=int)
    args = parser.parse_args(argv)
    logs.configure("sender")
    if args.command == "dead":
        return _print_dead(args.limit)
    if args.command in ("resend", "drop"):
        return _operator(args.command, args.id)
    try:
        check_profile(get_settings())
    except ProductionRefused as error:
        print(error, file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    metrics.serve(get_settings().outbox_metrics_port, "outbox sender", get_settings().metrics_host)
    run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
