"""Loading lobby state into domain objects and writing it back.

Rows and domain objects share field names, so the mapping is mechanical;
what matters here is *how* things are read: counters under a row lock,
waiting tickets as plain columns, numbers from an upserted sequence row.

What every ticket operation runs goes to the driver itself (`hot_sql`, issue 22);
the rarer statements are SQLAlchemy Core.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from manyi.driver_sql import Driver
from manyi.errors import NotFound
from manyi.lobby import hot_sql, hot_writes
from manyi.lobby.domain.model import (
    Channel,
    Counter,
    CounterKind,
    CounterState,
    Outcome,
    PriorityClass,
    TicketState,
)
from manyi.lobby.domain.ticket import Ticket
from manyi.lobby.hot_writes import Write
from manyi.lobby.tables import (
    LobbyCounter,
    LobbyTicket,
    QueueTally,
    TellerSkill,
)

# Normal tickets loaded per service when choosing: FIFO within the class means only the front
# of that line can be chosen. Priority tickets are few and always loaded in full. A call-next
# whose chosen ticket another counter took first chooses again without it, and reads the queue
# afresh after every MISSES_BEFORE_REREAD misses (counters.call_next): between two reads it can
# miss that many of one line's front, so one more than that keeps its choice exact. (Twelve
# before: each call then read and built three times the tickets it could use.)
MISSES_BEFORE_REREAD = 3
NORMAL_HEAD = MISSES_BEFORE_REREAD + 1

TICKET_FIELDS = hot_sql.FIELDS


# --- counters -------------------------------------------------------------------


def counter_rows(session: Session, outlet_id: int) -> list[LobbyCounter]:
    return list(
        session.scalars(
            select(LobbyCounter)
            .where(LobbyCounter.outlet_id == outlet_id)
            .order_by(LobbyCounter.number)
        )
    )


TICKETS: Table = LobbyTicket.__table__  # type: ignore[assignment]
_SKILLS = select(TellerSkill.skill).where(TellerSkill.staff_id == bindparam("k_staff"))


def lock_counter(session: Session, outlet_id: int, number: int) -> hot_sql.CounterRow:
    """The counter row, locked until commit (PostgreSQL; SQLite serialises writers anyway)."""
    row = hot_sql.lock_counter(Driver(session), outlet_id, number)
    if row is None:
        raise NotFound("no counter {n} at this outlet", "counter", n=number)
    return row


def lock_counter_with_skills(
    session: Session, outlet_id: int, number: int
) -> tuple[hot_sql.CounterRow, frozenset[str]]:
    """`lock_counter` and its teller's skills in one round trip."""
    found = hot_sql.lock_counter_with_skills(Driver(session), outlet_id, number)
    if found is None:
        raise NotFound("no counter {n} at this outlet", "counter", n=number)
    return found


def lock_counter_for_call(
    session: Session, outlet_id: int, number: int, since: dt.date
) -> tuple[hot_sql.CounterRow, frozenset[str], list[Ticket]]:
    """`lock_counter_with_skills`, then `load_waiting` for the services of the counter locked:
    what call-next reads, in one round trip on PostgreSQL."""
    d = Driver(session)
    if d.postgres:
        found = hot_sql.lock_counter_with_candidates(d, outlet_id, number, since, NORMAL_HEAD)
        if found is None:
            raise NotFound("no counter {n} at this outlet", "counter", n=number)
        return found
    row, skills = lock_counter_with_skills(session, outlet_id, number)
    return row, skills, load_waiting(session, outlet_id, row.services, since)


def skills_of(session: Session, staff_id: int | None) -> frozenset[str]:
    if staff_id is None:
        return frozenset()
    return frozenset(session.scalars(_SKILLS, {"k_staff": staff_id}))


# The enumerations by value: a dict lookup is a tenth of an Enum call (every counter is read
# at every issue).
_KINDS = {k.value: k for k in CounterKind}
_STATES = {s.value: s for s in CounterState}


def counter_of(
    row: LobbyCounter | hot_sql.CounterRow, skills: frozenset[str] = frozenset()
) -> Counter:
    return Counter(
        id=row.id,
        number=row.number,
        kind=_KINDS[row.kind],
        services=tuple(row.services),
        state=_STATES[row.state],
        teller_id=row.teller_id,
        teller_skills=skills,
        current_ticket_id=row.current_ticket_id,
        credits=dict(row.credits or {}),
    )


def counter_write(session: Session, counter: Counter, now: dt.datetime) -> Write:
    """The counter's row as `counter` has it, to send with its event (`events.emit`)."""
    return hot_writes.counter_write(Driver(session), counter, now)


def save_counter(session: Session, counter: Counter, now: dt.datetime) -> None:
    hot_writes.save_counter(Driver(session), counter, now)


def load_counters(session: Session, outlet_id: int) -> list[Counter]:
    """Every counter of the outlet with its teller's skills, in one query."""
    found = hot_sql.counters_with_skills(Driver(session), outlet_id)
    return [counter_of(row, skills) for row, skills in found]


def counters_and_waiting(
    session: Session, outlet_id: int, since: dt.date
) -> tuple[list[Counter], dict[str, int]]:
    """`load_counters` and `waiting_counts` in one round trip: what issuing reads."""
    found, counts = hot_sql.counters_and_waiting(Driver(session), outlet_id, since)
    return [counter_of(row, skills) for row, skills in found], counts


def ticket_of(row: LobbyTicket | hot_sql.TicketRow | Row[Any]) -> Ticket:
    values = {name: getattr(row, name) for name in TICKET_FIELDS}
    values["klass"] = PriorityClass(values["klass"])
    values["channel"] = Channel(values["channel"])
    values["state"] = TicketState(values["state"])
    values["outcome"] = Outcome(values["outcome"]) if values["outcome"] else None
    return Ticket(**values)


def ticket_write(session: Session, ticket: Ticket, read: hot_sql.TicketRow) -> Write:
    """The ticket's row as `ticket` has it, changed from `read` (its row as this unit read
    it, locked), to send with its event (`events.emit`): `hot_writes.ticket_changes`."""
    return hot_writes.ticket_changes(Driver(session), ticket, hot_writes.row_fields(read))


def save_ticket(session: Session, ticket: Ticket) -> None:
    hot_writes.save_ticket(Driver(session), ticket)


def insert_ticket(session: Session, **values: Any) -> int:
    return hot_writes.insert_ticket(Driver(session), values)


def lock_counter_and_current(
    session: Session, outlet_id: int, number: int
) -> tuple[hot_sql.CounterRow, hot_sql.TicketRow] | None:
    """The counter and its current customer's ticket, both locked, in one round trip; None
    when there is no such counter or nobody at it."""
    return hot_sql.lock_counter_and_current(Driver(session), outlet_id, number)


def lock_ticket(session: Session, ticket_id: int) -> hot_sql.TicketRow | None:
    return hot_sql.lock_ticket(Driver(session), ticket_id)


def load_waiting(
    session: Session, outlet_id: int, service_codes: Iterable[str], since: dt.date
) -> list[Ticket]:
    """Tickets a counter may choose from the queue, in one read however long it is.

    Every priority ticket and every ticket sent to one counter (they may be
    anywhere in the line), and the front NORMAL_HEAD of each service's plain
    normal line: FIFO means nothing behind those can be chosen. The database
    ranks the lines, so only the candidates travel.
    """
    codes = list(service_codes)
    if not codes:
        return []
    return hot_sql.candidates(Driver(session), outlet_id, codes, since, NORMAL_HEAD)


def claim(session: Session, ticket: Ticket, before: tuple[Any, ...]) -> Write:
    """The call of `ticket`, written only if it is still waiting: the atomic step of call-next
    (the guard of its event, `service.record_if_claimed`). `before`: `fields_of` the ticket as
    read, before the call changed it."""
    return hot_writes.claim_write(Driver(session), ticket, before)


fields_of = hot_writes.fields_of


def all_waiting(session: Session, outlet_id: int, since: dt.date) -> list[Ticket]:
    """Everyone in the queue: waiting from business day `since` on (older: `expire_stale`)."""
    return hot_sql.waiting(Driver(session), outlet_id, since)


def release_targeted(session: Session, counter_id: int) -> int:
    """Waiting tickets sent to a counter that closes may be called anywhere again."""
    result = session.execute(
        update(TICKETS)
        .where(
            TICKETS.c.target_counter_id == counter_id,
            TICKETS.c.state == TicketState.WAITING.value,
        )
        .values(target_counter_id=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def waiting_counts(session: Session, outlet_id: int, since: dt.date) -> dict[str, int]:
    """How many are in the queue for each service (those with nobody waiting are left out):
    a few rows a service, however long the queue (lobby_queue_tally, kept by triggers)."""
    return hot_sql.waiting_counts(Driver(session), outlet_id, since)


def expire_stale(
    session: Session, outlet_id: int, since: dt.date, now: dt.datetime
) -> list[tuple[int, str, str]]:
    """Cancel tickets still waiting from business days before `since`; returns each one's
    (id, number, service code), for its `cancelled` event."""
    rows = session.execute(
        update(LobbyTicket)
        .where(
            LobbyTicket.outlet_id == outlet_id,
            LobbyTicket.state == TicketState.WAITING.value,
            LobbyTicket.local_day < since,
        )
        .values(state=TicketState.FINISHED.value, outcome=Outcome.CANCELLED.value, finished_at=now)
        .returning(LobbyTicket.id, LobbyTicket.number, LobbyTicket.service_code)
        .execution_options(synchronize_session=False)
    ).all()
    # Those days' tallies are spent: the queue is read from `since` on (waiting_counts).
    session.execute(
        delete(QueueTally).where(QueueTally.outlet_id == outlet_id, QueueTally.local_day < since)
    )
    return sorted((int(r.id), r.number, r.service_code) for r in rows)


def new_public_token() -> str:
    return secrets.token_urlsafe(16)
