"""The event stream landed in the analytics store: a durable JetStream consumer whose callback is
the lander (issue 21; docs/analytics.md, "From the stream").

    stream MANYI_EVENTS ──fetch a batch──▶ lander.land(batch) ──files renamed in place──▶ ack

A batch is acknowledged only after its files are written, so a consumer stopped in between
(killed, a lost connection, a failed write) gets the batch again after the consumer's ack
wait; the lander is idempotent by event id (the same batch rewrites its own files, an
overlapping one leaves identical copies that the roll-ups read once), so the roll-ups count
every event once however often it came. No ledger: the files are the only state.

Run by the worker's `analytics-land` job (a pass that drains what is waiting) or by
`manyi cockpit land` (runs until stopped). Both use the one durable consumer `DURABLE`, so
JetStream keeps one position for the store whichever of them ran last.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from manyi.analytics.lander import EnvelopeError, envelopes_table, land
from manyi.stream.consumer import ConsumerOptions, consume
from manyi.stream.domain.envelope import Envelope
from manyi.stream.publisher import StreamSpec

log = logging.getLogger("manyi.analytics")

DURABLE = "analytics-lander"
SPEC = StreamSpec()  # the bank's stream, MANYI_EVENTS on manyi.events.> (tests put their own here)


@dataclass
class Tally:
    """What a consumer run landed (the callback adds to it batch by batch)."""

    batches: int = 0
    events: int = 0
    files: int = 0
    rejected: list[str] = field(default_factory=list)  # "<id>: <reason>", logged too


def handler(root: str, zone: str, tally: Tally | None = None) -> Callable[[list[Envelope]], None]:
    """The consumer's callback: land the batch under `root`; returns only once the files are
    in place (then the consumer acknowledges). An envelope the lander refuses is logged and left
    out, and the rest of its batch lands: one bad event must not hold the stream up forever."""
    tally = tally if tally is not None else Tally()

    def land_batch(envelopes: list[Envelope]) -> None:
        batch = [e.as_json() for e in envelopes]
        try:
            landed = land(batch, root, zone)
        except EnvelopeError:
            good = _acceptable(batch, zone, tally)
            landed = land(good, root, zone)
        tally.batches += 1
        tally.events += landed.events
        tally.files += len(landed.files)

    return land_batch


def _acceptable(batch: Sequence[dict[str, Any]], zone: str, tally: Tally) -> list[dict[str, Any]]:
    good = []
    for envelope in batch:
        try:
            envelopes_table([envelope], zone)
        except EnvelopeError as exc:
            reason = str(exc).removeprefix("envelope 1: ")
            log.warning("analytics land: envelope %s left out: %s", envelope.get("id"), reason)
            tally.rejected.append(f"{envelope.get('id')}: {reason}")
            continue
        good.append(envelope)
    return good


def land_stream(
    nats_url: str,
    root: str,
    zone: str,
    *,
    spec: StreamSpec | None = None,
    options: ConsumerOptions | None = None,
    durable: str = DURABLE,
    tally: Tally | None = None,
) -> Tally:
    """Consume the stream into the store with the durable consumer (until idle, or until
    cancelled when `options.idle_stop_s` is None); returns what was landed (also in `tally`,
    the caller's, as it goes: a command stopped by Ctrl-C still has it)."""
    tally = tally if tally is not None else Tally()
    consume(nats_url, durable, handler(root, zone, tally), spec=spec, options=options)
    return tally
