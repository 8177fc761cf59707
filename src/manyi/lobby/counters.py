"""Counter use cases: sign on and off, pause, call next, and act on the current customer.

Every action locks the counter row first (so a double press on one counter
is serialised) and then the ticket. Call-next claims its ticket with a
conditional UPDATE (`... WHERE state = 'waiting'`): when two counters choose
the same ticket at the same instant, exactly one update matches and the
other counter chooses again. That holds across processes and on both
engines; SQLite additionally serialises all writers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from manyi.lobby import dispatch, layouts, rating, store
from manyi.lobby.model import Counter, CounterState, Ticket, TicketState
from manyi.lobby.service import Operator, announce, outlet_for, record
from manyi.lobby.tables import LobbyCounter
from manyi.org.devices import DeviceKind
from manyi.org.model import Permission
from manyi.org.tables import Staff, Unit

CLAIM_ATTEMPTS = 16


@dataclass(frozen=True)
class CounterResult:
    outlet: Unit
    counter: Counter
    ticket: Ticket | None = None
    announcement: dict[str, str] | None = None
    reason: str | None = None


@dataclass
class _Ctx:
    outlet: Unit
    row: Row[Any]
    counter: Counter


def _open_ctx(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    number: int,
    with_skills: bool = False,
) -> _Ctx:
    outlet = outlet_for(session, operator, outlet_code)
    if with_skills:
        row, skills = store.lock_counter_with_skills(session, outlet.id, number)
        return _Ctx(outlet, row, store.counter_of(row, skills))
    row = store.lock_counter(session, outlet.id, number)
    return _Ctx(outlet, row, store.counter_of(row))


def _may_work(operator: Operator, ctx: _Ctx) -> None:
    if operator.device_id is not None:
        if operator.device_kind != DeviceKind.COUNTER_PAD.value:
            raise Forbidden("only a calling pad acts on a counter", "device")
        return
    if operator.manage:
        return
    if not operator.operate:
        raise Forbidden("you may not work a counter", "counter")
    if ctx.counter.teller_id not in (None, operator.staff_id):
        raise Forbidden("counter {n} is signed on by someone else", "counter", n=ctx.counter.number)


def _finish(
    session: Session, operator: Operator, ctx: _Ctx, kind: str, now: dt.datetime, **data: object
) -> None:
    store.save_counter(session, ctx.counter)
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


def open_counter(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    number: int,
    now: dt.datetime,
    teller_username: str | None = None,
) -> CounterResult:
    """A teller signs on to a counter (a lobby manager may sign a teller on)."""
    ctx = _open_ctx(session, operator, outlet_code, number)
    if operator.staff_id is None:
        raise Forbidden("a teller signs on with their own account", "counter")
    teller_id = operator.staff_id
    if teller_username and teller_username != operator.name:
        if not operator.manage:
            raise Forbidden("only the lobby manager signs on another teller", "teller")
        teller = session.scalar(select(Staff).where(Staff.username == teller_username))
        if teller is None or not teller.active or teller.unit_id != ctx.outlet.id:
            raise NotFound("no teller {name} at this outlet", "teller", name=teller_username)
        if Permission.LOBBY_OPERATE not in teller.permissions:
            raise InvalidInput("{name} may not work a counter", "teller", name=teller_username)
        teller_id = teller.id
    elif not operator.operate:
        raise Forbidden("you may not work a counter", "counter")
    elsewhere = session.scalar(
        select(LobbyCounter.number).where(
            LobbyCounter.outlet_id == ctx.outlet.id,
            LobbyCounter.teller_id == teller_id,
            LobbyCounter.state != CounterState.CLOSED.value,
            LobbyCounter.id != ctx.row.id,
        )
    )
    if elsewhere is not None:
        raise Conflict("already signed on at counter {n}", "counter", n=elsewhere)
    ctx.counter.open(teller_id, store.skills_of(session, teller_id))
    # The first sign-on of a day sends yesterday's uncalled tickets home.
    policy = layouts.layout(session, ctx.outlet).policy
    expired = store.expire_stale(session, ctx.outlet.id, policy.local_day(now), now)
    _finish(session, operator, ctx, "counter_opened", now, teller_id=teller_id, expired=expired)
    return CounterResult(ctx.outlet, ctx.counter)


def close_counter(
    session: Session, operator: Operator, outlet_code: str | None, number: int, now: dt.datetime
) -> CounterResult:
    ctx = _open_ctx(session, operator, outlet_code, number)
    if operator.device_id is not None:
        raise Forbidden("a teller signs off with their own account", "counter")
    _may_work(operator, ctx)
    ctx.counter.close()
    # Customers sent to this counter go back to the service's common line.
    released = store.release_targeted(session, ctx.counter.id)
    _finish(session, operator, ctx, "counter_closed", now, released=released)
    return CounterResult(ctx.outlet, ctx.counter)


def pause_counter(
    session: Session, operator: Operator, outlet_code: str | None, number: int, now: dt.datetime
) -> CounterResult:
    return _switch(session, operator, outlet_code, number, now, Counter.pause, "counter_paused")


def resume_counter(
    session: Session, operator: Operator, outlet_code: str | None, number: int, now: dt.datetime
) -> CounterResult:
    return _switch(session, operator, outlet_code, number, now, Counter.resume, "counter_resumed")


def _switch(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    number: int,
    now: dt.datetime,
    change: Callable[[Counter], None],
    kind: str,
) -> CounterResult:
    ctx = _open_ctx(session, operator, outlet_code, number)
    _may_work(operator, ctx)
    change(ctx.counter)
    _finish(session, operator, ctx, kind, now)
    return CounterResult(ctx.outlet, ctx.counter)


# --- calling --------------------------------------------------------------------


def call_next(
    session: Session, operator: Operator, outlet_code: str | None, number: int, now: dt.datetime
) -> CounterResult:
    """Call the ticket this counter should serve now; `ticket` is None when nobody waits."""
    ctx = _open_ctx(session, operator, outlet_code, number, with_skills=True)
    _may_work(operator, ctx)
    ctx.counter.ready_to_call()
    lobby = layouts.layout(session, ctx.outlet)
    policy, services = lobby.policy, lobby.services
    day = policy.local_day(now)
    waiting = store.load_waiting(session, ctx.outlet.id, ctx.counter.services, day)
    for attempt in range(CLAIM_ATTEMPTS):
        pick = dispatch.choose(ctx.counter, waiting, services, policy, now)
        if pick is None:
            return CounterResult(ctx.outlet, ctx.counter)
        pick.ticket.call(ctx.counter.id, ctx.counter.teller_id, now)
        if store.claim(session, pick.ticket):
            break
        # Another counter took it first: choose again without it (and,
        # after a few misses, from a fresh look at the queue).
        waiting = [t for t in waiting if t.id != pick.ticket.id]
        if attempt % 3 == 2:
            waiting = store.load_waiting(session, ctx.outlet.id, ctx.counter.services, day)
    else:
        raise Conflict("the queue is too busy right now; press next again", "counter")
    ticket = pick.ticket
    ctx.counter.credits = pick.credits
    ctx.counter.take(ticket.id)
    store.save_counter(session, ctx.counter)
    text = announce(policy, ticket.number, ctx.counter.number, services[ticket.service_code])
    record(
        session,
        operator,
        ctx.outlet,
        "called",
        now,
        ticket_id=ticket.id,
        counter_id=ctx.row.id,
        data={
            "number": ticket.number,
            "service": ticket.service_code,
            "class": ticket.klass.value,
            "counter": ctx.counter.number,
            "reason": pick.reason,
            "waited_s": int((now - ticket.issued_at).total_seconds()),
            "announcement": text,
        },
    )
    return CounterResult(ctx.outlet, ctx.counter, ticket, text, pick.reason)


def _current(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    number: int,
    expected_ticket_id: int | None,
) -> tuple[_Ctx, Row[Any], Ticket]:
    ctx = _open_ctx(session, operator, outlet_code, number)
    _may_work(operator, ctx)
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


def _ticket_event(
    session: Session,
    operator: Operator,
    ctx: _Ctx,
    row: Row[Any],
    kind: str,
    now: dt.datetime,
    **data: object,
) -> None:
    store.save_counter(session, ctx.counter)
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


def recall(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    number: int,
    now: dt.datetime,
    expected_ticket_id: int | None = None,
) -> CounterResult:
    ctx, row, ticket = _current(session, operator, outlet_code, number, expected_ticket_id)
    ticket.recall(now)
    store.save_ticket(session, ticket)
    lobby = layouts.layout(session, ctx.outlet)
    text = announce(lobby.policy, ticket.number, number, lobby.services[ticket.service_code])
    _ticket_event(
        session,
        operator,
        ctx,
        row,
        "recalled",
        now,
        call_count=ticket.call_count,
        announcement=text,
    )
    return CounterResult(ctx.outlet, ctx.counter, ticket, text)


def start(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    number: int,
    now: dt.datetime,
    expected_ticket_id: int | None = None,
) -> CounterResult:
    ctx, row, ticket = _current(session, operator, outlet_code, number, expected_ticket_id)
    ticket.start(now)
    store.save_ticket(session, ticket)
    _ticket_event(session, operator, ctx, row, "started", now)
    return CounterResult(ctx.outlet, ctx.counter, ticket)


def complete(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    number: int,
    now: dt.datetime,
    expected_ticket_id: int | None = None,
) -> CounterResult:
    ctx, row, ticket = _current(session, operator, outlet_code, number, expected_ticket_id)
    ticket.complete(now)
    store.save_ticket(session, ticket)
    teller_id = ctx.counter.teller_id
    ctx.counter.release()
    assert ticket.started_at is not None
    _ticket_event(
        session,
        operator,
        ctx,
        row,
        "completed",
        now,
        service_s=int((now - ticket.started_at).total_seconds()),
    )
    # The counter's rating pad asks this customer, and only this one, to rate.
    rating.prompt_after_service(session, ctx.outlet, ctx.row, number, row, teller_id, now)
    return CounterResult(ctx.outlet, ctx.counter, ticket)


def no_show(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    number: int,
    now: dt.datetime,
    expected_ticket_id: int | None = None,
) -> CounterResult:
    ctx, row, ticket = _current(session, operator, outlet_code, number, expected_ticket_id)
    ticket.no_show(now, layouts.layout(session, ctx.outlet).policy)
    store.save_ticket(session, ticket)
    ctx.counter.release()
    _ticket_event(session, operator, ctx, row, "no_show", now, call_count=ticket.call_count)
    return CounterResult(ctx.outlet, ctx.counter, ticket)


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
    ctx, row, ticket = _current(session, operator, outlet_code, number, expected_ticket_id)
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
    store.save_ticket(session, ticket)
    store.save_ticket(session, nxt)
    ctx.counter.release()
    _ticket_event(
        session,
        operator,
        ctx,
        row,
        "transferred",
        now,
        to_service=code,
        to_counter=target_counter,
        next_ticket_id=new_id,
    )
    return CounterResult(ctx.outlet, ctx.counter, nxt)


def set_services(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    number: int,
    services: list[str],
    now: dt.datetime,
) -> CounterResult:
    """The lobby manager changes which services a counter calls, most preferred first."""
    if not operator.manage:
        raise Forbidden("only the lobby manager changes what a counter serves", "counter")
    ctx = _open_ctx(session, operator, outlet_code, number)
    known = layouts.layout(session, ctx.outlet).services
    chosen = list(dict.fromkeys(s.strip() for s in services if s.strip()))
    if not chosen:
        raise InvalidInput("a counter serves at least one service", "services")
    for code in chosen:
        if code not in known:
            raise InvalidInput("unknown service {service}", "services", service=code)
    session.execute(
        update(LobbyCounter).where(LobbyCounter.id == ctx.row.id).values(services=chosen)
    )
    ctx = _open_ctx(session, operator, outlet_code, number)
    _finish(session, operator, ctx, "counter_services_changed", now, services=chosen)
    return CounterResult(ctx.outlet, ctx.counter)
