"""What every counter action shares: the counter locked for the action, the
checks on who may work it, and the event each action records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from manyi.errors import Conflict, Forbidden
from manyi.lobby import store
from manyi.lobby.domain.model import Counter
from manyi.lobby.domain.ticket import Ticket
from manyi.lobby.hot_events import NewEvent
from manyi.lobby.hot_sql import CounterRow, TicketRow
from manyi.lobby.outlets import OutletLike
from manyi.lobby.service import Operator, outlet_for, record
from manyi.org.device_tokens import DeviceKind


@dataclass(frozen=True)
class CounterResult:
    outlet: OutletLike
    counter: Counter
    ticket: Ticket | None = None
    announcement: dict[str, str] | None = None
    reason: str | None = None


@dataclass
class Ctx:
    outlet: OutletLike
    row: CounterRow
    counter: Counter


def open_ctx(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    number: int,
) -> Ctx:
    """The outlet and the counter, locked (call-next reads more with it:
    `store.lock_counter_for_call`)."""
    outlet = outlet_for(session, operator, outlet_code)
    row = store.lock_counter(session, outlet.id, number)
    return Ctx(outlet, row, store.counter_of(row))


def may_work(operator: Operator, ctx: Ctx) -> None:
    if operator.device_id is not None:
        if operator.device_kind != DeviceKind.COUNTER_PAD.value:
            raise Forbidden("only a calling pad acts on a counter", "device")
        if operator.device_counter != ctx.counter.number:
            raise Forbidden(
                "this calling pad works counter {n} only", "device", n=operator.device_counter
            )
        return
    if operator.manage:
        return
    if not operator.operate:
        raise Forbidden("you may not work a counter", "counter")
    if ctx.counter.teller_id not in (None, operator.staff_id):
        raise Forbidden("counter {n} is signed on by someone else", "counter", n=ctx.counter.number)


def finish(
    session: Session, operator: Operator, ctx: Ctx, kind: str, now: dt.datetime, **data: object
) -> None:
    record(
        session,
        operator,
        ctx.outlet,
        kind,
        now,
        counter_id=ctx.row.id,
        data={"counter": ctx.counter.number, "state": ctx.counter.state.value, **data},
        along=[store.counter_write(session, ctx.counter, now)],
    )


# --- signing on and off ---------------------------------------------------------


def current(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    number: int,
    expected_ticket_id: int | None,
) -> tuple[Ctx, TicketRow, Ticket]:
    outlet = outlet_for(session, operator, outlet_code)
    both = store.lock_counter_and_current(session, outlet.id, number)
    if both is None:  # no such counter (NotFound), or nobody at it: say which, as before
        may_work(operator, open_ctx(session, operator, outlet_code, number))
        raise Conflict("counter {n} has no current customer", "counter", n=number)
    ctx = Ctx(outlet, both[0], store.counter_of(both[0]))
    may_work(operator, ctx)
    row = both[1]
    if expected_ticket_id is not None and expected_ticket_id != row.id:
        raise Conflict(
            "ticket {id} is not the current customer at counter {n}",
            "ticket",
            id=expected_ticket_id,
            n=number,
        )
    return ctx, row, store.ticket_of(row)


def ticket_event(
    session: Session,
    operator: Operator,
    ctx: Ctx,
    row: TicketRow,
    kind: str,
    now: dt.datetime,
    ticket: Ticket,
    **data: object,
) -> None:
    """The event of an action on the counter's current customer, written with the ticket and
    the counter as the action left them (one statement on PostgreSQL: `events.emit`)."""
    e = ticket_event_of(session, operator, ctx, row, kind, now, ticket, **data)
    record(
        session,
        operator,
        ctx.outlet,
        kind,
        now,
        ticket_id=e.ticket_id,
        counter_id=e.counter_id,
        data=e.data,
        along=e.along,
    )


def ticket_event_of(
    session: Session,
    operator: Operator,
    ctx: Ctx,
    row: TicketRow,
    kind: str,
    now: dt.datetime,
    ticket: Ticket,
    **data: object,
) -> NewEvent:
    """`ticket_event`'s event, not yet written: for a statement that writes more after it
    (a completion's rating prompt: `events.emit_new_row`); `service.audited` then writes its
    audit entry."""
    return NewEvent(
        ctx.outlet.id,
        kind,
        now,
        row.id,
        ctx.row.id,
        operator.staff_id,
        operator.device_id,
        {"number": row.number, "service": row.service_code, "counter": ctx.counter.number, **data},
        (store.ticket_write(session, ticket, row), store.counter_write(session, ctx.counter, now)),
    )
