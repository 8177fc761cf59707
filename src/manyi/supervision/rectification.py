"""Rectification tasks (整改), one engine for every source: open a task, move it through its
states (`domain.rectification` holds the rules), ask for and link a re-check, and the small
reads other supervision parts show beside their findings.

Every step is audited (`manyi.audit.record`, entity "rectification_task") and tells the other
side in the in-app inbox. Who may act is worked out here from the actor's permissions and units
(`sides`); the entry point has already checked the permission to reach the page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import Forbidden, InvalidInput, NotFound
from manyi.org.model import Permission, path_in_scope
from manyi.org.tables import Staff, Unit
from manyi.supervision.domain.rectification import (
    Action,
    NewTask,
    Recheck,
    Source,
    TaskState,
    check_closable,
    check_new,
    check_reason,
    due_date,
    on_time,
)
from manyi.supervision.rectification_access import (
    ENTITY,
    audit_step,
    load,
    move,
    sides,
    today_at,
)
from manyi.supervision.rectification_files import Upload, check_files, keep
from manyi.supervision.rectification_notices import responsible_staff, tell, unit_heads
from manyi.supervision.rectification_rechecks import (
    TaskSummary,
    link_recheck,
    pending_rechecks,
    request_recheck,
    tasks_for_source,
    tasks_mentioning,
    tasks_naming,
)
from manyi.supervision.rectification_tables import (
    RectificationEvidence,
    RectificationSubmission,
    RectificationTask,
)
from manyi.workdays.calendars import bank_calendar

__all__ = [
    "ENTITY",
    "NewTask",
    "Source",
    "TaskState",
    "TaskSummary",
    "Upload",
    "close",
    "link_recheck",
    "load",
    "open_task",
    "pending_rechecks",
    "request_recheck",
    "send_back",
    "sides",
    "start",
    "submit",
    "tasks_for_source",
    "tasks_mentioning",
    "tasks_naming",
    "today_at",
    "verify",
]

NOTE_MAX = 4000


def open_task(session: Session, actor: audit.Actor, new: NewTask, *, now: dt.datetime) -> int:
    """Check, store, audit and tell the owner; returns the task's id.

    The responsible unit must be in the issuer's scope (else "not found", as for any object
    outside one's scope); the owner, when named, must be active staff of that unit.
    """
    clean = check_new(new)
    unit = session.get(Unit, new.unit_id)
    if (
        unit is None
        or not unit.active
        or (actor.id is not None and not path_in_scope(actor.unit_path, unit.path))
    ):
        raise NotFound("there is no unit {id} in your scope", "unit_id", id=new.unit_id)
    owner_id = new.owner_id
    if owner_id is not None:
        owner = session.get(Staff, owner_id)
        if (
            owner is None
            or not owner.active
            or owner.unit_id != unit.id
            or Permission.SUPERVISION_RECTIFY not in owner.permissions
        ):
            raise InvalidInput(
                "the owner must be staff of {unit} who work rectification tasks",
                "owner_id",
                unit=unit.name_zh,
            )
    else:
        heads = unit_heads(session, unit.id)
        owner_id = heads[0] if heads else None
    due_on = due_date(
        today_at(unit, now),
        bank_calendar(session),
        due_on=new.due_on,
        due_days=new.due_days,
        working_days=new.working_days,
    )
    task = RectificationTask(
        source=clean.source.value,
        source_ref=clean.source_ref,
        title=clean.title,
        detail=clean.detail,
        evidence_required=clean.evidence_required,
        unit_id=unit.id,
        unit_path=unit.path,
        owner_id=owner_id,
        issued_by_id=actor.id,
        issuer_unit_id=actor.unit_id,
        issuer_unit_path=actor.unit_path,
        due_on=due_on,
        working_days=new.working_days,
        state=TaskState.OPEN.value,
        created_at=now,
        updated_at=now,
        rounds=0,
        last_reason="",
        recheck_ref="",
        warned=False,
        escalation_level=0,
        next_check_at=now,
    )
    session.add(task)
    session.flush()
    audit_step(
        session,
        actor,
        task,
        "open",
        now,
        {
            "source": clean.source.value,
            "source_ref": clean.source_ref,
            "title": clean.title,
            "owner_id": owner_id,
            "due_on": due_on.isoformat(),
        },
    )
    tell(
        session,
        task,
        responsible_staff(session, task),
        "Rectification task #{id} for you: {title}, due {due}",
        now,
        params={"due": due_on.isoformat()},
        created_by_id=actor.id,
    )
    return task.id


def start(session: Session, actor: audit.Actor, task_id: int, *, now: dt.datetime) -> None:
    task, before = move(session, actor, task_id, Action.START, now)
    audit_step(session, actor, task, "start", now, {"from": before.value})


def submit(
    session: Session,
    actor: audit.Actor,
    task_id: int,
    *,
    note: str,
    files: Sequence[Upload],
    var_dir: Path,
    now: dt.datetime,
) -> int:
    """Submit the evidence: a note of what was done and at least one photo or PDF file.
    Everything is checked before anything is stored. Returns the submission's id."""
    load(session, actor, task_id)  # a task out of sight is "not found" before any other fault
    text = note.strip()
    if not text:
        raise InvalidInput("say what was done", "note")
    if len(text) > NOTE_MAX:
        raise InvalidInput("the text is longer than {max} characters", "note", max=NOTE_MAX)
    checked = check_files(list(files))
    task, before = move(session, actor, task_id, Action.SUBMIT, now)
    task.rounds += 1
    unit = session.get_one(Unit, task.unit_id)
    task.submitted_on = today_at(unit, now)
    submission = RectificationSubmission(
        task_id=task.id, round=task.rounds, note=text, submitted_by_id=actor.id, submitted_at=now
    )
    session.add(submission)
    session.flush()
    names = []
    for file in checked:
        digest = hashlib.sha256(file.data).hexdigest()
        keep(var_dir, digest, file.data)
        session.add(
            RectificationEvidence(
                submission_id=submission.id,
                task_id=task.id,
                sha256=digest,
                filename=file.filename,
                content_type=file.content_type,
                size=file.size,
                uploaded_at=now,
            )
        )
        names.append(file.filename)
    audit_step(
        session,
        actor,
        task,
        "submit",
        now,
        {"from": before.value, "round": task.rounds, "files": names},
    )
    tell(
        session,
        task,
        [task.issued_by_id],
        "Rectification task #{id} submitted for verification: {title}",
        now,
        created_by_id=actor.id,
    )
    return submission.id


def _last_submitter(session: Session, task: RectificationTask) -> int | None:
    return session.scalar(
        select(RectificationSubmission.submitted_by_id).where(
            RectificationSubmission.task_id == task.id,
            RectificationSubmission.round == task.rounds,
        )
    )


def verify(
    session: Session, actor: audit.Actor, task_id: int, *, now: dt.datetime, note: str = ""
) -> None:
    """The issuing side accepts the evidence; never the one who submitted it."""
    task = load(session, actor, task_id)
    if actor.id is not None and actor.id == _last_submitter(session, task):
        raise Forbidden(
            "you submitted this evidence: someone else verifies it", error_code="maker_checker"
        )
    task, before = move(session, actor, task_id, Action.VERIFY, now)
    audit_step(session, actor, task, "verify", now, {"from": before.value, "note": note.strip()})
    tell(
        session,
        task,
        responsible_staff(session, task),
        "Rectification task #{id} verified: {title}",
        now,
        created_by_id=actor.id,
    )


def send_back(
    session: Session, actor: audit.Actor, task_id: int, *, reason: str, now: dt.datetime
) -> None:
    load(session, actor, task_id)
    text = check_reason(reason)
    task, before = move(session, actor, task_id, Action.SEND_BACK, now)
    task.last_reason = text
    audit_step(session, actor, task, "send_back", now, {"from": before.value, "reason": text})
    tell(
        session,
        task,
        responsible_staff(session, task),
        "Rectification task #{id} sent back: {reason}",
        now,
        params={"reason": text[:100]},
        created_by_id=actor.id,
    )


def close(session: Session, actor: audit.Actor, task_id: int, *, now: dt.datetime) -> None:
    task = load(session, actor, task_id)
    check_closable(Recheck(task.recheck) if task.recheck else None)
    task, before = move(session, actor, task_id, Action.CLOSE, now)
    task.closed_at = now
    task.closed_on_time = on_time(task.submitted_on, task.due_on)
    audit_step(
        session, actor, task, "close", now, {"from": before.value, "on_time": task.closed_on_time}
    )
    tell(
        session,
        task,
        responsible_staff(session, task),
        "Rectification task #{id} closed: {title}",
        now,
        created_by_id=actor.id,
    )
