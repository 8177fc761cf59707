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
from manyi.lobby.hot_sql import CounterRow, TicketRow
from manyi.lobby.service import Operator, outlet_for, record
from manyi.org.device_tokens import DeviceKind
from manyi.org.tables import Unit


@dataclass(frozen=True)
class CounterResult:
    outlet: Unit
    counter: Counter
    ticket: Ticket | None = None
    announcement: dict[str, str] | None = None
    reason: str | None = None


@dataclass
class Ctx:
    outlet: Unit
    row: CounterRow
    counter: Counter


def open_ctx(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    number: int,
    with_skills: bool = False,
) -> Ctx:
    outlet = outlet_for(session, operator, outlet_code)
    if with_skills:
        row, skills = store.lock_counter_with_skills(session, outlet.id, number)
        return Ctx(outlet, row, store.counter_of(row, skills))
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
    store.save_counter(session, ctx.counter, now)
    record(
        session,
        operator,
        ctx.outlet,
        kind,
        now,
        counter_id=ctx.row.id,
        data={"counter": ctx.counter.number, "state": ctx.counter.state.value, **data},
    )


# --- signing on and off ---------------------------------------------------------


def current(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    number: int,
    expected_ticket_id: int | None,
) -> tuple[Ctx, TicketRow, Ticket]:
    ctx = open_ctx(session, operator, outlet_code, number)
    may_work(operator, ctx)
    if ctx.counter.current_ticket_id is None:
        raise Conflict("counter {n} has no current customer", "counter", n=number)
    row = store.lock_ticket(session, ctx.counter.current_ticket_id)
    assert row is not None
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
    **data: object,
) -> None:
    store.save_counter(session, ctx.counter, now)
    record(
        session,
        operator,
        ctx.outlet,
        kind,
        now,
        ticket_id=row.id,
        counter_id=ctx.row.id,
        data={
            "number": row.number,
            "service": row.service_code,
            "counter": ctx.counter.number,
            **data,
        },
    )
