"""Configuring an outlet's lobby: settings, services, counters and teller skills."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.db import utcnow
from manyi.errors import Conflict, InvalidInput
from manyi.lobby import layouts, store
from manyi.lobby.domain.model import CounterKind, CounterState, Policy, Service
from manyi.lobby.tables import LobbyCounter, LobbyService, LobbySettings, TellerSkill
from manyi.org.model import UnitLevel
from manyi.org.tables import Staff, Unit


@dataclass(frozen=True)
class CounterSpec:
    number: int
    kind: str
    services: tuple[str, ...]


def check_layout(services: Sequence[Service], counters: Sequence[CounterSpec]) -> None:
    codes = [s.code for s in services]
    if len(set(codes)) != len(codes):
        raise InvalidInput("each service code may appear once", "services")
    prefixes = [s.prefix for s in services]
    if len(set(prefixes)) != len(prefixes):
        raise InvalidInput("each service needs its own ticket prefix", "services")
    numbers = [c.number for c in counters]
    if len(set(numbers)) != len(numbers):
        raise InvalidInput("each counter number may appear once", "counters")
    for spec in counters:
        if not 1 <= spec.number <= 999:
            raise InvalidInput("counter numbers run from 1 to 999", "counters")
        try:
            CounterKind(spec.kind)
        except ValueError:
            raise InvalidInput("unknown counter kind {kind}", "counters", kind=spec.kind) from None
        if not spec.services:
            raise InvalidInput(
                "counter {n} must serve at least one service", "counters", n=spec.number
            )
        unknown = [c for c in spec.services if c not in codes]
        if unknown:
            raise InvalidInput(
                "counter {n} serves unknown service {code}",
                "counters",
                n=spec.number,
                code=unknown[0],
            )


def configure_outlet(
    session: Session,
    actor: audit.Actor,
    outlet: Unit,
    *,
    policy: Policy,
    services: Sequence[Service],
    counters: Sequence[CounterSpec],
    now: dt.datetime | None = None,
) -> None:
    """Replace an outlet's lobby layout; counters in use cannot be removed or re-kinded away."""
    now = now or utcnow()
    _check_outlet(outlet)
    check_layout(services, counters)
    before = layouts.load_policy(session, outlet)
    _save_policy(session, outlet, policy)

    existing = {
        row.code: row
        for row in session.scalars(select(LobbyService).where(LobbyService.outlet_id == outlet.id))
    }
    for order, service in enumerate(services):
        row = existing.pop(service.code, None) or LobbyService(
            outlet_id=outlet.id, code=service.code
        )
        row.name_zh, row.name_en, row.prefix = service.name_zh, service.name_en, service.prefix
        row.expected_service_s, row.fast_lane = service.expected_service_s, service.fast_lane
        row.skill, row.sort_order, row.active = service.skill, order, True
        session.add(row)
    for row in existing.values():
        row.active = False  # kept: past tickets refer to it

    rows = {row.number: row for row in store.counter_rows(session, outlet.id)}
    for spec in counters:
        counter = rows.pop(spec.number, None) or LobbyCounter(
            outlet_id=outlet.id, number=spec.number, state=CounterState.CLOSED.value, credits={}
        )
        counter.kind, counter.services = spec.kind, list(spec.services)
        session.add(counter)
    for old in rows.values():
        if old.state != CounterState.CLOSED.value:
            raise Conflict(
                "counter {n} is open; close it before removing it", "counters", n=old.number
            )
        session.delete(old)
    session.flush()
    layouts.forget(session, outlet.id)
    layout = {
        "services": [s.code for s in services],
        "counters": {str(c.number): list(c.services) for c in counters},
    }
    _record(session, actor, outlet, before, policy, now, layout)


def configure_settings(
    session: Session,
    actor: audit.Actor,
    outlet: Unit,
    policy: Policy,
    now: dt.datetime | None = None,
) -> None:
    """Change an outlet's lobby settings alone (the settings page): services and counters stay
    as they are. The settings are saved and audited as `configure_outlet` saves them."""
    now = now or utcnow()
    _check_outlet(outlet)
    before = layouts.load_policy(session, outlet)
    _save_policy(session, outlet, policy)
    session.flush()
    layouts.forget(session, outlet.id)
    _record(session, actor, outlet, before, policy, now, {})


def settings_of(policy: Policy) -> dict[str, Any]:
    """An outlet's settings as the configuration API shows them (and the audit records them)."""
    return {
        "weights": {k.value: v for k, v in policy.weights.items()},
        "ageing_s": policy.ageing_s,
        "no_show_after_calls": policy.no_show_after_calls,
        "requeue_grace_s": policy.requeue_grace_s,
        "requeue_behind": policy.requeue_behind,
        "target_wait_s": policy.target_wait_s,
        "announcement_zh": policy.announcement_zh,
        "announcement_en": policy.announcement_en,
        "rating_window_s": policy.rating_window_s,
        "green_confirm": policy.green_confirm,
        "announce_en": policy.announce_en,
        "announce_dialect": policy.announce_dialect,
        "speech_rate_pct": policy.speech_rate_pct,
        "call_hold_s": policy.call_hold_s,
        "open_weekdays": sorted(policy.open_weekdays),
        "open_on_holidays": policy.open_on_holidays,
        "opens_at": policy.opens_at.strftime("%H:%M"),
        "closes_at": policy.closes_at.strftime("%H:%M") if policy.closes_at else None,
        "day_starts_at": policy.day_starts_at.strftime("%H:%M"),
    }


def _check_outlet(outlet: Unit) -> None:
    if outlet.unit_level is not UnitLevel.OUTLET:
        raise InvalidInput("only an outlet has a lobby", "outlet")


def _record(
    session: Session,
    actor: audit.Actor,
    outlet: Unit,
    before: Policy,
    after: Policy,
    now: dt.datetime,
    layout: dict[str, Any],
) -> None:
    """One `lobby.configured` entry: the layout when it was replaced, the opening hours, and
    each setting that changed as [before, after]."""
    old, new = settings_of(before), settings_of(after)
    audit.record(
        session,
        actor,
        entity_type="lobby",
        entity_id=outlet.id,
        action="lobby.configured",
        summary={
            "outlet": outlet.code,
            **layout,
            "opens_at": new["opens_at"],
            "closes_at": new["closes_at"],
            "day_starts_at": new["day_starts_at"],
            "changed": {key: [old[key], value] for key, value in new.items() if old[key] != value},
        },
        unit_id=outlet.id,
        unit_path=outlet.path,
        now=now,
    )


def _save_policy(session: Session, outlet: Unit, policy: Policy) -> None:
    row = session.get(LobbySettings, outlet.id) or LobbySettings(outlet_id=outlet.id)
    row.weights = {k.value: v for k, v in policy.weights.items()}
    row.ageing_s = policy.ageing_s
    row.no_show_after_calls = policy.no_show_after_calls
    row.requeue_grace_s = policy.requeue_grace_s
    row.requeue_behind = policy.requeue_behind
    row.target_wait_s = policy.target_wait_s
    row.announcement_zh = policy.announcement_zh
    row.announcement_en = policy.announcement_en
    row.opens_at = policy.opens_at.strftime("%H:%M")
    row.closes_at = policy.closes_at.strftime("%H:%M") if policy.closes_at else None
    row.rating_window_s = policy.rating_window_s
    row.green_confirm = policy.green_confirm
    row.day_starts_at = policy.day_starts_at.strftime("%H:%M")
    row.announce_en = policy.announce_en
    row.announce_dialect = policy.announce_dialect
    row.speech_rate_pct = policy.speech_rate_pct
    row.open_weekdays = "".join(str(d) for d in sorted(policy.open_weekdays))
    row.open_on_holidays = policy.open_on_holidays
    row.call_hold_s = policy.call_hold_s
    session.add(row)


def set_skills(
    session: Session,
    actor: audit.Actor,
    staff: Staff,
    skills: Sequence[str],
    now: dt.datetime | None = None,
) -> None:
    clean = sorted({s.strip() for s in skills if s.strip()})
    if any(len(s) > 32 for s in clean):
        raise InvalidInput("a skill name has at most 32 characters", "skills")
    session.execute(delete(TellerSkill).where(TellerSkill.staff_id == staff.id))
    session.add_all(TellerSkill(staff_id=staff.id, skill=s) for s in clean)
    audit.record(
        session,
        actor,
        entity_type="staff",
        entity_id=staff.id,
        action="lobby.skills_set",
        summary={"username": staff.username, "skills": clean},
        unit_id=staff.unit_id,
        unit_path=staff.unit.path,
        now=now,
    )
