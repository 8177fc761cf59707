"""Supervision behind the complaint pages' port (`complaints.ports.RectificationPort`),
registered by the application (`manyi.web.app.plug_features`): the rectification tasks opened
from a complaint, for its case page.

A task from complaints carries the complaint's reference, or several references for a cluster
(separated by commas, spaces or semicolons): the tasks whose reference contains this one are
narrowed to those naming it exactly (TS…01 is not TS…012).
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.orm import Session

from manyi.complaints import ports
from manyi.supervision import rectification
from manyi.supervision.domain.rectification import Source
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


def register() -> None:
    ports.register_rectification(ComplaintTasks())
