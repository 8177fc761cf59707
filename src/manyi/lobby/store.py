"""Loading lobby state into domain objects and writing it back.

Rows and domain objects share field names, so the mapping is mechanical;
what matters here is *how* things are read: counters under a row lock,
waiting tickets as plain columns, numbers from an upserted sequence row.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, Table, and_, bindparam, func, insert, not_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from manyi.errors import NotFound
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
from manyi.lobby.tables import (
    LobbyCounter,
    LobbyEventRow,
    LobbyTicket,
    TellerSkill,
    TicketSequence,
)

# Normal tickets loaded per service when choosing: FIFO within the class
# means only the front of that line can be chosen. Priority tickets are few
# and always loaded in full.
NORMAL_HEAD = 12  # enough for a few counters missing the same front ticket at once

TICKET_FIELDS = (
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
_TICKET_COLUMNS = [getattr(LobbyTicket, name) for name in TICKET_FIELDS]


# --- counters -------------------------------------------------------------------


def counter_rows(session: Session, outlet_id: int) -> list[LobbyCounter]:
    return list(
        session.scalars(
            select(LobbyCounter)
            .where(LobbyCounter.outlet_id == outlet_id)
            .order_by(LobbyCounter.number)
        )
    )


# The hot paths (every call, every completion) read and write rows with Core
# statements: the ORM's unit of work costs more than the SQL here.
COUNTERS: Table = LobbyCounter.__table__  # type: ignore[assignment]
TICKETS: Table = LobbyTicket.__table__  # type: ignore[assignment]
EVENTS: Table = LobbyEventRow.__table__  # type: ignore[assignment]
SEQUENCES: Table = TicketSequence.__table__  # type: ignore[assignment]

# Built once: SQLAlchemy then reuses their compiled form on every call.
_TICKET_SET: dict[str, Any] = {
    name: bindparam("v_" + name) for name in TICKET_FIELDS if name != "id"
}
_SAVE_TICKET = update(TICKETS).where(TICKETS.c.id == bindparam("k_id")).values(_TICKET_SET)
_CLAIM = (
    update(TICKETS)
    .where(TICKETS.c.id == bindparam("k_id"), TICKETS.c.state == TicketState.WAITING.value)
    .values(_TICKET_SET)
)
# PostgreSQL: a ticket another counter is claiming right now is skipped at
# once instead of waited for; without this, counters that choose the same
# front-of-line ticket queue up behind each other's commits.
_CLAIM_SKIP_LOCKED = (
    update(TICKETS)
    .where(
        TICKETS.c.id
        == select(TICKETS.c.id)
        .where(TICKETS.c.id == bindparam("k_id"), TICKETS.c.state == TicketState.WAITING.value)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    .values(_TICKET_SET)
)
_INSERT_TICKET = insert(TICKETS).returning(TICKETS.c.id)
_LOCK_TICKET = select(TICKETS).where(TICKETS.c.id == bindparam("k_id")).with_for_update()
_LOCK_COUNTER = (
    select(COUNTERS)
    .where(COUNTERS.c.outlet_id == bindparam("k_outlet"), COUNTERS.c.number == bindparam("k_n"))
    .with_for_update()
)
_LOCK_COUNTER_SKILLS = (
    select(COUNTERS, TellerSkill.skill)
    .outerjoin(TellerSkill, TellerSkill.staff_id == COUNTERS.c.teller_id)
    .where(COUNTERS.c.outlet_id == bindparam("k_outlet"), COUNTERS.c.number == bindparam("k_n"))
    .with_for_update(of=COUNTERS)
)
_SAVE_COUNTER = (
    update(COUNTERS)
    .where(COUNTERS.c.id == bindparam("k_id"))
    .values(
        state=bindparam("v_state"),
        teller_id=bindparam("v_teller_id"),
        current_ticket_id=bindparam("v_current_ticket_id"),
        credits=bindparam("v_credits"),
        # When the counter last changed, by the use case's clock (the dashboard's idle time).
        updated_at=bindparam("v_updated_at"),
    )
)
_BUMP = (
    update(SEQUENCES)
    .where(
        SEQUENCES.c.outlet_id == bindparam("k_outlet"),
        SEQUENCES.c.day == bindparam("k_day"),
        SEQUENCES.c.prefix == bindparam("k_prefix"),
    )
    .values(last_seq=SEQUENCES.c.last_seq + 1)
    .returning(SEQUENCES.c.last_seq)
)
_COUNTERS_WITH_SKILLS = (
    select(COUNTERS, TellerSkill.skill)
    .outerjoin(TellerSkill, TellerSkill.staff_id == COUNTERS.c.teller_id)
    .where(COUNTERS.c.outlet_id == bindparam("k_outlet"))
    .order_by(COUNTERS.c.number)
)
_SKILLS = select(TellerSkill.skill).where(TellerSkill.staff_id == bindparam("k_staff"))
# The queue: tickets waiting from the outlet's business day `k_since` on (see
# Policy.first_queue_day); older ones are leftovers that `expire_stale` sends home.
_WAITING = select(*_TICKET_COLUMNS).where(
    TICKETS.c.outlet_id == bindparam("k_outlet"),
    TICKETS.c.state == TicketState.WAITING.value,
    TICKETS.c.local_day >= bindparam("k_since"),
)
_WAITING_FOR = _WAITING.where(TICKETS.c.service_code.in_(bindparam("k_codes", expanding=True)))
_WAITING_COUNTS = (
    select(TICKETS.c.service_code, func.count())
    .where(
        TICKETS.c.outlet_id == bindparam("k_outlet"),
        TICKETS.c.state == TicketState.WAITING.value,
        TICKETS.c.local_day >= bindparam("k_since"),
    )
    .group_by(TICKETS.c.service_code)
)
_PLAIN = and_(TICKETS.c.klass == PriorityClass.NORMAL.value, TICKETS.c.target_counter_id.is_(None))
_RANKED = (
    _WAITING_FOR.add_columns(
        func.row_number()
        .over(
            partition_by=[TICKETS.c.service_code, _PLAIN],
            order_by=[TICKETS.c.queued_at, TICKETS.c.id],
        )
        .label("place"),
        _PLAIN.label("plain"),
    )
).subquery()
_CANDIDATES = select(*(_RANKED.c[name] for name in TICKET_FIELDS)).where(
    or_(not_(_RANKED.c.plain), _RANKED.c.place <= bindparam("k_head"))
)


def lock_counter(session: Session, outlet_id: int, number: int) -> Row[Any]:
    """The counter row, locked until commit (PostgreSQL; SQLite serialises writers anyway)."""
    row = session.execute(_LOCK_COUNTER, {"k_outlet": outlet_id, "k_n": number}).first()
    if row is None:
        raise NotFound("no counter {n} at this outlet", "counter", n=number)
    return row


def lock_counter_with_skills(
    session: Session, outlet_id: int, number: int
) -> tuple[Row[Any], frozenset[str]]:
    """`lock_counter` and its teller's skills in one round trip."""
    rows = session.execute(_LOCK_COUNTER_SKILLS, {"k_outlet": outlet_id, "k_n": number}).all()
    if not rows:
        raise NotFound("no counter {n} at this outlet", "counter", n=number)
    return rows[0], frozenset(r.skill for r in rows if r.skill is not None)


def skills_of(session: Session, staff_id: int | None) -> frozenset[str]:
    if staff_id is None:
        return frozenset()
    return frozenset(session.scalars(_SKILLS, {"k_staff": staff_id}))


def counter_of(row: LobbyCounter | Row[Any], skills: frozenset[str] = frozenset()) -> Counter:
    return Counter(
        id=row.id,
        number=row.number,
        kind=CounterKind(row.kind),
        services=tuple(row.services),
        state=CounterState(row.state),
        teller_id=row.teller_id,
        teller_skills=skills,
        current_ticket_id=row.current_ticket_id,
        credits=dict(row.credits or {}),
    )


def save_counter(session: Session, counter: Counter, now: dt.datetime) -> None:
    session.execute(
        _SAVE_COUNTER,
        {
            "k_id": counter.id,
            "v_updated_at": now,
            "v_state": counter.state.value,
            "v_teller_id": counter.teller_id,
            "v_current_ticket_id": counter.current_ticket_id,
            "v_credits": dict(counter.credits),
        },
    )


def load_counters(session: Session, outlet_id: int) -> list[Counter]:
    """Every counter of the outlet with its teller's skills, in one query."""
    rows = session.execute(_COUNTERS_WITH_SKILLS, {"k_outlet": outlet_id}).all()
    counters: dict[int, tuple[Row[Any], set[str]]] = {}
    for row in rows:
        entry = counters.setdefault(row.id, (row, set()))
        if row.skill is not None:
            entry[1].add(row.skill)
    return [counter_of(row, frozenset(skills)) for row, skills in counters.values()]


# --- tickets --------------------------------------------------------------------


def ticket_of(row: LobbyTicket | Row[Any]) -> Ticket:
    values = {name: getattr(row, name) for name in TICKET_FIELDS}
    values["klass"] = PriorityClass(values["klass"])
    values["channel"] = Channel(values["channel"])
    values["state"] = TicketState(values["state"])
    values["outcome"] = Outcome(values["outcome"]) if values["outcome"] else None
    return Ticket(**values)


def ticket_values(ticket: Ticket) -> dict[str, Any]:
    values = {name: getattr(ticket, name) for name in TICKET_FIELDS if name != "id"}
    values["klass"] = ticket.klass.value
    values["channel"] = ticket.channel.value
    values["state"] = ticket.state.value
    values["outcome"] = ticket.outcome.value if ticket.outcome else None
    return values


def _ticket_params(ticket: Ticket) -> dict[str, Any]:
    params = {"v_" + name: value for name, value in ticket_values(ticket).items()}
    params["k_id"] = ticket.id
    return params


def save_ticket(session: Session, ticket: Ticket) -> None:
    session.execute(_SAVE_TICKET, _ticket_params(ticket))


def insert_ticket(session: Session, **values: Any) -> int:
    row: dict[str, Any] = {column.key: None for column in TICKETS.columns if column.key != "id"}
    row.update(values)
    return int(session.execute(_INSERT_TICKET, row).scalar_one())


def lock_ticket(session: Session, ticket_id: int) -> Row[Any] | None:
    return session.execute(_LOCK_TICKET, {"k_id": ticket_id}).first()


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
    params = {"k_outlet": outlet_id, "k_since": since, "k_codes": codes, "k_head": NORMAL_HEAD}
    return [ticket_of(r) for r in session.execute(_CANDIDATES, params)]


def claim(session: Session, ticket: Ticket) -> bool:
    """Write a call only if the ticket is still waiting: the atomic step of call-next."""
    postgres = session.get_bind().dialect.name == "postgresql"
    result = session.execute(_CLAIM_SKIP_LOCKED if postgres else _CLAIM, _ticket_params(ticket))
    return bool(getattr(result, "rowcount", 0))


def all_waiting(session: Session, outlet_id: int, since: dt.date) -> list[Ticket]:
    """Everyone in the queue: waiting from business day `since` on (older: `expire_stale`)."""
    rows = session.execute(_WAITING, {"k_outlet": outlet_id, "k_since": since})
    return [ticket_of(r) for r in rows]


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
    """How many are in the queue for each service: one grouped read, however long it is."""
    rows = session.execute(_WAITING_COUNTS, {"k_outlet": outlet_id, "k_since": since})
    return {code: int(n) for code, n in rows}


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
    return sorted((int(r.id), r.number, r.service_code) for r in rows)


def next_number(session: Session, outlet_id: int, day: dt.date, prefix: str) -> int:
    """The next number for the business day and prefix; gap-free: it rolls back with the ticket."""
    key = {"k_outlet": outlet_id, "k_day": day, "k_prefix": prefix}
    seq = session.execute(_BUMP, key).scalar()
    if seq is None:  # the day's first ticket with this prefix: create the row, then bump
        dialect = session.get_bind().dialect.name
        upsert = pg_insert if dialect == "postgresql" else sqlite_insert
        values = {"outlet_id": outlet_id, "day": day, "prefix": prefix, "last_seq": 0}
        session.execute(upsert(TicketSequence).values(**values).on_conflict_do_nothing())
        seq = session.execute(_BUMP, key).scalar_one()
    return int(seq)


def new_public_token() -> str:
    return secrets.token_urlsafe(16)
