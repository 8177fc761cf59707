"""What appointments ask of other parts of the bank, as ports plugged in at start-up.

- `CapacityPort`: the staffing plan's capacity per slot. Forecasting implements it
  (`manyi.forecast.appointment_capacity`) without importing reach: the answer is any object
  with the attributes of `SlotCapacity`. Without one, every slot has no places.
- `AppointmentNotices`: the customer messages of a booking (the verification code, booked,
  changed, cancelled, reminders). The customer-message outbox plugs in here; until then
  `RecordingNotices` keeps them in memory (tests, the demo).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from manyi.org.tables import Unit


class SlotCapacity(Protocol):
    @property
    def start(self) -> dt.datetime: ...  # UTC start of the 30-minute slot

    @property
    def counters(self) -> int: ...

    @property
    def servable(self) -> float: ...  # arrivals the counters serve at the target wait

    @property
    def walk_ins(self) -> float: ...  # walk-in arrivals expected


class CapacityPort(Protocol):
    def slot_capacity(
        self,
        session: Session,
        outlet: Unit,
        service_code: str,
        starts: Sequence[dt.datetime],
        target_wait_s: int,
        now: dt.datetime,
    ) -> Sequence[SlotCapacity]:
        """The plan's capacity for each slot start given (those it covers)."""
        ...


class _NoCapacity:
    def slot_capacity(
        self,
        session: Session,
        outlet: Unit,
        service_code: str,
        starts: Sequence[dt.datetime],
        target_wait_s: int,
        now: dt.datetime,
    ) -> Sequence[SlotCapacity]:
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
