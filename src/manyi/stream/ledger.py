"""The idempotency ledger: which event ids a consumer has applied.

For a consumer whose sink is not idempotent by itself (a counter, a sum): in the transaction
that applies a batch, `fresh` records the batch's ids and returns only the envelopes never
recorded before, so a batch delivered again (the consumer died after committing and before
acknowledging) applies nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, delete
from sqlalchemy.orm import Session

from manyi.bulk import insert_returning
from manyi.stream.domain.envelope import Envelope
from manyi.stream.tables import StreamProcessed

LEDGER = cast(Table, StreamProcessed.__table__)


def fresh(
    session: Session, consumer: str, envelopes: Sequence[Envelope], now: dt.datetime
) -> list[Envelope]:
    """Record the envelopes as applied by `consumer`; those not applied before, in order."""
    first: dict[str, Envelope] = {}
    for e in envelopes:
        first.setdefault(e.id, e)
    if not first:
        return []
    rows = [{"consumer": consumer, "event_id": i, "processed_at": now} for i in first]
    new = insert_returning(
        session.connection(),
        LEDGER,
        rows,
        returning=("event_id",),
        skip_conflicts_on=("consumer", "event_id"),
    )
    new_ids = {str(r[0]) for r in new}
    return [e for e in first.values() if e.id in new_ids]


def forget_before(session: Session, consumer: str, before: dt.datetime) -> int:
    """Drop a consumer's ledger entries older than the stream keeps messages (they cannot come
    again); returns how many."""
    result = session.execute(
        delete(StreamProcessed).where(
            StreamProcessed.consumer == consumer, StreamProcessed.processed_at < before
        )
    )
    return int(getattr(result, "rowcount", 0))
