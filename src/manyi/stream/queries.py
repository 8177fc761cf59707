"""What the publisher reads and deletes in the outbox (`manyi.event_outbox`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, delete, select
from sqlalchemy.orm import Session

from manyi.event_outbox import StreamOutboxRow
from manyi.lobby.tables import LobbyTicket
from manyi.org import Unit
from manyi.stream.domain.envelope import Envelope, from_columns


def next_batch(session: Session, limit: int) -> list[tuple[int, Envelope]]:
    """The oldest `limit` outbox rows, in id order, as (outbox id, envelope)."""
    o = StreamOutboxRow
    t = LobbyTicket
    rows = session.execute(
        select(
            o.id,
            o.source,
            o.source_id,
            o.kind,
            o.at,
            o.outlet_id,
            Unit.path.label("path"),
            o.ticket_id,
            o.counter_id,
            o.staff_id,
            o.data,
            t.service_code,
            t.klass,
            t.queued_at,
            t.first_called_at,
            t.started_at,
        )
        .outerjoin(Unit, Unit.id == o.outlet_id)
        .outerjoin(t, and_(o.source == "lobby", t.id == o.ticket_id))
        .order_by(o.id)
        .limit(limit)
    ).all()
    return [(int(r.id), from_columns(r._mapping, outbox_id=r.id)) for r in rows]


def forget(session: Session, outbox_ids: Sequence[int]) -> int:
    """Delete published rows; returns how many went."""
    if not outbox_ids:
        return 0
    result = session.execute(delete(StreamOutboxRow).where(StreamOutboxRow.id.in_(outbox_ids)))
    return int(getattr(result, "rowcount", 0))


def waiting(session: Session) -> int:
    from sqlalchemy import func

    return int(session.scalar(select(func.count()).select_from(StreamOutboxRow)) or 0)
