"""The lobby's hot statements, as SQL for the driver (`manyi.driver_sql`): what issuing,
calling and completing a ticket read and write, each in one statement. `store` answers with
these; the SQL is the same on both engines but for row locks (PostgreSQL only: SQLite
serialises writers) and "one of" lists.

Rows come back as `CounterRow` and `TicketRow`: named tuples with the columns' names, read
like the rows SQLAlchemy returned before (`row.id`, `row.number`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, NamedTuple

from manyi.driver_sql import Driver
from manyi.lobby.domain.model import Channel, Counter, Outcome, PriorityClass, TicketState
from manyi.lobby.domain.ticket import Ticket
from manyi.lobby.tables import QUEUE_SPECIAL

# The ticket's fields the domain knows, in `Ticket`'s terms (store.TICKET_FIELDS).
FIELDS = (
    "id",
    "number",
    "service_code",
    "klass",
    "channel",
    "issued_at",
    "queued_at",
    "due_at",
    "state",
    "outcome",
    "first_called_at",
    "last_called_at",
    "started_at",
    "finished_at",
    "call_count",
    "counter_id",
    "teller_id",
    "target_counter_id",
    "predicted_wait_s",
)
_COLUMNS = ", ".join(FIELDS)
_SETS = ", ".join(f"{name} = %s" for name in FIELDS[1:])


class CounterRow(NamedTuple):
    id: int
    number: int
    kind: str
    services: list[str]
    state: str
    teller_id: int | None
    current_ticket_id: int | None
    credits: dict[str, int]


class TicketRow(NamedTuple):
    """Every column of `lobby_tickets`."""

    id: int
    outlet_id: int
    local_day: dt.date
    prefix: str
    seq: int
    number: str
    service_id: int
    service_code: str
    klass: str
    channel: str
    state: str
    outcome: str | None
    issued_at: dt.datetime
    queued_at: dt.datetime
    due_at: dt.datetime | None
    first_called_at: dt.datetime | None
    last_called_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    call_count: int
    counter_id: int | None
    teller_id: int | None
    target_counter_id: int | None
    predicted_wait_s: int | None
    public_token: str
    previous_id: int | None
    customer_ref: str | None


_COUNTER_COLUMNS = "c.id, c.number, c.kind, c.services, c.state, c.teller_id, c.current_ticket_id"
_COUNTER_SKILLS = (
    f"SELECT {_COUNTER_COLUMNS}, c.credits, s.skill FROM lobby_counters c"
    " LEFT OUTER JOIN lobby_teller_skills s ON s.staff_id = c.teller_id"
)
_LOCK_COUNTER = f"SELECT {_COUNTER_COLUMNS}, c.credits FROM lobby_counters c"
_ONE_COUNTER = " WHERE c.outlet_id = %s AND c.number = %s"
_TICKET_ROW = ", ".join(TicketRow._fields)
_WAITING = (
    f"SELECT {_COLUMNS} FROM lobby_tickets"
    " WHERE outlet_id = %s AND state = 'waiting' AND local_day >= %s"
)
_PLAIN = "(klass = 'normal' AND target_counter_id IS NULL)"


# --- counters -----------------------------------------------------------------------


def _counter_row(d: Driver, v: tuple[Any, ...]) -> CounterRow:
    return CounterRow(v[0], v[1], v[2], d.json_of(v[3]), v[4], v[5], v[6], d.json_of(v[7]) or {})


def lock_counter(d: Driver, outlet_id: int, number: int) -> CounterRow | None:
    """The counter row, locked until commit on PostgreSQL."""
    lock = " FOR UPDATE" if d.postgres else ""
    found = d.one(_LOCK_COUNTER + _ONE_COUNTER + lock, (outlet_id, number))
    return None if found is None else _counter_row(d, found)


def lock_counter_with_skills(
    d: Driver, outlet_id: int, number: int
) -> tuple[CounterRow, frozenset[str]] | None:
    lock = " FOR UPDATE OF c" if d.postgres else ""
    rows = d.all(_COUNTER_SKILLS + _ONE_COUNTER + lock, (outlet_id, number))
    if not rows:
        return None
    return _counter_row(d, rows[0]), frozenset(r[8] for r in rows if r[8] is not None)


def counters_with_skills(d: Driver, outlet_id: int) -> list[tuple[CounterRow, frozenset[str]]]:
    """Every counter of the outlet with its teller's skills, by number."""
    rows = d.all(_COUNTER_SKILLS + " WHERE c.outlet_id = %s ORDER BY c.number", (outlet_id,))
    found: dict[int, tuple[CounterRow, set[str]]] = {}
    for values in rows:
        entry = found.get(values[0])
        if entry is None:
            entry = found[values[0]] = (_counter_row(d, values), set())
        if values[8] is not None:
            entry[1].add(values[8])
    return [(row, frozenset(skills)) for row, skills in found.values()]


def save_counter(d: Driver, counter: Counter, now: dt.datetime) -> None:
    d.execute(
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


# --- tickets ------------------------------------------------------------------------


def ticket(d: Driver, values: tuple[Any, ...]) -> Ticket:
    """A `Ticket` from the FIELDS of a row."""
    moment = d.moment
    outcome = values[9]
    return Ticket(
        id=values[0],
        number=values[1],
        service_code=values[2],
        klass=PriorityClass(values[3]),
        channel=Channel(values[4]),
        issued_at=moment(values[5]),  # type: ignore[arg-type]
        queued_at=moment(values[6]),  # type: ignore[arg-type]
        due_at=moment(values[7]),
        state=TicketState(values[8]),
        outcome=Outcome(outcome) if outcome else None,
        first_called_at=moment(values[10]),
        last_called_at=moment(values[11]),
        started_at=moment(values[12]),
        finished_at=moment(values[13]),
        call_count=values[14],
        counter_id=values[15],
        teller_id=values[16],
        target_counter_id=values[17],
        predicted_wait_s=values[18],
    )


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


def save_ticket(d: Driver, t: Ticket) -> None:
    d.execute(f"UPDATE lobby_tickets SET {_SETS} WHERE id = %s", (*_sets(d, t), t.id))


def claim(d: Driver, t: Ticket) -> bool:
    """Write a call only if the ticket is still waiting. On PostgreSQL a ticket another counter
    is claiming at this moment is skipped at once (SKIP LOCKED) rather than waited for."""
    if d.postgres:
        where = (
            "id = (SELECT id FROM lobby_tickets WHERE id = %s AND state = 'waiting'"
            " FOR UPDATE SKIP LOCKED)"
        )
    else:
        where = "id = %s AND state = 'waiting'"
    return d.changed(f"UPDATE lobby_tickets SET {_SETS} WHERE {where}", (*_sets(d, t), t.id)) > 0


def lock_ticket(d: Driver, ticket_id: int) -> TicketRow | None:
    lock = " FOR UPDATE" if d.postgres else ""
    found = d.one(f"SELECT {_TICKET_ROW} FROM lobby_tickets WHERE id = %s{lock}", (ticket_id,))
    if found is None:
        return None
    values = list(found)
    values[2] = d.date_of(values[2])
    for k in range(12, 19):  # issued_at .. finished_at
        values[k] = d.moment(values[k])
    return TicketRow(*values)


# The terms of the partial index on those tickets, word for word, so that both engines use it.
_SPECIAL = QUEUE_SPECIAL
_CANDIDATES: dict[tuple[bool, int], str] = {}


def _candidates_sql(postgres: bool, n_codes: int) -> str:
    """The front of each service's plain line (one index range each, read to `head` rows),
    and every special ticket of those services: as many rows as can be chosen, however long
    the queue. (One ranked read of the whole queue cost ~1 ms of the database's CPU a call at
    1,500 waiting.)"""
    sql = _CANDIDATES.get((postgres, n_codes))
    if sql is None:
        head = (
            f"SELECT * FROM (SELECT {_COLUMNS} FROM lobby_tickets WHERE outlet_id = %s"
            " AND state = 'waiting' AND service_code = %s AND local_day >= %s"
            " AND klass = 'normal' AND target_counter_id IS NULL"
            " ORDER BY queued_at, id LIMIT %s) h"
        )
        codes = (
            "service_code = ANY(%s)"
            if postgres
            else (f"service_code IN ({', '.join('%s' for _ in range(n_codes))})")
        )
        special = (
            f"SELECT {_COLUMNS} FROM lobby_tickets WHERE outlet_id = %s AND {_SPECIAL}"
            f" AND local_day >= %s AND {codes}"
        )
        sql = _CANDIDATES[postgres, n_codes] = " UNION ALL ".join([head] * n_codes + [special])
    return sql


def candidates(
    d: Driver, outlet_id: int, codes: Iterable[str], since: dt.date, head: int
) -> list[Ticket]:
    """Every priority ticket and every ticket sent to one counter, and the front `head` of
    each service's plain normal line (store.load_waiting)."""
    wanted = list(dict.fromkeys(codes))
    day = d.day(since)
    params: list[Any] = []
    for code in wanted:
        params += [outlet_id, code, day, head]
    params += [outlet_id, day, *([wanted] if d.postgres else wanted)]
    rows = d.all(_candidates_sql(d.postgres, len(wanted)), params)
    return [ticket(d, r) for r in rows]


def waiting(d: Driver, outlet_id: int, since: dt.date) -> list[Ticket]:
    return [ticket(d, r) for r in d.all(_WAITING, (outlet_id, d.day(since)))]


def waiting_counts(d: Driver, outlet_id: int, since: dt.date) -> dict[str, int]:
    rows = d.all(
        "SELECT service_code, count(*) FROM lobby_tickets"
        " WHERE outlet_id = %s AND state = 'waiting' AND local_day >= %s GROUP BY service_code",
        (outlet_id, d.day(since)),
    )
    return {code: int(n) for code, n in rows}


def bump(d: Driver, outlet_id: int, day: dt.date, prefix: str) -> int | None:
    """The day's next number for the prefix; None when the day has no row for it yet."""
    found = d.one(
        "UPDATE lobby_ticket_sequences SET last_seq = last_seq + 1"
        " WHERE outlet_id = %s AND day = %s AND prefix = %s RETURNING last_seq",
        (outlet_id, d.day(day), prefix),
    )
    return None if found is None else int(found[0])


def start_day(d: Driver, outlet_id: int, day: dt.date, prefix: str) -> None:
    """The day's row for the prefix, at 0 (a concurrent first ticket may have made it)."""
    d.execute(
        "INSERT INTO lobby_ticket_sequences (outlet_id, day, prefix, last_seq)"
        " VALUES (%s, %s, %s, 0) ON CONFLICT DO NOTHING",
        (outlet_id, d.day(day), prefix),
    )


_INSERTS: dict[tuple[str, ...], str] = {}


def insert_ticket(d: Driver, values: dict[str, Any]) -> int:
    """A new ticket's row from the columns in `values` (those not named stay NULL)."""
    names = tuple(values)
    sql = _INSERTS.get(names)
    if sql is None:
        marks = ", ".join("%s" for _ in names)
        sql = _INSERTS[names] = (
            f"INSERT INTO lobby_tickets ({', '.join(names)}) VALUES ({marks}) RETURNING id"
        )
    params = [
        d.day(v) if name == "local_day" else d.stamp(v) if name.endswith("_at") else v
        for name, v in values.items()
    ]
    found = d.one(sql, params)
    assert found is not None
    return int(found[0])


# --- events -------------------------------------------------------------------------


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
) -> int:
    found = d.one(
        "INSERT INTO lobby_events (outlet_id, at, kind, ticket_id, counter_id, staff_id,"
        " device_id, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (outlet_id, d.stamp(at), kind, ticket_id, counter_id, staff_id, device_id, d.json(data)),
    )
    assert found is not None
    return int(found[0])


def insert_prompt(d: Driver, values: dict[str, Any]) -> int:
    """A rating prompt's row (`lobby_rating_prompts`), from its columns but the id."""
    names = tuple(values)
    marks = ", ".join("%s" for _ in names)
    params = [d.stamp(v) if name.endswith("_at") else v for name, v in values.items()]
    found = d.one(
        f"INSERT INTO lobby_rating_prompts ({', '.join(names)}) VALUES ({marks}) RETURNING id",
        params,
    )
    assert found is not None
    return int(found[0])
