"""The lobby's hot writes, as SQL for the driver (`manyi.driver_sql`): what issuing, calling
and completing a ticket write. The same SQL on both engines but for SKIP LOCKED and for the
writes sent with an event (`insert_event`), which PostgreSQL takes in one statement.
"""

from __future__ import annotations

import datetime as dt
from operator import attrgetter
from typing import Any, NamedTuple

from manyi.driver_sql import Driver
from manyi.lobby.domain.model import Counter
from manyi.lobby.domain.ticket import Ticket
from manyi.lobby.hot_sql import FIELDS

_SETS = ", ".join(f"{name} = %s" for name in FIELDS[1:])  # every field but the id


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


_NAMES = FIELDS[1:]  # what an UPDATE of a ticket may set: all but the id
_STAMPED = frozenset(name for name in _NAMES if name.endswith("_at"))


def fields_of(t: Ticket) -> tuple[Any, ...]:
    """The values of FIELDS but the id, as the row holds them (times as they are)."""
    return (
        t.number,
        t.service_code,
        t.klass.value,
        t.channel.value,
        t.issued_at,
        t.queued_at,
        t.due_at,
        t.state.value,
        t.outcome.value if t.outcome else None,
        t.first_called_at,
        t.last_called_at,
        t.started_at,
        t.finished_at,
        t.call_count,
        t.counter_id,
        t.teller_id,
        t.target_counter_id,
        t.predicted_wait_s,
    )


def _sets(d: Driver, t: Ticket) -> list[Any]:
    """The values of FIELDS but the id, for an UPDATE ... SET."""
    stamp = d.stamp
    return [stamp(v) if n in _STAMPED else v for n, v in zip(_NAMES, fields_of(t), strict=True)]


def ticket_write(d: Driver, t: Ticket) -> Write:
    return Write(f"UPDATE lobby_tickets SET {_SETS} WHERE id = %s", (*_sets(d, t), t.id))


_row_fields = attrgetter(*_NAMES)


def row_fields(row: Any) -> tuple[Any, ...]:
    """`fields_of` a ticket's row as read (a `hot_sql.TicketRow`)."""
    return _row_fields(row)


_CHANGES: dict[tuple[str, ...], str] = {}


def _changes(d: Driver, t: Ticket, before: tuple[Any, ...]) -> tuple[str, list[Any]]:
    """`SET` of the fields `t` has changed from `before` (its `fields_of` as read, under lock
    or guarded), and its parameters."""
    names: list[str] = []
    params: list[Any] = []
    for name, value, was in zip(_NAMES, fields_of(t), before, strict=True):
        if value != was:
            names.append(name)
            params.append(d.stamp(value) if name in _STAMPED else value)
    if not names:  # nothing changed: the row is written as it is
        names, params = ["state"], [t.state.value]
    key = tuple(names)
    sets = _CHANGES.get(key)
    if sets is None:
        sets = _CHANGES[key] = ", ".join(f"{name} = %s" for name in names)
    return sets, params


def ticket_changes(d: Driver, t: Ticket, before: tuple[Any, ...]) -> Write:
    """`ticket_write` of only the fields `t` changed from `before`, their values when this
    unit of work read the row under lock: a completion sets three columns, not eighteen.
    Fewer parameters cost less to dump, send and bind (a completion with its rating prompt is
    one statement)."""
    sets, params = _changes(d, t, before)
    return Write(f"UPDATE lobby_tickets SET {sets} WHERE id = %s", (*params, t.id))


def save_ticket(d: Driver, t: Ticket) -> None:
    d.execute(*ticket_write(d, t))


def claim_write(d: Driver, t: Ticket, before: tuple[Any, ...]) -> Write:
    """A call written only if the ticket is still waiting: the fields `t` changed from
    `before`, their values as read (`ticket_changes`). On PostgreSQL a ticket another counter
    is claiming at this moment is skipped at once (SKIP LOCKED) rather than waited for. The
    guard of the call's event (`insert_event`)."""
    if d.postgres:
        where = (
            "id = (SELECT id FROM lobby_tickets WHERE id = %s AND state = 'waiting'"
            " FOR UPDATE SKIP LOCKED)"
        )
    else:
        where = "id = %s AND state = 'waiting'"
    sets, params = _changes(d, t, before)
    return Write(f"UPDATE lobby_tickets SET {sets} WHERE {where}", (*params, t.id))


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


def insert_sql(d: Driver, table: str, values: dict[str, Any]) -> tuple[str, list[Any]]:
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


def inserted(d: Driver, table: str, values: dict[str, Any]) -> int:
    found = d.one(*insert_sql(d, table, values))
    assert found is not None
    return int(found[0])


def insert_ticket(d: Driver, values: dict[str, Any]) -> int:
    return inserted(d, "lobby_tickets", values)


def json_led_by(key: str, value_sql: str) -> str:
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
