"""The case timeline: one entry per action, written with the change itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit, event_outbox
from manyi.complaints.access import Caller
from manyi.complaints.domain.model import Action
from manyi.complaints.tables import Complaint, ComplaintEvent


def add_event(
    session: Session,
    complaint: Complaint,
    caller: Caller,
    action: Action,
    now: dt.datetime,
    *,
    from_state: str | None,
    note: str = "",
    data: dict[str, Any] | None = None,
    public: bool = False,
) -> ComplaintEvent:
    event = ComplaintEvent(
        complaint_id=complaint.id,
        at=now,
        actor_id=caller.staff_id,
        actor_name=caller.name,
        action=action.value,
        from_state=from_state,
        to_state=complaint.state,
        note=note,
        data=dict(data or {}),
        public=public,
    )
    session.add(event)
    if event_outbox.enabled(session):
        session.flush()  # the event's id names it on the stream
        event_outbox.record(
            session,
            "complaints",
            event.id,
            event.action,
            now,
            outlet_id=complaint.responsible_unit_id,
            staff_id=caller.staff_id,
            data={
                "complaint_id": complaint.id,
                "from_state": from_state,
                "to_state": complaint.state,
            },
        )
    return event


def record(
    session: Session,
    complaint: Complaint,
    caller: Caller,
    action: Action,
    now: dt.datetime,
    *,
    from_state: str | None,
    note: str = "",
    data: dict[str, Any] | None = None,
    public: bool = False,
) -> ComplaintEvent:
    """A timeline entry and the matching audit event, in the caller's unit of work."""
    event = add_event(
        session,
        complaint,
        caller,
        action,
        now,
        from_state=from_state,
        note=note,
        data=data,
        public=public,
    )
    summary: dict[str, Any] = {"from": from_state, "to": complaint.state}
    if data:
        summary.update({k: v for k, v in data.items() if isinstance(v, str | int | bool | None)})
    audit.record(
        session,
        caller.actor,
        entity_type="complaint",
        entity_id=complaint.reference,
        action=f"complaint.{action.value}",
        summary=summary,
        unit_id=complaint.responsible_unit_id,
        unit_path=complaint.responsible_unit_path,
        now=now,
    )
    return event


def events(
    session: Session, complaint_id: int, *, public_only: bool = False
) -> list[ComplaintEvent]:
    statement = select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id)
    if public_only:
        statement = statement.where(ComplaintEvent.public)
    return list(session.scalars(statement.order_by(ComplaintEvent.at, ComplaintEvent.id)))
