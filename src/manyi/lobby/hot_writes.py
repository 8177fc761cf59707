"""The lobby's hot writes, as SQL for the driver (`manyi.driver_sql`): what issuing, calling
and completing a ticket write. The same SQL on both engines but for SKIP LOCKED and for the
writes sent with an event (`insert_event`), which PostgreSQL takes in one statement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

from manyi import pg_notify
from manyi.driver_sql import Driver
from manyi.lobby.domain.model import Counter, format_number
from manyi.lobby.domain.ticket import Ticket
from manyi.lobby.hot_sql import FIELDS

_SETS = ", ".join(f"{name} = %s" for name in FIELDS[1:])


class Write(NamedTuple):
    """A write (an UPDATE, or an INSERT) to send with the statement that records its event
    (`insert_event`, `insert_row_and_event`), in the driver's style (`%s` parameters). On
    PostgreSQL it becomes one of that statement's data-modifying WITH clauses: nothing may read
    what it returns."""

    sql: str
    params: tuple[Any, ...]


def counter_write(d: Driver, counter: Counter, now: dt.datetime) -> Write:
    return Write(
        "UPDATE lobby_counters SET state = %s, teller_id = %s, current_ticket_id = %s,"
        " credits = %s, updated_at = %s WHERE id = %s",
        (
            counter.state.value,
            counter.teller_id,
            counter.current_ticket_id,
            d.json(dict(counter.credits)),
            d.stamp(now),
            counter.id,
        ),
    )


def save_counter(d: Driver, counter: Counter, now: dt.datetime) -> None:
    d.execute(*counter_write(d, counter, now))


# --- tickets ------------------------------------------------------------------------


def _sets(d: Driver, t: Ticket) -> list[Any]:
    """The values of FIELDS but the id, for an UPDATE ... SET."""
    stamp = d.stamp
    return [
        t.number,
        t.service_code,
        t.klass.value,
        t.channel.value,
        stamp(t.issued_at),
        stamp(t.queued_at),
        stamp(t.due_at),
        t.state.value,
        t.outcome.value if t.outcome else None,
        stamp(t.first_called_at),
        stamp(t.last_called_at),
        stamp(t.started_at),
        stamp(t.finished_at),
        t.call_count,
        t.counter_id,
        t.teller_id,
        t.target_counter_id,
        t.predicted_wait_s,
    ]


def ticket_write(d: Driver, t: Ticket) -> Write:
    return Write(f"UPDATE lobby_tickets SET {_SETS} WHERE id = %s", (*_sets(d, t), t.id))


def save_ticket(d: Driver, t: Ticket) -> None:
    d.execute(*ticket_write(d, t))


def claim_write(d: Driver, t: Ticket) -> Write:
    """A call written only if the ticket is still waiting. On PostgreSQL a ticket another
    counter is claiming at this moment is skipped at once (SKIP LOCKED) rather than waited for.
    The guard of the call's event (`insert_event`)."""
    if d.postgres:
        where = (
            "id = (SELECT id FROM lobby_tickets WHERE id = %s AND state = 'waiting'"
            " FOR UPDATE SKIP LOCKED)"
        )
    else:
        where = "id = %s AND state = 'waiting'"
    return Write(f"UPDATE lobby_tickets SET {_SETS} WHERE {where}", (*_sets(d, t), t.id))


def bump(d: Driver, outlet_id: int, day: dt.date, prefix: str) -> int | None:
    """The day's next number for the prefix; None when the day has no row for it yet."""
    found = d.one(
        "UPDATE lobby_ticket_sequences SET last_seq = last_seq + 1"
        " WHERE outlet_id = %s AND day = %s AND prefix = %s RETURNING last_seq",
        (outlet_id, d.day(day), prefix),
    )
    return None if found is None else int(found[0])


def next_seq(d: Driver, outlet_id: int, day: dt.date, prefix: str) -> int:
    """The next number for the business day and prefix; gap-free: it rolls back with the ticket."""
    seq = bump(d, outlet_id, day, prefix)
    if seq is None:  # the day's first ticket with this prefix: create the row, then bump
        start_day(d, outlet_id, day, prefix)
        seq = bump(d, outlet_id, day, prefix)
        assert seq is not None
    return seq


def start_day(d: Driver, outlet_id: int, day: dt.date, prefix: str) -> None:
    """The day's row for the prefix, at 0 (a concurrent first ticket may have made it)."""
    d.execute(
        "INSERT INTO lobby_ticket_sequences (outlet_id, day, prefix, last_seq)"
        " VALUES (%s, %s, %s, 0) ON CONFLICT DO NOTHING",
        (outlet_id, d.day(day), prefix),
    )


_INSERTS: dict[tuple[str, tuple[str, ...]], str] = {}


def _insert(d: Driver, table: str, values: dict[str, Any]) -> tuple[str, list[Any]]:
    """An INSERT of a row of `table` from the columns in `values` (those not named stay NULL),
    returning its id, and its parameters: dates and `…_at` times as the driver takes them."""
    names = tuple(values)
    sql = _INSERTS.get((table, names))
    if sql is None:
        marks = ", ".join("%s" for _ in names)
        sql = _INSERTS[table, names] = (
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks}) RETURNING id"
        )
    params = [
        d.day(v) if name == "local_day" else d.stamp(v) if name.endswith("_at") else v
        for name, v in values.items()
    ]
    return sql, params


def _inserted(d: Driver, table: str, values: dict[str, Any]) -> int:
    found = d.one(*_insert(d, table, values))
    assert found is not None
    return int(found[0])


def insert_ticket(d: Driver, values: dict[str, Any]) -> int:
    return _inserted(d, "lobby_tickets", values)


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
    insert, params = _insert(d, "lobby_tickets", values)
    found = d.one(
        f"WITH t AS ({insert}) INSERT INTO lobby_events (outlet_id, at, kind, ticket_id,"
        " counter_id, staff_id, device_id, data) SELECT %s, %s, %s, t.id, NULL, %s, %s, %s"
        " FROM t RETURNING ticket_id, id",
        [*params, outlet_id, d.stamp(at), kind, staff_id, device_id, d.json(data)],
    )
    assert found is not None
    return int(found[0]), int(found[1])


def _json_led_by(key: str, value_sql: str) -> str:
    """SQL for the JSON object {key: value_sql's value, then the members of the JSON object
    given as the next parameter, in their order}: what Python makes of {key: value, **data}.
    The order is kept (jsonb's `||` would sort the keys): the event stream's envelopes and the
    archive's, built one from the staged dict and one from the stored row, compare as bytes.
    The object given must not be empty."""
    assert key.isidentifier()
    return (
        f"CAST('{{\"{key}\":' || CAST(to_json({value_sql}) AS text) || ','"
        " || substr(CAST(%s AS text), 2) AS json)"
    )


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
    insert, params = _insert(d, "lobby_tickets", values)
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
        f" {_json_led_by('number', 't.number')} FROM t"
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
    params: list[Any] = [outlet_id, d.stamp(at), kind, ticket_id, counter_id, staff_id]
    params += [device_id, d.json(data)]
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
    outlet_id: int,
    kind: str,
    at: dt.datetime,
    ticket_id: int | None,
    counter_id: int | None,
    data: dict[str, Any],
    along: Sequence[Write] = (),
) -> tuple[int, int]:
    """A new row of `table` and the event announcing it, whose data is `data` with the row's
    id under `id_key` (a rating prompt and its `rating_prompted`): (row id, event id); and the
    `along` writes (a survey invitation of the visit). On PostgreSQL one statement, the id
    merged into the data there; on SQLite one each."""
    if not d.postgres:
        for write in along:
            d.execute(*write)
        row_id = _inserted(d, table, values)
        event_data = {id_key: row_id, **data}
        return row_id, insert_event(
            d, outlet_id, kind, at, ticket_id, counter_id, None, None, event_data
        )
    assert data, "the event's data holds more than the row's id"
    insert, params = _insert(d, table, values)
    ctes = "".join(f", w{k} AS ({write.sql})" for k, write in enumerate(along))
    params += [value for write in along for value in write.params]
    found = d.one(
        f"WITH r AS ({insert}){ctes} INSERT INTO lobby_events (outlet_id, at, kind, ticket_id,"
        " counter_id, staff_id, device_id, data) SELECT %s, %s, %s, %s, %s, NULL, NULL,"
        f" {_json_led_by(id_key, 'r.id')} FROM r RETURNING CAST(data ->> %s AS bigint), id",
        [*params, outlet_id, d.stamp(at), kind, ticket_id, counter_id, d.json(data), id_key],
    )
    assert found is not None
    return int(found[0]), int(found[1])
