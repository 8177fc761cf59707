"""Outreach events' use cases (普及金融知识): plan an event at an outlet, record it as held
(the day, participants, materials handed out, the staff who went), cancel it, add photos as
evidence. Each step is checked by `domain.outreach` before anything is written, refused with
the field named, and audited.

Who: staff with `Permission.GUIDANCE_OUTREACH` (lobby managers, branch heads, administrators)
act on the events of outlets in their own scope; an event outside it is "not found". The
outlet's local day (its time zone) is "today" for the date checks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.complaints.domain.files import MAX_BYTES, sniff
from manyi.errors import InvalidInput, NotFound
from manyi.guidance.access import Who
from manyi.guidance.domain import outreach as rules
from manyi.guidance.domain.outreach import Action, State
from manyi.guidance.outreach_tables import OutreachEvent, OutreachPhoto, OutreachStaff
from manyi.org.model import Permission, UnitLevel, path_in_scope
from manyi.org.tables import Staff, Unit

OUTREACH_ONLY = "you may not do this with outreach events"

IMAGE_KINDS = frozenset({"image/jpeg", "image/png", "image/webp"})
MAX_PHOTOS = 12


@dataclass(frozen=True)
class PlanFields:
    """The planning form as typed."""

    outlet_code: str = ""
    title: str = ""
    venue_kind: str = ""
    venue: str = ""
    topic: str = ""
    planned_on: str = ""
    description: str = ""


@dataclass(frozen=True)
class HeldFields:
    """The record form as typed; `staff` are the ids chosen."""

    held_on: str = ""
    participants: str = ""
    materials: str = ""
    summary: str = ""
    staff: tuple[int, ...] = ()


def local_today(unit: Unit, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(unit.timezone)).date()


def outlet_in_scope(session: Session, who: Who, code: str) -> Unit:
    """An active outlet of the actor's scope by its code, else refused naming the field."""
    text = code.strip()[:32]
    unit = session.scalar(select(Unit).where(Unit.code == text)) if text.isprintable() else None
    if (
        unit is None
        or not unit.active
        or unit.level != UnitLevel.OUTLET
        or not path_in_scope(who.unit_path, unit.path)
    ):
        raise InvalidInput("choose an outlet of your scope", "outlet")
    return unit


def load(session: Session, who: Who, reference: str, *, lock: bool = False) -> OutreachEvent:
    """The event with this reference in the scope of `who`, else NotFound."""
    if not reference.isascii() or not reference.isalnum() or len(reference) > 24:
        raise NotFound("there is no outreach event {reference}", "event", reference=reference[:24])
    statement = select(OutreachEvent).where(OutreachEvent.reference == reference)
    if lock:
        statement = statement.with_for_update()
    event = session.scalar(statement)
    if event is None or not path_in_scope(who.unit_path, event.outlet_path):
        raise NotFound("there is no outreach event {reference}", "event", reference=reference)
    return event


def _record(
    session: Session,
    who: Who,
    event: OutreachEvent,
    action: str,
    now: dt.datetime,
    **summary: object,
) -> None:
    """One step in the audit chain (counts and codes only: no free text)."""
    session.flush()
    audit.record(
        session,
        who.actor,
        entity_type="outreach_event",
        entity_id=event.reference,
        action=f"guidance.outreach.{action}",
        summary={"state": event.state, **summary},
        unit_id=event.outlet_id,
        unit_path=event.outlet_path,
        now=now,
    )


def plan(session: Session, who: Who, fields: PlanFields, now: dt.datetime) -> OutreachEvent:
    """A new planned event at an outlet of the actor's scope."""
    who.need(Permission.GUIDANCE_OUTREACH, OUTREACH_ONLY)
    outlet = outlet_in_scope(session, who, fields.outlet_code)
    checked = rules.check_plan(
        title=fields.title,
        venue_kind=fields.venue_kind,
        venue=fields.venue,
        topic=fields.topic,
        planned_on=fields.planned_on,
        description=fields.description,
        today=local_today(outlet, now),
    )
    event = OutreachEvent(
        reference=f"tmp-{now.timestamp()}-{who.staff_id}",
        outlet_id=outlet.id,
        outlet_path=outlet.path,
        state=State.PLANNED.value,
        title=checked.title,
        venue_kind=checked.venue_kind.value,
        venue=checked.venue,
        topic=checked.topic.value,
        description=checked.description,
        planned_on=checked.planned_on,
        event_on=checked.planned_on,
        summary="",
        cancel_reason="",
        planned_by_id=who.staff_id,
        planned_at=now,
        changed_at=now,
    )
    session.add(event)
    session.flush()
    event.reference = f"HD{checked.planned_on:%Y%m%d}{event.id:06d}"
    _record(
        session,
        who,
        event,
        "plan",
        now,
        topic=event.topic,
        venue_kind=event.venue_kind,
        planned_on=event.planned_on.isoformat(),
    )
    return event


def record_held(
    session: Session, who: Who, reference: str, fields: HeldFields, now: dt.datetime
) -> OutreachEvent:
    """The planned event took place: its day, participants, materials and staff."""
    who.need(Permission.GUIDANCE_OUTREACH, OUTREACH_ONLY)
    event = load(session, who, reference, lock=True)
    rules.check_action(State(event.state), Action.HOLD)
    outlet = session.get_one(Unit, event.outlet_id)
    checked = rules.check_held(
        held_on=fields.held_on,
        participants=fields.participants,
        materials=fields.materials,
        staff_ids=fields.staff,
        summary=fields.summary,
        today=local_today(outlet, now),
    )
    found = session.scalars(select(Staff).where(Staff.id.in_(checked.staff_ids))).all()
    if len(found) != len(checked.staff_ids):
        raise InvalidInput("choose staff of the event's outlet", "staff")
    rules.check_staff(
        (rules.StaffMember(s.id, s.active, s.unit.path) for s in found), event.outlet_path
    )
    session.execute(delete(OutreachStaff).where(OutreachStaff.event_id == event.id))
    session.add_all(OutreachStaff(event_id=event.id, staff_id=i) for i in checked.staff_ids)
    event.state = State.HELD.value
    event.held_on = event.event_on = checked.held_on
    event.participants, event.materials = checked.participants, checked.materials
    event.summary = checked.summary
    event.recorded_by_id, event.recorded_at, event.changed_at = who.staff_id, now, now
    _record(
        session,
        who,
        event,
        "held",
        now,
        held_on=checked.held_on.isoformat(),
        participants=checked.participants,
        materials=checked.materials,
        staff=list(checked.staff_ids),
    )
    return event


def cancel(
    session: Session, who: Who, reference: str, reason: str, now: dt.datetime
) -> OutreachEvent:
    """A planned event will not take place; why is kept (no personal data)."""
    who.need(Permission.GUIDANCE_OUTREACH, OUTREACH_ONLY)
    event = load(session, who, reference, lock=True)
    rules.check_action(State(event.state), Action.CANCEL)
    outlet = session.get_one(Unit, event.outlet_id)
    event.cancel_reason = rules.check_reason(reason, local_today(outlet, now))
    event.state, event.changed_at = State.CANCELLED.value, now
    _record(session, who, event, "cancel", now)
    return event


def add_photo(
    session: Session, who: Who, reference: str, data: bytes, now: dt.datetime
) -> OutreachPhoto:
    """A photo as evidence (JPEG, PNG or WebP by its bytes, at most 10 MB, `MAX_PHOTOS` per
    event); the same photo twice on an event is kept once."""
    who.need(Permission.GUIDANCE_OUTREACH, OUTREACH_ONLY)
    event = load(session, who, reference, lock=True)
    rules.check_action(State(event.state), Action.PHOTO)
    if not data:
        raise InvalidInput("the file is empty", "photo")
    if len(data) > MAX_BYTES:
        raise InvalidInput("a file may have at most {mb} MB", "photo", mb=MAX_BYTES // 1048576)
    kind = sniff(data)
    if kind not in IMAGE_KINDS:
        raise InvalidInput("only JPEG, PNG and WebP photos are accepted", "photo")
    digest = hashlib.sha256(data).hexdigest()
    kept = session.scalars(select(OutreachPhoto).where(OutreachPhoto.event_id == event.id)).all()
    same = next((p for p in kept if p.sha256 == digest), None)
    if same is not None:
        return same
    if len(kept) >= MAX_PHOTOS:
        raise InvalidInput("an event may have at most {n} photos", "photo", n=MAX_PHOTOS)
    photo = OutreachPhoto(
        event_id=event.id,
        sha256=digest,
        content_type=kind,
        size=len(data),
        data=data,
        taken_by_id=who.staff_id,
        taken_at=now,
    )
    session.add(photo)
    event.changed_at = now
    _record(session, who, event, "photo", now, sha256=digest)
    return photo


def staff_ids_of(values: Sequence[str]) -> tuple[int, ...]:
    """The staff ids a form sent (its select or checkboxes), refused when one is not an id."""
    ids = []
    for value in values:
        text = value.strip()
        if not text:
            continue
        if not (text.isascii() and text.isdigit()) or len(text) > 9:
            raise InvalidInput("choose staff of the event's outlet", "staff")
        ids.append(int(text))
    return tuple(ids)
