"""The JSON API of appointments for the bank's mobile app (`/api/v1/appointments/...`).

No sign-in: the app asks for the form token first (`GET .../csrf`, or any slots answer) and
sends it as `X-CSRF-Token`; the customer is identified by the code sent to the mobile, then by
the secret token the booking returns. Errors are `{"error", "message", "field"}` as everywhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, Field

from manyi.db import Session, utcnow
from manyi.lobby.ports import AppointmentCheckIn
from manyi.reach import appointment_checkin, appointment_queries, appointment_slots, appointments
from manyi.reach.domain import nearby
from manyi.reach.web.appointment_views import parse_day
from manyi.web.i18n import request_language
from manyi.web.security import DbSession, csrf_token, public

router = APIRouter(prefix="/api/v1/appointments", tags=["appointments"])


class Name(BaseModel):
    zh: str
    en: str


class SlotOut(BaseModel):
    start: dt.datetime = Field(description="UTC start of the 30-minute slot")
    end: dt.datetime
    capacity: int = Field(
        description="this service's bookings in the slot plus its free places (services sharing"
        " counters share places: see docs/appointments.md)"
    )
    free: int = Field(description="places left that can be booked now (0: see `state`)")
    state: Literal["free", "full", "past", "too_soon", "too_far"] = Field(
        description="free: can be booked; full: no place left; past: it has started; too_soon:"
        " inside the outlet's lead time (`lead_minutes`); too_far: beyond its horizon"
    )


class DayOut(BaseModel):
    outlet: str
    service: str
    service_name: Name
    day: dt.date
    workday: bool = Field(description="false: the outlet takes no appointments that day")
    days: list[dt.date] = Field(description="the days that can be booked now")
    slots: list[SlotOut]
    csrf_token: str


class CodeIn(BaseModel):
    phone: str = Field(min_length=1, max_length=20, description="mainland mobile number")


class BookIn(BaseModel):
    outlet: str = Field(min_length=1, max_length=32)
    service: str = Field(min_length=1, max_length=16)
    start: AwareDatetime = Field(description="a slot's start, with its UTC offset")
    phone: str = Field(min_length=1, max_length=20)
    code: str = Field(min_length=1, max_length=12, description="the code sent to the mobile")


class ChangeIn(BaseModel):
    start: AwareDatetime


class AppointmentOut(BaseModel):
    outlet: str
    outlet_name: Name
    service: str
    service_name: Name
    start: dt.datetime
    end: dt.datetime
    state: str = Field(description="booked, cancelled, checked_in or no_show")
    checkin_code: str = Field(description="typed (or scanned as a QR) at the kiosk")
    qr_path: str
    phone: str = Field(description="masked")
    ticket_number: str | None
    ticket_status_path: str | None
    late: bool
    can_change: bool
    can_check_in: bool
    checkin_radius_m: int = Field(
        description="check-in by the link within this many metres of the outlet (send "
        "latitude and longitude); 0: no position asked"
    )


class BookedOut(AppointmentOut):
    token: str = Field(description="the secret of the appointment's link; keep it")
    link_path: str


class LinkCheckInIn(BaseModel):
    """Where the customer is, as the phone's location service gives it (WGS-84 degrees).

    Both or neither. When the outlet has a position and a check-in radius, a check-in without
    them is refused (`no_position`) and one from farther away too (`too_far`); the customer
    then checks in at the kiosk. An outlet without a position checks in by time only."""

    latitude: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    longitude: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)


class CheckInOut(BaseModel):
    number: str
    status_path: str
    late: bool = Field(description="past the grace: a normal ticket")


def _appointment(session: Session, token: str, now: dt.datetime) -> dict[str, Any]:
    a = appointment_queries.describe(session, appointments.by_token(session, token), now)
    return {
        "outlet": a.outlet_code,
        "outlet_name": {"zh": a.outlet_zh, "en": a.outlet_en},
        "service": a.service_code,
        "service_name": {"zh": a.service_zh, "en": a.service_en},
        "start": a.slot_start,
        "end": a.slot_end,
        "state": a.state,
        "checkin_code": a.checkin_code,
        "qr_path": f"/a/{token}/qr.svg",
        "phone": a.phone,
        "ticket_number": a.ticket_number,
        "ticket_status_path": f"/t/{a.ticket_token}" if a.ticket_token else None,
        "late": a.late,
        "can_change": a.can_change,
        "can_check_in": a.can_check_in,
        "checkin_radius_m": a.checkin_radius_m,
    }


@router.get(
    "/outlets/{outlet}/services/{service}/slots",
    summary="The slots of a day with the places left (and the form token)",
    response_model=DayOut,
)
def slots(
    outlet: str,
    service: str,
    request: Request,
    day: dt.date | None = None,
    _v: None = public(identify=False),
    session: Session = DbSession,
) -> dict[str, Any]:
    now = utcnow()
    where = appointment_slots.place(session, outlet, service)
    chosen = day or parse_day(None, appointment_slots.open_days(session, where, now))
    view = appointment_slots.slots_for_day(session, where, chosen, now)
    return {
        "outlet": where.outlet.code,
        "service": where.service.code,
        "service_name": {"zh": where.service.name_zh, "en": where.service.name("en")},
        "day": chosen,
        "workday": view.workday,
        "days": view.days,
        "slots": [
            {
                "start": s.start,
                "end": s.end,
                "capacity": s.capacity,
                "free": s.free,
                "state": s.state,
            }
            for s in view.slots
        ],
        "csrf_token": csrf_token(request),
    }


@router.post(
    "/codes", status_code=202, summary="Send a verification code to a mobile (rate-limited)"
)
def request_code(
    body: CodeIn, request: Request, _v: None = public(identify=False), session: Session = DbSession
) -> dict[str, str]:
    client = request.client.host if request.client else "unknown"
    appointments.request_code(session, body.phone, client, request_language(request), utcnow())
    return {"status": "sent"}


@router.post("", status_code=201, summary="Book a slot with the code", response_model=BookedOut)
def book(
    body: BookIn, request: Request, _v: None = public(identify=False), session: Session = DbSession
) -> dict[str, Any]:
    now = utcnow()
    booked = appointments.book(
        session,
        outlet_code=body.outlet,
        service_code=body.service,
        start=body.start,
        phone=body.phone,
        code=body.code,
        lang=request_language(request),
        now=now,
    )
    session.flush()
    return {
        **_appointment(session, booked.token, now),
        "token": booked.token,
        "link_path": f"/a/{booked.token}",
    }


@router.get("/{token}", summary="An appointment by its token", response_model=AppointmentOut)
def view(
    token: str, _v: None = public(identify=False), session: Session = DbSession
) -> dict[str, Any]:
    return _appointment(session, token, utcnow())


@router.post("/{token}/change", summary="Move to another slot", response_model=AppointmentOut)
def change(
    token: str, body: ChangeIn, _v: None = public(identify=False), session: Session = DbSession
) -> dict[str, Any]:
    now = utcnow()
    appointments.change(session, token, body.start, now)
    return _appointment(session, token, now)


@router.post("/{token}/cancel", summary="Cancel", response_model=AppointmentOut)
def cancel(
    token: str, _v: None = public(identify=False), session: Session = DbSession
) -> dict[str, Any]:
    now = utcnow()
    appointments.cancel(session, token, now)
    return _appointment(session, token, now)


@router.post(
    "/{token}/check-in",
    summary="Check in by the link (on the day, in the window, near the outlet)",
    response_model=CheckInOut,
)
def check_in(
    token: str,
    body: LinkCheckInIn | None = None,
    _v: None = public(identify=False),
    session: Session = DbSession,
) -> dict[str, Any]:
    position = None if body is None else nearby.position_of(body.latitude, body.longitude)
    done: AppointmentCheckIn = appointment_checkin.check_in_by_link(
        session, token, utcnow(), position
    )
    return {"number": done.number, "status_path": f"/t/{done.public_token}", "late": done.late}
