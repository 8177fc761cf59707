"""Supervision's worker jobs: the rectification ladder (warn before the due day, escalate
overdue tasks up the organisation), `supervision.rectification_escalation`; the watch over
misconduct investigations (warn the investigator when the deadline is near, tell the responsible
managers when it is overdue), `supervision.misconduct_deadlines`; and removing evidence files a
submission left behind when its unit of work rolled back."""

from __future__ import annotations

import datetime as dt

from manyi.config import Settings
from manyi.db import Database
from manyi.supervision import misconduct_deadlines, rectification_files
from manyi.supervision.rectification_escalation import scan
from manyi.worker import JobResult, WorkerJob


def _escalate_rectification(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    report = scan(db, now)
    return JobResult(done=report.done, summary=report.line())


def _watch_misconduct_deadlines(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    report = misconduct_deadlines.scan(db, now)
    return JobResult(done=report.done, summary=report.line())


def _sweep_evidence_files(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    with db.session() as session:
        removed = rectification_files.sweep(session, settings.var_dir, now)
    return JobResult(done=removed, summary=f"evidence files left by failed submissions: {removed}")


JOBS = (
    # Every round in every worker: tasks are claimed one by one, so workers share the work.
    WorkerJob("rectification-escalation", _escalate_rectification),
    # Every round too: cases are claimed one by one, like tasks.
    WorkerJob("misconduct-deadlines", _watch_misconduct_deadlines),
    # Hourly, by one worker at a time: a walk of the evidence directory.
    WorkerJob("rectification-files", _sweep_evidence_files, every_s=3600, lease_s=3600),
)
