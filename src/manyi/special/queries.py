"""Reads for the visit pages: the list per outlet and branch with its times, one visit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.org.scope import in_scope
from manyi.org.tables import Staff, Unit
from manyi.personal import mask_id, mask_name
from manyi.special import ports
from manyi.special.access import Who
from manyi.special.domain.requests import STATES, hours, times
from manyi.special.tables import SpecialVisit, SpecialVisitPhoto

LIST_LIMIT = 500


@dataclass(frozen=True)
class VisitRow:
    reference: str
    outlet: str
    branch: str
    customer: str  # masked
    place_kind: str
    need: str
    state: str
    requested_at: dt.datetime
    visit_at: dt.datetime | None
    to_approval_h: str
    to_visit_h: str


def visits(session: Session, who: Who, state: str = "", outlet: str = "") -> list[VisitRow]:
    """Visits of the outlets in scope (or of one outlet, by code), newest first, with hours
    from request to approval and to the visit."""
    statement = (
        select(SpecialVisit, Unit)
        .join(Unit, Unit.id == SpecialVisit.outlet_id)
        .where(in_scope(SpecialVisit.outlet_path, who.unit_path))
        .order_by(SpecialVisit.requested_at.desc(), SpecialVisit.id.desc())
        .limit(LIST_LIMIT)
    )
    if state in STATES:
        statement = statement.where(SpecialVisit.state == state)
    if outlet:
        statement = statement.where(Unit.code == outlet)
    rows = session.execute(statement).all()
    parents = {
        u.id: u
        for u in session.scalars(
            select(Unit).where(
                Unit.id.in_({r.Unit.parent_id for r in rows if r.Unit.parent_id is not None})
            )
        )
    }
    out = []
    for visit, unit in rows:
        span = times(visit.requested_at, visit.approved_at, visit.visited_at)
        parent = parents.get(unit.parent_id) if unit.parent_id else None
        out.append(
            VisitRow(
                visit.reference,
                unit.name_zh,
                parent.name_zh if parent else "",
                mask_name(visit.details.get("customer_name", "")),
                visit.place_kind,
                visit.need,
                visit.state,
                visit.requested_at,
                visit.visit_at,
                hours(span.to_approval),
                hours(span.to_visit),
            )
        )
    return out


@dataclass(frozen=True)
class Person:
    id: int
    name: str


@dataclass(frozen=True)
class Detail:
    visit: SpecialVisit
    outlet: str
    customer: str  # masked
    id_number: str  # masked
    phone: str  # masked
    requested_by: Person
    outlet_approved_by: Person | None
    branch_approved_by: Person | None
    staff: tuple[Person, ...]
    photos: tuple[tuple[int, str, dt.datetime], ...]  # (id, sha256, taken at)
    candidates: tuple[Person, ...]  # who may be assigned: active staff of outlet and branch


def _person(session: Session, staff_id: int | None) -> Person | None:
    if staff_id is None:
        return None
    staff = session.get_one(Staff, staff_id)
    return Person(staff.id, staff.display_name)


def detail(session: Session, visit: SpecialVisit) -> Detail:
    outlet = session.get_one(Unit, visit.outlet_id)
    units = [outlet.id] + ([outlet.parent_id] if outlet.parent_id else [])
    candidates = session.scalars(
        select(Staff).where(Staff.unit_id.in_(units), Staff.active.is_(True)).order_by(Staff.id)
    ).all()
    photos = session.execute(
        select(SpecialVisitPhoto.id, SpecialVisitPhoto.sha256, SpecialVisitPhoto.taken_at)
        .where(SpecialVisitPhoto.visit_id == visit.id)
        .order_by(SpecialVisitPhoto.id)
    ).all()
    requested = _person(session, visit.requested_by_id)
    assert requested is not None
    staff = [_person(session, visit.staff_1_id), _person(session, visit.staff_2_id)]
    return Detail(
        visit=visit,
        outlet=outlet.name_zh,
        customer=mask_name(visit.details.get("customer_name", "")),
        id_number=mask_id(visit.details.get("id_number", "")),
        phone=ports.messages().masked(session, visit.contact_id) if visit.contact_id else "",
        requested_by=requested,
        outlet_approved_by=_person(session, visit.outlet_approved_by_id),
        branch_approved_by=_person(session, visit.branch_approved_by_id),
        staff=tuple(p for p in staff if p is not None),
        photos=tuple((p.id, p.sha256, p.taken_at) for p in photos),
        candidates=tuple(Person(s.id, s.display_name) for s in candidates),
    )


def photo(session: Session, visit: SpecialVisit, photo_id: int) -> SpecialVisitPhoto | None:
    found = session.get(SpecialVisitPhoto, photo_id)
    return found if found is not None and found.visit_id == visit.id else None


def outlets(session: Session, who: Who) -> list[tuple[str, str]]:
    """(code, name) of the outlets in scope, for the request form."""
    rows = session.scalars(
        select(Unit).where(in_scope(Unit.path, who.unit_path)).order_by(Unit.code)
    ).all()
    return [(u.code, u.name_zh) for u in rows if u.level == "outlet"]
