"""Reads for the staff pages: a day's appointments at an outlet, and the dashboard's counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.lobby import layouts
from manyi.org.tables import Unit
from manyi.personal import mask_phone
from manyi.reach.appointment_rules import rules_for
from manyi.reach.appointment_tables import Appointment
from manyi.reach.domain import booking, nearby
from manyi.reach.domain.booking import DayCounts


def _today(session: Session, outlet_id: int, now: dt.datetime) -> dt.date:
    outlet = layouts.outlet_by_id(session, outlet_id)
    return now.astimezone(ZoneInfo(layouts.layout(session, outlet).policy.timezone)).date()


def day_counts(
    session: Session, outlet_id: int, now: dt.datetime, day: dt.date | None = None
) -> DayCounts:
    day = day or _today(session, outlet_id, now)
    rows = session.execute(
        select(Appointment.state, Appointment.slot_start).where(
            Appointment.outlet_id == outlet_id, Appointment.local_day == day
        )
    ).all()
    return booking.day_counts(
        [(r.state, r.slot_start) for r in rows], now, rules_for(session, outlet_id)
    )


@dataclass(frozen=True)
class Line:
    id: int
    slot_start: dt.datetime
    service_code: str
    phone: str  # masked
    state: str  # booked, cancelled, checked_in, no_show; "late" / "missing" when booked past time
    ticket_number: str | None
    late_ticket: bool


def day_list(
    session: Session, outlet_id: int, now: dt.datetime, day: dt.date | None = None
) -> list[Line]:
    day = day or _today(session, outlet_id, now)
    rules = rules_for(session, outlet_id)
    lines = []
    for row in session.scalars(
        select(Appointment)
        .where(Appointment.outlet_id == outlet_id, Appointment.local_day == day)
        .order_by(Appointment.slot_start, Appointment.id)
    ):
        state = row.state
        if state == booking.State.BOOKED and booking.missed(row.slot_start, now, rules):
            state = "missing"
        elif state == booking.State.BOOKED and now > row.slot_start:
            state = "late"
        lines.append(
            Line(
                row.id,
                row.slot_start,
                row.service_code,
                mask_phone(row.phone),
                state,
                row.ticket_number,
                bool(row.late),
            )
        )
    return lines


def outlet_position(session: Session, outlet_id: int) -> nearby.Position | None:
    """The outlet's position as stored now (a column read: the lobby's cached outlet row may
    be a few seconds old after an administrator set it)."""
    found = session.execute(
        select(Unit.latitude, Unit.longitude).where(Unit.id == outlet_id)
    ).one_or_none()
    if found is None or found.latitude is None or found.longitude is None:
        return None
    return nearby.Position(found.latitude, found.longitude)


@dataclass(frozen=True)
class Described:
    """One appointment as the customer's page and the app see it."""

    id: int
    outlet_code: str
    outlet_zh: str
    outlet_en: str
    service_code: str
    service_zh: str
    service_en: str
    slot_start: dt.datetime
    slot_end: dt.datetime
    zone: ZoneInfo
    state: str
    checkin_code: str
    phone: str  # masked
    ticket_number: str | None
    ticket_token: str | None
    late: bool
    can_change: bool  # booked and not started
    can_check_in: bool  # booked (or marked missing) on its day, check-in window open
    # The link checks in within this many metres of the outlet; 0: no position asked (the
    # rule is 0 or the outlet has no position).
    checkin_radius_m: int = 0


def describe(session: Session, row: Appointment, now: dt.datetime) -> Described:
    outlet = layouts.outlet_by_id(session, row.outlet_id)
    lobby = layouts.layout(session, outlet)
    zone = ZoneInfo(lobby.policy.timezone)
    service = lobby.services.get(row.service_code)
    rules = rules_for(session, row.outlet_id)
    opens = row.slot_start - dt.timedelta(minutes=rules.early_minutes)
    on_its_day = now.astimezone(zone).date() == row.local_day
    return Described(
        id=row.id,
        outlet_code=outlet.code,
        outlet_zh=outlet.name_zh,
        outlet_en=outlet.name_en or outlet.name_zh,
        service_code=row.service_code,
        service_zh=service.name_zh if service else row.service_code,
        service_en=service.name("en") if service else row.service_code,
        slot_start=row.slot_start,
        slot_end=row.slot_end,
        zone=zone,
        state=row.state,
        checkin_code=row.checkin_code,
        phone=mask_phone(row.phone),
        ticket_number=row.ticket_number,
        ticket_token=row.ticket_token,
        late=bool(row.late),
        can_change=row.state == booking.State.BOOKED and row.slot_start > now,
        can_check_in=row.state in (booking.State.BOOKED, booking.State.NO_SHOW)
        and on_its_day
        and now >= opens,
        checkin_radius_m=rules.checkin_radius_m if outlet_position(session, outlet.id) else 0,
    )
