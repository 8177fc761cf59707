"""The complaint feature's worker jobs: the deadline scan (warn, escalate, close after silence),
and removing attachment files an upload left behind when its unit of work rolled back."""

from __future__ import annotations

import datetime as dt

from manyi.complaints import attachments
from manyi.complaints.escalation import scan
from manyi.config import Settings
from manyi.db import Database
from manyi.worker import JobResult, WorkerJob


def _scan_complaint_deadlines(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    report = scan(db, now)
    return JobResult(
        done=report.done,
        summary=f"complaints: looked at {report.looked}, warned {report.warned}, "
        f"escalated {report.escalated}, closed {report.closed}",
    )


def _sweep_attachment_files(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    with db.session() as session:
        removed = attachments.sweep(session, settings.var_dir, now)
    return JobResult(done=removed, summary=f"complaint files left by failed uploads: {removed}")


JOBS = (
    WorkerJob("complaints", _scan_complaint_deadlines),
    # Hourly, by one worker at a time: a walk of the attachment directory.
    WorkerJob("attachment-files", _sweep_attachment_files, every_s=3600, lease_s=3600),
)
