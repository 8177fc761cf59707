"""The demo bank's appointments (`manyi demo seed`): at the two showcase outlets, a few
bookings for today (some already past their time, so the dashboard shows late and missing)
and the next working days. Demo mobiles only (139 0000 xxxx); idempotent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.errors import ManyiError
from manyi.reach import appointment_slots, appointments
from manyi.reach.appointment_tables import Appointment
from manyi.reach.domain.slots import Slot

OUTLETS = ("BJ-HD-ZGC", "SH-PD-LJZ")
# (service, local time) of each day's bookings
BOOKINGS = (
    ("A", dt.time(9, 0)),
    ("B", dt.time(9, 30)),
    ("A", dt.time(10, 30)),
    ("B", dt.time(11, 0)),
    ("A", dt.time(14, 0)),
    ("B", dt.time(15, 30)),
)
DAYS = 4  # today and the next working days


def seed(session: Session, now: dt.datetime) -> int:
    made = 0
    number = 0
    for code in OUTLETS:
        try:
            where = appointment_slots.place(session, code, "A")
        except ManyiError:
            continue  # the outlet's lobby is not set up
        today = where.today(now)
        if session.scalar(
            select(Appointment.id)
            .where(Appointment.outlet_id == where.outlet.id, Appointment.local_day >= today)
            .limit(1)
        ):
            continue
        days = appointment_slots.open_days(session, where, now)[:DAYS]
        for day in days:
            for service, at in BOOKINGS:
                number += 1
                mobile = f"1390000{number:04d}"
                target = appointment_slots.place(session, code, service)
                view = appointment_slots.slots_for_day(session, target, day, now)
                start = dt.datetime.combine(day, at, where.zone).astimezone(dt.UTC)
                slot = next((s for s in view.slots if s.start == start), None)
                if slot is None or slot.capacity <= slot.booked:
                    continue
                # Demo customers confirmed their numbers; earlier today's slots are booked too.
                created = now - dt.timedelta(days=1)
                appointments.confirmed(
                    session,
                    target,
                    Slot(slot.start, slot.end, slot.capacity, slot.booked),
                    mobile,
                    "zh-CN",
                    created,
                )
                made += 1
    return made
