"""Which waiting ticket a counter calls next: fair, explainable, pure.

The rules, in order (each one only narrows the candidates the next one sees):

1. **Eligible.** The ticket's service is one the counter serves and its
   signed-on teller has the skill for; a ticket transferred to one counter
   is eligible there only.
2. **Sent here.** Tickets transferred to this counter come first: the
   customer was told to go there.
3. **Own lane.** A fast-lane counter takes fast-lane services, a green
   counter green-channel customers, a VIP counter VIP customers, while any
   wait; when none does, the counter helps with the rest of its services.
4. **Ageing.** A ticket that has waited `policy.ageing_s` or longer is
   called before anything younger, oldest first: nobody waits without bound.
5. **Preference.** The counter's first service that has someone waiting.
6. **Weighted cycle.** Among the classes waiting for that service, a smooth
   weighted round robin: with weights green 2, VIP 1, appointment 1,
   normal 2 and everyone waiting, four of every six calls go to priority
   classes and two to normal ones, interleaved (never a run of priority
   calls that empties their queue first). A class with nobody waiting
   gives up its turn, so the counter never idles while anyone waits.
7. **FIFO.** Within a class, first queued first called; appointments that
   are due go by booked time. An appointment that is not yet due competes
   as a normal ticket, so an early customer can still be served early.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from manyi.lobby.domain.model import (
    Counter,
    CounterKind,
    Policy,
    PriorityClass,
    Service,
)
from manyi.lobby.domain.ticket import Ticket


@dataclass(frozen=True)
class Pick:
    """What `choose` answers: the ticket, why, and the counter's credits after the call."""

    ticket: Ticket
    reason: str  # sent_here | own_lane | aged | cycle
    credits: dict[str, int]  # the counter's weighted-cycle state after this call


def effective_class(ticket: Ticket, now: dt.datetime) -> PriorityClass:
    if (
        ticket.klass is PriorityClass.APPOINTMENT
        and ticket.due_at is not None
        and ticket.due_at > now
    ):
        return PriorityClass.NORMAL
    return ticket.klass


def fifo_key(ticket: Ticket, now: dt.datetime) -> tuple[dt.datetime, dt.datetime, int]:
    """Order within a class; due appointments go by their booked time."""
    if effective_class(ticket, now) is PriorityClass.APPOINTMENT and ticket.due_at is not None:
        return (ticket.due_at, ticket.queued_at, ticket.id)
    return (ticket.queued_at, ticket.queued_at, ticket.id)


def age_key(ticket: Ticket) -> tuple[dt.datetime, int]:
    return (ticket.queued_at, ticket.id)


def eligible(
    counter: Counter,
    waiting: Iterable[Ticket],
    services: Mapping[str, Service],
) -> list[Ticket]:
    serves: dict[str, bool] = {}  # service code -> whether the counter may serve it
    out = []
    for ticket in waiting:
        code = ticket.service_code
        ok = serves.get(code)
        if ok is None:  # once per service, not per ticket: the estimate asks a lot (issue 22)
            service = services.get(code)
            ok = serves[code] = service is not None and counter.can_serve(service)
        if not ok:
            continue
        if ticket.target_counter_id is not None and ticket.target_counter_id != counter.id:
            continue
        out.append(ticket)
    return out


def choose(
    counter: Counter,
    waiting: Sequence[Ticket],
    services: Mapping[str, Service],
    policy: Policy,
    now: dt.datetime,
) -> Pick | None:
    """The ticket `counter` should call now, or None when nobody it may serve waits. (The
    estimate's play answers the same from lines it keeps: `lines.Lines.choose`.)"""
    candidates = eligible(counter, waiting, services)
    if not candidates:
        return None
    credits = dict(counter.credits)

    sent_here = [t for t in candidates if t.target_counter_id == counter.id]
    if sent_here:
        return Pick(min(sent_here, key=age_key), "sent_here", credits)

    lane = _own_lane(counter, candidates, services)
    reason = "own_lane" if lane is not None else ""
    pool = lane if lane is not None else candidates

    # Queued by then: waited ageing_s or longer. In UTC: an aware time's own arithmetic is
    # the wall clock's, which a change of the clocks would put an hour out.
    aged_since = now.astimezone(dt.UTC) - dt.timedelta(seconds=policy.ageing_s)
    aged = [t for t in pool if t.queued_at <= aged_since]
    if aged:
        return Pick(min(aged, key=age_key), "aged", credits)

    for code in counter.services:
        for_service = [t for t in pool if t.service_code == code]
        if for_service:
            pool = for_service
            break

    by_class: dict[PriorityClass, list[Ticket]] = {}
    for ticket in pool:
        by_class.setdefault(effective_class(ticket, now), []).append(ticket)
    klass = next_class(credits, {k: policy.weights[k] for k in by_class})
    line = by_class[klass]
    if klass is PriorityClass.APPOINTMENT:
        ticket = min(line, key=lambda t: fifo_key(t, now))
    else:  # fifo_key of a class other than due appointments is (queued_at, queued_at, id)
        ticket = min(line, key=age_key)
    return Pick(ticket, reason or "cycle", credits)


def next_class(credits: dict[str, int], weights: Mapping[PriorityClass, int]) -> PriorityClass:
    """Smooth weighted round robin over the classes present; updates `credits` in place.

    Every present class earns its weight; the richest is chosen and pays the
    total. Absent classes lose any credit they held, so a class that was
    empty for a while cannot come back with a burst of saved-up turns.
    """
    for name in list(credits):
        if PriorityClass(name) not in weights:
            del credits[name]
    total = sum(weights.values())
    order = list(PriorityClass)
    best: PriorityClass | None = None
    for klass in sorted(weights, key=lambda k: -order.index(k)):  # green wins ties
        credits[klass.value] = credits.get(klass.value, 0) + weights[klass]
        if best is None or credits[klass.value] > credits[best.value]:
            best = klass
    assert best is not None
    credits[best.value] -= total
    return best


def _own_lane(
    counter: Counter, candidates: list[Ticket], services: Mapping[str, Service]
) -> list[Ticket] | None:
    kind = counter.kind
    if kind not in _LANE_KINDS:
        return None
    lane = [t for t in candidates if in_own_lane(kind, services[t.service_code], t.klass)]
    return lane or None


_LANE_KINDS = frozenset({CounterKind.FAST_LANE, CounterKind.GREEN, CounterKind.VIP})


def in_own_lane(kind: CounterKind, service: Service, klass: PriorityClass) -> bool:
    """Whether a ticket of `service` and `klass` is in the own lane of a counter of `kind`:
    fast-lane services at a fast-lane counter, green-channel customers at a green one, VIP
    customers at a VIP one; other counters have none."""
    if kind is CounterKind.FAST_LANE:
        return service.fast_lane
    if kind is CounterKind.GREEN:
        return klass is PriorityClass.GREEN
    if kind is CounterKind.VIP:
        return klass is PriorityClass.VIP
    return False


def requeue_time(
    ticket: Ticket, waiting: Iterable[Ticket], now: dt.datetime, behind: int
) -> dt.datetime:
    """The queue time that puts a returning no-show behind `behind` people.

    Only the people waiting for the same service in the same class count:
    they are the ones the customer would overtake. With fewer waiting, the
    customer goes to the back of that line.
    """
    same = sorted(
        (
            t
            for t in waiting
            if t.id != ticket.id
            and t.service_code == ticket.service_code
            and t.klass is ticket.klass
        ),
        key=age_key,
    )
    if not same:
        return now
    if behind == 0:
        return min(same[0].queued_at - dt.timedelta(microseconds=1), now)
    index = min(behind, len(same)) - 1
    anchor = same[index].queued_at
    if index + 1 < len(same):
        gap = same[index + 1].queued_at - anchor
        return anchor + max(gap / 2, dt.timedelta(microseconds=1))
    return anchor + dt.timedelta(microseconds=1)
