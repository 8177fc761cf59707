"""Publishing the outbox to NATS JetStream: read in id order, publish, await the acks, delete.

At least once: a row is deleted only after JetStream acknowledged its message, so a publisher
that dies in between publishes it again on its next pass; the message id (`Nats-Msg-Id`, the
envelope id) makes JetStream drop that copy within its de-duplication window, and consumers
are idempotent by the same id beyond it. In order: a pass sends a batch in outbox id order on
one connection, and JetStream stores messages in the order they arrive; docs/stream.md says why
id order is commit order where order matters (one outlet's lobby) and what a failed publish
does to it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from manyi import aio
from manyi.db import Database
from manyi.stream import queries
from manyi.stream.domain.envelope import STREAM_NAME, SUBJECT_ROOT, Envelope

DAY_S = 24 * 3600.0


@dataclass(frozen=True)
class StreamSpec:
    """The JetStream stream events go to (tests use their own name and subject root)."""

    name: str = STREAM_NAME
    root: str = SUBJECT_ROOT
    # Limits retention: a message stays max_age whether or not it was consumed, so a consumer
    # that is down for less than a week catches up; beyond that it re-lands from the source
    # tables. File storage survives a restart of the server.
    max_age_s: float = 7 * DAY_S
    max_bytes: int = -1  # no size limit besides the age (set one on a shared server)
    # A republished message (the publisher died before deleting its rows) within this window is
    # dropped by JetStream itself; after it, consumers' idempotency absorbs it.
    duplicate_window_s: float = 600.0

    def config(self) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            subjects=[f"{self.root}.>"],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            max_age=self.max_age_s,
            max_bytes=self.max_bytes,
            duplicate_window=self.duplicate_window_s,
        )


async def connect(nats_url: str) -> Client:
    """A connection for one pass or one consumer run: a server that is down fails it within
    seconds (the client's default tries 60 times, 2 s apart, before giving up); the next pass
    tries again."""
    return await nats.connect(
        nats_url, connect_timeout=5, max_reconnect_attempts=2, reconnect_time_wait=0.5
    )


async def ensure_stream(js: JetStreamContext, spec: StreamSpec) -> None:
    """Create the stream if it is missing (an existing one keeps its settings)."""
    try:
        await js.stream_info(spec.name)
    except NotFoundError:
        await js.add_stream(spec.config())


async def publish_envelopes(
    js: JetStreamContext, spec: StreamSpec, envelopes: list[Envelope], timeout_s: float = 10.0
) -> int:
    """Publish in order, pipelined; returns how many from the start were acknowledged (the rows
    that may be deleted). A failure leaves it and everything after it for the next pass."""
    futures = [
        await js.publish_async(
            e.subject(spec.root),
            e.encode(),
            headers={"Nats-Msg-Id": e.id},
            stream=spec.name,
            # No stall timeout: with one, every publish waits on a task and the client writes
            # each message to the socket alone (ten times slower); a batch stays far below the
            # client's limit of pending acks (4000), so nothing stalls.
        )
        for e in envelopes
    ]
    acked = 0
    results = await asyncio.wait_for(
        asyncio.gather(*futures, return_exceptions=True), timeout=timeout_s
    )
    for result in results:
        if isinstance(result, BaseException):
            break
        acked += 1
    return acked


@dataclass(frozen=True)
class PassResult:
    published: int
    left: bool  # the pass stopped with rows still waiting (time or a failed publish)


async def publish_outbox(
    db: Database,
    js: JetStreamContext,
    spec: StreamSpec,
    *,
    batch: int = 1000,
    budget_s: float = 8.0,
) -> PassResult:
    """Publish and delete the outbox batch by batch until it is empty or `budget_s` is spent."""
    published = 0
    started = time.monotonic()
    while True:
        with db.read() as session:
            rows = queries.next_batch(session, batch)
        if not rows:
            return PassResult(published, left=False)
        acked = await publish_envelopes(js, spec, [e for _, e in rows])
        if acked:
            with db.session() as session:
                queries.forget(session, [outbox_id for outbox_id, _ in rows[:acked]])
            published += acked
        if acked < len(rows) or time.monotonic() - started > budget_s:
            return PassResult(published, left=True)


async def _publish_pass(db: Database, nats_url: str, spec: StreamSpec, budget_s: float) -> int:
    nc = await connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, spec)
        result = await publish_outbox(db, js, spec, budget_s=budget_s)
        return result.published
    finally:
        await nc.close()


def publish_pass(
    db: Database, nats_url: str, spec: StreamSpec | None = None, budget_s: float = 8.0
) -> int:
    """One worker pass: connect, make sure the stream exists, drain the outbox; how many went."""
    return aio.run(_publish_pass(db, nats_url, spec or StreamSpec(), budget_s))
