"""The lobby's hot events, as SQL for the driver (`manyi.driver_sql`): an event's row in
`lobby_events` with the writes that made it (a ticket issued with its number, a call, a
completion with its rating prompt). On PostgreSQL each is one statement, the writes its
data-modifying WITH clauses; on SQLite one statement each. The writes themselves are
`hot_writes`'.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

from manyi import pg_notify
from manyi.driver_sql import Driver
from manyi.lobby.domain.model import format_number
from manyi.lobby.hot_writes import (
    Write,
    insert_sql,
    insert_ticket,
    inserted,
    json_led_by,
    next_seq,
)


def insert_ticket_and_event(
    d: Driver,
    values: dict[str, Any],
    outlet_id: int,
    kind: str,
    at: dt.datetime,
    staff_id: int | None,
    device_id: int | None,
    data: dict[str, Any],
) -> tuple[int, int]:
    """A new ticket's row and its event: (ticket id, event id). On PostgreSQL one statement
    (the event takes the ticket's id from a data-modifying WITH); on SQLite two."""
    if not d.postgres:
        ticket_id = insert_ticket(d, values)
        return ticket_id, insert_event(
            d, outlet_id, kind, at, ticket_id, None, staff_id, device_id, data
        )
    insert, params = insert_sql(d, "lobby_tickets", values)
    found = d.one(
        f"WITH t AS ({insert}) INSERT INTO lobby_events (outlet_id, at, kind, ticket_id,"
        " counter_id, staff_id, device_id, data) SELECT %s, %s, %s, t.id, NULL, %s, %s, %s"
        " FROM t RETURNING ticket_id, id",
        [*params, outlet_id, d.stamp(at), kind, staff_id, device_id, d.json(data)],
    )
    assert found is not None
    return int(found[0]), int(found[1])


# The customer's number in SQL, as `model.format_number` makes it in Python: the prefix, then
# the day's sequence with at least three digits (A001 … A999, A1000). Checked against it by
# tests/integration/test_driver_sql.py.
_NUMBER_SQL = (
    "{prefix} || CASE WHEN {seq} < 1000 THEN lpad(CAST({seq} AS text), 3, '0')"
    " ELSE CAST({seq} AS text) END"
)


# What a new ticket's NOTIFY payload leaves to the statement (`pg_notify.mark`), by name, and
# the JSON SQL that fills each in from the event just written (`e`).
TICKET_MARKS = ("event_id", "ticket_id", "number")
_TICKET_SQL = {
    "event_id": "CAST(e.id AS text)",
    "ticket_id": "CAST(e.ticket_id AS text)",
    "number": "CAST(to_json(e.number) AS text)",
}


def insert_numbered_ticket_and_event(
    d: Driver,
    values: dict[str, Any],
    outlet_id: int,
    kind: str,
    at: dt.datetime,
    staff_id: int | None,
    device_id: int | None,
    data: dict[str, Any],
    notify: str | None = None,
) -> tuple[int, int, str]:
    """A new ticket with the day's next number for its prefix (`values`: its columns but `seq`
    and `number`), and its event, whose data gains the number: (ticket id, event id, number).

    On PostgreSQL one statement bumps the day's number, writes the ticket and its event: the
    row of the day's number is then held for that statement and the COMMIT only (issue 22: 16
    kiosks queue on it). On SQLite, where writers take turns anyway, three.

    `notify` (PostgreSQL): the event's NOTIFY payload, sent by the statement itself, with the
    event's id, the ticket's and the number filled in where `TICKET_MARKS` stand: for a unit
    whose statements commit alone (`manyi.hot_unit`), this one the last."""
    day, prefix = values["local_day"], values["prefix"]
    if not d.postgres:
        seq = next_seq(d, outlet_id, day, prefix)
        number = format_number(prefix, seq)
        ticket_id, event_id = insert_ticket_and_event(
            d,
            {**values, "seq": seq, "number": number},
            outlet_id,
            kind,
            at,
            staff_id,
            device_id,
            {"number": number, **data},
        )
        return ticket_id, event_id, number
    assert data, "the issued event's data names at least the service"
    insert, params = insert_sql(d, "lobby_tickets", values)
    columns, _, rest = insert.partition(") VALUES (")
    marks = rest.removesuffix(") RETURNING id")
    bumped = "(SELECT last_seq FROM s)"
    numbered = (
        # The day's row for the prefix made at its first ticket, else bumped: one row always.
        "WITH s AS (INSERT INTO lobby_ticket_sequences (outlet_id, day, prefix, last_seq)"
        " VALUES (%s, %s, %s, 1) ON CONFLICT (outlet_id, day, prefix)"
        " DO UPDATE SET last_seq = lobby_ticket_sequences.last_seq + 1 RETURNING last_seq),"
        f" t AS ({columns}, seq, number) VALUES ({marks}, {bumped},"
        f" {_NUMBER_SQL.format(prefix='%s', seq=bumped)}) RETURNING id, number)"
    )
    event = (
        "INSERT INTO lobby_events (outlet_id, at, kind, ticket_id, counter_id, staff_id,"
        " device_id, data) SELECT %s, %s, %s, t.id, NULL, %s, %s,"
        f" {json_led_by('number', 't.number')} FROM t"
        " RETURNING ticket_id, id, data ->> 'number' AS number"
    )
    arguments = [outlet_id, d.day(day), prefix, *params, prefix]
    arguments += [outlet_id, d.stamp(at), kind, staff_id, device_id, d.json(data)]
    if notify is None:
        sql = f"{numbered} {event}"
    else:
        sql = (
            f"{numbered}, e AS ({event})"
            f" SELECT ticket_id, id, number, {pg_notify.in_statement(_TICKET_SQL)} FROM e"
        )
        arguments.append(notify)
    found = d.one(sql, arguments)
    assert found is not None
    return int(found[0]), int(found[1]), str(found[2])


# --- events -------------------------------------------------------------------------


class NewEvent(NamedTuple):
    """An event's row to write to `lobby_events`, and `along`, the writes that made it (in
    the driver's style: `hot_writes.Write`)."""

    outlet_id: int
    kind: str
    at: dt.datetime
    ticket_id: int | None
    counter_id: int | None
    staff_id: int | None
    device_id: int | None
    data: dict[str, Any]
    along: Sequence[Write] = ()


def _event_params(d: Driver, e: NewEvent) -> list[Any]:
    """The parameters of `_INSERT_EVENT`, in its order."""
    return [
        e.outlet_id,
        d.stamp(e.at),
        e.kind,
        e.ticket_id,
        e.counter_id,
        e.staff_id,
        e.device_id,
        d.json(e.data),
    ]


_INSERT_EVENT = (
    "INSERT INTO lobby_events (outlet_id, at, kind, ticket_id, counter_id, staff_id, device_id,"
    " data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"
)


def insert_event(
    d: Driver,
    outlet_id: int,
    kind: str,
    at: dt.datetime,
    ticket_id: int | None,
    counter_id: int | None,
    staff_id: int | None,
    device_id: int | None,
    data: dict[str, Any],
    along: Sequence[Write] = (),
) -> int:
    """The event's row, and the `along` writes that made it (the ticket, the counter): on
    PostgreSQL in the same statement (data-modifying WITH clauses: one round trip instead of
    one each), on SQLite just before it."""
    found = insert_guarded_event(
        d, None, outlet_id, kind, at, ticket_id, counter_id, staff_id, device_id, data, along
    )
    assert found is not None
    return found


def insert_guarded_event(
    d: Driver,
    guard: Write | None,
    outlet_id: int,
    kind: str,
    at: dt.datetime,
    ticket_id: int | None,
    counter_id: int | None,
    staff_id: int | None,
    device_id: int | None,
    data: dict[str, Any],
    along: Sequence[Write] = (),
) -> int | None:
    """`insert_event`, only if the `guard` UPDATE changes a row (a claim: the ticket still
    waiting); else nothing is written and the answer is None. On PostgreSQL the guard, the
    `along` writes (each made to wait on it) and the event are one statement."""
    params = _event_params(
        d, NewEvent(outlet_id, kind, at, ticket_id, counter_id, staff_id, device_id, data)
    )
    if not d.postgres or not (along or guard):
        if guard is not None and d.changed(*guard) == 0:
            return None
        for write in along:
            d.execute(*write)
        found = d.one(_INSERT_EVENT, params)
        return None if found is None else int(found[0])
    ctes = [f"w{k} AS ({write.sql}{_IF_GUARDED if guard else ''})" for k, write in enumerate(along)]
    sql = _INSERT_EVENT
    first: list[Any] = []
    if guard is not None:
        ctes.insert(0, f"g AS ({guard.sql} RETURNING id)")
        first = list(guard.params)
        sql = _INSERT_EVENT_IF_GUARDED
    sql = f"WITH {', '.join(ctes)} {sql}"
    found = d.one(sql, [*first, *(value for write in along for value in write.params), *params])
    return None if found is None else int(found[0])


_IF_GUARDED = " AND EXISTS (SELECT 1 FROM g)"  # an along write's WHERE, when there is a guard
_INSERT_EVENT_IF_GUARDED = (
    "INSERT INTO lobby_events (outlet_id, at, kind, ticket_id, counter_id, staff_id, device_id,"
    " data) SELECT %s, %s, %s, %s, %s, %s, %s, %s FROM g RETURNING id"
)


def insert_row_and_event(
    d: Driver,
    table: str,
    values: dict[str, Any],
    id_key: str,
    event: NewEvent,
    first: NewEvent | None = None,
) -> tuple[int, int, int | None]:
    """A new row of `table` and the event announcing it, whose data is `event.data` with the
    row's id under `id_key` (a rating prompt and its `rating_prompted`), with the event's
    `along` writes (a survey invitation of the visit); and before them, when given, the
    `first` event with its own writes (the completion the prompt follows, with its ticket and
    counter). Returns (row id, event id, the first event's id or None); the first event's id
    is the smaller.

    On PostgreSQL all in one statement, the row's id merged into the data there; the row's
    event reads the first event's row, so that it is numbered after it. On SQLite one
    statement each."""
    if not d.postgres:
        first_id = None
        if first is not None:
            first_id = insert_event(d, *first)
        for write in event.along:
            d.execute(*write)
        row_id = inserted(d, table, values)
        data = {id_key: row_id, **event.data}
        return row_id, insert_event(d, *event._replace(data=data, along=())), first_id
    assert event.data, "the event's data holds more than the row's id"
    ctes: list[str] = []
    params: list[Any] = []
    if first is not None:
        ctes += [f"a{k} AS ({write.sql})" for k, write in enumerate(first.along)]
        params += [value for write in first.along for value in write.params]
        ctes.append(f"p AS ({_INSERT_EVENT})")
        params += _event_params(d, first)
    insert, row_params = insert_sql(d, table, values)
    ctes.append(f"r AS ({insert})")
    params += row_params
    ctes += [f"w{k} AS ({write.sql})" for k, write in enumerate(event.along)]
    params += [value for write in event.along for value in write.params]
    params += _event_params(d, event)
    params.append(id_key)
    written = (
        "INSERT INTO lobby_events (outlet_id, at, kind, ticket_id, counter_id, staff_id,"
        f" device_id, data) SELECT %s, %s, %s, %s, %s, %s, %s, {json_led_by(id_key, 'r.id')}"
        f" FROM {'r, p' if first else 'r'} RETURNING CAST(data ->> %s AS bigint) AS row_id, id"
    )
    if first is None:
        sql = f"WITH {', '.join(ctes)} {written}"
    else:
        sql = f"WITH {', '.join(ctes)}, e AS ({written}) SELECT e.row_id, e.id, p.id FROM e, p"
    found = d.one(sql, params)
    assert found is not None
    return int(found[0]), int(found[1]), None if first is None else int(found[2])
