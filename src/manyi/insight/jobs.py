"""Complaint intelligence's worker jobs: the emerging-issue detector (`detection.scan`)."""

from __future__ import annotations

import datetime as dt

from manyi.config import Settings
from manyi.db import Database
from manyi.insight import detection
from manyi.worker import JobResult, WorkerJob


def _emerging_issues(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    report = detection.scan(db, now)
    return JobResult(done=report.stored, summary=report.line())


JOBS = (
    # Hourly, by one worker at a time (a lease); the alerts' unique constraint keeps a pass
    # that runs twice, or two workers at once, from storing an alert twice.
    WorkerJob("emerging-issues", _emerging_issues, every_s=3600, lease_s=3600),
)
