"""Re-checks of verified rectification tasks (a re-inspection of the same item, linked back),
and the reads other supervision parts show beside their findings ("task #12 open")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import InvalidInput
from manyi.org.scope import in_scope
from manyi.org.tables import Unit
from manyi.supervision.domain.rectification import (
    Action,
    Recheck,
    Source,
    TaskState,
    is_overdue,
)
from manyi.supervision.rectification_access import audit_step, load, move, today_at
from manyi.supervision.rectification_notices import responsible_staff, tell
from manyi.supervision.rectification_tables import RectificationTask


@dataclass(frozen=True)
class TaskSummary:
    id: int
    state: TaskState
    title: str
    unit_id: int
    unit_code: str
    unit_name: str
    due_on: dt.date
    overdue: bool
    source: Source
    source_ref: str
    recheck: Recheck | None
    unit_path: str = ""
    closed_at: dt.datetime | None = None


def request_recheck(
    session: Session, actor: audit.Actor, task_id: int, *, now: dt.datetime, note: str = ""
) -> None:
    """A verified task asks for a re-inspection of the same item; the inspections part lists
    `pending_rechecks`, visits, and links its result with `link_recheck`."""
    task = load(session, actor, task_id)
    if task.recheck is not None:
        raise InvalidInput("a re-check was already asked for", "recheck")
    task, _before = move(session, actor, task_id, Action.REQUEST_RECHECK, now)
    task.recheck = Recheck.PENDING.value
    audit_step(session, actor, task, "request_recheck", now, {"note": note.strip()})


def pending_rechecks(session: Session, scope_path: str) -> list[TaskSummary]:
    """Verified tasks waiting for their re-check, in the scope (responsible unit)."""
    return _summaries(
        session,
        None,
        [
            RectificationTask.recheck == Recheck.PENDING.value,
            in_scope(RectificationTask.unit_path, scope_path),
        ],
    )


def link_recheck(
    session: Session,
    actor: audit.Actor,
    task_id: int,
    *,
    result_ref: str,
    passed: bool,
    now: dt.datetime,
) -> None:
    """The re-check's result: passed, the task may close; failed, it goes back to the
    responsible side (sent back, with the re-check named as the reason)."""
    task = load(session, actor, task_id)
    if task.recheck != Recheck.PENDING.value:
        raise InvalidInput("no re-check is pending for task {id}", "recheck", id=task_id)
    ref = result_ref.strip()
    if not ref or len(ref) > 200:
        raise InvalidInput(
            "the re-check result needs a reference of 1 to 200 characters", "result_ref"
        )
    task.recheck = (Recheck.PASSED if passed else Recheck.FAILED).value
    task.recheck_ref = ref
    task.updated_at = now
    if not passed:
        task.state = TaskState.SENT_BACK.value
        task.last_reason = f"re-check failed: {ref}"
        task.next_check_at = now
    audit_step(session, actor, task, "recheck", now, {"result_ref": ref, "passed": passed})
    if not passed:
        tell(
            session,
            task,
            responsible_staff(session, task),
            "Rectification task #{id} failed its re-check: {title}",
            now,
            created_by_id=actor.id,
        )


def tasks_for_source(
    session: Session, source: Source, source_ref_prefix: str, *, now: dt.datetime | None = None
) -> list[TaskSummary]:
    """Tasks opened from a source whose reference starts with the prefix (for "task #12 open"
    beside a finding); `overdue` is worked out when `now` is given. The caller shows them only
    where it shows the finding itself."""
    return _summaries(
        session,
        now,
        [
            RectificationTask.source == Source(source).value,
            RectificationTask.source_ref.startswith(source_ref_prefix, autoescape=True),
        ],
    )


def tasks_naming(
    session: Session, source: Source, needle: str, *, now: dt.datetime | None = None
) -> list[TaskSummary]:
    """Tasks opened from a source whose reference contains `needle` anywhere (a complaint's
    reference inside a cluster's list); the caller narrows to exact names."""
    return _summaries(
        session,
        now,
        [
            RectificationTask.source == Source(source).value,
            RectificationTask.source_ref.contains(needle, autoescape=True),
        ],
    )


def tasks_mentioning(
    session: Session, token: str, *, now: dt.datetime | None = None
) -> list[TaskSummary]:
    """Tasks from any source whose reference contains `token` (e.g. "issue:fees", the
    prominent-issue category a task addresses); the caller narrows to whole tokens and to
    what its viewer may see."""
    return _summaries(session, now, [RectificationTask.source_ref.contains(token, autoescape=True)])


def _summaries(session: Session, now: dt.datetime | None, where: list[object]) -> list[TaskSummary]:
    rows = session.execute(
        select(RectificationTask, Unit)
        .join(Unit, Unit.id == RectificationTask.unit_id)
        .where(*where)  # type: ignore[arg-type]
        .order_by(RectificationTask.id)
    ).all()
    found = []
    for task, unit in rows:
        found.append(
            TaskSummary(
                id=task.id,
                state=TaskState(task.state),
                title=task.title,
                unit_id=unit.id,
                unit_code=unit.code,
                unit_name=unit.name_zh,
                due_on=task.due_on,
                overdue=now is not None
                and is_overdue(TaskState(task.state), task.due_on, today_at(unit, now)),
                source=Source(task.source),
                source_ref=task.source_ref,
                recheck=Recheck(task.recheck) if task.recheck else None,
                unit_path=task.unit_path,
                closed_at=task.closed_at,
            )
        )
    return found
