"""The complaint feature's worker job: the deadline scan (warn, escalate, close after silence)."""

from __future__ import annotations

import datetime as dt

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


JOBS = (WorkerJob("complaints", _scan_complaint_deadlines),)
