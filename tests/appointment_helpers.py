"""Appointments for tests: outlet A's lobby with a service no counter serves, a capacity port
with fixed places, and booking in one call (asking for a code and reading it back)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session

from manyi.db import Database
from manyi.forecast import appointment_capacity
from manyi.lobby import setup
from manyi.lobby.domain.model import Policy, Service
from manyi.org.tables import Unit
from manyi.reach import appointment_ports, appointments
from manyi.reach.appointment_ports import RecordingNotices
from tests.conftest import SYSTEM
from tests.lobby_helpers import COUNTERS, SERVICES

PHONE = "13812345678"
OTHER_PHONE = "13987654321"
# Tuesday 1 December 2026, 10:00 in Beijing (the day after FIXED_NOW).
TOMORROW_10 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
SATURDAY_10 = dt.datetime(2026, 12, 5, 2, 0, tzinfo=dt.UTC)
UNSERVED = Service("X", "外汇业务", "X", 600, name_en="Foreign exchange")


def configure(db: Database, outlet_id: int) -> None:
    """Outlet A's lobby; forgets the plans forecasting cached (on PostgreSQL every test's outlet
    A has the same id in the same database)."""
    appointment_capacity.forget()
    with db.session() as session:
        outlet = session.get_one(Unit, outlet_id)
        setup.configure_outlet(
            session,
            SYSTEM,
            outlet,
            policy=Policy(opens_at=dt.time(9), closes_at=dt.time(17), timezone=outlet.timezone),
            services=(*SERVICES, UNSERVED),
            counters=COUNTERS,
        )


FIXED_SERVICE_S = 300.0


@dataclass(frozen=True)
class Fixed:
    start: dt.datetime
    counters: int
    capacity_s: float
    walk_in_s: float
    service_s: Mapping[str, float]


class FixedCapacity:
    """Every pool, every slot: `servable` customers of 300 s served, `walk_ins` expected, so a
    pool takes (servable − walk_ins) × (1 − walk-in share) appointments of any of its services."""

    def __init__(self, servable: float, walk_ins: float = 0.0) -> None:
        self.servable, self.walk_ins = servable, walk_ins

    def pool_capacity(
        self,
        session: Session,
        outlet: Unit,
        services: frozenset[str],
        counters: int,
        starts: Sequence[dt.datetime],
        target_wait_s: int,
        now: dt.datetime,
    ) -> Sequence[Fixed]:
        times = dict.fromkeys(services, FIXED_SERVICE_S)
        return [
            Fixed(
                s,
                counters,
                self.servable * FIXED_SERVICE_S,
                self.walk_ins * FIXED_SERVICE_S,
                times,
            )
            for s in starts
        ]


@contextmanager
def plugged(capacity: object | None = None) -> Iterator[RecordingNotices]:
    """Recording notices (and, if given, a capacity) for the block; restored after."""
    old_notices, old_capacity = appointment_ports.notices(), appointment_ports.capacity()
    notices = RecordingNotices()
    appointment_ports.register_notices(notices)
    if capacity is not None:
        appointment_ports.register_capacity(capacity)  # type: ignore[arg-type]
    try:
        yield notices
    finally:
        appointment_ports.register_notices(old_notices)
        appointment_ports.register_capacity(old_capacity)


def code_for(db: Database, notices: RecordingNotices, phone: str, now: dt.datetime) -> str:
    with db.session() as session:
        appointments.request_code(session, phone, "10.0.0.1", "zh-CN", now)
    code = notices.last_code(phone)
    assert code is not None
    return code


def book(
    db: Database,
    notices: RecordingNotices,
    now: dt.datetime,
    start: dt.datetime = TOMORROW_10,
    *,
    phone: str = PHONE,
    service: str = "A",
) -> appointments.Booked:
    code = code_for(db, notices, phone, now)
    return book_with_code(db, code, now, start, phone=phone, service=service)


def book_with_code(
    db: Database,
    code: str,
    now: dt.datetime,
    start: dt.datetime = TOMORROW_10,
    *,
    phone: str = PHONE,
    service: str = "A",
) -> appointments.Booked:
    """Book at OUT-A with the code given (right, wrong or stale), in a unit of work of its own."""
    with db.session() as session:
        booked = appointments.book(
            session,
            outlet_code="OUT-A",
            service_code=service,
            start=start,
            phone=phone,
            code=code,
            lang="zh-CN",
            now=now,
        )
        session.expunge(booked.appointment)
        return booked


def code_in_outbox(database: Database, phone: str) -> str | None:
    """The latest verification code written to the customer-message outbox for `phone`: what
    the customer reads in the SMS (the app sends codes through reach's outbox)."""
    from sqlalchemy import select

    from manyi import sealed
    from manyi.personal import phone_index
    from manyi.reach.tables import ReachContact, ReachMessage

    with database.session() as session:
        key = phone_index(phone, keys=sealed.keys_of(session.info))
        message = session.scalars(
            select(ReachMessage)
            .join(ReachContact, ReachContact.id == ReachMessage.contact_id)
            .where(ReachContact.phone_key == key, ReachMessage.kind == "verification_code")
            .order_by(ReachMessage.id.desc())
        ).first()
        return None if message is None else str(message.params["code"])
