"""Loading lobby state into domain objects and writing it back.

Rows and domain objects share field names, so the mapping is mechanical;
what matters here is *how* things are read: counters under a row lock,
waiting tickets as plain columns, numbers from an upserted sequence row.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
WHOLE_QUEUE = 300
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
# An outlet's settings and services change a few times a year but are read on
# every ticket operation, so each process keeps them for LAYOUT_TTL_S seconds.
# A change made in this process is seen at once (`forget`); other processes
# see it within the TTL. Counter states, tickets and skills are never cached.

LAYOUT_TTL_S = 10.0
RECENT_TTL_S = 30.0


@dataclass(frozen=True)
class Layout:
    policy: Policy
    services: dict[str, Service]
    service_ids: dict[str, int]


_cache: dict[tuple[str, str, int], tuple[float, Any]] = {}


def _db_key(session: Session) -> str:
    bind = session.get_bind()
    return str(bind.engine.url)


def _cached(session: Session, kind: str, outlet_id: int, ttl: float, load: Any) -> Any:
    key = (kind, _db_key(session), outlet_id)
    hit = _cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    value = load()
    _cache[key] = (now, value)
    return value


def forget(session: Session, outlet_id: int) -> None:
    """Drop what this process cached about an outlet (after its configuration changed)."""
    url = _db_key(session)
    for key in [k for k in _cache if k[1] == url and k[2] == outlet_id]:
        del _cache[key]


def layout(session: Session, outlet: Unit) -> Layout:
    def load() -> Layout:
        rows = service_rows(session, outlet.id)
        return Layout(
            policy=load_policy(session, outlet),
            services={row.code: service_of(row) for row in rows},
            service_ids={row.code: row.id for row in rows},
        )

    result: Layout = _cached(session, "layout", outlet.id, LAYOUT_TTL_S, load)
    return result


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
    """Every counter of the outlet with its teller's skills, in one query."""
    rows = session.execute(
        select(LobbyCounter, TellerSkill.skill)
        .outerjoin(TellerSkill, TellerSkill.staff_id == LobbyCounter.teller_id)
        .where(LobbyCounter.outlet_id == outlet_id)
        .order_by(LobbyCounter.number)
    ).all()
    counters: dict[int, tuple[LobbyCounter, set[str]]] = {}
    for row, skill in rows:
        entry = counters.setdefault(row.id, (row, set()))
        if skill is not None:
            entry[1].add(skill)
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


def save_ticket(row: LobbyTicket, ticket: Ticket) -> None:
    for name, value in ticket_values(ticket).items():
        setattr(row, name, value)


def lock_ticket(session: Session, ticket_id: int) -> LobbyTicket | None:
    return session.scalar(select(LobbyTicket).where(LobbyTicket.id == ticket_id).with_for_update())


def load_waiting(
    session: Session, outlet_id: int, service_codes: Iterable[str], day: dt.date
) -> list[Ticket]:
    """Tickets a counter may choose from today: every priority one, the front of each normal line.

    Usually the whole queue fits in one read. When it does not, only the
    front of each normal line is read: FIFO means nothing behind it can win.
    """
    codes = list(service_codes)
    if not codes:
        return []
    base = select(*_TICKET_COLUMNS).where(
        LobbyTicket.outlet_id == outlet_id,
        LobbyTicket.state == TicketState.WAITING.value,
        LobbyTicket.local_day == day,
        LobbyTicket.service_code.in_(codes),
    )
    rows = list(session.execute(base.order_by(LobbyTicket.queued_at).limit(WHOLE_QUEUE + 1)))
    if len(rows) <= WHOLE_QUEUE:
        return [ticket_of(r) for r in rows]
    rows = list(session.execute(base.where(LobbyTicket.klass != PriorityClass.NORMAL.value)))
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


def all_waiting(session: Session, outlet_id: int, day: dt.date) -> list[Ticket]:
    """Everyone waiting today (yesterday's leftovers are expired by `expire_stale`)."""
    rows = session.execute(
        select(*_TICKET_COLUMNS).where(
            LobbyTicket.outlet_id == outlet_id,
            LobbyTicket.state == TicketState.WAITING.value,
            LobbyTicket.local_day == day,
        )
    )
    return [ticket_of(r) for r in rows]


def expire_stale(session: Session, outlet_id: int, day: dt.date, now: dt.datetime) -> int:
    """Cancel tickets still waiting from earlier days; returns how many."""
    result = session.execute(
        update(LobbyTicket)
        .where(
            LobbyTicket.outlet_id == outlet_id,
            LobbyTicket.state == TicketState.WAITING.value,
            LobbyTicket.local_day < day,
        )
        .values(state=TicketState.FINISHED.value, outcome=Outcome.CANCELLED.value, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def recent_service_s(session: Session, outlet_id: int, now: dt.datetime) -> dict[str, float]:
    """Mean service time by service over the last served tickets of the past two hours.

    Kept per process for RECENT_TTL_S seconds: a recent mean need not be to the second.
    """
    result: dict[str, float] = _cached(
        session,
        "recent",
        outlet_id,
        RECENT_TTL_S,
        lambda: _recent_service_s(session, outlet_id, now),
    )
    return result


def _recent_service_s(session: Session, outlet_id: int, now: dt.datetime) -> dict[str, float]:
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
