"""Complaint intelligence's worker job: keep the analysis roll-up up to date (`insight.rollup`)."""

from __future__ import annotations

import datetime as dt

from manyi.config import Settings
from manyi.db import Database
from manyi.insight import rollup
from manyi.worker import JobResult, WorkerJob


def _rollup(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    done = rollup.run_pass(db, settings.timezone, now)
    return JobResult(done=done.recomputed, summary=done.line())


# Bank-wide (one worker at a time), at most once a minute: reports read the months it has not
# caught up with from the raw cases, so it only keeps that remainder small.
JOBS = (WorkerJob("complaint-rollup", _rollup, every_s=60.0, lease_s=60.0),)
