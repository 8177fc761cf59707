"""Text-message alerts while a customer waits: "your turn is near" and "you are called".

The customer asks on the ticket's status page (the lobby's `TicketAlertPort`): the number is
remembered, the customer's yes to queue messages recorded (source `status_page`), and the
ticket watched. A worker pass (`watch_pass`, job `reach-queue-alerts`) reads the watched
tickets' live status through the lobby's public queries, each outlet's queue once a pass
(`lobby.queries.ticket_statuses`) — the same people-ahead and wait estimate the status page
shows — and writes at most one "near" message (when at most
`NEAR_AHEAD` people are ahead, or the estimate is `NEAR_WAIT_S` or less) and one "called"
message (number and counter) per ticket. Both are live messages: sent at once, dropped if stale.
A watch ends when its ticket is served, finished or gone, or after a day.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from manyi import audit
from manyi.db import Database
from manyi.lobby import queries as lobby_queries
from manyi.lobby.domain.model import TicketState
from manyi.reach import contacts, messages
from manyi.reach.domain.messages import Kind, Purpose
from manyi.reach.tables import ReachContact, ReachTicketWatch

NEAR_AHEAD = 3
NEAR_WAIT_S = 5 * 60
WATCH_FOR = dt.timedelta(days=1)


class QueueAlerts:
    """The lobby's `TicketAlertPort`, answered by customer reach."""

    def offered(self) -> bool:
        return True

    def subscribe(
        self, session: Session, token: str, phone: str, lang: str, now: dt.datetime
    ) -> None:
        status = lobby_queries.ticket_status(session, token, now)  # NotFound for a wrong token
        contact = contacts.remember(session, phone, now, lang="en" if lang == "en" else "zh-CN")
        contacts.record_consent(
            session,
            audit.SYSTEM,
            contact,
            Purpose.QUEUE,
            granted=True,
            source="status_page",
            now=now,
        )
        session.add(
            ReachTicketWatch(
                outlet_id=status.outlet.id, token=token, contact_id=contact.id, created_at=now
            )
        )


def watch_pass(db: Database, zone: dt.tzinfo, now: dt.datetime) -> int:
    """Send what the watched tickets' progress calls for; returns the messages written."""
    written = 0
    with db.session() as session:
        watches = session.scalars(
            select(ReachTicketWatch)
            .where(
                ReachTicketWatch.done_at.is_(None),
                ReachTicketWatch.created_at > now - WATCH_FOR,
            )
            .order_by(ReachTicketWatch.id)
            .with_for_update(skip_locked=True)
        ).all()
        statuses = lobby_queries.ticket_statuses(session, [w.token for w in watches], now)
        for watch in watches:
            written += _advance(session, watch, statuses.get(watch.token), zone, now)
        session.execute(
            update(ReachTicketWatch)
            .where(
                ReachTicketWatch.done_at.is_(None),
                ReachTicketWatch.created_at <= now - WATCH_FOR,
            )
            .values(done_at=now)
        )
    return written


def _advance(
    session: Session,
    watch: ReachTicketWatch,
    status: lobby_queries.TicketStatus | None,
    zone: dt.tzinfo,
    now: dt.datetime,
) -> int:
    if status is None:  # the ticket is gone
        watch.done_at = now
        return 0
    contact = session.get_one(ReachContact, watch.contact_id)
    outlet = status.outlet.name_en if contact.lang == "en" else status.outlet.name_zh
    ticket = status.ticket
    written = 0
    if ticket.state is TicketState.WAITING and watch.near_sent_at is None:
        ahead, wait_s = status.people_ahead, status.predicted_wait_s
        near = (ahead is not None and ahead <= NEAR_AHEAD) or (
            wait_s is not None and wait_s <= NEAR_WAIT_S
        )
        if near:
            minutes = max(1, math.ceil((wait_s or 0) / 60))
            params = {"number": ticket.number, "ahead": ahead or 0, "minutes": minutes}
            written += _send(
                session,
                contact,
                watch,
                Kind.TURN_NEAR,
                {**params, "outlet": outlet},
                zone,
                now,
                f"near:{watch.id}",
            )
            watch.near_sent_at = now
    elif ticket.state is TicketState.CALLED and watch.called_sent_at is None:
        params = {"number": ticket.number, "counter": status.counter_number or "", "outlet": outlet}
        written += _send(
            session, contact, watch, Kind.CALLED, params, zone, now, f"called:{watch.id}"
        )
        watch.called_sent_at = now
        watch.near_sent_at = watch.near_sent_at or now
    elif ticket.state in (TicketState.SERVING, TicketState.FINISHED):
        watch.done_at = now
    return written


def _send(
    session: Session,
    contact: ReachContact,
    watch: ReachTicketWatch,
    kind: Kind,
    params: dict[str, object],
    zone: dt.tzinfo,
    now: dt.datetime,
    key: str,
) -> int:
    outcome = messages.send(
        session, contact, kind, params, now, zone, unit_id=watch.outlet_id, dedupe_key=key
    )
    return 1 if outcome.message_id is not None else 0
