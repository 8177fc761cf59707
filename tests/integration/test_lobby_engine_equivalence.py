"""One lobby, two implementations: the in-memory `Lobby` and the database use cases agree.

The same random day (issue, call, recall, start, complete, no-show, re-queue, transfer to a
service or a counter, cancel, open, close, pause, resume) is applied to both, step by step.
After every step they must have done the same thing (the same ticket called at the same
counter for the same reason, or a refusal of the same kind), written the same events, and
hold the same state: every ticket's fields, every counter's state, teller, current customer
and weighted-cycle credits. Each example also draws how many plain normal tickets per service
call-next reads (`store.NORMAL_HEAD`), so that a short read is checked to lose no choice.

Times are a fixed start plus the steps hypothesis draws. The database side is the outlet
OUT-A, emptied and laid out afresh for each example (`tests/lobby_twin.py`); the differences
the two sides are allowed are listed there (`FIELDS`, `lifecycle_kinds`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter as Counter_
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from manyi.db import Database
from manyi.lobby import store
from manyi.lobby.domain import dispatch
from manyi.lobby.domain.engine import Lobby
from manyi.lobby.domain.estimate import DispatchEstimate, standing
from manyi.lobby.domain.model import (
    Channel,
    Counter,
    CounterKind,
    CounterState,
    Outcome,
    Policy,
    PriorityClass,
    Service,
)
from manyi.lobby.domain.ticket import Ticket
from tests.conftest import Bank
from tests.lobby_twin import (
    CounterPlan,
    DbTwin,
    LayoutPlan,
    assert_same_state,
    lifecycle_kinds,
    open_twin,
    outcome,
)

# 08:59:30 in Beijing on a Monday: the first half minute falls before opening time (09:00).
T0 = dt.datetime(2026, 11, 30, 0, 59, 30, tzinfo=dt.UTC)
# Half the customers are normal, as in a branch; the rest spread over the priority classes.
CLASSES = [*[PriorityClass.NORMAL] * 4, *PriorityClass]
SKILLS = ("fx", "loan")
MAX_COUNTERS = 5


def sec(n: int) -> dt.timedelta:
    return dt.timedelta(seconds=n)


# --- strategies -------------------------------------------------------------------------


@st.composite
def plans(draw: st.DrawFn) -> LayoutPlan:
    """2–4 services (the last a fast lane), a fast-lane and a flexible counter and up to
    three more of any kind, random weights, ageing, no-show and re-queue settings."""
    n = draw(st.integers(2, 4))
    services = tuple(
        Service(
            code=f"S{i}",
            name_zh=f"业务{i}",
            prefix="ABCD"[i],
            expected_service_s=draw(st.integers(60, 1200)),
            fast_lane=i == n - 1 or draw(st.booleans()),
            skill=None if i == n - 1 else draw(st.sampled_from([None, None, *SKILLS])),
        )
        for i in range(n)
    )
    codes = [s.code for s in services]
    some = st.lists(st.sampled_from(codes), min_size=1, unique=True)
    kinds = [CounterKind.FAST_LANE, CounterKind.FLEXIBLE]
    kinds += draw(st.lists(st.sampled_from(list(CounterKind)), max_size=MAX_COUNTERS - 2))
    counters = []
    for kind in draw(st.permutations(kinds)):
        served = draw(some)
        if kind is CounterKind.FAST_LANE and codes[-1] not in served:
            served = [codes[-1], *served]
        if kind is CounterKind.FLEXIBLE and len(served) < 2:
            served = [*served, next(c for c in codes if c not in served)]
        skills = frozenset(draw(st.sets(st.sampled_from(SKILLS))))
        counters.append(CounterPlan(kind, tuple(served), skills))
    policy = Policy(
        weights=draw(st.fixed_dictionaries({k: st.integers(1, 6) for k in PriorityClass})),
        ageing_s=draw(st.sampled_from([300, 900, 1800])),
        no_show_after_calls=draw(st.sampled_from([1, 1, 2, 3])),
        requeue_grace_s=draw(st.sampled_from([0, 1800, 3600])),
        requeue_behind=draw(st.integers(0, 5)),
        opens_at=dt.time(9),
        closes_at=dt.time(17),
    )
    return LayoutPlan(services, tuple(counters), policy)


OPS = [
    *["issue"] * 9,
    *["call"] * 2,
    *["serve"] * 3,  # complete the current customer, if any, then call the next
    *["recall"] * 2,
    "start",
    *["complete"] * 2,
    "no_show",
    *["miss"] * 3,  # recall the current customer until a no-show is allowed, then mark it
    *["requeue"] * 3,
    *["transfer_service"] * 2,
    *["transfer_counter"] * 2,
    "cancel",
    *["open"] * 2,
    "close",
    "pause",
    *["resume"] * 2,
]
Step = tuple[str, int, int, int]  # operation, a, b, seconds to wait first
days = st.lists(
    st.tuples(
        st.sampled_from(OPS),
        st.integers(0, 1000),
        st.integers(0, 1000),
        st.sampled_from([0, 0, 0, 1, 5, 30, 60, 120, 300]),
    ),
    min_size=40,
    max_size=100,
)


# --- the outlet ---------------------------------------------------------------------------


@pytest.fixture
def twin(db: Database, bank: Bank) -> Iterator[DbTwin]:
    """Outlet OUT-A with a lobby manager (who acts) and one teller per counter."""
    with open_twin(db, bank.unit("OUT-A"), MAX_COUNTERS) as made:
        yield made


# --- one day, applied to both ---------------------------------------------------------------


@dataclass
class Day:
    plan: LayoutPlan
    lobby: Lobby
    twin: DbTwin
    engine_events: int = 0  # how many of each side's events were compared
    last_event_id: int = 0

    def same_events(self, step: int) -> None:
        """The step recorded the same lobby events, in the same order, on both sides."""
        mine = [e.kind for e in self.lobby.events[self.engine_events :]]
        self.engine_events = len(self.lobby.events)
        theirs, self.last_event_id = self.twin.event_kinds(self.last_event_id)
        assert lifecycle_kinds(mine, engine=True) == lifecycle_kinds(theirs, engine=False), (
            f"step {step}: events engine {mine}, database {theirs}"
        )

    def both(self, engine: Any, database: Any, what: str) -> tuple[Any, Any]:
        """Run one operation on each; they must both succeed or both refuse alike."""
        mine, theirs = outcome(engine), outcome(database)
        alike = mine == theirs if mine[0] == "refused" else theirs[0] == "ok"
        assert alike, f"{what}: engine {mine}, database {theirs}"
        event(f"{what.split()[0]}: {mine[0] if mine[0] == 'ok' else mine[1]}")
        return mine[1], theirs[1]

    def call(self, counter: Counter, now: dt.datetime) -> None:
        lobby, cid = self.lobby, counter.id
        pick = None
        if counter.state is CounterState.OPEN:  # the engine's choice, and why
            pick = dispatch.choose(counter, lobby.waiting, lobby.services, lobby.policy, now)
        mine, theirs = self.both(
            lambda: lobby.call_next(cid, now),
            lambda: self.twin.counter_action("call_next", counter.number, now),
            f"call at counter {counter.number}",
        )
        if isinstance(theirs, tuple):  # both refused
            return
        expected = None if mine is None else self.twin.ids[mine.id]
        called = None if theirs.ticket is None else theirs.ticket.id
        assert called == expected, f"counter {counter.number}: engine {mine}, database {theirs}"
        if mine is not None:
            assert pick is not None and theirs.reason == pick.reason, (pick, theirs.reason)
            event(f"a call for reason {pick.reason}")

    def apply(self, op: str, a: int, b: int, now: dt.datetime) -> None:
        lobby, twin = self.lobby, self.twin
        counter = counter_for(lobby, op, a, b)
        cid, n = counter.id, counter.number
        codes = sorted(lobby.services)
        if op == "issue":
            klass = CLASSES[b % len(CLASSES)]
            due = None
            if klass is PriorityClass.APPOINTMENT and b % 7 != 6:
                due = now + sec((b % 7 - 3) * 600)  # booked from 30 min ago to 20 min ahead
            code = codes[a % len(codes)]
            mine, theirs = self.both(
                lambda: lobby.issue(code, now, klass, Channel.LOBBY_MANAGER, due),
                lambda: twin.issue(code, now, klass, due),
                f"issue {code} {klass}",
            )
            if isinstance(mine, Ticket):
                twin.ids[mine.id] = theirs.ticket.id
                found = standing(lobby.view(now), mine)
                assert (mine.number, theirs.people_ahead) == (
                    theirs.ticket.number,
                    None if found is None else found.ahead,
                )
        elif op == "call":
            self.call(counter, now)
        elif op == "miss":
            ticket = None if counter.current_ticket_id is None else lobby.current(cid)
            recalls = 0 if ticket is None else lobby.policy.no_show_after_calls - ticket.call_count
            for _ in range(recalls):
                self.both(
                    lambda: lobby.recall(cid, now),
                    lambda: twin.counter_action("recall", n, now),
                    f"recall at {n}",
                )
            self.both(
                lambda: lobby.no_show(cid, now),
                lambda: twin.counter_action("no_show", n, now),
                f"no_show at {n}",
            )
        elif op == "serve":
            if counter.current_ticket_id is not None:
                self.both(
                    lambda: lobby.complete(cid, now),
                    lambda: twin.counter_action("complete", n, now),
                    f"complete at {n}",
                )
            self.call(counter, now)
        elif op in ("recall", "start", "complete", "no_show", "close", "pause", "resume"):
            engine_action = getattr(lobby, op)
            self.both(
                lambda: engine_action(cid, now),
                lambda: twin.counter_action(op, n, now),
                f"{op} at {n}",
            )
        elif op == "open":
            teller, skills = twin.teller_ids[n - 1], self.plan.counters[n - 1].skills
            self.both(
                lambda: lobby.open(cid, teller, now, skills),
                lambda: twin.open(n, now),
                f"open {n}",
            )
        elif op in ("requeue", "cancel"):
            if op == "requeue":  # mostly the latest no-show, who may still be within grace
                pool = [t.id for t in lobby.tickets.values() if t.outcome is Outcome.NO_SHOW]
                pool = pool[-1:] if b % 4 else pool
            else:
                live = [t.id for t in lobby.tickets.values() if not t.finished]
                pool = live if live and b % 10 else list(lobby.tickets)
            if pool:
                tid = sorted(pool)[b % len(pool)]
                self.both(
                    lambda: getattr(lobby, op)(tid, now),
                    lambda: getattr(twin, op)(tid, now),
                    f"{op} {lobby.tickets[tid].number}",
                )
        else:
            every = [lobby.counters[i] for i in sorted(lobby.counters)]
            # Mostly another counter that is staffed, so that it may call the customer.
            staffed = [c for c in every if c.state is not CounterState.CLOSED and c.id != cid]
            targets = staffed if staffed and b % 10 else every
            target = targets[a % len(targets)]
            if op == "transfer_service":
                code, to, to_n = codes[b % len(codes)], None, None
            else:
                code = target.services[b % len(target.services)]
                to, to_n = target.id, target.number
            mine, theirs = self.both(
                lambda: lobby.transfer(cid, now, code, to),
                lambda: twin.transfer(n, now, code, to_n),
                f"transfer from counter {n} to {code} at {to_n}",
            )
            if isinstance(mine, Ticket):
                twin.ids[mine.id] = theirs.id


def counter_for(lobby: Lobby, op: str, a: int, b: int) -> Counter:
    """Mostly a counter the operation suits; now and then any counter (refusals count too)."""
    every = [lobby.counters[i] for i in sorted(lobby.counters)]
    busy = [c for c in every if c.current_ticket_id is not None]
    suits = {
        "open": [c for c in every if c.state is CounterState.CLOSED],
        "call": [c for c in every if c.state is CounterState.OPEN],
        "serve": [c for c in every if c.state in (CounterState.OPEN, CounterState.SERVING)],
        "resume": [c for c in every if c.state is CounterState.PAUSED],
        "close": [c for c in every if c.state in (CounterState.OPEN, CounterState.PAUSED)],
        "pause": [c for c in every if c.state is CounterState.OPEN],
    }.get(op, busy)
    if op == "no_show":
        needed = lobby.policy.no_show_after_calls
        suits = [c for c in busy if lobby.current(c.id).call_count >= needed] or busy
    pool = suits if suits and b % 10 else every
    return pool[a % len(pool)]


def build(twin: DbTwin, plan: LayoutPlan) -> Day:
    rows = twin.reset(plan, T0)
    lobby = Lobby.of(
        plan.services,
        [Counter(c.id, c.number, c.kind, c.services) for c in rows],
        policy=plan.policy,
        predictor=DispatchEstimate(),  # the use case's estimate (lobby/waits.py)
    )
    return Day(plan, lobby, twin)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=plans(), steps=days, head=st.sampled_from([1, 2, store.NORMAL_HEAD]))
# A no-show put back behind the next customer: the front of the line is no longer the
# lowest id, which a head read ordered by anything but queue time would get wrong.
@example(
    plan=LayoutPlan(
        (Service("S0", "业务0", "A", 300), Service("S1", "业务1", "B", 120, fast_lane=True)),
        (
            CounterPlan(CounterKind.FAST_LANE, ("S1", "S0"), frozenset()),
            CounterPlan(CounterKind.FLEXIBLE, ("S0", "S1"), frozenset()),
        ),
        Policy(no_show_after_calls=1, requeue_grace_s=1800, requeue_behind=1, opens_at=dt.time(9)),
    ),
    steps=[
        ("open", 0, 1, 0),
        *[("issue", 0, 0, 60)] * 3,
        ("call", 0, 1, 5),
        ("miss", 0, 1, 5),
        ("requeue", 0, 1, 5),
        *[("serve", 0, 1, 5)] * 3,
    ],
    head=1,
)
def test_engine_and_database_run_the_same_day(
    twin: DbTwin,
    monkeypatch: pytest.MonkeyPatch,
    plan: LayoutPlan,
    steps: list[Step],
    head: int,
) -> None:
    # Call-next reads only the first `NORMAL_HEAD` plain normal tickets of each service
    # (store.load_waiting); a short head makes every day test that this loses no choice.
    monkeypatch.setattr(store, "NORMAL_HEAD", head)
    day = build(twin, plan)
    now = T0
    longest = 0
    for i, (op, a, b, wait) in enumerate(steps):
        now += sec(wait)
        day.apply(op, a, b, now)
        assert_same_state(day.lobby, twin, i)
        day.same_events(i)
        longest = max(longest, longest_plain_line(day.lobby))
    event(f"longest plain normal line {'>' if longest > head else '<='} the head read")


def longest_plain_line(lobby: Lobby) -> int:
    lines = Counter_(
        t.service_code
        for t in lobby.waiting
        if t.klass is PriorityClass.NORMAL and t.target_counter_id is None
    )
    return max(lines.values(), default=0)
