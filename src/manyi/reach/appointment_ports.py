"""What appointments ask of other parts of the bank, as ports plugged in at start-up.

- `CapacityPort`: the staffing plan's capacity per slot for a pool of counters and the services
  only they serve (`domain/pools.py`). Forecasting implements it
  (`manyi.forecast.appointment_capacity`) without importing reach: the answer is any object
  with the attributes of `PoolCapacity`. Without one, every slot has no places.
- `AppointmentNotices`: the customer messages of a booking (the verification code, booked,
  changed, cancelled, reminders). The customer-message outbox plugs in here; until then
  `RecordingNotices` keeps them in memory (tests, the demo).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from manyi.org.tables import Unit


class PoolCapacity(Protocol):
    @property
    def start(self) -> dt.datetime: ...  # UTC start of the 30-minute slot

    @property
    def counters(self) -> int: ...  # counters the plan has for the pool in the slot

    @property
    def capacity_s(self) -> float: ...  # seconds of service they give within the target wait

    @property
    def walk_in_s(self) -> float: ...  # seconds the pool's expected walk-ins need

    @property
    def service_s(self) -> Mapping[str, float]: ...  # each service's mean service time


class CapacityPort(Protocol):
    def pool_capacity(
        self,
        session: Session,
        outlet: Unit,
        services: frozenset[str],
        counters: int,
        starts: Sequence[dt.datetime],
        target_wait_s: int,
        now: dt.datetime,
    ) -> Sequence[PoolCapacity]:
        """The plan's capacity for `services` served by `counters` counters together, for each
        slot start given (those it covers)."""
        ...


class _NoCapacity:
    def pool_capacity(
        self,
        session: Session,
        outlet: Unit,
        services: frozenset[str],
        counters: int,
        starts: Sequence[dt.datetime],
        target_wait_s: int,
        now: dt.datetime,
    ) -> Sequence[PoolCapacity]:
        return ()


class AppointmentNotices(Protocol):
    def send_code(
        self, session: Session, phone: str, code: str, lang: str, now: dt.datetime
    ) -> None:
        """Send a verification code to a mobile number (same unit of work)."""

    def booked(self, session: Session, appointment_id: int, now: dt.datetime) -> None: ...

    def changed(self, session: Session, appointment_id: int, now: dt.datetime) -> None: ...

    def cancelled(self, session: Session, appointment_id: int, now: dt.datetime) -> None: ...

    def reminder(self, session: Session, appointment_id: int, kind: str, now: dt.datetime) -> None:
        """`kind`: "day" (the day before) or "hour" (about an hour before)."""


@dataclass(frozen=True)
class Notice:
    kind: str  # code, booked, changed, cancelled, reminder:day, reminder:hour
    at: dt.datetime
    phone: str = ""
    code: str = ""
    appointment_id: int | None = None


class RecordingNotices:
    """Keeps the notices in memory, newest last (tests; the app until the outbox is wired)."""

    def __init__(self, keep: int = 500) -> None:
        self.keep = keep
        self.sent: list[Notice] = []
        self._lock = threading.Lock()

    def _add(self, notice: Notice) -> None:
        with self._lock:
            self.sent.append(notice)
            del self.sent[: -self.keep]

    def send_code(
        self, session: Session, phone: str, code: str, lang: str, now: dt.datetime
    ) -> None:
        self._add(Notice("code", now, phone=phone, code=code))

    def booked(self, session: Session, appointment_id: int, now: dt.datetime) -> None:
        self._add(Notice("booked", now, appointment_id=appointment_id))

    def changed(self, session: Session, appointment_id: int, now: dt.datetime) -> None:
        self._add(Notice("changed", now, appointment_id=appointment_id))

    def cancelled(self, session: Session, appointment_id: int, now: dt.datetime) -> None:
        self._add(Notice("cancelled", now, appointment_id=appointment_id))

    def reminder(self, session: Session, appointment_id: int, kind: str, now: dt.datetime) -> None:
        self._add(Notice("reminder:" + kind, now, appointment_id=appointment_id))

    def last_code(self, phone: str) -> str | None:
        with self._lock:
            for notice in reversed(self.sent):
                if notice.kind == "code" and notice.phone == phone:
                    return notice.code
        return None


_capacity: CapacityPort = _NoCapacity()
_notices: AppointmentNotices = RecordingNotices()


def register_capacity(adapter: CapacityPort) -> None:
    global _capacity
    _capacity = adapter


def register_notices(adapter: AppointmentNotices) -> None:
    global _notices
    _notices = adapter


def capacity() -> CapacityPort:
    return _capacity


def notices() -> AppointmentNotices:
    return _notices
