"""Quality's worker job: keep the satisfaction roll-ups up to date (`quality.rollups`)."""

from __future__ import annotations

import datetime as dt

from manyi.config import Settings
from manyi.db import Database
from manyi.quality import rollups
from manyi.worker import JobResult, WorkerJob


def _rollups(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    done = rollups.run_pass(db, settings.timezone)
    return JobResult(done=done.done, summary=done.line())


# Bank-wide (one worker at a time), at most once a minute: reports read the raw rows of what
# is newer, so the roll-ups only need to keep that remainder small.
JOBS = (WorkerJob("quality-rollups", _rollups, every_s=60.0, lease_s=60.0),)
