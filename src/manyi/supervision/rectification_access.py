"""Who may see and act on a rectification task, moving it one step, and auditing the step:
what every use case of `rectification` and `rectification_rechecks` shares."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import NotFound
from manyi.org.model import Permission, path_in_scope
from manyi.org.tables import Staff, Unit
from manyi.supervision.domain.rectification import (
    WITH_RESPONSIBLE,
    Action,
    Side,
    TaskState,
    next_state,
)
from manyi.supervision.rectification_tables import RectificationTask

ENTITY = "rectification_task"


def today_at(unit: Unit, now: dt.datetime) -> dt.date:
    """The responsible unit's calendar day at `now` (due dates are its local days)."""
    return now.astimezone(ZoneInfo(unit.timezone or "Asia/Shanghai")).date()


def load(session: Session, actor: audit.Actor, task_id: int) -> RectificationTask:
    """The task, when the actor may see it: its unit or its issuer's unit in scope, or their
    own task. Anything else is "not found", so ids reveal nothing."""
    task = session.get(RectificationTask, task_id)
    if task is None or not _visible(actor, task):
        raise NotFound("there is no rectification task {id}", id=task_id)
    return task


def _visible(actor: audit.Actor, task: RectificationTask) -> bool:
    if actor.id is None:
        return True
    return (
        path_in_scope(actor.unit_path, task.unit_path)
        or (bool(task.issuer_unit_path) and path_in_scope(actor.unit_path, task.issuer_unit_path))
        or actor.id in (task.owner_id, task.issued_by_id)
    )


def sides(session: Session, actor: audit.Actor, task: RectificationTask) -> frozenset[Side]:
    """Which sides the actor may act for on this task.

    Responsible: the owner, or staff of the responsible unit who rectify. Issuer: the issuer,
    or staff who issue tasks with the issuer's unit in their scope (a colleague or a level up).
    """
    if actor.id is None:
        return frozenset()
    staff = session.get(Staff, actor.id)
    if staff is None or not staff.active:
        return frozenset()
    perms = staff.permissions
    found = set()
    if staff.id == task.owner_id or (
        Permission.SUPERVISION_RECTIFY in perms and staff.unit_id == task.unit_id
    ):
        found.add(Side.RESPONSIBLE)
    if staff.id == task.issued_by_id or (
        Permission.SUPERVISION_ISSUE in perms
        and bool(task.issuer_unit_path)
        and path_in_scope(staff.unit.path, task.issuer_unit_path)
    ):
        found.add(Side.ISSUER)
    return frozenset(found)


def move(
    session: Session, actor: audit.Actor, task_id: int, action: Action, now: dt.datetime
) -> tuple[RectificationTask, TaskState]:
    task = load(session, actor, task_id)
    side = Side.RESPONSIBLE if action in (Action.START, Action.SUBMIT) else Side.ISSUER
    mine = sides(session, actor, task)
    before = TaskState(task.state)
    after = next_state(before, action, side if side in mine else None)
    task.state = after.value
    task.updated_at = now
    # The worker watches a task only while the responsible side holds it.
    task.next_check_at = now if after in WITH_RESPONSIBLE else None
    return task, before


def audit_step(
    session: Session,
    actor: audit.Actor,
    task: RectificationTask,
    action: str,
    now: dt.datetime,
    summary: dict[str, object],
) -> None:
    audit.record(
        session,
        actor,
        entity_type=ENTITY,
        entity_id=task.id,
        action=f"rectification.{action}",
        summary={"state": task.state, **summary},
        unit_id=task.unit_id,
        unit_path=task.unit_path,
        now=now,
    )
