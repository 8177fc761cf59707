"""Appointments' messages through the customer-message outbox (`AppointmentNotices`).

- The verification code goes to the number typed on the booking page, by the rules of
  `domain.sending` (a code needs no consent, one a minute per number at most).
- Booking with a confirmed number is the customer's yes to appointment messages for it
  (consent source `booking`): then "booked", "changed", "cancelled" and the reminders (the day
  before and about an hour before) go to that number, in the language the customer booked in,
  with the check-in code and the change/cancel link.
Each is written in the booking's own unit of work, with a dedupe key, so a retried job sends once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import ManyiError
from manyi.reach import contacts, messages
from manyi.reach.appointment_queries import describe
from manyi.reach.appointment_tables import Appointment
from manyi.reach.domain.booking import CODE_TTL
from manyi.reach.domain.messages import Kind, Purpose
from manyi.reach.tables import ReachContact


class CodeTooSoon(ManyiError):
    status_code = 429
    error_code = "rate_limited"


class OutboxNotices:
    def __init__(self, public_base_url: str) -> None:
        self.base = public_base_url.rstrip("/")

    def send_code(
        self, session: Session, phone: str, code: str, lang: str, now: dt.datetime
    ) -> None:
        contact = contacts.remember(session, phone, now, lang="en" if lang == "en" else "zh-CN")
        minutes = int(CODE_TTL.total_seconds() // 60)
        outcome = messages.send(
            session,
            contact,
            Kind.VERIFICATION_CODE,
            {"code": code, "minutes": minutes},
            now,
            dt.UTC,  # a code is live: sent at once whatever the hour
        )
        if outcome.state == "suppressed":
            raise CodeTooSoon(
                "a code was sent to this number moments ago; ask again in {seconds} s",
                "phone",
                seconds=outcome.retry_after_s or 60,
            )

    def booked(self, session: Session, appointment_id: int, now: dt.datetime) -> None:
        row = session.get_one(Appointment, appointment_id)
        contact = contacts.remember(session, row.phone, now, lang=row.lang)
        contacts.record_consent(
            session,
            audit.SYSTEM,
            contact,
            Purpose.APPOINTMENT,
            granted=True,
            source="booking",
            now=now,
        )
        self._tell(session, row, Kind.APPOINTMENT_BOOKED, now, f"appt:{row.id}:booked", contact)

    def changed(self, session: Session, appointment_id: int, now: dt.datetime) -> None:
        row = session.get_one(Appointment, appointment_id)
        key = f"appt:{row.id}:changed:{row.slot_start.isoformat()}"
        self._tell(session, row, Kind.APPOINTMENT_CHANGED, now, key)

    def cancelled(self, session: Session, appointment_id: int, now: dt.datetime) -> None:
        row = session.get_one(Appointment, appointment_id)
        self._tell(session, row, Kind.APPOINTMENT_CANCELLED, now, f"appt:{row.id}:cancelled")

    def reminder(self, session: Session, appointment_id: int, kind: str, now: dt.datetime) -> None:
        row = session.get_one(Appointment, appointment_id)
        key = f"appt:{row.id}:reminder:{kind}:{row.slot_start.isoformat()}"
        self._tell(session, row, Kind.APPOINTMENT_REMINDER, now, key)

    def _tell(
        self,
        session: Session,
        row: Appointment,
        kind: Kind,
        now: dt.datetime,
        key: str,
        contact: ReachContact | None = None,
    ) -> None:
        seen = describe(session, row, now)
        english = row.lang == "en"
        start = row.slot_start.astimezone(seen.zone)
        link = f"{self.base}/a/{row.link_token}" if row.link_token else ""
        params: dict[str, object] = {
            "outlet": seen.outlet_en if english else seen.outlet_zh,
            "service": seen.service_en if english else seen.service_zh,
            "date": start.strftime("%Y-%m-%d"),
            "time": start.strftime("%H:%M"),
        }
        if kind is not Kind.APPOINTMENT_CANCELLED:
            params.update(code=row.checkin_code, link=link)
        messages.send(
            session,
            contact or contacts.by_phone(session, row.phone),
            kind,
            params,
            now,
            seen.zone,
            unit_id=row.outlet_id,
            link=link or None,
            dedupe_key=key,
        )
