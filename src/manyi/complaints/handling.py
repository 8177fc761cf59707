"""Working a case: the guard every action passes, and the actions that move it along.

Each function loads the case the caller may see (locked), checks the
transition (`model.next_state`) and who may do it (`model.may`), changes it,
writes the timeline entry and the audit event. Here: taking the case up (`start`), moving
it between units and handlers (`transfer`, `declare_conflict`, `reassign`), notes and the
classification. The decision, closing, reopening and withdrawal, which stop or restart the
regulatory clock, are in `resolution`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from manyi.complaints.access import Caller, get_visible
from manyi.complaints.domain.model import Action, State, may, next_state
from manyi.complaints.routing import auto_assign, recused
from manyi.complaints.tables import Complaint, ComplaintNamedStaff
from manyi.complaints.timeline import record
from manyi.errors import Forbidden, InvalidInput
from manyi.org.model import Permission, path_in_scope
from manyi.org.tables import Unit

TEXT_MAX = 5000


def required_text(text: str, field: str, limit: int = TEXT_MAX) -> str:
    """The text without surrounding blanks; refused when empty or longer than `limit`."""
    text = text.strip()
    if not text:
        raise InvalidInput("this field is required", field)
    if len(text) > limit:
        raise InvalidInput("at most {max} characters", field, max=limit)
    return text


def optional_text(text: str, field: str, limit: int = TEXT_MAX) -> str:
    """The text without surrounding blanks, possibly empty; refused when longer than `limit`."""
    text = text.strip()
    if len(text) > limit:
        raise InvalidInput("at most {max} characters", field, max=limit)
    return text


def is_manager(caller: Caller, complaint: Complaint) -> bool:
    return caller.can(Permission.COMPLAINTS_MANAGE) and path_in_scope(
        caller.scope_path, complaint.responsible_unit_path
    )


def is_handler(caller: Caller, complaint: Complaint) -> bool:
    return (
        caller.staff_id is not None
        and caller.staff_id == complaint.handler_id
        and caller.can(Permission.COMPLAINTS_HANDLE)
    )


def check_may(caller: Caller, complaint: Complaint, action: Action) -> None:
    if not may(
        action, is_handler=is_handler(caller, complaint), is_manager=is_manager(caller, complaint)
    ):
        raise Forbidden("you may not {action} this complaint", action=action.value)


def load(session: Session, caller: Caller, complaint_id: int, action: Action) -> Complaint:
    """The case, locked, with the action checked against its state and the caller."""
    complaint = get_visible(session, caller, complaint_id, lock=True)
    next_state(State(complaint.state), action)  # raises TransitionError
    check_may(caller, complaint, action)
    return complaint


def move_state(complaint: Complaint, action: Action) -> str:
    """Apply the action's transition to the case; returns the state it left."""
    before = complaint.state
    complaint.state = next_state(State(before), action).value
    return before


def start(
    session: Session, caller: Caller, complaint_id: int, now: dt.datetime, note: str = ""
) -> Complaint:
    complaint = load(session, caller, complaint_id, Action.START)
    before = move_state(complaint, Action.START)
    record(
        session,
        complaint,
        caller,
        Action.START,
        now,
        from_state=before,
        note=optional_text(note, "note"),
        public=True,
    )
    return complaint


def transfer(
    session: Session,
    caller: Caller,
    complaint_id: int,
    now: dt.datetime,
    *,
    unit_id: int,
    note: str,
) -> Complaint:
    """Hand the case to another responsible unit; it is routed again there. The clock runs on."""
    complaint = load(session, caller, complaint_id, Action.TRANSFER)
    note = required_text(note, "note")
    target = session.get(Unit, unit_id)
    if target is None or not target.active:
        raise InvalidInput("there is no active unit {id}", "unit_id", id=unit_id)
    if target.id == complaint.responsible_unit_id:
        raise InvalidInput("the case is already with this unit", "unit_id")
    before = move_state(complaint, Action.TRANSFER)
    from_unit = complaint.responsible_unit_id
    complaint.responsible_unit_id = target.id
    complaint.responsible_unit_path = target.path
    complaint.handler_id = None
    record(
        session,
        complaint,
        caller,
        Action.TRANSFER,
        now,
        from_state=before,
        note=note,
        data={"from_unit_id": from_unit, "to_unit_id": target.id},
    )
    auto_assign(session, complaint, caller, now)
    return complaint


def declare_conflict(
    session: Session, caller: Caller, complaint_id: int, now: dt.datetime, *, reason: str
) -> Complaint:
    """The handler steps aside (回避); the case is routed to someone else."""
    complaint = load(session, caller, complaint_id, Action.DECLARE_CONFLICT)
    reason = required_text(reason, "reason")
    assert caller.staff_id is not None
    if caller.staff_id not in recused(session, complaint.id):
        session.add(
            ComplaintNamedStaff(
                complaint_id=complaint.id, staff_id=caller.staff_id, reason="conflict"
            )
        )
    before = move_state(complaint, Action.DECLARE_CONFLICT)
    complaint.handler_id = None
    record(session, complaint, caller, Action.DECLARE_CONFLICT, now, from_state=before, note=reason)
    session.flush()
    auto_assign(session, complaint, caller, now)
    return complaint


def reassign(
    session: Session,
    caller: Caller,
    complaint_id: int,
    now: dt.datetime,
    *,
    handler_id: int,
    note: str = "",
) -> Complaint:
    from manyi.complaints.routing import assign

    complaint = load(session, caller, complaint_id, Action.ASSIGN)
    assign(session, complaint, caller, handler_id, now, note=optional_text(note, "note"))
    return complaint


def add_note(
    session: Session,
    caller: Caller,
    complaint_id: int,
    now: dt.datetime,
    *,
    text: str,
    public: bool = False,
) -> Complaint:
    complaint = load(session, caller, complaint_id, Action.NOTE)
    record(
        session,
        complaint,
        caller,
        Action.NOTE,
        now,
        from_state=complaint.state,
        note=required_text(text, "text"),
        public=public,
    )
    return complaint


def classify(
    session: Session, caller: Caller, complaint_id: int, now: dt.datetime, **form: Any
) -> Complaint:
    """Set or correct the classification: `classification.classify` (kept here for callers)."""
    from manyi.complaints.classification import classify as classify_case

    return classify_case(session, caller, complaint_id, now, **form)
