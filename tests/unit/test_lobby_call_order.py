"""Properties of the in-memory lobby's call order: every waiting ticket is eventually called,
each class gets its weight per cycle, FIFO holds within a class, and appointments falling due
are called by booked time."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter as Tally
from collections import defaultdict
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.lobby.domain.engine import Lobby
from manyi.lobby.domain.model import (
    Counter,
    CounterKind,
    CounterState,
    Outcome,
    Policy,
    PriorityClass,
    Service,
)
from manyi.lobby.domain.ticket import Ticket
from tests.lobby_strategies import CLASSES, T0, CallRecord, Setup, call, sec, setups, weights

# --- (2) everyone is called while counters keep calling -------------------------------


@st.composite
def arrivals(draw: st.DrawFn, codes: list[str]) -> list[tuple[str, PriorityClass, int, int | None]]:
    """(service, class, seconds after T0, appointment due in seconds after T0 or None)."""
    out = []
    for _ in range(draw(st.integers(1, 40))):
        klass = draw(st.sampled_from(CLASSES))
        due = None
        if klass is PriorityClass.APPOINTMENT:
            due = draw(st.one_of(st.none(), st.integers(-1800, 7200)))
        out.append((draw(st.sampled_from(codes)), klass, draw(st.integers(0, 600)), due))
    return out


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_every_waiting_ticket_is_eventually_called(data: st.DataObject) -> None:
    setup = data.draw(setups(cover=True))
    batch = data.draw(arrivals(setup.codes))
    round_s = data.draw(st.sampled_from([1, 30, 120, 600]))
    order = data.draw(st.permutations(range(1, len(setup.counters) + 1)))
    start_first = data.draw(st.booleans())
    lobby = setup.build()
    for code, klass, after, due in sorted(batch, key=lambda a: a[2]):
        lobby.issue(code, T0 + sec(after), klass, due_at=None if due is None else T0 + sec(due))
    log: list[CallRecord] = []
    now = T0 + sec(600)
    rounds = 0
    while lobby.waiting:
        rounds += 1
        # Each round every counter calls; someone is eligible somewhere, so someone is called.
        assert rounds <= len(batch), "a waiting ticket was never called"
        called_before = len(log)
        for cid in order:
            if call(lobby, cid, now, log) is not None:
                if start_first:
                    lobby.start(cid, now)
                lobby.complete(cid, now + sec(round_s / 2))
        assert len(log) > called_before
        now += sec(round_s)
    assert all(t.outcome is Outcome.SERVED for t in lobby.tickets.values())
    assert sorted(r.ticket.id for r in log) == sorted(lobby.tickets)
    assert all(c.state is CounterState.OPEN for c in lobby.counters.values())


# --- (3) the weighted cycle gives each class its weight --------------------------------


@settings(max_examples=100, deadline=None)
@given(
    weights,
    st.integers(1, 3),
    st.sampled_from([CounterKind.REGULAR, CounterKind.FLEXIBLE]),
    st.randoms(use_true_random=False),
    st.booleans(),
)
def test_backlogged_classes_get_calls_in_proportion_to_their_weights(
    w: dict[PriorityClass, int],
    cycles: int,
    kind: CounterKind,
    rnd: random.Random,
    booked: bool,
) -> None:
    lobby = Lobby.of(
        [Service("DEP", "存款", "A", 300)],
        [Counter(1, 1, kind, ("DEP",))],
        policy=Policy(weights=w),
    )
    lobby.open(1, 101, T0)
    # Everyone arrives at one instant and is called at it: nobody ages, nobody runs out.
    queue = [k for k in PriorityClass for _ in range(cycles * w[k] + 1)]
    rnd.shuffle(queue)
    for k in queue:
        due = T0 - sec(60) if booked and k is PriorityClass.APPOINTMENT else None
        lobby.issue("DEP", T0, k, due_at=due)
    total = sum(w.values())
    log: list[CallRecord] = []
    for cycle in range(1, cycles + 1):
        for _ in range(total):
            assert call(lobby, 1, T0, log) is not None
            lobby.complete(1, T0)
        got = Tally(r.ticket.klass for r in log)
        assert got == {k: cycle * w[k] for k in PriorityClass}, (cycle, got)
    assert {r.reason for r in log} == {"cycle"}
    assert all(Tally(t.klass for t in lobby.waiting)[k] == 1 for k in PriorityClass), (
        "every class stayed backlogged"
    )


# --- (4) FIFO within a class ----------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_cycle_calls_follow_queue_order_within_a_class(data: st.DataObject) -> None:
    """Same service, same class, both called by the cycle: the earlier queued is called first."""
    setup = data.draw(setups(cover=True))  # a service no counter serves issues no ticket
    ageing_s = data.draw(st.sampled_from([900, 1800, 4 * 3600]))
    setup = Setup(setup.services, setup.counters, replace(setup.policy, ageing_s=ageing_s))
    lobby = setup.build()
    ids = sorted(lobby.counters)
    steps = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(["issue", "issue", "serve"]),
                st.integers(0, 100),
                st.sampled_from(CLASSES),
                st.sampled_from([0, 0, 0, 1, 10, 60]),
            ),
            min_size=20,
            max_size=100,
        )
    )
    log: list[CallRecord] = []
    now = T0
    for kind, a, klass, step in steps:
        now += sec(step)
        if kind == "issue":
            # Appointments without a booked time: the class of every ticket stays put.
            lobby.issue(setup.codes[a % len(setup.codes)], now, klass)
        else:
            cid = ids[a % len(ids)]
            if lobby.counters[cid].current_ticket_id is not None:
                lobby.complete(cid, now)
            call(lobby, cid, now, log)
    lines: dict[tuple[str, PriorityClass], list[Ticket]] = defaultdict(list)
    for r in log:
        if r.reason == "cycle":
            lines[(r.ticket.service_code, r.ticket.klass)].append(r.ticket)
    for line in lines.values():
        queue_order = sorted(line, key=lambda t: (t.queued_at, t.id))
        assert [t.id for t in line] == [t.id for t in queue_order]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(list(CounterKind)), min_size=1, max_size=3),
    st.lists(
        st.tuples(
            st.sampled_from(["issue", "issue", "serve"]),
            st.sampled_from([PriorityClass.APPOINTMENT, PriorityClass.APPOINTMENT, *CLASSES]),
            st.integers(-20, 20),  # booked time, in minutes from arrival
            st.integers(0, 10),  # counter
            st.sampled_from([0, 0, 30, 120, 300]),
        ),
        min_size=10,
        max_size=80,
    ),
)
def test_due_appointments_are_called_by_booked_time(
    kinds: list[CounterKind], steps: list[tuple[str, PriorityClass, int, int, int]]
) -> None:
    """Appointments falling due join their class by booked time; early ones queue as normal."""
    lobby = Lobby.of(
        [Service("DEP", "存款", "A", 300)],
        [Counter(i, i, kind, ("DEP",)) for i, kind in enumerate(kinds, 1)],
        policy=Policy(ageing_s=4 * 3600),
    )
    for cid in lobby.counters:
        lobby.open(cid, 100 + cid, T0)
    log: list[CallRecord] = []
    now = T0
    for kind, klass, booked_min, counter, step in steps:
        now += sec(step)
        if kind == "issue":
            due = (
                now + dt.timedelta(minutes=booked_min)
                if klass is PriorityClass.APPOINTMENT
                else None
            )
            lobby.issue("DEP", now, klass, due_at=due)
        else:
            cid = counter % len(kinds) + 1
            if lobby.counters[cid].current_ticket_id is not None:
                lobby.complete(cid, now)
            call(lobby, cid, now, log)
    for r in log:
        assert r.reason in ("cycle", "own_lane")
        assert r.skipped == [], (r.ticket, r.skipped)
