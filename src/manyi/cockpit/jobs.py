"""The cockpit's worker job: keep the roll-ups up to date (`cockpit.rollups`)."""

from __future__ import annotations

import datetime as dt

from manyi.cockpit import rollups
from manyi.config import Settings
from manyi.db import Database
from manyi.worker import JobResult, WorkerJob


def _rollups(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    done = rollups.run_pass(db, settings.timezone, settings.cockpit_service_level_s, now)
    return JobResult(done=done.done, summary=done.line())


# Bank-wide (one worker at a time), once a minute: today's figures are at most a minute or two
# behind, and one pass recomputes only the outlet-days that changed.
JOBS = (WorkerJob("cockpit-rollups", _rollups, every_s=60.0, lease_s=120.0),)
