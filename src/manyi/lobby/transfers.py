"""Transfers: the customer at a counter is sent to another service or counter,
keeping their number and issue time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.errors import InvalidInput, NotFound
from manyi.lobby import layouts, store
from manyi.lobby.counter_ctx import CounterResult, current, ticket_event
from manyi.lobby.domain.model import CounterState, TicketState
from manyi.lobby.service import Operator
from manyi.lobby.tables import LobbyCounter


def transfer(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    number: int,
    now: dt.datetime,
    *,
    service_code: str | None = None,
    target_counter: int | None = None,
    expected_ticket_id: int | None = None,
) -> CounterResult:
    """End the current leg and queue the customer again, keeping number and issue time."""
    ctx, row, ticket = current(session, operator, outlet_code, number, expected_ticket_id)
    service_ids = layouts.layout(session, ctx.outlet).service_ids
    code = (service_code or ticket.service_code).strip().upper()
    if code not in service_ids:
        raise InvalidInput("no service {code} at this outlet", "service", code=code)
    target_id = None
    if target_counter is not None:
        target_row = session.scalar(
            select(LobbyCounter).where(
                LobbyCounter.outlet_id == ctx.outlet.id, LobbyCounter.number == target_counter
            )
        )
        if target_row is None:
            raise NotFound("no counter {n} at this outlet", "target_counter", n=target_counter)
        if code not in target_row.services:
            raise InvalidInput(
                "counter {n} does not serve {service}",
                "target_counter",
                n=target_counter,
                service=code,
            )
        if target_row.id == ctx.row.id:
            raise InvalidInput("choose another counter to transfer to", "target_counter")
        # Sent to a counter that cannot call it, the customer would wait for ever.
        if target_row.state == CounterState.CLOSED.value:
            raise InvalidInput("counter {n} is closed", "target_counter", n=target_counter)
        skill = layouts.layout(session, ctx.outlet).services[code].skill
        if skill is not None and skill not in store.skills_of(session, target_row.teller_id):
            raise InvalidInput(
                "the teller at counter {n} does not handle {service}",
                "target_counter",
                n=target_counter,
                service=code,
            )
        target_id = target_row.id
    elif code == ticket.service_code:
        raise InvalidInput("choose another service or a counter to transfer to", "service")
    new_id = store.insert_ticket(
        session,
        outlet_id=row.outlet_id,
        local_day=row.local_day,
        prefix=row.prefix,
        seq=row.seq,
        number=row.number,
        service_id=service_ids[code],
        service_code=code,
        klass=row.klass,
        channel=row.channel,
        state=TicketState.WAITING.value,
        issued_at=row.issued_at,
        queued_at=row.queued_at,
        due_at=row.due_at,
        call_count=0,
        public_token=row.public_token,
        previous_id=row.id,
        customer_ref=row.customer_ref,
    )
    nxt = ticket.transfer(now, new_id, code, target_id)
    store.save_ticket(session, nxt)
    ctx.counter.release()
    ticket_event(
        session,
        operator,
        ctx,
        row,
        "transferred",
        now,
        ticket,
        to_service=code,
        to_counter=target_counter,
        next_ticket_id=new_id,
    )
    return CounterResult(ctx.outlet, ctx.counter, nxt)
