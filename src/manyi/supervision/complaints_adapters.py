"""Supervision behind the complaint pages' port (`complaints.ports.RectificationPort`),
registered by the application (`manyi.web.wiring.plug_features`): the rectification tasks opened
from a complaint, for its case page.

A task from complaints carries the complaint's reference, or several references for a cluster
(separated by commas, spaces or semicolons): the tasks whose reference contains this one are
narrowed to those naming it exactly (TS…01 is not TS…012).

A decision opens a task for its root cause (`open_for_complaint`): source "complaint", the
reference followed by "issue:<code>" when the case is filed under a prominent-issue category
(the tracker counts the task against that category), the responsible unit, its head the owner,
due in ten working days. Or it links an existing task the handler may see (`link_task`).
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.orm import Session

from manyi import audit
from manyi.complaints import ports
from manyi.complaints.domain.model import RootCause
from manyi.errors import Forbidden, InvalidInput
from manyi.org.model import Permission
from manyi.org.tables import Unit
from manyi.supervision import rectification
from manyi.supervision.domain.rectification import NewTask, Source, TaskState, is_overdue
from manyi.supervision.rectification_access import load, today_at
from manyi.supervision.rectification_notices import task_url

_SEPARATORS = re.compile(r"[\s,;，；、]+")


def names(source_ref: str, reference: str) -> bool:
    """Whether a task's source reference names the complaint (alone or in a cluster)."""
    return reference in _SEPARATORS.split(source_ref.strip())


class ComplaintTasks:
    def tasks_for_complaint(
        self, session: Session, reference: str, now: dt.datetime
    ) -> list[ports.SourceTask]:
        reference = reference.strip()
        if not reference:
            return []
        found = rectification.tasks_naming(session, Source.COMPLAINT, reference, now=now)
        return [
            ports.SourceTask(
                id=t.id,
                title=t.title,
                state=t.state.value,
                unit_name=t.unit_name,
                due_on=t.due_on,
                overdue=t.overdue,
                url=task_url(t.id),
            )
            for t in found
            if names(t.source_ref, reference)
        ]


def _source_task(session: Session, task_id: int, now: dt.datetime) -> ports.SourceTask:
    task = rectification.load(session, audit.Actor(None, "system"), task_id)
    unit = session.get_one(Unit, task.unit_id)
    return ports.SourceTask(
        id=task.id,
        title=task.title,
        state=task.state,
        unit_name=unit.name_zh,
        due_on=task.due_on,
        overdue=is_overdue(TaskState(task.state), task.due_on, today_at(unit, now)),
        url=task_url(task.id),
    )


def root_cause_task(task: ports.RootCauseTask) -> NewTask:
    """The new task a decision asks for (Chinese text: the bank's working language)."""
    try:
        kind = RootCause(task.root_cause_kind)
    except ValueError:
        raise InvalidInput("choose the kind of root cause", "root_cause_kind") from None
    ref = task.reference if not task.issue_code else f"{task.reference} issue:{task.issue_code}"
    return NewTask(
        source=Source.COMPLAINT,
        source_ref=ref,
        title=f"投诉溯源整改（{kind.name_zh}）：{task.subject}"[:200],
        detail=task.root_cause or f"投诉 {task.reference} 的根源：{kind.name_zh}",
        unit_id=task.unit_id,
        owner_id=None,
        evidence_required="整改措施及落实情况的证明材料",
        due_days=task.due_days,
    )


class _DecisionTasks(ComplaintTasks):
    def open_for_complaint(
        self,
        session: Session,
        actor: audit.Actor,
        permissions: frozenset[Permission],
        task: ports.RootCauseTask,
        now: dt.datetime,
    ) -> ports.SourceTask:
        if Permission.SUPERVISION_ISSUE not in permissions:
            raise Forbidden(
                "you may not open rectification tasks: leave it to a manager, or link a task",
                "task_mode",
            )
        task_id = rectification.open_task(session, actor, root_cause_task(task), now=now)
        return _source_task(session, task_id, now)

    def link_task(
        self,
        session: Session,
        actor: audit.Actor,
        permissions: frozenset[Permission],
        task_id: int,
        now: dt.datetime,
    ) -> ports.SourceTask:
        if Permission.SUPERVISION_VIEW not in permissions:
            raise Forbidden("you may not see rectification tasks", "task_id")
        load(session, actor, task_id)  # "not found" outside the actor's sight
        return _source_task(session, task_id, now)


def register() -> None:
    ports.register_rectification(_DecisionTasks())
