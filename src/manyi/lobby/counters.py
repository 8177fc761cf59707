"""Counter use cases: sign on and off, pause, call next, and act on the current customer
(transfers are in `transfers.py`; what the actions share, in `counter_ctx.py`).

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

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from manyi.lobby import events, layouts, ports, rating, store
from manyi.lobby.counter_ctx import (
    CounterResult,
    Ctx,
    current,
    finish,
    may_work,
    open_ctx,
    ticket_event,
    ticket_event_of,
)
from manyi.lobby.domain import dispatch
from manyi.lobby.domain.model import Counter, CounterState
from manyi.lobby.service import Operator, announce, audited, outlet_for, record_if_claimed
from manyi.lobby.tables import LobbyCounter
from manyi.org.model import Permission
from manyi.org.tables import Staff

CLAIM_ATTEMPTS = 16


def open_counter(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    number: int,
    now: dt.datetime,
    teller_username: str | None = None,
) -> CounterResult:
    """A teller signs on to a counter (a lobby manager may sign a teller on)."""
    ctx = open_ctx(session, operator, outlet_code, number)
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
    # The first sign-on of a business day sends home the uncalled tickets the queue has
    # left behind (at an outlet open around the clock, only those of the day before).
    policy = layouts.layout(session, ctx.outlet).policy
    expired = store.expire_stale(session, ctx.outlet.id, policy.first_queue_day(now), now)
    for ticket_id, ticket_number, service_code in expired:
        # Each one ends with its own event, as a cancellation at the kiosk does: the event
        # stream gives it the outcome `cancelled`, which the roll-ups count as abandonment.
        # Nobody cancelled it (no staff member, no audit entry): the queue was left over.
        events.emit(
            session,
            ctx.outlet.id,
            "cancelled",
            now,
            ticket_id=ticket_id,
            data={"number": ticket_number, "service": service_code, "expired": True},
        )
    finish(session, operator, ctx, "counter_opened", now, teller_id=teller_id, expired=len(expired))
    return CounterResult(ctx.outlet, ctx.counter)


def close_counter(
    session: Session, operator: Operator, outlet_code: str | None, number: int, now: dt.datetime
) -> CounterResult:
    ctx = open_ctx(session, operator, outlet_code, number)
    if operator.device_id is not None:
        raise Forbidden("a teller signs off with their own account", "counter")
    may_work(operator, ctx)
    ctx.counter.close()
    # Customers sent to this counter go back to the service's common line.
    released = store.release_targeted(session, ctx.counter.id)
    finish(session, operator, ctx, "counter_closed", now, released=released)
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
    ctx = open_ctx(session, operator, outlet_code, number)
    may_work(operator, ctx)
    change(ctx.counter)
    finish(session, operator, ctx, kind, now)
    return CounterResult(ctx.outlet, ctx.counter)


# --- calling --------------------------------------------------------------------


def call_next(
    session: Session, operator: Operator, outlet_code: str | None, number: int, now: dt.datetime
) -> CounterResult:
    """Call the ticket this counter should serve now; `ticket` is None when nobody waits."""
    outlet = outlet_for(session, operator, outlet_code)
    lobby = layouts.layout(session, outlet)
    policy, services = lobby.policy, lobby.services
    since = policy.first_queue_day(now)
    # The counter locked and whom it may call, read together (one statement on PostgreSQL).
    row, skills, waiting = store.lock_counter_for_call(session, outlet.id, number, since)
    ctx = Ctx(outlet, row, store.counter_of(row, skills))
    may_work(operator, ctx)
    ctx.counter.ready_to_call()
    counter = ctx.counter
    before = (counter.credits, counter.state, counter.current_ticket_id)
    for attempt in range(CLAIM_ATTEMPTS):
        pick = dispatch.choose(counter, waiting, services, policy, now)
        if pick is None:
            return CounterResult(ctx.outlet, counter)
        ticket = pick.ticket
        read = store.fields_of(ticket)
        ticket.call(counter.id, counter.teller_id, now)
        counter.credits = pick.credits
        counter.take(ticket.id)
        text = announce(policy, ticket.number, counter.number, services[ticket.service_code])
        # The claim (the ticket still waiting), the counter and the event in one statement on
        # PostgreSQL; nothing is written when another counter took the ticket first.
        if record_if_claimed(
            session,
            operator,
            ctx.outlet,
            store.claim(session, ticket, read),
            "called",
            now,
            ticket_id=ticket.id,
            counter_id=ctx.row.id,
            data={
                "number": ticket.number,
                "service": ticket.service_code,
                "class": ticket.klass.value,
                "counter": counter.number,
                "reason": pick.reason,
                "waited_s": int((now - ticket.issued_at).total_seconds()),
                "announcement": text,
            },
            along=[store.counter_write(session, counter, now)],
        ):
            break
        # Another counter took it first: choose again without it (and, after a few misses,
        # from a fresh look at the queue: the read holds the front few of each line only).
        counter.credits, counter.state, counter.current_ticket_id = before
        waiting = [t for t in waiting if t.id != ticket.id]
        if (attempt + 1) % store.MISSES_BEFORE_REREAD == 0:
            waiting = store.load_waiting(session, ctx.outlet.id, counter.services, since)
    else:
        raise Conflict("the queue is too busy right now; press next again", "counter")
    return CounterResult(ctx.outlet, ctx.counter, ticket, text, pick.reason)


def recall(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    number: int,
    now: dt.datetime,
    expected_ticket_id: int | None = None,
) -> CounterResult:
    ctx, row, ticket = current(session, operator, outlet_code, number, expected_ticket_id)
    ticket.recall(now)
    lobby = layouts.layout(session, ctx.outlet)
    text = announce(lobby.policy, ticket.number, number, lobby.services[ticket.service_code])
    ticket_event(
        session,
        operator,
        ctx,
        row,
        "recalled",
        now,
        ticket,
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
    ctx, row, ticket = current(session, operator, outlet_code, number, expected_ticket_id)
    ticket.start(now)
    ticket_event(session, operator, ctx, row, "started", now, ticket)
    return CounterResult(ctx.outlet, ctx.counter, ticket)


def complete(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    number: int,
    now: dt.datetime,
    expected_ticket_id: int | None = None,
) -> CounterResult:
    ctx, row, ticket = current(session, operator, outlet_code, number, expected_ticket_id)
    ticket.complete(now)
    teller_id = ctx.counter.teller_id
    ctx.counter.release()
    assert ticket.started_at is not None
    done = ticket_event_of(
        session,
        operator,
        ctx,
        row,
        "completed",
        now,
        ticket,
        service_s=int((now - ticket.started_at).total_seconds()),
    )
    # A survey may be offered for this visit at once (quality, through the lobby's port); its
    # invitation goes with the rating prompt: the counter's pad asks this customer, and only
    # this one, to rate. The completion's event is written in the prompt's statement, first.
    served = ports.ServedTicket(
        ctx.outlet.id,
        ctx.outlet.path,
        row.id,
        row.local_day,
        row.number,
        ticket.teller_id,
        row.service_code,
    )
    invitation = ports.surveys().ticket_served(session, served, now)
    rating.prompt_after_service(
        session,
        ctx.outlet,
        ctx.row.id,
        number,
        row,
        teller_id,
        now,
        (invitation,) if invitation else (),
        after=done,
    )
    audited(
        session, operator, ctx.outlet, done.kind, now, done.ticket_id, done.counter_id, done.data
    )
    return CounterResult(ctx.outlet, ctx.counter, ticket)


def no_show(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    number: int,
    now: dt.datetime,
    expected_ticket_id: int | None = None,
) -> CounterResult:
    ctx, row, ticket = current(session, operator, outlet_code, number, expected_ticket_id)
    ticket.no_show(now, layouts.layout(session, ctx.outlet).policy)
    ctx.counter.release()
    ticket_event(session, operator, ctx, row, "no_show", now, ticket, call_count=ticket.call_count)
    return CounterResult(ctx.outlet, ctx.counter, ticket)


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
    ctx = open_ctx(session, operator, outlet_code, number)
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
    ctx = open_ctx(session, operator, outlet_code, number)
    finish(session, operator, ctx, "counter_services_changed", now, services=chosen)
    return CounterResult(ctx.outlet, ctx.counter)
