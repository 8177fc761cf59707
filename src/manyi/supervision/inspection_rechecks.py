"""Re-checks (复查): a verified rectification task may ask for a re-inspection of the same
item; an inspector plans it here as a spot check of the task's outlet. Its result goes back to
the task when the visit is submitted (`inspections.submit_visit`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import NotFound
from manyi.supervision import rectification
from manyi.supervision.domain.visits import VisitKind, VisitState
from manyi.supervision.inspection_tables import InspectionVisit
from manyi.supervision.inspections import schedule_visit


def schedule_recheck(
    session: Session,
    actor: audit.Actor,
    task_id: int,
    *,
    planned_on: dt.date,
    now: dt.datetime,
) -> int:
    """Plan the re-inspection a verified task waits for (a spot check of its outlet by the
    actor); a re-check already planned and not yet submitted is returned instead."""
    waiting = {t.id: t for t in rectification.pending_rechecks(session, actor.unit_path or "/")}
    task = waiting.get(task_id)
    if task is None:
        raise NotFound("task {id} is not waiting for a re-check in your scope", "task", id=task_id)
    planned = session.scalar(
        select(InspectionVisit.id).where(
            InspectionVisit.recheck_of_task_id == task_id,
            InspectionVisit.state != VisitState.SUBMITTED.value,
        )
    )
    if planned is not None:
        return planned
    return schedule_visit(
        session,
        actor,
        outlet_id=task.unit_id,
        kind=VisitKind.SPOT.value,
        planned_on=planned_on,
        recheck_of_task_id=task_id,
        inspector_id=actor.id,
        now=now,
    )


def waiting_rechecks(
    session: Session, scope_path: str
) -> list[tuple[rectification.TaskSummary, int | None]]:
    """Tasks in the scope waiting for their re-check, each with the visit already planned for
    it (None: not planned yet)."""
    tasks = rectification.pending_rechecks(session, scope_path)
    planned = dict(
        session.execute(
            select(InspectionVisit.recheck_of_task_id, InspectionVisit.id).where(
                InspectionVisit.recheck_of_task_id.in_([t.id for t in tasks]),
                InspectionVisit.state != VisitState.SUBMITTED.value,
            )
        ).all()
    )
    return [(t, planned.get(t.id)) for t in tasks]
