"""Where and when appointments can be booked: the outlet and service (`Place`), the slots of a
day with their places (the pools of counters shared by services and their formula are in
`domain/pools.py`), and taking or giving back a place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from manyi.errors import Conflict, InvalidInput
from manyi.lobby import layouts
from manyi.lobby.domain.model import Service
from manyi.lobby.tables import LobbyCounter
from manyi.org.tables import Unit
from manyi.reach import appointment_ports
from manyi.reach.appointment_rules import rules_for
from manyi.reach.appointment_tables import AppointmentSlotCount
from manyi.reach.domain.pools import Pool, PoolPlan, pools, pools_of, room
from manyi.reach.domain.slots import Rules, Slot, day_slots, in_window
from manyi.reach.domain.slots import slot_starts as starts_of
from manyi.workdays import calendars


@dataclass(frozen=True)
class Place:
    """An outlet and service open to appointments, with its rules and hours."""

    outlet: Unit
    service: Service
    rules: Rules
    zone: ZoneInfo
    opens: dt.time
    closes: dt.time | None
    target_wait_s: int

    def local(self, at: dt.datetime) -> dt.datetime:
        return at.astimezone(self.zone)

    @property
    def hours(self) -> tuple[dt.time, dt.time]:
        return self.rules.book_from, self.rules.book_until

    def today(self, now: dt.datetime) -> dt.date:
        return now.astimezone(self.zone).date()


def place(session: Session, outlet_code: str, service_code: str) -> Place:
    """The outlet and service; refused when unknown or when no counter serves the service."""
    outlet = layouts.outlet_by_code(session, (outlet_code or "").strip())
    lobby = layouts.layout(session, outlet)
    service = lobby.services.get((service_code or "").strip().upper())
    if service is None:
        raise InvalidInput(
            "no service {code} at this outlet",
            "service",
            code=service_code,
            error_code="unknown_service",
        )
    served = session.scalars(
        select(LobbyCounter.services).where(LobbyCounter.outlet_id == outlet.id)
    )
    if not any(service.code in (s or []) for s in served):
        raise Conflict(
            "no counter at this outlet serves {code}",
            "service",
            code=service.code,
            error_code="not_served",
        )
    policy = lobby.policy
    return Place(
        outlet,
        service,
        rules_for(session, outlet.id),
        ZoneInfo(policy.timezone),
        policy.opens_at,
        policy.closes_at,
        policy.target_wait_s,
    )


def services_of(session: Session, outlet_code: str) -> tuple[Unit, list[Service]]:
    """An outlet's services that a counter serves (the ones that can be booked)."""
    outlet = layouts.outlet_by_code(session, (outlet_code or "").strip())
    served: set[str] = set()
    for codes in session.scalars(
        select(LobbyCounter.services).where(LobbyCounter.outlet_id == outlet.id)
    ):
        served.update(codes or [])
    services = layouts.layout(session, outlet).services
    return outlet, [s for code, s in services.items() if code in served]


@dataclass(frozen=True)
class DayView:
    place: Place
    day: dt.date
    workday: bool
    holiday: str | None
    slots: list[Slot]
    days: list[dt.date]  # the working days a customer may pick now


def _pools(session: Session, where: Place) -> list[Pool]:
    """The pools a booking of the place's service draws on (from the outlet's counters)."""
    rows = session.execute(
        select(LobbyCounter.id, LobbyCounter.services).where(
            LobbyCounter.outlet_id == where.outlet.id
        )
    )
    return pools_of(where.service.code, pools({n: list(codes or []) for n, codes in rows}))


def _booked(
    session: Session, outlet_id: int, services: set[str], starts: list[dt.datetime]
) -> dict[dt.datetime, dict[str, int]]:
    """The places each service has booked per slot."""
    if not starts or not services:
        return {}
    rows = session.execute(
        select(
            AppointmentSlotCount.slot_start,
            AppointmentSlotCount.service_code,
            AppointmentSlotCount.booked,
        ).where(
            AppointmentSlotCount.outlet_id == outlet_id,
            AppointmentSlotCount.service_code.in_(sorted(services)),
            AppointmentSlotCount.slot_start.in_(starts),
        )
    )
    booked: dict[dt.datetime, dict[str, int]] = {}
    for start, service, count in rows:
        booked.setdefault(start, {})[service] = count
    return booked


def _plans(
    session: Session, where: Place, shared: list[Pool], starts: list[dt.datetime], now: dt.datetime
) -> dict[dt.datetime, list[tuple[Pool, PoolPlan | None]]]:
    """Per slot, each pool with what the plan gives it (None: the plan does not cover it)."""
    port = appointment_ports.capacity()
    plans: dict[dt.datetime, list[tuple[Pool, PoolPlan | None]]] = {s: [] for s in starts}
    for pool in shared:
        answers = port.pool_capacity(
            session,
            where.outlet,
            pool.services,
            len(pool.counters),
            starts,
            where.target_wait_s,
            now,
        )
        by_start = {
            a.start: PoolPlan(a.capacity_s, a.walk_in_s, dict(a.service_s)) for a in answers
        }
        for start in starts:
            plans[start].append((pool, by_start.get(start)))
    return plans


def open_days(session: Session, where: Place, now: dt.datetime) -> list[dt.date]:
    calendar = calendars.bank_calendar(session)
    today = where.today(now)
    days = [today + dt.timedelta(days=n) for n in range(where.rules.horizon_days + 1)]
    return [d for d in days if calendar.is_workday(d)]


def slots_for_day(session: Session, where: Place, day: dt.date, now: dt.datetime) -> DayView:
    calendar = calendars.bank_calendar(session)
    workday = calendar.is_workday(day)
    days = open_days(session, where, now)
    if not workday:
        return DayView(where, day, False, calendar.holiday_name(day), [], days)
    starts = starts_of(day, where.opens, where.closes, where.zone, where.hours)
    shared = _pools(session, where)
    booked = _booked(session, where.outlet.id, _services(shared), starts)
    plans = _plans(session, where, shared, starts, now)
    code, share = where.service.code, where.rules.walk_in_share
    slots = day_slots(
        starts,
        {s: room(code, plans[s], booked.get(s, {}), share) for s in starts},
        {s: booked.get(s, {}).get(code, 0) for s in starts},
        now,
        where.today(now),
        where.zone,
        where.rules,
    )
    return DayView(where, day, True, None, slots, days)


def check_slot(session: Session, where: Place, start: dt.datetime, now: dt.datetime) -> Slot:
    """The slot starting at `start` if it can be booked now (with its capacity)."""
    start = start.astimezone(dt.UTC)
    day = where.local(start).date()
    if start < now:
        raise InvalidInput(
            "this time has passed; please choose another", "start", error_code="slot_past"
        )
    if not calendars.bank_calendar(session).is_workday(day):
        raise InvalidInput(
            "no appointments on {day}: the outlet does not open that day",
            "start",
            day=day.isoformat(),
            error_code="not_workday",
        )
    if start not in starts_of(day, where.opens, where.closes, where.zone, where.hours):
        raise InvalidInput("no appointment slot starts at this time", "start", error_code="no_slot")
    if not in_window(start, now, where.today(now), where.zone, where.rules):
        raise InvalidInput(
            "appointments are taken from {lead} minutes to {days} days ahead",
            "start",
            lead=where.rules.lead_minutes,
            days=where.rules.horizon_days,
            error_code="outside_window",
        )
    view = slots_for_day(session, where, day, now)
    return next(s for s in view.slots if s.start == start)


def _services(shared: list[Pool]) -> set[str]:
    return set().union(*(p.services for p in shared)) if shared else set()


def claim(session: Session, where: Place, slot: Slot, now: dt.datetime) -> None:
    """Take one place in the slot. The counts of every service the booking shares counters with
    are locked first (FOR UPDATE in the order of their codes on PostgreSQL; SQLite runs one
    writing transaction at a time), then read and checked against the pools: two customers never
    get the last place, even of two services sharing a counter."""
    shared = _pools(session, where)
    services = sorted(_services(shared) | {where.service.code})
    upsert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        upsert(AppointmentSlotCount)
        .values(
            [
                {
                    "outlet_id": where.outlet.id,
                    "service_code": code,
                    "slot_start": slot.start,
                    "booked": 0,
                }
                for code in services
            ]
        )
        .on_conflict_do_nothing()
    )
    counts = session.execute(
        select(AppointmentSlotCount.service_code, AppointmentSlotCount.booked)
        .where(
            AppointmentSlotCount.outlet_id == where.outlet.id,
            AppointmentSlotCount.slot_start == slot.start,
            AppointmentSlotCount.service_code.in_(services),
        )
        .order_by(AppointmentSlotCount.service_code)
        .with_for_update()
    )
    booked = {code: count for code, count in counts}
    plans = _plans(session, where, shared, [slot.start], now)[slot.start]
    if room(where.service.code, plans, booked, where.rules.walk_in_share) < 1:
        raise Conflict(
            "this time is fully booked; please choose another", "start", error_code="slot_full"
        )
    session.execute(
        update(AppointmentSlotCount)
        .where(
            AppointmentSlotCount.outlet_id == where.outlet.id,
            AppointmentSlotCount.service_code == where.service.code,
            AppointmentSlotCount.slot_start == slot.start,
        )
        .values(booked=AppointmentSlotCount.booked + 1)
    )


def release(session: Session, outlet_id: int, service: str, start: dt.datetime) -> None:
    session.execute(
        update(AppointmentSlotCount)
        .where(
            AppointmentSlotCount.outlet_id == outlet_id,
            AppointmentSlotCount.service_code == service,
            AppointmentSlotCount.slot_start == start,
            AppointmentSlotCount.booked > 0,
        )
        .values(booked=AppointmentSlotCount.booked - 1)
    )


def bookable_outlets(session: Session) -> list[Unit]:
    """Active outlets with at least one counter (the outlet picker of the booking pages)."""
    with_counters = select(LobbyCounter.outlet_id).distinct()
    return list(
        session.scalars(
            select(Unit)
            .where(Unit.id.in_(with_counters), Unit.active.is_(True))
            .order_by(Unit.code)
        )
    )


def place_of(session: Session, outlet_id: int, service_code: str) -> Place:
    return place(session, layouts.outlet_by_id(session, outlet_id).code, service_code)
