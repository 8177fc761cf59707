"""The event stream's outbox: committed business events, waiting for `manyi.stream` to publish.

Lobby, complaint, counter and quality events are rows in their features' own tables. When the
event stream is on (`MANYI_STREAM=nats`, carried to every session as `SESSION_KEY` in
`Session.info`), the feature also writes one row here *in the same transaction* (`record`), so
an event is published if and only if it was committed. The stream's worker job
(`manyi.stream.publisher`) reads the rows in id order, publishes them to NATS JetStream and
deletes them once the server has acknowledged them.

This module sits at the core, beside `realtime`, so that the features can call it without
importing the stream feature above them (`.importlinter`: stream-above). When the stream is
off, `record` costs one dictionary look-up and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Table, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from manyi.db import Base, UTCDateTime

SESSION_KEY = "manyi.stream"  # in Session.info: True when events go to the stream
SOURCES = ("lobby", "complaints", "counter", "quality")

BigId = BigInteger().with_variant(Integer(), "sqlite")


class StreamOutboxRow(Base):
    """One committed event waiting to be published (deleted once JetStream has it)."""

    __tablename__ = "stream_outbox"

    # The order of publication. A transaction that began after another committed draws larger
    # ids, so whatever one event caused is published after it (docs/stream.md, "Ordering").
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # one of SOURCES
    # The row id in the source's own table (lobby_events, complaint_events, quality_responses);
    # None where the source keeps no event rows (counter bundle states): the outbox id stands in.
    source_id: Mapped[int | None] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    outlet_id: Mapped[int | None] = mapped_column(Integer)
    ticket_id: Mapped[int | None] = mapped_column(BigId)
    counter_id: Mapped[int | None] = mapped_column(Integer)
    staff_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


OUTBOX: Table = StreamOutboxRow.__table__  # type: ignore[assignment]
_INSERT = insert(OUTBOX)  # built once, compiled once


@dataclass(frozen=True, slots=True)
class Pending:
    """One event for `record_many`."""

    source: str
    source_id: int | None
    kind: str
    at: dt.datetime
    outlet_id: int | None = None
    ticket_id: int | None = None
    counter_id: int | None = None
    staff_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


def enabled(session: Session) -> bool:
    """Whether this session's events go to the stream (`MANYI_STREAM=nats`)."""
    return bool(session.info.get(SESSION_KEY))


def record(
    session: Session,
    source: str,
    source_id: int | None,
    kind: str,
    at: dt.datetime,
    *,
    outlet_id: int | None = None,
    ticket_id: int | None = None,
    counter_id: int | None = None,
    staff_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Queue one committed-with-this-transaction event for the stream; nothing when it is off."""
    if not session.info.get(SESSION_KEY):
        return
    session.execute(
        _INSERT,
        {
            "source": source,
            "source_id": source_id,
            "kind": kind,
            "at": at,
            "outlet_id": outlet_id,
            "ticket_id": ticket_id,
            "counter_id": counter_id,
            "staff_id": staff_id,
            "data": data or {},
        },
    )


def record_many(session: Session, events: Sequence[Pending]) -> None:
    """`record` for several events in one statement (quality imports store thousands)."""
    if not events or not session.info.get(SESSION_KEY):
        return
    session.execute(
        _INSERT,
        [
            {
                "source": e.source,
                "source_id": e.source_id,
                "kind": e.kind,
                "at": e.at,
                "outlet_id": e.outlet_id,
                "ticket_id": e.ticket_id,
                "counter_id": e.counter_id,
                "staff_id": e.staff_id,
                "data": e.data,
            }
            for e in events
        ],
    )
