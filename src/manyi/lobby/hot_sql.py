"""The lobby's hot reads, as SQL for the driver (`manyi.driver_sql`): what issuing, calling
and completing a ticket read, each in one statement (the writes are in `hot_writes`). `store`
answers with these; the SQL is the same on both engines but for row locks (PostgreSQL only:
SQLite serialises writers) and "one of" lists.

Rows come back as `CounterRow` and `TicketRow`: named tuples with the columns' names, read
like the rows SQLAlchemy returned before (`row.id`, `row.number`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, NamedTuple

from manyi.driver_sql import Driver
from manyi.lobby.domain.model import Channel, Outcome, PriorityClass, TicketState
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
_COUNTER_AND_TICKET = (
    f"SELECT {_COUNTER_COLUMNS}, c.credits, {', '.join('t.' + f for f in TicketRow._fields)}"
    " FROM lobby_counters c JOIN lobby_tickets t ON t.id = c.current_ticket_id"
)
_WAITING = (
    f"SELECT {_COLUMNS} FROM lobby_tickets"
    " WHERE outlet_id = %s AND state = 'waiting' AND local_day >= %s"
)


# --- counters -----------------------------------------------------------------------


def _counter_row(d: Driver, v: tuple[Any, ...]) -> CounterRow:
    return CounterRow(v[0], v[1], v[2], d.json_of(v[3]), v[4], v[5], v[6], d.json_of(v[7]) or {})


def lock_counter(d: Driver, outlet_id: int, number: int) -> CounterRow | None:
    """The counter row, locked until commit on PostgreSQL."""
    lock = " FOR UPDATE" if d.postgres else ""
    found = d.one(_LOCK_COUNTER + _ONE_COUNTER + lock, (outlet_id, number))
    return None if found is None else _counter_row(d, found)


def lock_counter_and_current(
    d: Driver, outlet_id: int, number: int
) -> tuple[CounterRow, TicketRow] | None:
    """The counter and its current ticket, both locked (counter first, as `lock_counter` then
    `lock_ticket` would), in one round trip; None when there is no such counter or nobody at
    it."""
    lock = " FOR UPDATE" if d.postgres else ""
    found = d.one(_COUNTER_AND_TICKET + _ONE_COUNTER + lock, (outlet_id, number))
    if found is None:
        return None
    return _counter_row(d, found[:8]), _ticket_row(d, found[8:])


def lock_counter_with_skills(
    d: Driver, outlet_id: int, number: int
) -> tuple[CounterRow, frozenset[str]] | None:
    lock = " FOR UPDATE OF c" if d.postgres else ""
    rows = d.all(_COUNTER_SKILLS + _ONE_COUNTER + lock, (outlet_id, number))
    if not rows:
        return None
    return _counter_row(d, rows[0]), frozenset(r[8] for r in rows if r[8] is not None)


def lock_counter_with_candidates(
    d: Driver, outlet_id: int, number: int, since: dt.date, head: int
) -> tuple[CounterRow, frozenset[str], list[Ticket]] | None:
    """What call-next reads, in one statement (PostgreSQL only): the counter locked, its
    teller's skills, and the tickets it may choose from (`candidates`, for the services the
    locked row names). The candidates are read in the statement's snapshot, taken before the
    lock is waited for: a ticket another counter claimed meanwhile is refused at the claim
    (`store.claim`), as after any read. None when there is no such counter."""
    rows = d.all(
        _FOR_CALL, (outlet_id, number, outlet_id, d.day(since), head, outlet_id, d.day(since))
    )
    if not rows:
        return None
    first = rows[0]
    skills = frozenset(d.json_of(first[8]) or ())
    tickets = [ticket(d, r[9:]) for r in rows if r[9] is not None]
    return _counter_row(d, first[:8]), skills, tickets


_FOR_CALL = (
    f"WITH c AS ({_LOCK_COUNTER}{_ONE_COUNTER} FOR UPDATE)"
    # The counter's JSON columns as text: repeated on each candidate's row, read from the first
    # only (psycopg would load every row's, one value at a time).
    f" SELECT {_COUNTER_COLUMNS.replace('c.services', 'CAST(c.services AS text)')},"
    " CAST(c.credits AS text), CAST((SELECT json_agg(s.skill) FROM lobby_teller_skills s"
    " WHERE s.staff_id = c.teller_id) AS text),"
    f" {', '.join('t.' + f for f in FIELDS)} FROM c LEFT JOIN LATERAL ("
    " SELECT h.* FROM json_array_elements_text(c.services) AS code(v) CROSS JOIN LATERAL"
    f" (SELECT {_COLUMNS} FROM lobby_tickets WHERE outlet_id = %s AND state = 'waiting'"
    " AND service_code = code.v AND local_day >= %s AND klass = 'normal'"
    " AND target_counter_id IS NULL ORDER BY queued_at, id LIMIT %s) h"
    f" UNION ALL SELECT {_COLUMNS} FROM lobby_tickets WHERE outlet_id = %s AND {QUEUE_SPECIAL}"
    " AND local_day >= %s AND service_code IN (SELECT json_array_elements_text(c.services))"
    ") t ON true"
)


def counters_with_skills(d: Driver, outlet_id: int) -> list[tuple[CounterRow, frozenset[str]]]:
    """Every counter of the outlet with its teller's skills, by number."""
    return _by_counter(d, d.all(_COUNTER_SKILLS + _ALL_COUNTERS, (outlet_id,)))


def counters_and_waiting(
    d: Driver, outlet_id: int, since: dt.date
) -> tuple[list[tuple[CounterRow, frozenset[str]]], dict[str, int]]:
    """`counters_with_skills` and `waiting_counts` in one round trip (what issuing reads). On
    PostgreSQL one JSON value (`_COUNTERS_AND_TALLY`); on SQLite the tally rides on each
    counter's rows as one JSON object, summed once."""
    if d.postgres:
        found = d.one(_COUNTERS_AND_TALLY, (outlet_id, outlet_id, d.day(since)))
        assert found is not None
        counters, tally = d.json_of(found[0])
        return [
            (
                CounterRow(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] or {}),
                frozenset(v[8] or ()),
            )
            for v in counters or ()
        ], {code: int(n) for code, n in (tally or {}).items()}
    rows = d.all(_COUNTERS_AND_WAITING, (outlet_id, d.day(since), outlet_id))
    if not rows:  # an outlet without counters: the tally on its own
        return [], waiting_counts(d, outlet_id, since)
    counts = d.json_of(rows[0][9]) or {}
    return _by_counter(d, rows), {code: int(n) for code, n in counts.items()}


_ALL_COUNTERS = " WHERE c.outlet_id = %s ORDER BY c.number"
_TALLY = (
    "SELECT service_code, sum(n) AS n FROM lobby_queue_tally WHERE outlet_id = %s"
    " AND local_day >= %s GROUP BY service_code HAVING sum(n) > 0"
)
# SQLite: a row for each counter and skill, the tally's sums as one JSON object on each.
_COUNTERS_AND_WAITING = (
    _COUNTER_SKILLS.replace(
        " FROM lobby_counters c",
        f", (SELECT json_group_object(q.service_code, q.n) FROM ({_TALLY}) q)"
        " FROM lobby_counters c",
        1,
    )
    + _ALL_COUNTERS
)


# On PostgreSQL, the counters (each with its teller's skills) and the tally as one JSON text
# read as one value (`Driver.json_of`): a row for each counter and skill, with three JSON
# columns that psycopg loads one at a time, cost about a fifth of a kiosk's ticket.
_COUNTERS_AND_TALLY = (
    "SELECT CAST(json_build_array((SELECT json_agg(json_build_array("
    f"{_COUNTER_COLUMNS}, c.credits, (SELECT json_agg(s.skill) FROM lobby_teller_skills s"
    " WHERE s.staff_id = c.teller_id)) ORDER BY c.number) FROM lobby_counters c"
    f" WHERE c.outlet_id = %s), (SELECT json_object_agg(q.service_code, q.n) FROM ({_TALLY}) q))"
    " AS text)"
)


def _by_counter(d: Driver, rows: list[Any]) -> list[tuple[CounterRow, frozenset[str]]]:
    """Rows of counters joined to their tellers' skills, one entry a counter, in order."""
    found: dict[int, tuple[CounterRow, set[str]]] = {}
    for values in rows:
        entry = found.get(values[0])
        if entry is None:
            entry = found[values[0]] = (_counter_row(d, values), set())
        if values[8] is not None:
            entry[1].add(values[8])
    return [(row, frozenset(skills)) for row, skills in found.values()]


# --- tickets ------------------------------------------------------------------------


# The enumerations by value: a dict lookup is a tenth of an Enum call (a queue's tickets are
# read at every issue while it is short).
_KLASS = {k.value: k for k in PriorityClass}
_CHANNEL = {c.value: c for c in Channel}
_STATE = {s.value: s for s in TicketState}
_OUTCOME = {o.value: o for o in Outcome}


def ticket(d: Driver, values: tuple[Any, ...]) -> Ticket:
    """A `Ticket` from the FIELDS of a row."""
    moment = d.moment
    outcome = values[9]
    return Ticket(
        id=values[0],
        number=values[1],
        service_code=values[2],
        klass=_KLASS[values[3]],
        channel=_CHANNEL[values[4]],
        issued_at=moment(values[5]),  # type: ignore[arg-type]
        queued_at=moment(values[6]),  # type: ignore[arg-type]
        due_at=moment(values[7]),
        state=_STATE[values[8]],
        outcome=_OUTCOME[outcome] if outcome else None,
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


def lock_ticket(d: Driver, ticket_id: int) -> TicketRow | None:
    lock = " FOR UPDATE" if d.postgres else ""
    found = d.one(f"SELECT {_TICKET_ROW} FROM lobby_tickets WHERE id = %s{lock}", (ticket_id,))
    return None if found is None else _ticket_row(d, found)


def _ticket_row(d: Driver, found: tuple[Any, ...]) -> TicketRow:
    values = list(found)
    values[2] = d.date_of(values[2])
    for k in range(12, 19):  # issued_at .. finished_at
        values[k] = d.moment(values[k])
    return TicketRow(*values)


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
            f"SELECT {_COLUMNS} FROM lobby_tickets WHERE outlet_id = %s AND {QUEUE_SPECIAL}"
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
    """The waiting tickets per service, from the tally the triggers keep (`QueueTally`): a few
    rows a service, not the queue's."""
    return {code: int(n) for code, n in d.all(_TALLY, (outlet_id, d.day(since)))}
