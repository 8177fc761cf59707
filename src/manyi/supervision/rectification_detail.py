"""The task page's reads: the task, its submissions and evidence files, its timeline (read from
the audit chain, where every step was recorded), and what the viewer may do next."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import NotFound
from manyi.org.model import path_in_scope
from manyi.org.tables import Staff, Unit
from manyi.supervision.domain.rectification import (
    Action,
    Recheck,
    Side,
    TaskState,
    actions_for,
    is_overdue,
)
from manyi.supervision.rectification_access import ENTITY, load, sides, today_at
from manyi.supervision.rectification_files import store_path
from manyi.supervision.rectification_tables import (
    RectificationEvidence,
    RectificationSubmission,
    RectificationTask,
)
from manyi.workdays.calendars import bank_calendar
from manyi.workdays.domain import guessed_years


@dataclass(frozen=True)
class Step:
    at: dt.datetime
    who: str
    action: str  # "open", "start", … (the audit action without its prefix)
    details: dict[str, Any]


@dataclass
class Submission:
    round: int
    note: str
    by: str
    at: dt.datetime
    files: list[RectificationEvidence] = field(default_factory=list)


@dataclass
class Detail:
    task: RectificationTask
    state: TaskState
    unit: Unit
    owner_name: str
    issuer_name: str
    overdue: bool
    sides: frozenset[Side]
    actions: list[Action]
    submissions: list[Submission]
    timeline: list[Step]
    recheck: Recheck | None
    # Years the due date's working days were counted into that the bank's calendar still
    # guesses (Monday to Friday): the page warns while the task is not closed.
    guessed_years: tuple[int, ...] = ()


def detail(session: Session, actor: audit.Actor, task_id: int, now: dt.datetime) -> Detail:
    task = load(session, actor, task_id)
    unit = session.get_one(Unit, task.unit_id)
    state = TaskState(task.state)
    recheck = Recheck(task.recheck) if task.recheck else None
    mine = sides(session, actor, task)
    names = _names(session, [task.owner_id, task.issued_by_id], actor.unit_path)
    today = today_at(unit, now)
    guessed: tuple[int, ...] = ()
    if task.working_days and state is not TaskState.CLOSED and task.due_on >= today:
        guessed = guessed_years(bank_calendar(session), today, task.due_on)
    return Detail(
        task=task,
        state=state,
        unit=unit,
        owner_name=names.get(task.owner_id or 0, ""),
        issuer_name=names.get(task.issued_by_id or 0, ""),
        overdue=is_overdue(state, task.due_on, today),
        sides=mine,
        actions=actions_for(state, mine, recheck),
        submissions=_submissions(session, task, actor.unit_path),
        timeline=timeline(session, task.id, actor.unit_path),
        recheck=recheck,
        guessed_years=guessed,
    )


def _names(session: Session, ids: list[int | None], scope_path: str = "") -> dict[int, str]:
    """Display names by staff id; staff outside `scope_path` (a unit above the viewer's) are
    left out, so the page says "a higher unit" instead of naming them."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.execute(
        select(Staff.id, Staff.display_name, Unit.path)
        .join(Unit, Unit.id == Staff.unit_id)
        .where(Staff.id.in_(wanted))
    )
    return {sid: name for sid, name, path in rows if path_in_scope(scope_path, path)}


def _submissions(session: Session, task: RectificationTask, scope_path: str) -> list[Submission]:
    rows = list(
        session.scalars(
            select(RectificationSubmission)
            .where(RectificationSubmission.task_id == task.id)
            .order_by(RectificationSubmission.round.desc())
        )
    )
    files = list(
        session.scalars(
            select(RectificationEvidence)
            .where(RectificationEvidence.task_id == task.id)
            .order_by(RectificationEvidence.id)
        )
    )
    names = _names(session, [r.submitted_by_id for r in rows], scope_path)
    found = []
    for row in rows:
        found.append(
            Submission(
                round=row.round,
                note=row.note,
                by=names.get(row.submitted_by_id or 0, ""),
                at=row.submitted_at,
                files=[f for f in files if f.submission_id == row.id],
            )
        )
    return found


def timeline(session: Session, task_id: int, scope_path: str) -> list[Step]:
    """The task's steps as the audit chain recorded them, oldest first (who did each: "" for
    staff above the viewer's scope, the worker's name for the ladder)."""
    events = audit.history(session, ENTITY, task_id)
    names = _names(session, [e.actor_id for e in events], scope_path)
    steps = []
    for event in events:
        try:
            details = json.loads(event.summary)
        except ValueError:
            details = {}
        who = event.actor if event.actor_id is None else names.get(event.actor_id, "")
        steps.append(Step(event.occurred_at, who, event.action.split(".", 1)[-1], details))
    return steps


def evidence_file(
    session: Session, actor: audit.Actor, task_id: int, evidence_id: int, var_dir: Path
) -> tuple[RectificationEvidence, bytes]:
    load(session, actor, task_id)  # the viewer may see the task
    row = session.get(RectificationEvidence, evidence_id)
    if row is None or row.task_id != task_id:
        raise NotFound("there is no evidence file {id}", id=evidence_id)
    path = store_path(var_dir, row.sha256)
    if not path.exists():
        raise NotFound("the evidence file {id} is missing from storage", id=evidence_id)
    return row, path.read_bytes()
