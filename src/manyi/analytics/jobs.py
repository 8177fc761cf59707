"""The worker's jobs for the analytics store: the lobby-event partitions (PostgreSQL; nothing to
do on SQLite), the daily compaction of finished days, and landing the event stream."""

from __future__ import annotations

import datetime as dt

from manyi.analytics import compaction, landing, retention
from manyi.analytics.months import retention_cutoff
from manyi.config import Settings
from manyi.db import Database
from manyi.stream.consumer import ConsumerOptions
from manyi.worker import JobResult, WorkerJob

DAY_S = 24 * 3600.0
# How much one pass of the land job takes: at most `max_batches` batches, well within the lease;
# the next pass goes on where JetStream's durable consumer stopped.
LAND_LEASE_S = 30.0
LAND_OPTIONS = ConsumerOptions(batch=2000, idle_stop_s=1.0, max_batches=10)


def _partitions(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    if not retention.is_partitioned(db):
        return JobResult(done=0, summary="")
    done = retention.RetentionPass()
    done.prepared = retention.prepare_months(db, now)
    cutoff = retention_cutoff(now, settings.event_retention_months)
    done.archived = retention.archive_before(db, cutoff, settings.analytics_root, settings.timezone)
    return JobResult(done=len(done.prepared) + len(done.archived), summary=done.line())


def _compact(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    """Every finished day (before today in the bank's time zone) with partitions of several
    files: one file each, every event once. Late events landed into a compacted day make it
    several files again; the next day's pass compacts it again."""
    today = now.astimezone(settings.zone).date()
    done = compaction.compact(settings.analytics_root, today)
    return JobResult(done, f"{done} partitions compacted" if done else "")


def _land(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    if settings.stream != "nats":
        return JobResult(0, "the event stream is off (MANYI_STREAM)")
    tally = landing.land_stream(
        settings.nats_url,
        settings.analytics_root,
        settings.timezone,
        spec=landing.SPEC,
        options=LAND_OPTIONS,
    )
    left_out = f", {len(tally.rejected)} refused" if tally.rejected else ""
    return JobResult(tally.events, f"{tally.events} events landed in {tally.files} files{left_out}")


# Bank-wide (one worker at a time). Partitions every six hours: months are prepared two ahead,
# so a worker down for a day changes nothing. Compaction once a day (the lease is the day).
JOBS = (
    WorkerJob("event-partitions", _partitions, every_s=6 * 3600.0, lease_s=3600.0),
    WorkerJob("analytics-compact", _compact, lease_s=DAY_S),
)
# After the stream's publisher in a round (manyi.cli registers it last): this round's events
# are landed this round. One consumer at a time: JetStream would share the batches out among
# several, which is safe but makes smaller files.
LAND_JOBS = (WorkerJob("analytics-land", _land, lease_s=LAND_LEASE_S),)
