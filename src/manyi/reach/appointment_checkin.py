"""Checking in an appointment: at the kiosk by its code (or the QR of it), or by the link.

Both give the lobby ticket of the appointment (`lobby.issuing`): on time (from `early_minutes`
before the slot to `late_grace_minutes` after its start) an appointment-class ticket due at the
slot's start, dispatched by the lobby's weighted cycle; later the same day a normal ticket (the
bank's rule for late arrivals). An appointment the no-show pass already marked can still check in
later that day, as a late arrival, and then no longer counts as missed.

By the link, "when near the outlet" is decided by time and place: the link offers check-in in the
same window as the kiosk, and when the outlet has a position and its rules a `checkin_radius_m`
above 0, the position the customer's browser gives must be within that radius
(`domain.nearby`). Too far (`too_far`, with the distance) or no position given (`no_position`)
is refused with nothing stored, and the customer is sent to the kiosk, the place-bound path;
an outlet without a position checks in by time only. Only the rounded distance is recorded.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.errors import Conflict, NotFound
from manyi.lobby import issuing, layouts
from manyi.lobby.ports import AppointmentCheckIn
from manyi.reach.appointment_queries import outlet_position
from manyi.reach.appointment_rules import rules_for
from manyi.reach.appointment_tables import Appointment
from manyi.reach.appointments import by_token, record
from manyi.reach.domain import booking, nearby
from manyi.reach.domain.booking import Arrival, State


def _check_in(
    session: Session,
    row: Appointment,
    now: dt.datetime,
    via: str,
    position: nearby.Position | None = None,
) -> AppointmentCheckIn:
    outlet = layouts.outlet_by_id(session, row.outlet_id)
    if row.state == State.CHECKED_IN.value:
        raise Conflict(
            "already checked in: your number is {number}",
            "code",
            number=row.ticket_number or "",
            error_code="checked_in",
        )
    if row.state == State.CANCELLED.value:
        raise Conflict("this appointment was cancelled", "code", error_code="cancelled")
    zone = ZoneInfo(layouts.layout(session, outlet).policy.timezone)
    if now.astimezone(zone).date() != row.local_day:
        raise Conflict(
            "this appointment is for {day}; please come that day",
            "code",
            day=row.local_day.isoformat(),
            error_code="other_day",
        )
    rules = rules_for(session, row.outlet_id)
    late = booking.arrival(row.slot_start, now, rules) is Arrival.LATE
    distance = None
    if via == "link":
        where = outlet_position(session, outlet.id)
        distance = _near_enough(where, position, rules.checkin_radius_m)
    slip = issuing.issue_for_appointment(
        session, row.outlet_id, row.service_code, now, due_at=row.slot_start, late=late, via=via
    )
    row.state, row.late, row.checked_in_at, row.changed_at = State.CHECKED_IN.value, late, now, now
    row.ticket_id, row.ticket_number, row.ticket_token = (
        slip.ticket_id,
        slip.number,
        slip.public_token,
    )
    measured = {} if distance is None else {"distance_m": distance}
    record(
        session, row, "checked_in", now, outlet, via=via, late=late, ticket=slip.number, **measured
    )
    return AppointmentCheckIn(
        slip.ticket_id, slip.number, slip.public_token, row.service_code, row.slot_start, late
    )


def check_in_by_code(
    session: Session, outlet_id: int, code: str, now: dt.datetime
) -> AppointmentCheckIn:
    outlet = layouts.outlet_by_id(session, outlet_id)
    zone = ZoneInfo(layouts.layout(session, outlet).policy.timezone)
    value = "".join(ch for ch in (code or "") if ch.isdigit())
    # A scanned QR carries "MANYI-APPT:<code>"; digits alone are the code either way.
    row = session.scalar(
        select(Appointment)
        .where(
            Appointment.outlet_id == outlet_id,
            Appointment.local_day == now.astimezone(zone).date(),
            Appointment.checkin_code == value,
        )
        .with_for_update()
    )
    if row is None or len(value) != booking.CHECKIN_DIGITS:
        raise NotFound(
            "no appointment here today with code {code}",
            "code",
            code=value,
            error_code="no_appointment",
        )
    return _check_in(session, row, now, "kiosk")


def _near_enough(
    outlet: nearby.Position | None, customer: nearby.Position | None, radius_m: int
) -> int | None:
    """The rounded distance when one was measured; refuses a customer too far or unplaced."""
    verdict = nearby.nearness(outlet, customer, radius_m)
    if verdict.nearness is nearby.Nearness.FAR:
        raise Conflict(
            "you are {distance} m from the outlet; check-in by the link works within "
            "{radius} m. Please check in at the kiosk when you arrive.",
            "position",
            error_code="too_far",
            distance=verdict.distance_m,
            radius=radius_m,
        )
    if verdict.nearness is nearby.Nearness.UNKNOWN:
        raise Conflict(
            "we could not tell that you are at the outlet (your position was not shared). "
            "Please check in at the kiosk with your check-in code.",
            "position",
            error_code="no_position",
        )
    return verdict.distance_m


def check_in_by_link(
    session: Session, token: str, now: dt.datetime, position: nearby.Position | None = None
) -> AppointmentCheckIn:
    """Check in by the link; `position` is where the customer's browser says they are."""
    return _check_in(session, by_token(session, token, lock=True), now, "link", position)


class KioskCheckIn:
    """The lobby's `AppointmentCheckInPort` (registered by the composition roots)."""

    def check_in(
        self, session: Session, outlet_id: int, code: str, now: dt.datetime
    ) -> AppointmentCheckIn:
        return check_in_by_code(session, outlet_id, code, now)
