"""Client segments (客户分群): rule-based groups defined once as data (services/segments.yml), evaluated set-based.

A segment is a rule (asset tier, life stage, activity, dormancy, in loss, drifted, risk assessment expired or
missing) with parameters. Each rule reads one *fact* per client (assets, last activity, the worst loss …); a
fact is loaded for all the clients of a SELECT in one or two statements, so evaluating every segment for an
advisor's clients costs a fixed number of queries, not one per client. The loss and drift rules are
services/rules.py's (the briefing's), the tiers calc/rewards.py's, the assessment's validity bank/risk_profiles'.
Advisors may also rank their clients by health score, loss or drift ("健康分最低的十个客户").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bank.access import visible_client_ids
from bank.clients import phone_tail
from bank.directory import Identity
from bank.models import INSURANCE_CATEGORIES, LIFE_STAGES, Client, Contact, Holding, Product, Transaction
from bank.risk_profiles import status_of
from calc import clock
from calc.money import fmt_pct, fmt_wan
from calc.rewards import BASE_TIER_ZH, RewardRules, tier_index
from calc.risk import RISK_VALID_DAYS
from calc.score import SUB_NAMES
from services.rules import Drift, Loss, clients_in_loss, clients_of, drifted_clients
from services.settings import Settings, get_settings

DEFINITIONS = Path(__file__).with_name("segments.yml")
RANK_BY = ("health", "loss", "drift")
RankBy = Literal["health", "loss", "drift"]


class UnknownSegment(LookupError):
    """No segment has this id or name."""


@dataclass(frozen=True)
class Segment:
    """One segment as defined in segments.yml: id, Chinese name, the rule and its parameters."""

    id: str
    name: str
    rule: str
    params: Mapping[str, Any]
    description_template: str

    def describe(self, settings: Settings | None = None) -> str:
        """The description with its parameters filled in (thresholds as the settings state them now)."""
        return self.description_template.format(**_wording(self, settings or get_settings()))


@dataclass(frozen=True)
class Member:
    """A client in a segment (or a ranking): who, and the figure that put them there, in Chinese."""

    client_id: int
    name: str
    phone_tail: str
    detail: str
    value: float = 0.0


@dataclass(frozen=True)
class Facts:
    """What the rules read, per client id, for the clients of one SELECT (loaded once per evaluation)."""

    today: dt.date
    settings: Settings
    clients: dict[int, Any]
    loaders: dict[str, Callable[[], dict[int, Any]]]
    cache: dict[str, dict[int, Any]]

    def __getitem__(self, fact: str) -> dict[int, Any]:
        if fact not in self.cache:
            self.cache[fact] = self.loaders[fact]()
        return self.cache[fact]


# --- facts: each loaded for all clients of a SELECT in a fixed number of statements -----------------------
def _client_rows(session: Session, clients: Select[Any]) -> dict[int, Any]:
    return {row.id: row for row in session.execute(
        select(Client.id, Client.name, Client.phone, Client.advisor_id, Client.life_stage, Client.risk_level,
               Client.risk_assessed_on, Client.last_login_at).where(Client.id.in_(clients)))}


def _assets(session: Session, clients: Select[Any]) -> dict[int, float]:
    """Financial assets at this bank per client: market value of every holding but insurance (the measure
    client_rewards tiers by)."""
    rows = session.execute(
        select(Holding.client_id, func.sum(Holding.market_value)).join(Product, Holding.product_id == Product.id)
        .where(Holding.client_id.in_(clients), Product.category.not_in(INSURANCE_CATEGORIES))
        .group_by(Holding.client_id))
    return {client_id: float(total or 0) for client_id, total in rows}


def _last_active(session: Session, clients: Select[Any], rows: Mapping[int, Any], today: dt.date) -> dict[int, dt.date]:
    """The last day of a contact, a login or a transaction, up to `today` (clients never active are absent)."""
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time())
    found: dict[int, dt.date] = {}

    def keep(client_id: int, day: dt.date | None) -> None:
        if day is not None and day <= today and (client_id not in found or day > found[client_id]):
            found[client_id] = day

    for client_id, at in session.execute(select(Contact.client_id, func.max(Contact.happened_at)).where(
            Contact.client_id.in_(clients), Contact.happened_at < end).group_by(Contact.client_id)):
        keep(client_id, at.date() if at else None)
    for client_id, day in session.execute(select(Transaction.client_id, func.max(Transaction.trade_date)).where(
            Transaction.client_id.in_(clients), Transaction.trade_date <= today).group_by(Transaction.client_id)):
        keep(client_id, day)
    for client_id, row in rows.items():
        keep(client_id, row.last_login_at.date() if row.last_login_at else None)
    return found


def load_facts(session: Session, clients: Select[Any], today: dt.date, settings: Settings | None = None) -> Facts:
    """The facts of the clients selected by `clients` (a SELECT of client ids); each is read when first used."""
    settings = settings or get_settings()
    rows = _client_rows(session, clients)
    loaders: dict[str, Callable[[], dict[int, Any]]] = {
        "assets": lambda: _assets(session, clients),
        "last_active": lambda: _last_active(session, clients, rows, today),
        "loss": lambda: clients_in_loss(session, clients, today, settings.rule_loss_threshold),
        "drift": lambda: drifted_clients(session, clients, settings.rule_drift_threshold),
    }
    return Facts(today, settings, rows, loaders, {})


# --- rules: a predicate over one client's facts, giving the detail (and a sort value) when the client is in ---
Hit = tuple[str, float] | None


def _tiers() -> list[tuple[float, str]]:
    return [(0.0, BASE_TIER_ZH), *RewardRules().tiers]


def _asset_tier(facts: Facts, client_id: int, params: Mapping[str, Any]) -> Hit:
    assets = facts["assets"].get(client_id, 0.0)
    if tier_index(assets, RewardRules()) != params["tier"]:
        return None
    return f"金融资产{fmt_wan(assets)}", -assets


def _life_stage(facts: Facts, client_id: int, params: Mapping[str, Any]) -> Hit:
    return (params["stage"], 0.0) if facts.clients[client_id].life_stage == params["stage"] else None


def _idle_days(facts: Facts, client_id: int) -> int | None:
    last = facts["last_active"].get(client_id)
    return None if last is None else (facts.today - last).days


def _activity(facts: Facts, client_id: int, params: Mapping[str, Any]) -> Hit:
    days = _idle_days(facts, client_id)
    if days is None or days > params["within_days"]:
        return None
    return ("今天有过互动" if days == 0 else f"最近一次互动在{days}天前"), float(days)


def _dormancy(facts: Facts, client_id: int, params: Mapping[str, Any]) -> Hit:
    days = _idle_days(facts, client_id)
    if days is None:
        return "没有任何互动记录", -1e9
    return (f"已{days}天没有互动", -float(days)) if days > params["idle_days"] else None


def _in_loss(facts: Facts, client_id: int, params: Mapping[str, Any]) -> Hit:
    loss: Loss | None = facts["loss"].get(client_id)
    return None if loss is None else (f"{loss.product_name}{fmt_pct(loss.worst, 1)}", loss.worst)


def _drifted(facts: Facts, client_id: int, params: Mapping[str, Any]) -> Hit:
    drift: Drift | None = facts["drift"].get(client_id)
    if drift is None:
        return None
    return f"偏离目标配置{fmt_pct(drift.distance, 0)}（{drift.checkup_on:%Y-%m-%d}体检）", -drift.distance


def _valid_days(params: Mapping[str, Any]) -> int:
    return int(params.get("valid_days") or RISK_VALID_DAYS)


def _risk_expired(facts: Facts, client_id: int, params: Mapping[str, Any]) -> Hit:
    row = facts.clients[client_id]
    status = status_of(row.risk_level, row.risk_assessed_on, facts.today, _valid_days(params))
    if row.risk_level is None or not status.expired:
        return None
    when = f"{row.risk_assessed_on:%Y-%m-%d}测评" if row.risk_assessed_on else "测评日期缺失"
    return f"{row.risk_level}，{when}", float(row.risk_assessed_on.toordinal() if row.risk_assessed_on else 0)


def _risk_missing(facts: Facts, client_id: int, params: Mapping[str, Any]) -> Hit:
    return ("未做风险测评", 0.0) if facts.clients[client_id].risk_level is None else None


RULES: dict[str, Callable[[Facts, int, Mapping[str, Any]], Hit]] = {
    "asset_tier": _asset_tier, "life_stage": _life_stage, "activity": _activity, "dormancy": _dormancy,
    "in_loss": _in_loss, "drifted": _drifted, "risk_expired": _risk_expired, "risk_missing": _risk_missing,
}
PARAMS: dict[str, set[str]] = {
    "asset_tier": {"tier"}, "life_stage": {"stage"}, "activity": {"within_days"}, "dormancy": {"idle_days"},
    "in_loss": {"threshold_setting"}, "drifted": {"threshold_setting"}, "risk_expired": {"valid_days"},
    "risk_missing": set(),
}


def _wording(segment: Segment, settings: Settings) -> dict[str, Any]:
    """The values a description may name: its parameters, tier bounds from calc, thresholds from settings."""
    words: dict[str, Any] = dict(segment.params)
    if segment.rule == "asset_tier":
        tiers, index = _tiers(), segment.params["tier"]
        words["low"] = f"{fmt_wan(tiers[index][0] if index else tiers[1][0])}元"
        words["high"] = f"{fmt_wan(tiers[index + 1][0])}元" if index + 1 < len(tiers) else ""
    if "threshold_setting" in segment.params:
        words["threshold"] = fmt_pct(getattr(settings, segment.params["threshold_setting"]), 0)
    if segment.rule == "risk_expired":
        words["valid_days"] = _valid_days(segment.params)
    return words


def _check(raw: Any) -> tuple[Segment, ...]:
    """Segments from the parsed YAML; ValueError naming the segment and field when one is malformed."""
    segments, seen = [], set()
    settings_fields = set(Settings.model_fields)
    for item in raw or []:
        sid = str(item.get("id", ""))
        rule, params = item.get("rule"), dict(item.get("params") or {})
        if not sid or sid in seen:
            raise ValueError(f"segments.yml: id {sid!r} is empty or repeated")
        if rule not in RULES or set(params) != PARAMS[rule]:
            raise ValueError(f"segments.yml: {sid}: rule {rule!r} needs parameters {sorted(PARAMS.get(rule, ()))}")
        if rule == "asset_tier" and not (isinstance(params["tier"], int) and 0 <= params["tier"] < len(_tiers())):
            raise ValueError(f"segments.yml: {sid}: tier must be 0-{len(_tiers()) - 1}")
        if rule == "life_stage" and params["stage"] not in LIFE_STAGES:
            raise ValueError(f"segments.yml: {sid}: stage must be one of {LIFE_STAGES}")
        if params.get("threshold_setting", "rule_loss_threshold") not in settings_fields:
            raise ValueError(f"segments.yml: {sid}: no setting {params['threshold_setting']!r}")
        if not item.get("name") or not item.get("description"):
            raise ValueError(f"segments.yml: {sid}: name and description are required")
        seen.add(sid)
        segments.append(Segment(sid, str(item["name"]), rule, params, str(item["description"])))
    return tuple(segments)


@lru_cache(maxsize=1)
def all_segments() -> tuple[Segment, ...]:
    """Every segment, in the order of segments.yml."""
    return _check(yaml.safe_load(DEFINITIONS.read_text(encoding="utf-8")))


def segment(segment_id_or_name: str) -> Segment:
    """The segment with this id or Chinese name (UnknownSegment otherwise)."""
    key = segment_id_or_name.strip()
    for found in all_segments():
        if key in (found.id, found.name):
            return found
    raise UnknownSegment(f"segment: no segment {segment_id_or_name!r}")


def find_segment(text: str) -> Segment | None:
    """The segment whose Chinese name occurs in `text` (longest name first), for chat wording."""
    for found in sorted(all_segments(), key=lambda s: -len(s.name)):
        if found.name in text:
            return found
    return None


# --- evaluation -----------------------------------------------------------------------------------------
def _members(facts: Facts, seg: Segment) -> list[Member]:
    rule, hits = RULES[seg.rule], []
    for client_id, row in facts.clients.items():
        hit = rule(facts, client_id, seg.params)
        if hit is not None:
            hits.append(Member(client_id, row.name, phone_tail(row.phone), hit[0], hit[1]))
    return sorted(hits, key=lambda m: (m.value, m.client_id))


def members_among(session: Session, clients: Select[Any], segment_id: str, today: dt.date,
                  settings: Settings | None = None) -> list[Member]:
    """The clients selected by `clients` that are in segment `segment_id` (most notable first)."""
    return _members(load_facts(session, clients, today, settings), segment(segment_id))


def segment_members(session: Session, advisor_id: int, segment_id: str, today: dt.date,
                    settings: Settings | None = None) -> list[Member]:
    """Advisor `advisor_id`'s clients in segment `segment_id` (an id or a Chinese name)."""
    return members_among(session, clients_of([advisor_id]), segment_id, today, settings)


def visible_segment_members(session: Session, viewer: Identity | None, segment_id: str, today: dt.date,
                            settings: Settings | None = None) -> list[Member]:
    """The segment among the clients `viewer` may see (an advisor's own, a manager's team)."""
    return members_among(session, visible_client_ids(viewer), segment_id, today, settings)


def segment_overview(session: Session, advisor_id: int, today: dt.date,
                     settings: Settings | None = None) -> dict[str, list[Member]]:
    """Every segment's members among advisor `advisor_id`'s clients, from one load of their facts."""
    facts = load_facts(session, clients_of([advisor_id]), today, settings)
    return {seg.id: _members(facts, seg) for seg in all_segments()}


def segments_of(session: Session, client_id: int, today: dt.date,
                settings: Settings | None = None) -> list[tuple[Segment, str]]:
    """The segments client `client_id` is in, each with its detail (callers check the viewer's access)."""
    facts = load_facts(session, select(Client.id).where(Client.id == client_id), today, settings)
    if client_id not in facts.clients:
        return []
    found = []
    for seg in all_segments():
        hit = RULES[seg.rule](facts, client_id, seg.params)
        if hit is not None:
            found.append((seg, hit[0]))
    return found


# --- ranking --------------------------------------------------------------------------------------------
def _health(session: Session, ids: Iterable[int], rows: Mapping[int, Any], today: dt.date) -> list[Member]:
    """Health scores, one client at a time through services/wealth.py (the same score the client is told)."""
    from services.wealth import client_health_score  # pandas-heavy; only the health ranking needs it

    ranked = []
    for client_id in ids:
        score = client_health_score(session, client_id, today)
        parts = {"activity": score.activity.value, "allocation": score.allocation.value,
                 "potential": score.potential.value}
        weakest = min(parts, key=lambda k: parts[k])
        row = rows[client_id]
        ranked.append(Member(client_id, row.name, phone_tail(row.phone),
                             f"健康分{score.total:g}，{SUB_NAMES[weakest]}最弱（{parts[weakest]:g}）", score.total))
    return ranked


def rank_clients(session: Session, advisor_id: int, by: RankBy, n: int = 10, ascending: bool | None = None, *,
                 today: dt.date | None = None, settings: Settings | None = None) -> list[Member]:
    """Advisor `advisor_id`'s `n` clients ranked by health score, loss or drift.

    `ascending` defaults to what an advisor means: the lowest health scores, the deepest losses (most negative
    change first) and the largest drifts. Loss and drift rank every client with any loss (or any drift from a
    check-up target), not only those past the briefing's thresholds; health ranks every client.
    """
    if by not in RANK_BY:
        raise ValueError(f"by: must be one of {RANK_BY}, got {by!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n: must be a positive int, got {n!r}")
    today = today or clock.today()
    clients = clients_of([advisor_id])
    rows = _client_rows(session, clients)
    if by == "health":
        ranked = _health(session, sorted(rows), rows, today)
        natural = True
    elif by == "loss":
        losses = clients_in_loss(session, clients, today, 0.0)
        ranked = [Member(c, rows[c].name, phone_tail(rows[c].phone), f"{x.product_name}{fmt_pct(x.worst, 1)}", x.worst)
                  for c, x in losses.items() if x.worst < 0]
        natural = True
    else:
        drifts = drifted_clients(session, clients, 0.0)
        ranked = [Member(c, rows[c].name, phone_tail(rows[c].phone), f"偏离目标配置{fmt_pct(x.distance, 0)}", x.distance)
                  for c, x in drifts.items()]
        natural = False
    order = natural if ascending is None else ascending
    ranked.sort(key=lambda m: (m.value if order else -m.value, m.client_id))
    return ranked[:n]
