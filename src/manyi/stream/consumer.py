"""A durable pull consumer of the event stream: batches of envelopes to a callback, acked after.

    def land(envelopes: list[Envelope]) -> None:
        with db.session() as session:                      # the sink's transaction
            for e in ledger.fresh(session, "lander", envelopes, now):
                ...                                        # apply it
    consume(nats_url, "lander", land)                      # returns when the stream is drained

The callback must commit before it returns; only then are the batch's messages acknowledged.
A consumer that dies between the two gets the batch again (after the consumer's `ack_wait`),
which the ledger (or a sink idempotent by envelope id) absorbs: nothing is lost, nothing is
applied twice. JetStream remembers a durable consumer's position, so a restarted one resumes
where the last acknowledged batch ended. A message that is not an envelope is logged and
terminated (never redelivered).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from manyi import aio
from manyi.stream.domain.envelope import Envelope
from manyi.stream.publisher import StreamSpec, connect, ensure_stream

log = logging.getLogger("manyi.stream")

Handler = Callable[[list[Envelope]], None]


@dataclass(frozen=True)
class ConsumerOptions:
    batch: int = 500
    # How long a delivered, unacknowledged batch waits before JetStream delivers it again: longer
    # than the callback's longest commit.
    ack_wait_s: float = 30.0
    # Only these sources or branches, e.g. "manyi.events.lobby.>" (None: every event).
    filter_subject: str | None = None
    # Stop after this long with nothing to fetch (None: run until cancelled).
    idle_stop_s: float | None = 1.0
    max_batches: int | None = None


async def run(
    nats_url: str,
    durable: str,
    handle: Handler,
    *,
    spec: StreamSpec | None = None,
    options: ConsumerOptions | None = None,
) -> int:
    """Consume with the durable consumer `durable`; returns how many envelopes were handled."""
    spec = spec or StreamSpec()
    options = options or ConsumerOptions()
    nc = await connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, spec)
        config = ConsumerConfig(
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=options.ack_wait_s,
            filter_subject=options.filter_subject,
        )
        sub = await js.pull_subscribe(
            options.filter_subject or f"{spec.root}.>",
            durable=durable,
            stream=spec.name,
            config=config,
        )
        handled = batches = 0
        while options.max_batches is None or batches < options.max_batches:
            try:
                messages = await sub.fetch(options.batch, timeout=options.idle_stop_s or 5.0)
            except (NatsTimeout, TimeoutError):  # the client raises either when nothing came
                if options.idle_stop_s is not None:
                    break
                continue
            envelopes = []
            for msg in messages:
                try:
                    envelopes.append(Envelope.decode(msg.data))
                except ValueError as exc:
                    log.warning("stream %s: dropped a message on %s: %s", durable, msg.subject, exc)
                    await msg.term()
            if envelopes:
                handle(envelopes)  # commits, or raises: then nothing is acked
            for msg in messages:
                if not msg.is_acked:
                    await msg.ack()
            await nc.flush()
            handled += len(envelopes)
            batches += 1
        return handled
    finally:
        await nc.close()


def consume(
    nats_url: str,
    durable: str,
    handle: Handler,
    *,
    spec: StreamSpec | None = None,
    options: ConsumerOptions | None = None,
) -> int:
    """`run` for synchronous callers (a worker job, a CLI command)."""
    return aio.run(run(nats_url, durable, handle, spec=spec, options=options))
