"""Carrying out an approved visit: assign two staff, agree the date, record the visit and its
photos, open the counter bundle on the tablet, close.

The family hears the date by text message (reach's VISIT_SCHEDULED, `ports.messages()`); the
bundle is the counter's own (`counter.away`: only the transactions the catalogue allows away
from the counter); a closed visit invites the customer to the "visit" survey (`ports.surveys()`).
Every step is audited; bad input is refused naming the field before anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.complaints.domain.files import MAX_BYTES, sniff
from manyi.counter import away
from manyi.errors import Conflict, Forbidden, InvalidInput
from manyi.org.model import Permission
from manyi.org.tables import Staff, Unit
from manyi.special import ports
from manyi.special.access import Who, load, record
from manyi.special.domain.eligibility import default_rules
from manyi.special.domain.requests import (
    Action,
    Member,
    State,
    check_action,
    check_date,
    check_team,
)
from manyi.special.tables import SpecialVisit, SpecialVisitPhoto

IMAGE_KINDS = frozenset({"image/jpeg", "image/png", "image/webp"})
MAX_PHOTOS = 10
GEO_MAX = 40


def assign_staff(
    session: Session, who: Who, reference: str, staff_ids: Sequence[int], now: dt.datetime
) -> SpecialVisit:
    """Two distinct active staff of the outlet or its branch; never one."""
    who.need(Permission.VISITS_APPROVE)
    visit = load(session, who, reference, lock=True)
    check_action(State(visit.state), Action.ASSIGN)
    members = []
    for staff_id in staff_ids:
        staff = session.get(Staff, staff_id)
        if staff is None:
            raise InvalidInput("there is no staff member {id}", "staff", id=staff_id)
        members.append(Member(staff.id, staff.active, staff.unit.path))
    visit.staff_1_id, visit.staff_2_id = check_team(members, visit.outlet_path)
    record(session, who, visit, "assign", now, staff=[visit.staff_1_id, visit.staff_2_id])
    return visit


def schedule(
    session: Session, who: Who, reference: str, visit_at: dt.datetime, now: dt.datetime
) -> tuple[SpecialVisit, str]:
    """Agree the date with the family and tell them by message; returns the visit and the
    message's outcome ("pending", "no_consent", "no_gateway", …; "" with no number)."""
    who.need(Permission.VISITS_APPROVE)
    visit = load(session, who, reference, lock=True)
    check_action(State(visit.state), Action.SCHEDULE)
    if visit.staff_1_id is None:
        raise InvalidInput("assign two staff before agreeing the date", "staff")
    check_date(visit_at, now)
    visit.visit_at, visit.scheduled_at = visit_at, now
    visit.state = State.SCHEDULED.value
    outcome = ""
    if visit.contact_id is not None:
        outlet = session.get_one(Unit, visit.outlet_id)
        local = visit_at.astimezone(ZoneInfo(outlet.timezone))
        params = {
            "date": f"{local:%Y-%m-%d}",
            "time": f"{local:%H:%M}",
            "place": default_rules().label("place", visit.place_kind, "zh-CN"),
            "outlet": outlet.name_zh,
        }
        outcome = ports.messages().tell_scheduled(
            session,
            visit.contact_id,
            params,
            now,
            unit_id=visit.outlet_id,
            dedupe_key=f"visit:{visit.reference}:{visit_at:%Y%m%d%H%M}",
        )
    record(session, who, visit, "schedule", now, visit_at=visit_at.isoformat(), message=outcome)
    return visit, outcome


def _one_of_the_two(who: Who, visit: SpecialVisit) -> None:
    who.need(Permission.VISITS_REQUEST)
    if who.staff_id not in (visit.staff_1_id, visit.staff_2_id):
        raise Forbidden("only the two staff assigned to the visit do this", "staff")


def _geo(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        return ""
    try:
        lat, lon = (float(part) for part in cleaned.split(","))
    except ValueError:
        raise InvalidInput("the position is latitude,longitude", "geo") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput("the position is latitude,longitude", "geo")
    return f"{lat:.5f},{lon:.5f}"[:GEO_MAX]


def record_visit(
    session: Session, who: Who, reference: str, place: str, geo: str, now: dt.datetime
) -> SpecialVisit:
    """The staff arrived: the time (now), the place as typed and the tablet's position."""
    visit = load(session, who, reference, lock=True)
    _one_of_the_two(who, visit)
    check_action(State(visit.state), Action.RECORD)
    where = " ".join(place.split())
    if not where:
        raise InvalidInput("say where the visit took place", "visit_place")
    if len(where) > 200:
        raise InvalidInput("at most {n} characters", "visit_place", n=200)
    position = _geo(geo)
    if visit.visited_at is None:
        visit.visited_at = now
    visit.visit_place, visit.geo, visit.state = where, position, State.VISITED.value
    record(session, who, visit, "arrive", now, geo=bool(position))
    return visit


def add_photo(
    session: Session, who: Who, reference: str, data: bytes, now: dt.datetime
) -> SpecialVisitPhoto:
    """A photo as evidence of the visit (JPEG, PNG or WebP by its bytes, at most 10 MB)."""
    visit = load(session, who, reference, lock=True)
    _one_of_the_two(who, visit)
    check_action(State(visit.state), Action.RECORD)
    if not data:
        raise InvalidInput("the file is empty", "photo")
    if len(data) > MAX_BYTES:
        raise InvalidInput("a file may have at most {mb} MB", "photo", mb=MAX_BYTES // 1048576)
    kind = sniff(data)
    if kind not in IMAGE_KINDS:
        raise InvalidInput("only JPEG, PNG and WebP photos are accepted", "photo")
    count = session.scalar(select(func.count()).where(SpecialVisitPhoto.visit_id == visit.id))
    if (count or 0) >= MAX_PHOTOS:
        raise InvalidInput("a visit may have at most {n} photos", "photo", n=MAX_PHOTOS)
    digest = hashlib.sha256(data).hexdigest()
    photo = SpecialVisitPhoto(
        visit_id=visit.id,
        sha256=digest,
        content_type=kind,
        size=len(data),
        data=data,
        taken_by_id=who.staff_id,
        taken_at=now,
    )
    session.add(photo)
    record(session, who, visit, "photo", now, sha256=digest)
    return photo


def bundle_values(visit: SpecialVisit) -> dict[str, Any]:
    """What the request already knows, to fill the bundle's form."""
    return {
        "customer_name": visit.details.get("customer_name", ""),
        "id_type": "resident_id",
        "id_number": visit.details.get("id_number", ""),
    }


def _within_approved(visit: SpecialVisit, values: dict[str, Any]) -> None:
    """No amount in the bundle above the amount approved for the visit."""
    for key, value in values.items():
        if key.split(".")[-1] != "amount" or value in (None, ""):
            continue
        try:
            amount = Decimal(str(value).replace(",", ""))
        except InvalidOperation:
            continue  # the counter's form check names it
        if visit.amount is None or amount > visit.amount:
            raise InvalidInput(
                "the amount is more than the {approved} yuan approved for the visit",
                key,
                approved=visit.amount or 0,
            )


def start_bundle(
    session: Session,
    who: Who,
    reference: str,
    codes: Sequence[str],
    values: dict[str, Any],
    now: dt.datetime,
) -> str:
    """Open the counter bundle on site for the visit's customer; returns its reference. Only
    the transactions the catalogue allows away from the counter; the visit's outlet's teller."""
    visit = load(session, who, reference, lock=True)
    _one_of_the_two(who, visit)
    if State(visit.state) is not State.VISITED:
        raise Conflict("record the arrival before starting the transactions", "state")
    if visit.bundle_reference is not None:
        raise Conflict("this visit has its bundle already", "codes")
    if who.unit_id != visit.outlet_id:
        raise Forbidden("the bundle is opened by a teller of the visit's outlet", "staff")
    _within_approved(visit, values)
    merged = {**values, **bundle_values(visit)}
    bundle = away.open_away(session, who.staff_id, codes, merged, now)
    visit.bundle_reference = bundle
    record(session, who, visit, "bundle", now, bundle=bundle, transactions=list(codes))
    return bundle


def close(session: Session, who: Who, reference: str, now: dt.datetime) -> SpecialVisit:
    """Close a visit: its bundle signed when its need was a transaction; the survey invited."""
    visit = load(session, who, reference, lock=True)
    _one_of_the_two(who, visit)
    check_action(State(visit.state), Action.CLOSE)
    need = default_rules().needs.get(visit.need)
    bundle = visit.bundle_reference
    needs_bundle = need is not None and need.transaction is not None
    if needs_bundle and (bundle is None or not away.signed(session, bundle)):
        raise Conflict("the customer has not signed the e-voucher yet", "bundle")
    visit.state, visit.closed_at = State.CLOSED.value, now
    invited = ports.surveys().invite(
        session,
        visit.id,
        visit.outlet_id,
        visit.outlet_path,
        who.staff_id,
        visit.contact_id,
        now,
    )
    record(session, who, visit, "close", now, survey=invited)
    return visit
