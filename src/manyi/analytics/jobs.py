"""The worker's job for the lobby-event partitions (PostgreSQL; nothing to do on SQLite)."""

from __future__ import annotations

import datetime as dt

from manyi.analytics import retention
from manyi.analytics.months import retention_cutoff
from manyi.config import Settings
from manyi.db import Database
from manyi.worker import JobResult, WorkerJob


def _partitions(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    if not retention.is_partitioned(db):
        return JobResult(done=0, summary="")
    done = retention.RetentionPass()
    done.prepared = retention.prepare_months(db, now)
    cutoff = retention_cutoff(now, settings.event_retention_months)
    done.archived = retention.archive_before(db, cutoff, settings.analytics_root, settings.timezone)
    return JobResult(done=len(done.prepared) + len(done.archived), summary=done.line())


# Bank-wide (one worker at a time), every six hours: months are prepared two ahead, so a
# worker down for a day changes nothing.
JOBS = (WorkerJob("event-partitions", _partitions, every_s=6 * 3600.0, lease_s=3600.0),)
