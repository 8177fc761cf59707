"""Counter bundle state changes for the event stream (`manyi.event_outbox`).

A bundle's state is set in several use cases (opening, authorisation, running, signing), and the
counter keeps no event rows of its own, so one listener sees every change where it happens: after
each flush, every bundle whose `state` changed in it (or that was created) becomes one outbox row
in the same transaction. It does nothing unless the stream is on for the session.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from manyi import event_outbox
from manyi.counter.tables import CounterBundle
from manyi.db import utcnow


@event.listens_for(Session, "after_flush")
def _bundle_states(session: Session, _context: Any) -> None:
    if not event_outbox.enabled(session):
        return
    pending: list[event_outbox.Pending] = []
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, CounterBundle):
            continue
        history = inspect(obj).attrs.state.history
        if not history.added:
            continue
        before = history.deleted[0] if history.deleted else None
        pending.append(
            event_outbox.Pending(
                "counter",
                None,
                str(obj.state),
                utcnow(),  # the flush is part of the use case: its clock (frozen in tests)
                outlet_id=obj.outlet_id,
                ticket_id=obj.ticket_id,
                staff_id=obj.teller_id,
                data={"bundle_id": obj.id, "reference": obj.reference, "from_state": before},
            )
        )
    event_outbox.record_many(session, pending)
