"""Reads for the staff pages: a day's appointments at an outlet, and the dashboard's counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.lobby import layouts
from manyi.personal import mask_phone
from manyi.reach.appointment_rules import rules_for
from manyi.reach.appointment_tables import Appointment
from manyi.reach.domain import booking
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
