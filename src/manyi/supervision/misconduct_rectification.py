"""A rectification task (整改) from a misconduct case, through the one task engine
(`supervision.rectification`, source MISCONDUCT, reference "misconduct:<case id>").

The task goes to the staff member's unit (its head owns it) once the findings are in: what
the investigation found is what the unit must put right. The case keeps the newest task's id.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import Conflict
from manyi.supervision import rectification
from manyi.supervision.complaints_adapters import names
from manyi.supervision.domain.misconduct import CaseState, Origin
from manyi.supervision.domain.rectification import NewTask, Source
from manyi.supervision.misconduct import case_in_scope, record_step

AFTER_FINDINGS = frozenset({CaseState.FINDINGS, CaseState.SANCTIONED, CaseState.FINALISED})


def source_ref(case_id: int) -> str:
    return f"misconduct:{case_id}"


def open_rectification(
    session: Session,
    actor: audit.Actor,
    case_id: int,
    *,
    title: str,
    detail: str,
    evidence_required: str,
    due_days: int,
    now: dt.datetime,
) -> int:
    """Open a task for the case's unit, due in `due_days` working days; returns its id."""
    case = case_in_scope(session, actor.unit_path, case_id)
    if case.state not in AFTER_FINDINGS:
        raise Conflict(
            "a rectification task follows the findings", "case", error_code="no_findings_yet"
        )
    task_id = rectification.open_task(
        session,
        actor,
        NewTask(
            source=Source.MISCONDUCT,
            source_ref=source_ref(case.id),
            title=title,
            detail=detail,
            unit_id=case.unit_id,
            owner_id=None,
            evidence_required=evidence_required,
            due_days=due_days,
        ),
        now=now,
    )
    case.rectification_task_id = task_id
    record_step(session, actor, case, "rectification", now, task=task_id)
    return task_id


def tasks_of_case(
    session: Session, case_id: int, now: dt.datetime
) -> list[rectification.TaskSummary]:
    """The rectification tasks opened from the case (the caller has checked its scope)."""
    ref = source_ref(case_id)
    found = rectification.tasks_for_source(session, Source.MISCONDUCT, ref, now=now)
    return [t for t in found if t.source_ref == ref]


def tasks_of_origin(
    session: Session, origin: str, origin_ref: str, now: dt.datetime
) -> list[rectification.TaskSummary]:
    """The rectification tasks opened from the finding the case came from (the complaint, or
    the failed inspection item), so that the case does not get a second one by mistake."""
    if origin == Origin.COMPLAINT.value and origin_ref:
        found = rectification.tasks_naming(session, Source.COMPLAINT, origin_ref, now=now)
        return [t for t in found if names(t.source_ref, origin_ref)]
    if origin == Origin.INSPECTION.value and origin_ref:
        ref = f"inspection:{origin_ref}"
        found = rectification.tasks_for_source(session, Source.INSPECTION, ref, now=now)
        return [t for t in found if t.source_ref == ref]
    return []
