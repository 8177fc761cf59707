"""Approvers told: when a star nomination waits for a step, the holders of
`supervision.stars.approve` at the units that can take it get one in-app message each.

- The branch step (a nomination just made): the approvers at the tier-1 and tier-2 branches on
  the outlet's path (any branch above the outlet may take it).
- The head-office step (a nomination the branch approved): the approvers at head office.

Nobody is told about a nomination they made or approved, or that names them. Each message has a
dedupe key per nomination, step and recipient, so a step told twice tells once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import notify
from manyi.org.model import ROLE_PERMISSIONS, Permission, UnitLevel
from manyi.org.tables import Staff, StaffRole, Unit
from manyi.supervision.stars_tables import StarNomination

# The approver's inbox message (an English message id, its parameters in the message's data).
AWAITS_SUBJECT = "A star nomination awaits your approval: {name} ({code})"
BRANCH_STEP = "branch"
HEAD_OFFICE_STEP = "head office"
_LEVELS = {
    BRANCH_STEP: (UnitLevel.TIER1_BRANCH.value, UnitLevel.TIER2_BRANCH.value),
    HEAD_OFFICE_STEP: (UnitLevel.HEAD_OFFICE.value,),
}


def approver_roles() -> list[str]:
    return [r.value for r, held in ROLE_PERMISSIONS.items() if Permission.STARS_APPROVE in held]


def approvers(session: Session, nomination: StarNomination, step: str) -> list[int]:
    """The active staff who may take `step` of the nomination, by id (the four-eyes rule's
    people left out)."""
    ids = [int(part) for part in nomination.unit_path.split("/") if part]
    units = select(Unit.id).where(Unit.id.in_(ids), Unit.level.in_(_LEVELS[step]))
    found = session.scalars(
        select(Staff.id)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(
            Staff.unit_id.in_(units),
            Staff.active.is_(True),
            StaffRole.role.in_(approver_roles()),
        )
        .distinct()
        .order_by(Staff.id)
    )
    excluded = {nomination.nominated_by_id, nomination.branch_by_id, nomination.staff_id}
    return [i for i in found if i not in excluded]


def tell_approvers(
    session: Session,
    nomination: StarNomination,
    step: str,
    *,
    programme_code: str,
    programme_name: str,
    now: dt.datetime,
    actor_id: int | None,
) -> int:
    """One inbox message to each approver of the step; returns how many were told."""
    teller = session.get_one(Staff, nomination.staff_id)
    recipients = approvers(session, nomination, step)
    for staff_id in recipients:
        notify.enqueue(
            session,
            channel="in_app",
            recipient_staff_id=staff_id,
            subject=AWAITS_SUBJECT,
            body=f"{programme_name}：{teller.display_name}",
            now=now,
            unit_id=nomination.outlet_id,
            data={
                "kind": "supervision.star_awaits",
                "subject_params": {"name": teller.display_name, "code": programme_code},
                "url": f"/supervision/stars/nominations/{nomination.id}",
            },
            created_by_id=actor_id,
            dedupe_key=f"star-awaits:{nomination.id}:{step}:{staff_id}",
        )
    return len(recipients)
