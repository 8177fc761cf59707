"""The event loop of a plain replication: the same calls as `replication._Run`, fewer steps.

A scenario is *plain* when its counters are open the whole run, nobody is a
no-show, is transferred or gives up, no staffing rule runs, and the floor is
the fast one. That is the steady-state queue (M/M/c and its priority-class
variants), where a run is hundreds of thousands of customers and the loop's
own bookkeeping, not the lobby's rules, would be most of the time.

Nothing about the lobby changes: tickets are issued, called and completed by
the same `FastFloor` (so every call is `dispatch.choose`'s, and every change a
`lobby.model` transition), the random streams are the same and drawn in the
same order, and events are pushed in the same order, so ties fall the same
way. A run gives exactly the `Replication` of `replication._Run` (calls,
waits, counter times: `tests/unit/test_simulation_fast_paths.py` checks it). What
it leaves out is what a plain scenario never needs: a `Visit` per customer
and the map from tickets to visits (ticket ids are the customers' order of
arrival, since no ticket is ever transferred), the events of recalls,
giving up, windows and staffing decisions, and `needed` (nobody is ever
about to be transferred to a counter).
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
from typing import Final

from manyi.forecast.floor import FastFloor, lobby_counters, lobby_services, start_time
from manyi.forecast.records import Call, CounterControl, CounterTime, Customer, Replication
from manyi.forecast.sampling import CustomerSource
from manyi.forecast.scenario import Scenario
from manyi.lobby.domain.model import PriorityClass

# Event kinds, the third item of a heap entry (t, seq, kind, what).
ARRIVE: Final = 0
DONE: Final = 1
HORIZON: Final = 2
_UTC: Final = dt.UTC
_VALUE: Final = {k: k.value for k in PriorityClass}


def is_plain(scenario: Scenario, engine: str, control: CounterControl | None) -> bool:
    return (
        engine == "fast"
        and control is None
        and all(c.open is None for c in scenario.counters)
        and all(
            not s.no_show_share and not s.transfer_share and s.patience is None
            for s in scenario.services
        )
    )


def run_plain(scenario: Scenario, index: int, trace: bool = False) -> Replication:
    """One replication of a plain scenario (see `is_plain`)."""
    sc = scenario
    base_ts = start_time(sc).timestamp()
    from_ts = dt.datetime.fromtimestamp

    def when(t: float) -> dt.datetime:
        return from_ts(base_ts + t, _UTC)

    counters, skills = lobby_counters(sc)
    floor = FastFloor(lobby_services(sc), counters, sc.policy, skills)
    serves = [frozenset(s.code for s in sc.services if spec.serves(s)) for spec in sc.counters]
    n = len(counters)
    warmup = sc.warmup_s
    calls: list[Call] | None = [] if trace else None

    # Per customer, in order of arrival (customer k holds ticket k + 1).
    issued: list[float] = []
    codes: list[str] = []
    klasses: list[PriorityClass] = []
    lengths: list[float] = []
    called: list[float | None] = []
    # Per counter.
    serving: list[int | None] = [None] * n  # the customer at the counter
    busy_since = [0.0] * n
    busy_s = [0.0] * n
    opened_at: list[float | None] = [None] * n
    open_s = [0.0] * n
    idle: list[int] = []  # counters with nobody to call, idle longest first
    end_s = sc.horizon_s

    heap: list[tuple[float, int, int, object]] = []
    push, pop = heapq.heappush, heapq.heappop
    seq = 0

    def shut(d: int, t: float, now: dt.datetime) -> None:
        nonlocal end_s
        floor.close(counters[d], now)
        if d in idle:
            idle.remove(d)
        since = opened_at[d]
        assert since is not None
        if t > warmup:
            open_s[d] += t - max(since, warmup)
        opened_at[d] = None
        end_s = max(end_s, t)

    # Every counter opens at 0, in order, and finds nobody to call.
    for d, counter in enumerate(counters):
        floor.open(counter, when(0.0))
        opened_at[d] = 0.0
        idle.append(d)
    lines = [CustomerSource(s, sc, index) for s in sc.services]
    for source in lines:
        first = source.clock.next_after(0.0)
        if first is not None:
            seq += 1
            push(heap, (first, seq, ARRIVE, source))
    seq += 1
    push(heap, (sc.horizon_s, seq, HORIZON, None))

    draining = False
    while heap:
        t, _, kind, what = pop(heap)
        if kind == ARRIVE:
            line: CustomerSource = what  # type: ignore[assignment]
            later = line.clock.next_after(t)
            if later is not None:
                seq += 1
                push(heap, (later, seq, ARRIVE, line))
            code = line.code
            klass = line.only or line.klass()
            lengths.append(line.draw_service())
            issued.append(t)
            codes.append(code)
            klasses.append(klass)
            called.append(None)
            now = from_ts(base_ts + t, _UTC)
            floor.issue(code, klass, now)
            for d in idle:  # idle counters able to serve it call next, idle longest first
                if code in serves[d]:
                    ticket = floor.call_next(counters[d], now)
                    if ticket is not None:
                        idle.remove(d)
                        break
            else:
                continue  # nobody called: the customer waits
        elif kind == DONE:
            d = what  # type: ignore[assignment]
            now = from_ts(base_ts + t, _UTC)
            floor.complete(counters[d], now)
            if t > warmup:
                busy_s[d] += t - max(busy_since[d], warmup)
            serving[d] = None
            ticket = floor.call_next(counters[d], now)
            if ticket is None:
                if draining:
                    shut(d, t, now)
                else:
                    idle.append(d)
                continue
        elif sc.drain:  # the horizon: the doors close; idle counters go home
            draining = True
            now = when(t)
            for d in list(idle):
                shut(d, t, now)
            continue
        else:  # the horizon, and the run stops
            for d in range(n):
                if serving[d] is not None and t > warmup:
                    busy_s[d] += t - max(busy_since[d], warmup)
                since = opened_at[d]
                if since is not None and t > warmup:
                    open_s[d] += t - max(since, warmup)
                    opened_at[d] = None
            break
        # Counter d has called `ticket` (written here, not in a function: once per customer,
        # and a Python call costs about as much as the rest of this block).
        assert ticket is not None
        k = ticket.id - 1
        called[k] = t
        serving[d] = k
        busy_since[d] = t
        if calls is not None:
            value = _VALUE[ticket.klass]
            calls.append(Call(t, counters[d].number, ticket.id, ticket.service_code, value))
        seq += 1
        push(heap, (t + lengths[k], seq, DONE, d))

    for d in range(n):  # a counter still open when the events ran out
        since = opened_at[d]
        if since is not None and sc.drain:
            shut(d, max(end_s, since), when(end_s))
    simulated = len(issued)
    # Customers arrive in order, so those counted (issued from the warm-up on) are a tail.
    first = bisect.bisect_left(issued, warmup)
    issued, codes, klasses, called = issued[first:], codes[first:], klasses[first:], called[first:]
    waits = [None if c is None else c - i for i, c in zip(issued, called, strict=True)]
    values = [_VALUE[k] for k in klasses]
    outcomes = ["unserved" if c is None else "served" for c in called]
    rows = zip(issued, codes, values, waits, outcomes, itertools.repeat(False), strict=False)
    # tuple.__new__ makes each record as NamedTuple's own __new__ would, without its Python call.
    customers = tuple(map(tuple.__new__, itertools.repeat(Customer), rows))
    return Replication(
        index,
        customers,
        tuple(CounterTime(c.number, busy_s[d], open_s[d]) for d, c in enumerate(counters)),
        simulated,
        end_s,
        tuple(calls or ()),
    )
