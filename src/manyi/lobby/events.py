"""The outlet's event log: every state change is a row in `lobby_events`, staged for the live
screens (boards, consoles, dashboards) and delivered when the unit of work commits.

Other features add to an outlet's log through `emit` (forecasting's advice, say).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy.orm import Session

from manyi import event_outbox, hot_unit, pg_notify, realtime
from manyi.driver_sql import Driver
from manyi.lobby import hot_events, hot_writes
from manyi.lobby.hot_events import NewEvent


def emit(
    session: Session,
    outlet_id: int,
    kind: str,
    now: dt.datetime,
    *,
    ticket_id: int | None = None,
    counter_id: int | None = None,
    staff_id: int | None = None,
    device_id: int | None = None,
    data: dict[str, Any] | None = None,
    along: Sequence[hot_writes.Write] = (),
) -> int:
    """Store an event and stage it for live subscribers (delivered on commit), and for the
    event stream when it is on (`manyi.event_outbox`). `along`: the writes that made it (the
    ticket, the counter), sent with it (`hot_events.insert_event`)."""
    event_id = emit_if_claimed(
        session,
        None,
        outlet_id,
        kind,
        now,
        ticket_id=ticket_id,
        counter_id=counter_id,
        staff_id=staff_id,
        device_id=device_id,
        data=data,
        along=along,
    )
    assert event_id is not None  # nothing to claim: always written
    return event_id


def emit_if_claimed(
    session: Session,
    claim: hot_writes.Write | None,
    outlet_id: int,
    kind: str,
    now: dt.datetime,
    *,
    ticket_id: int | None = None,
    counter_id: int | None = None,
    staff_id: int | None = None,
    device_id: int | None = None,
    data: dict[str, Any] | None = None,
    along: Sequence[hot_writes.Write] = (),
) -> int | None:
    """`emit`, only if the `claim` (an UPDATE: the ticket still waiting) changes a row: the
    claim, `along` and the event in one statement on PostgreSQL. None, and nothing written or
    staged, when another counter had the ticket (`hot_events.insert_guarded_event`)."""
    data = data or {}
    event_id = hot_events.insert_guarded_event(
        Driver(session),
        claim,
        outlet_id,
        kind,
        now,
        ticket_id,
        counter_id,
        staff_id,
        device_id,
        data,
        along,
    )
    if event_id is not None:
        _announce(session, outlet_id, event_id, kind, now, ticket_id, counter_id, staff_id, data)
    return event_id


def emit_numbered_ticket(
    session: Session,
    outlet_id: int,
    kind: str,
    now: dt.datetime,
    ticket: Mapping[str, Any],
    *,
    staff_id: int | None = None,
    device_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> tuple[int, str]:
    """`emit` for a new ticket that takes the day's next number for its prefix (`ticket`: the
    columns of `lobby_tickets` but `seq` and `number`), its row and its event written together;
    the event's data gains the number. One statement on PostgreSQL
    (`hot_events.insert_numbered_ticket_and_event`). Returns (ticket id, number)."""
    data = data or {}
    notify = None
    if hot_unit.commits_alone(session):  # the statement sends its NOTIFY and commits itself
        mark = {name: pg_notify.mark(name) for name in hot_events.TICKET_MARKS}
        # The event as `_announce` stages it, but for what only the statement knows.
        template = live_event(
            outlet_id,
            cast(int, mark["event_id"]),
            kind,
            now,
            cast(int, mark["ticket_id"]),
            {"number": mark["number"], **data},
        )
        notify = realtime.payload_for(session, template)
    ticket_id, event_id, number = hot_events.insert_numbered_ticket_and_event(
        Driver(session), dict(ticket), outlet_id, kind, now, staff_id, device_id, data, notify
    )
    notified = notify is not None
    data = {"number": number, **data}
    _announce(session, outlet_id, event_id, kind, now, ticket_id, None, staff_id, data, notified)
    return ticket_id, number


def alone(session: Session) -> bool:
    """Let the unit's statements commit alone (`hot_unit.statements_commit_alone`) when its one
    write is to be an event with its row (`emit_numbered_ticket`), sent last: not while the
    event stream is on, whose outbox row would be a second write. True when granted."""
    if session.info.get(event_outbox.SESSION_KEY):
        return False
    return hot_unit.statements_commit_alone(session)


def emit_new_row(
    session: Session,
    table: str,
    row: Mapping[str, Any],
    id_key: str,
    outlet_id: int,
    kind: str,
    now: dt.datetime,
    *,
    ticket_id: int | None = None,
    counter_id: int | None = None,
    data: dict[str, Any] | None = None,
    along: Sequence[hot_writes.Write] = (),
    first: NewEvent | None = None,
) -> tuple[int, int]:
    """`emit` for a row of `table` not yet written (`row`: its columns but the id) that the
    event announces, with the row's id in the event's data under `id_key`, and the `along`
    writes; and before it, when given, the `first` event with its writes (the completion a
    rating prompt follows). One statement on PostgreSQL (`hot_events.insert_row_and_event`).
    Returns (row id, event id)."""
    data = data or {}
    event = NewEvent(outlet_id, kind, now, ticket_id, counter_id, None, None, data, along)
    row_id, event_id, first_id = hot_events.insert_row_and_event(
        Driver(session), table, dict(row), id_key, event, first
    )
    if first is not None:
        assert first_id is not None
        _announce(
            session,
            first.outlet_id,
            first_id,
            first.kind,
            first.at,
            first.ticket_id,
            first.counter_id,
            first.staff_id,
            first.data,
        )
    data = {id_key: row_id, **data}
    _announce(session, outlet_id, event_id, kind, now, ticket_id, counter_id, None, data)
    return row_id, event_id


def _announce(
    session: Session,
    outlet_id: int,
    event_id: int,
    kind: str,
    now: dt.datetime,
    ticket_id: int | None,
    counter_id: int | None,
    staff_id: int | None,
    data: dict[str, Any],
    notified: bool = False,
) -> None:
    """A written event staged for live subscribers and, when it is on, the event stream.
    `notified`: its statement sent its NOTIFY (`realtime.stage`)."""
    realtime.stage(
        session, live_event(outlet_id, event_id, kind, now, ticket_id, data), notified=notified
    )
    if session.info.get(event_outbox.SESSION_KEY):  # the event stream is on: one more insert
        event_outbox.record(
            session,
            "lobby",
            event_id,
            kind,
            now,
            outlet_id=outlet_id,
            ticket_id=ticket_id,
            counter_id=counter_id,
            staff_id=staff_id,
            data=data,
        )


def topic(outlet_id: int) -> str:
    return f"lobby:{outlet_id}"


def live_event(
    outlet_id: int,
    event_id: int,
    kind: str,
    at: dt.datetime,
    ticket_id: int | None,
    data: dict[str, Any],
) -> realtime.Event:
    """The form in which a lobby event travels to boards and consoles."""
    return realtime.Event(
        topic(outlet_id), event_id, kind, at.isoformat(), {"ticket_id": ticket_id, **data}
    )
