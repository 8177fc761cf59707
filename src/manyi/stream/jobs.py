"""The worker's `stream-publish` job: the outbox to NATS JetStream, one publisher at a time."""

from __future__ import annotations

import datetime as dt

from manyi.config import Settings
from manyi.db import Database
from manyi.stream.publisher import StreamSpec, publish_pass
from manyi.worker import JobResult, WorkerJob

# One worker at a time holds the job (events go out in order from one connection); a pass drains
# the outbox for at most PASS_S, well within the lease, and runs again when the lease ends.
LEASE_S = 10.0
PASS_S = 8.0
SPEC = StreamSpec()  # MANYI_EVENTS on manyi.events.> (tests put their own here)


def publish(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    if settings.stream != "nats":
        return JobResult(0, "the event stream is off (MANYI_STREAM)")
    sent = publish_pass(db, settings.nats_url, SPEC, budget_s=PASS_S)
    return JobResult(sent, f"{sent} events published to NATS JetStream")


JOBS = (WorkerJob("stream-publish", publish, lease_s=LEASE_S),)
