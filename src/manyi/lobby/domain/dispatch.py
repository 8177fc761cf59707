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
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

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
    ticket: Ticket
    reason: str  # sent_here | own_lane | aged | cycle
    credits: dict[str, int]  # the counter's weighted-cycle state after this call


# Enum members as plain names: reading one through its class (`PriorityClass.VIP`)
# goes through `EnumType.__getattr__` in Python 3.11, a Python-level hook, and
# `choose` reads them for every ticket it looks at.
_APPOINTMENT: Final = PriorityClass.APPOINTMENT
_NORMAL: Final = PriorityClass.NORMAL
_GREEN: Final = PriorityClass.GREEN
_VIP: Final = PriorityClass.VIP
_FAST_LANE_COUNTER: Final = CounterKind.FAST_LANE
_GREEN_COUNTER: Final = CounterKind.GREEN
_VIP_COUNTER: Final = CounterKind.VIP
_UTC: Final = dt.UTC


def effective_class(ticket: Ticket, now: dt.datetime) -> PriorityClass:
    if ticket.klass is _APPOINTMENT and ticket.due_at is not None and ticket.due_at > now:
        return _NORMAL
    return ticket.klass


def fifo_key(ticket: Ticket, now: dt.datetime) -> tuple[dt.datetime, dt.datetime, int]:
    """Order within a class; due appointments go by their booked time."""
    if effective_class(ticket, now) is _APPOINTMENT and ticket.due_at is not None:
        return (ticket.due_at, ticket.queued_at, ticket.id)
    return (ticket.queued_at, ticket.queued_at, ticket.id)


def age_key(ticket: Ticket) -> tuple[dt.datetime, int]:
    return (ticket.queued_at, ticket.id)


def eligible(
    counter: Counter,
    waiting: Iterable[Ticket],
    services: Mapping[str, Service],
) -> list[Ticket]:
    out = []
    for ticket in waiting:
        service = services.get(ticket.service_code)
        if service is None or not counter.can_serve(service):
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
    """The ticket `counter` should call now, or None when nobody it may serve waits.

    The simulator calls this for every call it simulates, so it takes a few
    shortcuts; the comment at each says why it gives exactly what the plain
    rule would (the same ticket, reason, credits and errors).
    """
    # Rule 1 as in `eligible`, asking `can_serve` once per service code rather
    # than once per ticket, in a pass that also notes whether rule 2 applies (a
    # ticket with a target is eligible only at that counter, so an eligible one
    # was sent here) and whether `services` files a service under another code
    # than its own (see the preference scan; the flag only asks for that scan).
    candidates = []
    any_sent_here = False
    misfiled = False
    servable: dict[str, bool] = {}
    counter_id = counter.id
    for ticket in waiting:
        code = ticket.service_code
        ok = servable.get(code)
        if ok is None:
            service = services.get(code)
            ok = servable[code] = service is not None and counter.can_serve(service)
            if service is not None and ok and service.code != code:
                misfiled = True
        if not ok:
            continue
        target = ticket.target_counter_id
        if target is not None:
            if target != counter_id:
                continue
            any_sent_here = True
        candidates.append(ticket)
    if not candidates:
        return None
    credits = dict(counter.credits)

    if any_sent_here:
        sent_here = [t for t in candidates if t.target_counter_id == counter_id]
        return Pick(_first_queued(sent_here), "sent_here", credits)

    lane = _own_lane(counter, candidates, services)
    reason = "own_lane" if lane is not None else ""
    pool = lane if lane is not None else candidates

    aged = _aged(pool, now, policy.ageing_s)
    if aged:
        return Pick(_first_queued(aged), "aged", credits)

    # At a counter with one service the scan would only copy the pool: every
    # candidate is for that service, since `can_serve` checked the code of its
    # service, which is the ticket's own unless `services` files it elsewhere.
    if misfiled or len(counter.services) > 1:
        for code in counter.services:
            for_service = [t for t in pool if t.service_code == code]
            if for_service:
                pool = for_service
                break

    by_class: dict[PriorityClass, list[Ticket]] = {}
    weights: dict[PriorityClass, int] = {}  # of the classes present
    for ticket in pool:
        # Only an appointment's class depends on the time (`effective_class`).
        klass = ticket.klass
        if klass is _APPOINTMENT:
            klass = effective_class(ticket, now)
        line = by_class.get(klass)
        if line is None:
            by_class[klass] = [ticket]
            weights[klass] = policy.weights[klass]
        else:
            line.append(ticket)
    klass = next_class(credits, weights)
    line = by_class[klass]
    if len(line) == 1:  # the only one waiting is first in line
        ticket = line[0]
    elif klass is _APPOINTMENT:
        ticket = min(line, key=lambda t: fifo_key(t, now))
    else:  # outside the appointment class `fifo_key` is (queued, queued, id): `age_key`
        ticket = _first_queued(line)
    return Pick(ticket, reason or "cycle", credits)


def _first_queued(tickets: list[Ticket]) -> Ticket:
    """`min(tickets, key=age_key)`, comparing the two fields rather than a tuple per ticket.

    A tuple compares its first items with == and, if they differ, with <; this
    does the same in the other order, which gives the same answer for datetimes
    (aware and naive mixed raise TypeError either way), and like `min` it keeps
    the first of equals.
    """
    best = tickets[0]
    for ticket in tickets:
        queued, first = ticket.queued_at, best.queued_at
        if queued < first or (queued == first and ticket.id < best.id):
            best = ticket
    return best


def _aged(pool: list[Ticket], now: dt.datetime, ageing_s: int) -> list[Ticket]:
    """The tickets in `pool` that have waited `ageing_s` or longer (rule 4)."""
    if type(ageing_s) is int:
        # The plain rule below without a float per ticket, and the same: the
        # wait is whole microseconds and the threshold whole seconds (at most
        # 4 h, where the wait as a float is too fine to round up to it).
        ageing = _seconds(ageing_s)
        if now.tzinfo is _UTC and now.year > 1:
            # In UTC the clock has no jumps, so "waited `ageing` or longer" is
            # "queued at or before `now - ageing`", one subtraction for all:
            # a ticket in another zone is compared in UTC, as its wait would be
            # computed (year 1: `now - ageing` might fall before datetime.min).
            cutoff = now - ageing
            return [t for t in pool if t.queued_at <= cutoff]
        # Elsewhere each ticket keeps its own subtraction rather than sharing a
        # cutoff: in a zone with daylight saving `now - ageing` is wall-clock
        # arithmetic, off by the clock change.
        return [t for t in pool if now - t.queued_at >= ageing]
    return [t for t in pool if (now - t.queued_at).total_seconds() >= ageing_s]


@functools.cache
def _seconds(n: int) -> dt.timedelta:
    return dt.timedelta(seconds=n)  # made once for each threshold: it is not cheap


# Built once rather than on every call. Ties in the weighted cycle go to the
# class declared last (green, then VIP, appointment, normal), each with the
# name its credit is kept under.
_TIE_ORDER: tuple[tuple[PriorityClass, str], ...] = tuple(
    (klass, klass.value) for klass in reversed(PriorityClass)
)
_CLASS_OF: dict[str, PriorityClass] = {klass.value: klass for klass in PriorityClass}


def next_class(credits: dict[str, int], weights: Mapping[PriorityClass, int]) -> PriorityClass:
    """Smooth weighted round robin over the classes present; updates `credits` in place.

    Every present class earns its weight; the richest is chosen and pays the
    total. Absent classes lose any credit they held, so a class that was
    empty for a while cannot come back with a burst of saved-up turns.
    """
    for name in list(credits):
        klass = _CLASS_OF.get(name)
        if klass is None:
            klass = PriorityClass(name)  # not a class: raises ValueError
        if klass not in weights:
            del credits[name]
    total = sum(weights.values())
    best: PriorityClass | None = None
    best_name, best_credit = "", 0
    for klass, name in _TIE_ORDER:
        if klass not in weights:
            continue
        credits[name] = credit = credits.get(name, 0) + weights[klass]
        if best is None or credit > best_credit:
            best, best_name, best_credit = klass, name, credit
    assert best is not None
    credits[best_name] -= total
    return best


def _own_lane(
    counter: Counter, candidates: list[Ticket], services: Mapping[str, Service]
) -> list[Ticket] | None:
    kind = counter.kind
    if kind is _FAST_LANE_COUNTER:
        lane = [t for t in candidates if services[t.service_code].fast_lane]
    elif kind is _GREEN_COUNTER:
        lane = [t for t in candidates if t.klass is _GREEN]
    elif kind is _VIP_COUNTER:
        lane = [t for t in candidates if t.klass is _VIP]
    else:
        return None
    return lane or None


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
