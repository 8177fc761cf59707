"""What each app process keeps for a moment about an outlet: settings, services, recent times.

An outlet's settings and services change a few times a year but are read on
every ticket operation, so each process keeps them for LAYOUT_TTL_S seconds.
A change made in this process is seen at once (`forget`); other processes
see it within the TTL. Counter states, tickets and skills are never cached.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.db_keys import database_key
from manyi.errors import NotFound
from manyi.lobby.domain.model import Outcome, Policy, PriorityClass, Service
from manyi.lobby.outlets import Outlet, OutletLike
from manyi.lobby.tables import LobbyService, LobbySettings, LobbyTicket
from manyi.org.model import UnitLevel, path_in_scope
from manyi.org.tables import Unit

RECENT_SERVED = 30

LAYOUT_TTL_S = 10.0
RECENT_TTL_S = 30.0


@dataclass(frozen=True)
class Layout:
    policy: Policy
    services: dict[str, Service]
    service_ids: dict[str, int]


_cache: dict[tuple[str, str, int], tuple[float, Any]] = {}


def _db_key(session: Session) -> str:
    return database_key(session)


def _cached(session: Session, kind: str, outlet_id: int, ttl: float, load: Any) -> Any:
    key = (kind, _db_key(session), outlet_id)
    hit = _cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    value = load()
    _cache[key] = (now, value)
    return value


def forget(session: Session, outlet_id: int) -> None:
    """Drop what this process cached about an outlet (after its configuration changed)."""
    url = _db_key(session)
    for key in [k for k in _cache if k[1] == url and k[2] == outlet_id]:
        del _cache[key]


def _outlet_row(session: Session, outlet_id: int) -> Unit:
    unit = session.get(Unit, outlet_id)
    if unit is None:
        raise NotFound("no outlet {code}", "outlet", code=str(outlet_id))
    return unit


def outlet_by_id(session: Session, outlet_id: int) -> Unit:
    """An outlet row for reading, without a query when this process saw it recently."""
    cached: Unit = _cached(
        session, "unit", outlet_id, LAYOUT_TTL_S, lambda: _outlet_row(session, outlet_id)
    )
    return session.merge(cached, load=False)


def outlet_view(session: Session, outlet_id: int) -> Outlet:
    """The outlet as a plain value (`outlets.Outlet`), kept by the process for LAYOUT_TTL_S: no
    query and nothing added to the session (the devices' requests, issue 22)."""
    found: Outlet = _cached(
        session,
        "outlet",
        outlet_id,
        LAYOUT_TTL_S,
        lambda: Outlet.of(_outlet_row(session, outlet_id)),
    )
    return found


def outlet_by_code(session: Session, code: str, scope_path: str = "/") -> Unit:
    """The active outlet with this code inside `scope_path`; elsewhere it does not exist."""
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if (
        unit is None
        or not unit.active
        or unit.unit_level is not UnitLevel.OUTLET
        or not path_in_scope(scope_path, unit.path)
    ):
        raise NotFound("no outlet {code}", "outlet", code=code)
    return unit


def layout(session: Session, outlet: OutletLike) -> Layout:
    def load() -> Layout:
        rows = service_rows(session, outlet.id)
        return Layout(
            policy=load_policy(session, outlet),
            services={row.code: service_of(row) for row in rows},
            service_ids={row.code: row.id for row in rows},
        )

    result: Layout = _cached(session, "layout", outlet.id, LAYOUT_TTL_S, load)
    return result


def load_policy(session: Session, outlet: OutletLike) -> Policy:
    row = session.get(LobbySettings, outlet.id)
    if row is None:
        return Policy(timezone=outlet.timezone)
    return policy_of(row, outlet.timezone)


def policy_of(row: LobbySettings, timezone: str) -> Policy:
    return Policy(
        weights={PriorityClass(k): v for k, v in row.weights.items()},
        ageing_s=row.ageing_s,
        no_show_after_calls=row.no_show_after_calls,
        requeue_grace_s=row.requeue_grace_s,
        requeue_behind=row.requeue_behind,
        target_wait_s=row.target_wait_s,
        announcement_zh=row.announcement_zh,
        announcement_en=row.announcement_en,
        opens_at=dt.time.fromisoformat(row.opens_at),
        closes_at=dt.time.fromisoformat(row.closes_at) if row.closes_at else None,
        timezone=timezone,
        rating_window_s=row.rating_window_s,
        green_confirm=row.green_confirm,
        day_starts_at=dt.time.fromisoformat(row.day_starts_at),
        announce_en=row.announce_en,
        announce_dialect=row.announce_dialect,
        speech_rate_pct=row.speech_rate_pct,
        call_hold_s=row.call_hold_s,
        open_weekdays=frozenset(int(d) for d in row.open_weekdays if d in "1234567"),
        open_on_holidays=row.open_on_holidays,
    )


def service_of(row: LobbyService) -> Service:
    return Service(
        code=row.code,
        name_zh=row.name_zh,
        name_en=row.name_en,
        prefix=row.prefix,
        expected_service_s=row.expected_service_s,
        fast_lane=row.fast_lane,
        skill=row.skill,
    )


def service_rows(session: Session, outlet_id: int) -> list[LobbyService]:
    return list(
        session.scalars(
            select(LobbyService)
            .where(LobbyService.outlet_id == outlet_id, LobbyService.active.is_(True))
            .order_by(LobbyService.sort_order, LobbyService.code)
        )
    )


def load_services(session: Session, outlet_id: int) -> dict[str, Service]:
    return {row.code: service_of(row) for row in service_rows(session, outlet_id)}


def recent_service_s(session: Session, outlet_id: int, now: dt.datetime) -> dict[str, float]:
    """Mean service time by service over the last served tickets of the past two hours.

    Kept per process for RECENT_TTL_S seconds: a recent mean need not be to the second.
    """
    result: dict[str, float] = _cached(
        session,
        "recent",
        outlet_id,
        RECENT_TTL_S,
        lambda: _recent_service_s(session, outlet_id, now),
    )
    return result


def _recent_service_s(session: Session, outlet_id: int, now: dt.datetime) -> dict[str, float]:
    rows = session.execute(
        select(LobbyTicket.service_code, LobbyTicket.started_at, LobbyTicket.finished_at)
        .where(
            LobbyTicket.outlet_id == outlet_id,
            LobbyTicket.finished_at >= now - dt.timedelta(hours=2),
            LobbyTicket.outcome == Outcome.SERVED.value,
        )
        .order_by(LobbyTicket.finished_at.desc())
        .limit(RECENT_SERVED * 4)
    )
    sums: dict[str, list[float]] = {}
    for code, started, finished in rows:
        if started is None or finished is None:
            continue
        durations = sums.setdefault(code, [])
        if len(durations) < RECENT_SERVED:
            durations.append((finished - started).total_seconds())
    return {code: sum(d) / len(d) for code, d in sums.items() if d}
