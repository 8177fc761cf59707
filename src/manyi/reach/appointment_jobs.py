"""Appointments' worker passes: reminders (the day before, about an hour before) and no-shows.

Each row is claimed by a filtered UPDATE (its reminder column still empty, its state still
booked), so several workers never send a reminder twice nor count a no-show twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from manyi.config import Settings
from manyi.db import Database
from manyi.reach import appointment_ports
from manyi.reach.appointment_rules import rules_for
from manyi.reach.appointment_tables import Appointment
from manyi.reach.domain import booking
from manyi.reach.domain.booking import State
from manyi.reach.domain.slots import Rules
from manyi.worker import JobResult, WorkerJob

BATCH = 500
DAY_BEFORE = dt.timedelta(hours=24)
HOUR_BEFORE = dt.timedelta(hours=1)


def _claimed(session: Session, row_id: int, column: str, now: dt.datetime) -> bool:
    target = getattr(Appointment, column)
    result = session.execute(
        update(Appointment)
        .where(Appointment.id == row_id, target.is_(None), Appointment.state == State.BOOKED.value)
        .values({column: now})
    )
    return bool(getattr(result, "rowcount", 0))


def send_reminders(session: Session, now: dt.datetime) -> int:
    """Remind booked appointments within a day (booked more than a day ahead) and within an
    hour (booked more than an hour ahead). Returns how many reminders were sent."""
    sent = 0
    for kind, column, ahead in (
        ("day", "reminded_day_at", DAY_BEFORE),
        ("hour", "reminded_hour_at", HOUR_BEFORE),
    ):
        due = session.execute(
            select(Appointment.id, Appointment.slot_start, Appointment.created_at)
            .where(
                Appointment.state == State.BOOKED.value,
                getattr(Appointment, column).is_(None),
                Appointment.slot_start > now,
                Appointment.slot_start <= now + ahead,
            )
            .order_by(Appointment.slot_start)
            .limit(BATCH)
        ).all()
        for row_id, start, created in due:
            if kind == "day" and start - now <= HOUR_BEFORE:
                continue  # the hour's reminder will do
            if start - created < ahead:
                continue  # booked inside the window: the booking message was enough
            if _claimed(session, row_id, column, now):
                appointment_ports.notices().reminder(session, row_id, kind, now)
                sent += 1
    return sent


def mark_no_shows(session: Session, now: dt.datetime) -> int:
    """Booked appointments not checked in by the end of their grace become no-shows."""
    rules: dict[int, Rules] = {}
    marked = 0
    due = session.execute(
        select(Appointment.id, Appointment.outlet_id, Appointment.slot_start)
        .where(Appointment.state == State.BOOKED.value, Appointment.slot_start < now)
        .order_by(Appointment.slot_start)
        .limit(BATCH)
    ).all()
    for row_id, outlet_id, start in due:
        if outlet_id not in rules:
            rules[outlet_id] = rules_for(session, outlet_id)
        if not booking.missed(start, now, rules[outlet_id]):
            continue
        result = session.execute(
            update(Appointment)
            .where(Appointment.id == row_id, Appointment.state == State.BOOKED.value)
            .values(state=State.NO_SHOW.value, changed_at=now)
        )
        marked += int(getattr(result, "rowcount", 0) or 0)
    return marked


def _reminders(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    with db.session() as session:
        sent = send_reminders(session, now)
    return JobResult(done=sent, summary=f"{sent} appointment reminders")


def _no_shows(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    with db.session() as session:
        marked = mark_no_shows(session, now)
    return JobResult(done=marked, summary=f"{marked} appointments marked no-show")


JOBS = (
    WorkerJob("appointment-reminders", _reminders, every_s=60.0),
    WorkerJob("appointment-no-shows", _no_shows, every_s=60.0),
)
