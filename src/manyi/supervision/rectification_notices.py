"""Who hears about a rectification task, and the in-app notices (through `manyi.notify`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import notify
from manyi.org.model import ROLE_PERMISSIONS, Permission, Role
from manyi.org.tables import Staff, StaffRole
from manyi.supervision.rectification_tables import RectificationTask


def task_url(task_id: int) -> str:
    return f"/supervision/rectification/{task_id}"


def tell(
    session: Session,
    task: RectificationTask,
    recipients: Iterable[int | None],
    subject: str,
    now: dt.datetime,
    *,
    params: Mapping[str, object] | None = None,
    created_by_id: int | None = None,
    dedupe: Callable[[int], str] | None = None,
) -> int:
    """One in-app message per recipient (each once, the actor never), linking to the task.

    `subject` is an English message id filled from `params` (the task's number and title are
    always there). Returns how many were told.
    """
    filled = {"id": task.id, "title": task.title, **(params or {})}
    told = 0
    for staff_id in dict.fromkeys(r for r in recipients if r is not None):
        if staff_id == created_by_id:
            continue
        notify.enqueue(
            session,
            channel="in_app",
            recipient_staff_id=staff_id,
            subject=subject,
            body=task.title,
            now=now,
            unit_id=task.unit_id,
            data={"subject_params": filled, "url": task_url(task.id)},
            created_by_id=created_by_id,
            dedupe_key=dedupe(staff_id) if dedupe is not None else None,
        )
        told += 1
    return told


def _holding(session: Session, unit_id: int, roles: Iterable[Role]) -> list[int]:
    names = [role.value for role in roles]
    return list(
        session.scalars(
            select(Staff.id)
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(Staff.unit_id == unit_id, Staff.active, StaffRole.role.in_(names))
            .distinct()
            .order_by(Staff.id)
        )
    )


def unit_heads(session: Session, unit_id: int) -> list[int]:
    """The unit's heads (负责人); without one, its staff who issue rectification tasks."""
    heads = _holding(session, unit_id, [Role.BRANCH_HEAD])
    if heads:
        return heads
    issuers = [r for r, perms in ROLE_PERMISSIONS.items() if Permission.SUPERVISION_ISSUE in perms]
    return _holding(session, unit_id, [r for r in issuers if r is not Role.ADMINISTRATOR])


def responsible_staff(session: Session, task: RectificationTask) -> list[int]:
    """The owner, or (no owner) the responsible unit's heads."""
    if task.owner_id is not None:
        return [task.owner_id]
    return unit_heads(session, task.unit_id)
