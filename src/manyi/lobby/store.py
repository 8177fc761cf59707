"""Loading lobby state into domain objects and writing it back.

Rows and domain objects share field names, so the mapping is mechanical;
what matters here is *how* things are read: counters under a row lock,
waiting tickets as plain columns, numbers from an upserted sequence row.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from manyi.errors import NotFound
from manyi.lobby.model import (
    Channel,
    Counter,
    CounterKind,
    CounterState,
    Outcome,
    Policy,
    PriorityClass,
    Service,
    Ticket,
    TicketState,
)
from manyi.lobby.tables import (
    LobbyCounter,
    LobbyEventRow,
    LobbyService,
    LobbySettings,
    LobbyTicket,
    TellerSkill,
    TicketSequence,
)
from manyi.org.tables import Unit

# Normal tickets loaded per service when choosing: FIFO within the class
# means only the front of that line can be chosen. Priority tickets are few
# and always loaded in full.
NORMAL_HEAD = 100
RECENT_SERVED = 30

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


# --- policy and services ------------------------------------------------------


def load_policy(session: Session, outlet: Unit) -> Policy:
    row = session.get(LobbySettings, outlet.id)
    if row is None:
        return Policy(timezone=outlet.timezone)
    return policy_of(row, outlet.timezone)


def policy_of(row: LobbySettings, timezone: str) -> Policy:
    return Policy(
        weights={PriorityClass(k): v for k, v in row.weights.items()},
        ageing_s=row.ageing_s,
        no_show_after_calls=row.no_show_after_calls,
        requeue_grace_s=row.requeue_grace_s,
        requeue_behind=row.requeue_behind,
        target_wait_s=row.target_wait_s,
        announcement_zh=row.announcement_zh,
        announcement_en=row.announcement_en,
        opens_at=dt.time.fromisoformat(row.opens_at),
        closes_at=dt.time.fromisoformat(row.closes_at) if row.closes_at else None,
        timezone=timezone,
    )


def service_of(row: LobbyService) -> Service:
    return Service(
        code=row.code,
        name_zh=row.name_zh,
        name_en=row.name_en,
        prefix=row.prefix,
        expected_service_s=row.expected_service_s,
        fast_lane=row.fast_lane,
        skill=row.skill,
    )


def service_rows(session: Session, outlet_id: int) -> list[LobbyService]:
    return list(
        session.scalars(
            select(LobbyService)
            .where(LobbyService.outlet_id == outlet_id, LobbyService.active.is_(True))
            .order_by(LobbyService.sort_order, LobbyService.code)
        )
    )


def load_services(session: Session, outlet_id: int) -> dict[str, Service]:
    return {row.code: service_of(row) for row in service_rows(session, outlet_id)}


# --- counters -------------------------------------------------------------------


def counter_rows(session: Session, outlet_id: int) -> list[LobbyCounter]:
    return list(
        session.scalars(
            select(LobbyCounter)
            .where(LobbyCounter.outlet_id == outlet_id)
            .order_by(LobbyCounter.number)
        )
    )


def lock_counter(session: Session, outlet_id: int, number: int) -> LobbyCounter:
    """The counter row, locked until commit (PostgreSQL; SQLite serialises writers anyway)."""
    row = session.scalar(
        select(LobbyCounter)
        .where(LobbyCounter.outlet_id == outlet_id, LobbyCounter.number == number)
        .with_for_update()
    )
    if row is None:
        raise NotFound("no counter {n} at this outlet", "counter", n=number)
    return row


def skills_of(session: Session, staff_id: int | None) -> frozenset[str]:
    if staff_id is None:
        return frozenset()
    return frozenset(
        session.scalars(select(TellerSkill.skill).where(TellerSkill.staff_id == staff_id))
    )


def counter_of(row: LobbyCounter, skills: frozenset[str] = frozenset()) -> Counter:
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


def save_counter(row: LobbyCounter, counter: Counter) -> None:
    row.state = counter.state.value
    row.teller_id = counter.teller_id
    row.current_ticket_id = counter.current_ticket_id
    row.credits = dict(counter.credits)


def load_counters(session: Session, outlet_id: int) -> list[Counter]:
    rows = counter_rows(session, outlet_id)
    tellers = {r.teller_id for r in rows if r.teller_id is not None}
    skills: dict[int, set[str]] = {}
    if tellers:
        for staff_id, skill in session.execute(
            select(TellerSkill.staff_id, TellerSkill.skill).where(TellerSkill.staff_id.in_(tellers))
        ):
            skills.setdefault(staff_id, set()).add(skill)
    return [counter_of(r, frozenset(skills.get(r.teller_id or 0, ()))) for r in rows]


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


def save_ticket(row: LobbyTicket, ticket: Ticket) -> None:
    for name, value in ticket_values(ticket).items():
        setattr(row, name, value)


def lock_ticket(session: Session, ticket_id: int) -> LobbyTicket | None:
    return session.scalar(select(LobbyTicket).where(LobbyTicket.id == ticket_id).with_for_update())


def load_waiting(session: Session, outlet_id: int, service_codes: Iterable[str]) -> list[Ticket]:
    """Tickets a counter may choose from: every priority one, the front of each normal line."""
    codes = list(service_codes)
    if not codes:
        return []
    base = select(*_TICKET_COLUMNS).where(
        LobbyTicket.outlet_id == outlet_id,
        LobbyTicket.state == TicketState.WAITING.value,
    )
    rows = list(
        session.execute(
            base.where(
                LobbyTicket.service_code.in_(codes),
                LobbyTicket.klass != PriorityClass.NORMAL.value,
            )
        )
    )
    for code in codes:
        rows.extend(
            session.execute(
                base.where(
                    LobbyTicket.service_code == code,
                    LobbyTicket.klass == PriorityClass.NORMAL.value,
                )
                .order_by(LobbyTicket.queued_at, LobbyTicket.id)
                .limit(NORMAL_HEAD)
            )
        )
    return [ticket_of(r) for r in rows]


def claim(session: Session, ticket: Ticket) -> bool:
    """Write a call only if the ticket is still waiting: the atomic step of call-next."""
    result = session.execute(
        update(LobbyTicket)
        .where(LobbyTicket.id == ticket.id, LobbyTicket.state == TicketState.WAITING.value)
        .values(**ticket_values(ticket))
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def all_waiting(session: Session, outlet_id: int) -> list[Ticket]:
    rows = session.execute(
        select(*_TICKET_COLUMNS).where(
            LobbyTicket.outlet_id == outlet_id, LobbyTicket.state == TicketState.WAITING.value
        )
    )
    return [ticket_of(r) for r in rows]


def recent_service_s(session: Session, outlet_id: int, now: dt.datetime) -> dict[str, float]:
    """Mean service time by service over the last served tickets of the past two hours."""
    rows = session.execute(
        select(LobbyTicket.service_code, LobbyTicket.started_at, LobbyTicket.finished_at)
        .where(
            LobbyTicket.outlet_id == outlet_id,
            LobbyTicket.finished_at >= now - dt.timedelta(hours=2),
            LobbyTicket.outcome == Outcome.SERVED.value,
        )
        .order_by(LobbyTicket.finished_at.desc())
        .limit(RECENT_SERVED * 4)
    )
    sums: dict[str, list[float]] = {}
    for code, started, finished in rows:
        if started is None or finished is None:
            continue
        durations = sums.setdefault(code, [])
        if len(durations) < RECENT_SERVED:
            durations.append((finished - started).total_seconds())
    return {code: sum(d) / len(d) for code, d in sums.items() if d}


def next_number(session: Session, outlet_id: int, day: dt.date, prefix: str) -> int:
    """The next number for the day and prefix; gap-free, because it rolls back with the ticket."""
    key = {"outlet_id": outlet_id, "day": day, "prefix": prefix}
    dialect = session.get_bind().dialect.name
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(upsert(TicketSequence).values(**key, last_seq=0).on_conflict_do_nothing())
    return int(
        session.execute(
            update(TicketSequence)
            .where(
                TicketSequence.outlet_id == outlet_id,
                TicketSequence.day == day,
                TicketSequence.prefix == prefix,
            )
            .values(last_seq=TicketSequence.last_seq + 1)
            .returning(TicketSequence.last_seq)
        ).scalar_one()
    )


def new_public_token() -> str:
    return secrets.token_urlsafe(16)


# --- events -----------------------------------------------------------------------


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
) -> None:
    session.execute(
        insert(LobbyEventRow).values(
            outlet_id=outlet_id,
            at=now,
            kind=kind,
            ticket_id=ticket_id,
            counter_id=counter_id,
            staff_id=staff_id,
            device_id=device_id,
            data=data or {},
        )
    )


def events_since(
    session: Session, outlet_id: int, after_id: int = 0, limit: int = 500
) -> Sequence[LobbyEventRow]:
    return list(
        session.scalars(
            select(LobbyEventRow)
            .where(LobbyEventRow.outlet_id == outlet_id, LobbyEventRow.id > after_id)
            .order_by(LobbyEventRow.id)
            .limit(limit)
        )
    )
