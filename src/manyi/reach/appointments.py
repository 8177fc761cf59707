"""Appointment use cases (预约): slots of a day, verification codes, book, change, cancel, view.

Every entry point (the phone pages, the JSON API for the bank's app) calls these in its unit
of work. Check-in is in `appointment_checkin`, the worker's passes in `appointment_jobs`.
The customer has no account: the mobile number, confirmed by a code sent through the
`AppointmentNotices` port, is the identity (kept sealed; looked up by its blind index), and a
secret link token (stored hashed) lets them view, change, cancel and check in.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi import audit, personal, ratelimit
from manyi.errors import Conflict, InvalidInput, ManyiError, NotFound
from manyi.lobby import layouts
from manyi.org.tables import Unit
from manyi.reach import appointment_ports
from manyi.reach.appointment_slots import Place, check_slot, claim, place, release
from manyi.reach.appointment_tables import Appointment, AppointmentCode
from manyi.reach.domain import booking
from manyi.reach.domain.booking import State
from manyi.reach.domain.slots import Rules, Slot
from manyi.sealed import keys_of

CODES_PER_NUMBER = 3  # verification codes a number may ask for …
CODES_PER_IP = 10  # … and a client address …
CODE_WINDOW_S = 600  # … in ten minutes
CODES_PER_NUMBER_DAY = 10


class TooManyRequests(ManyiError):
    status_code = 429
    error_code = "rate_limited"


# --- verification codes -------------------------------------------------------


def _mobile(phone: str) -> str:
    try:
        return personal.check_mobile(phone or "")
    except ValueError:
        raise InvalidInput(
            "please give a mainland mobile number of 11 digits", "phone", error_code="bad_phone"
        ) from None


def customer_key(session: Session, mobile: str) -> str:
    return keys_of(session.info).blind_index("mobile", mobile)


def request_code(session: Session, phone: str, client: str, lang: str, now: dt.datetime) -> None:
    """Send a 6-digit code to the number (rate-limited per number and per client address)."""
    mobile = _mobile(phone)
    key = customer_key(session, mobile)
    if not (
        ratelimit.hit(session, f"appt-code:ip:{client}", CODES_PER_IP, CODE_WINDOW_S, now)
        and ratelimit.hit(session, f"appt-code:n:{key}", CODES_PER_NUMBER, CODE_WINDOW_S, now)
        and ratelimit.hit(session, f"appt-code:d:{key}", CODES_PER_NUMBER_DAY, 86400, now)
    ):
        raise TooManyRequests("too many codes asked for; please wait a few minutes", "phone")
    code = f"{secrets.randbelow(10**booking.CODE_DIGITS):0{booking.CODE_DIGITS}d}"
    session.add(
        AppointmentCode(
            customer_key=key,
            code_hash=booking.code_hash(code, key),
            created_at=now,
            expires_at=now + booking.CODE_TTL,
            attempts=0,
        )
    )
    appointment_ports.notices().send_code(session, mobile, code, lang, now)


def _verify(session: Session, key: str, code: str, now: dt.datetime) -> None:
    """Check the newest unexpired code; a wrong try is counted and kept (committed) even
    though the booking is refused, so guessing is bounded by `CODE_ATTEMPTS`."""
    value = booking.check_code_format(code)
    row = session.scalar(
        select(AppointmentCode)
        .where(AppointmentCode.customer_key == key, AppointmentCode.used_at.is_(None))
        .order_by(AppointmentCode.id.desc())
        .limit(1)
    )
    if row is None or row.expires_at <= now or row.attempts >= booking.CODE_ATTEMPTS:
        raise InvalidInput(
            "the code has expired; please ask for a new one", "code", error_code="code_expired"
        )
    if not secrets.compare_digest(row.code_hash, booking.code_hash(value, key)):
        row.attempts += 1
        session.commit()
        raise InvalidInput(
            "the code is not right; please check the message", "code", error_code="wrong_code"
        )
    row.used_at = now


# --- booking ------------------------------------------------------------------


@dataclass(frozen=True)
class Booked:
    appointment: Appointment
    token: str  # the secret of the change/cancel link; only known now


def _customer(phone: str) -> audit.Actor:
    return audit.Actor(id=None, name="customer:" + personal.mask_phone(phone))


def record(
    session: Session, row: Appointment, action: str, now: dt.datetime, outlet: Unit, **extra: object
) -> None:
    audit.record(
        session,
        _customer(row.phone),
        entity_type="appointment",
        entity_id=row.id,
        action="appointment." + action,
        summary={
            "outlet": outlet.code,
            "service": row.service_code,
            "slot": row.slot_start.isoformat(),
            **extra,
        },
        unit_id=outlet.id,
        unit_path=outlet.path,
        now=now,
    )


def _refuse_if_blocked(session: Session, key: str, rules: Rules, now: dt.datetime) -> None:
    no_shows = session.scalars(
        select(Appointment.slot_start).where(
            Appointment.customer_key == key, Appointment.state == State.NO_SHOW.value
        )
    ).all()
    until = booking.blocked_until(no_shows, now, rules)
    if until is not None:
        raise Conflict(
            "after {n} missed appointments, this number can book again from {day}",
            "phone",
            n=rules.no_show_limit,
            day=until.date().isoformat(),
            error_code="blocked",
        )


def _refuse_second(session: Session, key: str, day: dt.date, but: int | None = None) -> None:
    other = session.scalar(select(Appointment.id).where(Appointment.active_key == f"{key}:{day}"))
    if other is not None and other != but:
        raise Conflict(
            "this number already has an appointment on {day}; change or cancel it first",
            "phone",
            day=day.isoformat(),
            error_code="already_booked",
        )


def _checkin_code(session: Session, outlet_id: int, day: dt.date) -> str:
    for _ in range(20):
        code = f"{secrets.randbelow(10**booking.CHECKIN_DIGITS):0{booking.CHECKIN_DIGITS}d}"
        taken = session.scalar(
            select(func.count()).where(
                Appointment.outlet_id == outlet_id,
                Appointment.local_day == day,
                Appointment.checkin_code == code,
            )
        )
        if not taken:
            return code
    raise Conflict("please try again", "start")  # a million codes a day: never in practice


def book(
    session: Session,
    *,
    outlet_code: str,
    service_code: str,
    start: dt.datetime,
    phone: str,
    code: str,
    lang: str,
    now: dt.datetime,
) -> Booked:
    mobile = _mobile(phone)
    where = place(session, outlet_code, service_code)
    slot = check_slot(session, where, start, now)
    key = customer_key(session, mobile)
    day = where.local(slot.start).date()
    _refuse_if_blocked(session, key, where.rules, now)
    _refuse_second(session, key, day)
    if slot.free <= 0:
        raise Conflict(
            "this time is fully booked; please choose another", "start", error_code="slot_full"
        )
    _verify(session, key, code, now)
    return confirmed(session, where, slot, mobile, lang, now)


def confirmed(
    session: Session, where: Place, slot: Slot, mobile: str, lang: str, now: dt.datetime
) -> Booked:
    """Take the place and write the booking of a number already confirmed (the code checked,
    or the demo's customers)."""
    key = customer_key(session, mobile)
    day = where.local(slot.start).date()
    claim(session, where, slot, now)
    token = secrets.token_urlsafe(24)
    row = Appointment(
        outlet_id=where.outlet.id,
        service_code=where.service.code,
        slot_start=slot.start,
        slot_end=slot.end,
        local_day=day,
        phone=mobile,
        customer_key=key,
        active_key=f"{key}:{day}",
        checkin_code=_checkin_code(session, where.outlet.id, day),
        token_hash=booking.token_hash(token),
        link_token=token,
        state=State.BOOKED.value,
        lang="en" if lang == "en" else "zh-CN",
        created_at=now,
        changed_at=now,
    )
    session.add(row)
    session.flush()
    record(session, row, "booked", now, where.outlet)
    appointment_ports.notices().booked(session, row.id, now)
    return Booked(row, token)


def by_token(session: Session, token: str, *, lock: bool = False) -> Appointment:
    query = select(Appointment).where(Appointment.token_hash == booking.token_hash(token or ""))
    if lock:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise NotFound("no such appointment; please check the link", "token")
    return row


def _must_be_booked(row: Appointment) -> None:
    if row.state != State.BOOKED.value:
        raise Conflict(
            "this appointment can no longer be changed",
            "token",
            error_code="not_booked",
        )


def change(session: Session, token: str, start: dt.datetime, now: dt.datetime) -> Appointment:
    """Move a booked appointment to another slot of the same outlet and service."""
    row = by_token(session, token, lock=True)
    _must_be_booked(row)
    if row.slot_start <= now:
        raise Conflict("this appointment has started and can no longer be changed", "token")
    outlet = layouts.outlet_by_id(session, row.outlet_id)
    where = place(session, outlet.code, row.service_code)
    slot = check_slot(session, where, start, now)
    if slot.start == row.slot_start:
        return row
    day = where.local(slot.start).date()
    _refuse_second(session, row.customer_key, day, but=row.id)
    # The earlier slot's counts first, whichever way the move goes: two customers swapping
    # times lock the same rows in the same order and never wait for each other in a circle.
    if row.slot_start < slot.start:
        release(session, row.outlet_id, row.service_code, row.slot_start)
        claim(session, where, slot, now)
    else:
        claim(session, where, slot, now)
        release(session, row.outlet_id, row.service_code, row.slot_start)
    old = row.slot_start
    row.slot_start, row.slot_end, row.changed_at = slot.start, slot.end, now
    if day != row.local_day:
        row.local_day, row.active_key = day, f"{row.customer_key}:{day}"
        row.checkin_code = _checkin_code(session, row.outlet_id, day)
    row.reminded_day_at = row.reminded_hour_at = None
    record(session, row, "changed", now, outlet, was=old.isoformat())
    appointment_ports.notices().changed(session, row.id, now)
    return row


def cancel(session: Session, token: str, now: dt.datetime) -> Appointment:
    row = by_token(session, token, lock=True)
    _must_be_booked(row)
    if row.slot_start <= now:
        raise Conflict("this appointment has started and can no longer be cancelled", "token")
    outlet = layouts.outlet_by_id(session, row.outlet_id)
    release(session, row.outlet_id, row.service_code, row.slot_start)
    row.state, row.active_key, row.changed_at = State.CANCELLED.value, None, now
    record(session, row, "cancelled", now, outlet)
    appointment_ports.notices().cancelled(session, row.id, now)
    return row
