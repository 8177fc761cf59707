"""Supervision's worker jobs: the rectification ladder (warn before the due day, escalate
overdue tasks up the organisation), `supervision.rectification_escalation`."""

from __future__ import annotations

import datetime as dt

from manyi.config import Settings
from manyi.db import Database
from manyi.supervision.rectification_escalation import scan
from manyi.worker import JobResult, WorkerJob


def _escalate_rectification(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    report = scan(db, now)
    return JobResult(done=report.done, summary=report.line())


# Every round in every worker: tasks are claimed one by one, so workers share the work.
JOBS = (WorkerJob("rectification-escalation", _escalate_rectification),)
