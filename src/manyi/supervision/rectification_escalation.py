"""The worker's escalation of rectification tasks (`rectification-escalation`): warn the owner
before the due day, and when a task is overdue tell the heads of the units above it, one level
further up every few days (`domain.rectification`: WARN_DAYS, STEP_DAYS, the ladder).

Each task is claimed with a compare-and-set on `next_check_at` (a filtered UPDATE: under
PostgreSQL's row locks a second worker's UPDATE waits for the first to commit, re-checks the
condition and finds the task no longer due), so two workers never act on the same task. A
unique (task, level) row is the second guard: even a bug in the claim could not tell a level
twice. Each task is worked and committed in its own transaction, so the audit chain's head is
held for one task, never for a batch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from manyi import audit
from manyi.db import Database
from manyi.org.tables import Unit
from manyi.supervision import due_rows
from manyi.supervision.domain.rectification import (
    WITH_RESPONSIBLE,
    TaskState,
    escalation_unit,
    ladder_level,
    next_look,
    warn_due,
)
from manyi.supervision.due_rows import due_ids
from manyi.supervision.rectification_access import audit_step, today_at
from manyi.supervision.rectification_notices import responsible_staff, tell, unit_heads
from manyi.supervision.rectification_tables import RectificationEscalation, RectificationTask

LEASE = dt.timedelta(minutes=5)  # a worker that dies mid-task leaves it to the next scan
WORKER = audit.Actor(id=None, name="rectification-escalation")


@dataclass
class EscalationReport:
    looked: int = 0
    warned: int = 0
    escalated: int = 0
    lost: int = 0  # claimed by another worker first

    @property
    def done(self) -> int:
        return self.warned + self.escalated

    def line(self) -> str:
        return (
            f"rectification: looked at {self.looked}, warned {self.warned}, "
            f"escalated {self.escalated}"
        )


def scan(db: Database, now: dt.datetime, *, batch: int = 200) -> EscalationReport:
    """One pass over every task due for a look, each on its own unit of work (`due_rows`)."""
    report = EscalationReport()
    for task_id in due_ids(
        db, RectificationTask.id, RectificationTask.next_check_at, now, batch=batch
    ):
        with db.session() as session:
            if not claim(session, task_id, now):
                report.lost += 1
                continue
            task = session.get_one(RectificationTask, task_id)
            with session.no_autoflush:
                report.looked += 1
                check(session, task, now, report)
    return report


def claim(session: Session, task_id: int, now: dt.datetime) -> bool:
    """Take the task if it is still due; False when another worker took it meanwhile."""
    return due_rows.claim(
        session, RectificationTask.id, RectificationTask.next_check_at, task_id, now, LEASE
    )


def check(
    session: Session, task: RectificationTask, now: dt.datetime, report: EscalationReport
) -> None:
    if TaskState(task.state) not in WITH_RESPONSIBLE:
        task.next_check_at = None  # submitted or finished: the issuer's turn, nothing to chase
        return
    unit = session.get_one(Unit, task.unit_id)
    today = today_at(unit, now)
    due_level = ladder_level(task.due_on, today)
    if due_level == 0:
        if not task.warned and warn_due(task.due_on, today):
            if _step(session, task, 0, None, now):
                tell(
                    session,
                    task,
                    responsible_staff(session, task),
                    "Rectification task #{id} is due on {due}: {title}",
                    now,
                    params={"due": task.due_on.isoformat()},
                    dedupe=lambda staff_id: f"rectification:{task.id}:warn:{staff_id}",
                )
                audit_step(session, WORKER, task, "warn", now, {"due_on": task.due_on.isoformat()})
                report.warned += 1
            task.warned = True
    else:
        for level in range(task.escalation_level + 1, due_level + 1):
            unit_id = escalation_unit(task.unit_path, level)
            if unit_id is None:  # the head office already knows
                break
            task.escalation_level = level
            if _step(session, task, level, unit_id, now):
                _escalate(session, task, level, unit_id, now)
                report.escalated += 1
    task.next_check_at = _next_check(task, unit, today)


def _step(
    session: Session, task: RectificationTask, level: int, unit_id: int | None, now: dt.datetime
) -> bool:
    """Record one step of the ladder; False when it was recorded before (by another worker)."""
    try:
        with session.begin_nested():
            session.add(
                RectificationEscalation(
                    task_id=task.id, level=level, unit_id=unit_id, notified=0, created_at=now
                )
            )
    except IntegrityError:
        return False
    return True


def _escalate(
    session: Session, task: RectificationTask, level: int, unit_id: int, now: dt.datetime
) -> None:
    above = session.get_one(Unit, unit_id)
    heads = unit_heads(session, unit_id)
    told = tell(
        session,
        task,
        [*heads, *responsible_staff(session, task)],
        "Rectification task #{id} is overdue (due {due}), escalated to {unit}: {title}",
        now,
        params={"due": task.due_on.isoformat(), "unit": above.name_zh},
        dedupe=lambda staff_id: f"rectification:{task.id}:level{level}:{staff_id}",
    )
    step = session.scalars(
        select(RectificationEscalation).where(
            RectificationEscalation.task_id == task.id, RectificationEscalation.level == level
        )
    ).one()
    step.notified = told
    audit_step(
        session,
        WORKER,
        task,
        "escalate",
        now,
        {"level": level, "unit_id": unit_id, "unit": above.code, "told": told},
    )


def _next_check(task: RectificationTask, unit: Unit, today: dt.date) -> dt.datetime | None:
    level = task.escalation_level
    if today > task.due_on and escalation_unit(task.unit_path, level + 1) is None:
        return None  # at the top of the ladder: the board shows it overdue
    day = next_look(task.due_on, today, level, warned=task.warned)
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(unit.timezone))
    return midnight.astimezone(dt.UTC)
