"""In-app notices about a case to the staff who must act on it (through the outbox)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import notify
from manyi.complaints.tables import Complaint
from manyi.org.model import Role
from manyi.org.tables import Staff, StaffRole


def tell(
    session: Session,
    complaint: Complaint,
    recipients: Iterable[int],
    subject: str,
    now: dt.datetime,
    *,
    body: str | None = None,
    params: Mapping[str, object] | None = None,
    created_by_id: int | None = None,
    dedupe: Callable[[int], str] | None = None,
) -> None:
    """One in-app message per recipient (each once), linking to the case page.

    `subject` is an English message id; `params` fill it (the case's
    reference is always there). With `dedupe`, a scan that runs twice sends once.
    """
    filled = {"reference": complaint.reference, **(params or {})}
    for staff_id in dict.fromkeys(recipients):
        notify.enqueue(
            session,
            channel="in_app",
            recipient_staff_id=staff_id,
            subject=subject,
            body=complaint.subject if body is None else body,
            now=now,
            unit_id=complaint.responsible_unit_id,
            data={"subject_params": filled, "url": f"/complaints/{complaint.id}"},
            created_by_id=created_by_id,
            dedupe_key=dedupe(staff_id) if dedupe is not None else None,
        )


def staff_with_role(session: Session, unit_id: int, role: Role) -> list[int]:
    """Active staff of one unit holding `role`, by id."""
    return list(
        session.scalars(
            select(Staff.id)
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(Staff.unit_id == unit_id, Staff.active, StaffRole.role == role.value)
            .order_by(Staff.id)
        )
    )
