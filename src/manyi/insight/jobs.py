"""Complaint intelligence's worker jobs: the emerging-issue detector (`detection.scan`) and the
analysis roll-up (`rollup.run_pass`)."""

from __future__ import annotations

import datetime as dt

from manyi.config import Settings
from manyi.db import Database
from manyi.insight import detection, rollup
from manyi.worker import JobResult, WorkerJob


def _emerging_issues(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    report = detection.scan(db, now)
    return JobResult(done=report.stored, summary=report.line())


def _rollup(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    done = rollup.run_pass(db, settings.timezone, now)
    return JobResult(done=done.recomputed, summary=done.line())


JOBS = (
    # Hourly, by one worker at a time (a lease); the alerts' unique constraint keeps a pass
    # that runs twice, or two workers at once, from storing an alert twice.
    WorkerJob("emerging-issues", _emerging_issues, every_s=3600, lease_s=3600),
    # Bank-wide, at most once a minute: reports read the months it has not caught up with
    # from the raw cases, so it only keeps that remainder small.
    WorkerJob("complaint-rollup", _rollup, every_s=60.0, lease_s=60.0),
)
