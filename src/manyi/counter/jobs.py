"""The counter's worker job: housekeeping (expired pre-fills, remote claims held too long)."""

from __future__ import annotations

import datetime as dt

from manyi.config import Settings
from manyi.counter.housekeeping import run_due
from manyi.db import Database
from manyi.worker import JobResult, WorkerJob


def _counter_housekeeping(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    # run_due keeps its own pace (about once a minute, by `now`).
    report = run_due(db, now, claim_minutes=settings.counter_claim_minutes)
    return JobResult(done=report.done, summary=report.line())


JOBS = (WorkerJob("counter", _counter_housekeeping),)
