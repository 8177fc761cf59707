"""Routing a complaint to its handler: nearest unit, fewest open cases, never a recused person."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.complaints.access import Caller
from manyi.complaints.domain.model import (
    OPEN_STATES,
    Action,
    Candidate,
    State,
    ancestor_ids,
    next_state,
    pick_handler,
)
from manyi.complaints.notices import tell
from manyi.complaints.tables import Complaint, ComplaintNamedStaff
from manyi.complaints.timeline import record
from manyi.errors import InvalidInput
from manyi.org.model import Role
from manyi.org.tables import Staff, StaffRole

_OPEN = [s.value for s in OPEN_STATES]


def recused(session: Session, complaint_id: int) -> set[int]:
    return set(
        session.scalars(
            select(ComplaintNamedStaff.staff_id).where(
                ComplaintNamedStaff.complaint_id == complaint_id
            )
        )
    )


def candidates(session: Session, unit_path: str) -> list[Candidate]:
    """Active complaint handlers in the unit and its ancestors, with their open caseloads."""
    chain = ancestor_ids(unit_path)
    depth = {unit_id: i for i, unit_id in enumerate(chain)}
    load = (
        select(Complaint.handler_id, func.count().label("n"))
        .where(Complaint.state.in_(_OPEN), Complaint.handler_id.is_not(None))
        .group_by(Complaint.handler_id)
        .subquery()
    )
    rows = session.execute(
        select(Staff.id, Staff.unit_id, func.coalesce(load.c.n, 0))
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .outerjoin(load, load.c.handler_id == Staff.id)
        .where(
            Staff.active,
            StaffRole.role == Role.COMPLAINT_HANDLER.value,
            Staff.unit_id.in_(chain),
        )
    ).all()
    return [Candidate(staff_id=s, unit_depth=depth[u], open_cases=int(n)) for s, u, n in rows]


def auto_assign(
    session: Session, complaint: Complaint, caller: Caller, now: dt.datetime
) -> int | None:
    """Assign to the best handler; None (the case waits in the unit's queue) when nobody fits."""
    handler_id = pick_handler(
        candidates(session, complaint.responsible_unit_path), recused(session, complaint.id)
    )
    if handler_id is not None:
        _assign(session, complaint, caller, handler_id, now, note="", automatic=True)
    return handler_id


def assign(
    session: Session,
    complaint: Complaint,
    caller: Caller,
    handler_id: int,
    now: dt.datetime,
    note: str = "",
) -> None:
    """Assign by hand: the handler works in the responsible unit or above it, and is not recused."""
    staff = session.get(Staff, handler_id)
    if (
        staff is None
        or not staff.active
        or not {Role.COMPLAINT_HANDLER, Role.COMPLAINT_MANAGER} & set(staff.roles)
    ):
        raise InvalidInput("{id} is not an active complaint handler", "handler_id", id=handler_id)
    if staff.unit_id not in ancestor_ids(complaint.responsible_unit_path):
        raise InvalidInput(
            "the handler must work in the responsible unit or a unit above it", "handler_id"
        )
    if handler_id in recused(session, complaint.id):
        raise InvalidInput(
            "{name} is named in this complaint or declared a conflict and must step aside",
            "handler_id",
            name=staff.display_name,
        )
    _assign(session, complaint, caller, handler_id, now, note=note, automatic=False)


def _assign(
    session: Session,
    complaint: Complaint,
    caller: Caller,
    handler_id: int,
    now: dt.datetime,
    *,
    note: str,
    automatic: bool,
) -> None:
    before = complaint.state
    complaint.state = next_state(State(before), Action.ASSIGN).value
    complaint.handler_id = handler_id
    record(
        session,
        complaint,
        caller,
        Action.ASSIGN,
        now,
        from_state=before,
        note=note,
        data={"handler_id": handler_id, "automatic": automatic},
    )
    tell(
        session,
        complaint,
        [handler_id],
        "Complaint {reference} is assigned to you",
        now,
        created_by_id=caller.staff_id,
    )
