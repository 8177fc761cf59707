"""Properties of the in-memory lobby under random services, counters, classes and actions."""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections import Counter as Tally
from collections import defaultdict
from dataclasses import dataclass, field, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.errors import Conflict, InvalidInput
from manyi.lobby.domain import dispatch
from manyi.lobby.domain.engine import Lobby
from manyi.lobby.domain.model import (
    Counter,
    CounterKind,
    CounterState,
    Outcome,
    Policy,
    PriorityClass,
    Service,
    TicketState,
)
from manyi.lobby.domain.ticket import Ticket

UTC = dt.UTC
T0 = dt.datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
CLASSES = list(PriorityClass)
SKILLS = ("fx", "loan")


def sec(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)


# --- strategies -----------------------------------------------------------------------


@dataclass(frozen=True)
class CounterSpec:
    kind: CounterKind
    services: tuple[str, ...]
    skills: frozenset[str]


@dataclass(frozen=True)
class Setup:
    services: tuple[Service, ...]
    counters: tuple[CounterSpec, ...]
    policy: Policy

    @property
    def codes(self) -> list[str]:
        return [s.code for s in self.services]

    def build(self) -> Lobby:
        lobby = Lobby.of(
            self.services,
            [Counter(i, i, spec.kind, spec.services) for i, spec in enumerate(self.counters, 1)],
            policy=self.policy,
        )
        for i, spec in enumerate(self.counters, 1):
            lobby.open(i, 100 + i, T0, spec.skills)
        return lobby


@st.composite
def services(draw: st.DrawFn) -> tuple[Service, ...]:
    n = draw(st.integers(1, 4))
    return tuple(
        Service(
            code=f"S{i}",
            name_zh=f"业务{i}",
            prefix="ABCD"[i],
            expected_service_s=draw(st.integers(60, 1200)),
            fast_lane=draw(st.booleans()),
            skill=draw(st.sampled_from([None, None, *SKILLS])),
        )
        for i in range(n)
    )


weights = st.fixed_dictionaries({k: st.integers(1, 6) for k in PriorityClass})


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    return Policy(
        weights=draw(weights),
        ageing_s=draw(st.sampled_from([60, 300, 900, 1800])),
        no_show_after_calls=draw(st.integers(1, 3)),
        requeue_grace_s=draw(st.sampled_from([0, 120, 600])),
        requeue_behind=draw(st.integers(0, 5)),
    )


@st.composite
def setups(draw: st.DrawFn, cover: bool = False) -> Setup:
    """Random services and counters; with `cover`, every service has a counter able to serve it."""
    svcs = draw(services())
    codes = [s.code for s in svcs]
    specs = [
        CounterSpec(
            kind=draw(st.sampled_from(list(CounterKind))),
            services=tuple(draw(st.lists(st.sampled_from(codes), min_size=1, unique=True))),
            skills=frozenset(draw(st.sets(st.sampled_from(SKILLS)))),
        )
        for _ in range(draw(st.integers(1, 4)))
    ]
    if cover:
        for s in svcs:
            if not any(
                s.code in c.services and (s.skill is None or s.skill in c.skills) for c in specs
            ):
                i = draw(st.integers(0, len(specs) - 1))
                c = specs[i]
                codes_at = c.services if s.code in c.services else (*c.services, s.code)
                skills = (c.skills | {s.skill}) if s.skill else c.skills
                specs[i] = CounterSpec(c.kind, codes_at, skills)
    return Setup(svcs, tuple(specs), draw(policies()))


# --- helpers --------------------------------------------------------------------------


def snapshot(lobby: Lobby) -> object:
    counters = {}
    for cid, c in lobby.counters.items():
        twin = copy.copy(c)
        twin.credits = dict(c.credits)
        counters[cid] = twin
    return (
        {tid: copy.copy(t) for tid, t in lobby.tickets.items()},
        counters,
        len(lobby.events),
        dict(lobby._numbers),
    )


def check_consistent(lobby: Lobby) -> None:
    """Counters and tickets agree on who is at which window."""
    current = [
        c.current_ticket_id for c in lobby.counters.values() if c.current_ticket_id is not None
    ]
    assert len(current) == len(set(current)), "a ticket is at two counters"
    for c in lobby.counters.values():
        if c.state is CounterState.SERVING:
            assert c.current_ticket_id is not None
            t = lobby.tickets[c.current_ticket_id]
            assert t.state in (TicketState.CALLED, TicketState.SERVING)
            assert t.counter_id == c.id
        else:
            assert c.current_ticket_id is None
    for t in lobby.tickets.values():
        if t.state in (TicketState.CALLED, TicketState.SERVING):
            assert t.counter_id is not None
            assert lobby.counters[t.counter_id].current_ticket_id == t.id
        if t.state is TicketState.WAITING:
            assert t.call_count == 0 and t.counter_id is None and t.outcome is None


def may_call(lobby: Lobby, counter: Counter, t: Ticket) -> bool:
    """The eligibility rule, restated: a service of the counter, the teller's skill, and a
    ticket sent to one counter only there."""
    service = lobby.services.get(t.service_code)
    return (
        service is not None
        and service.code in counter.services
        and (service.skill is None or service.skill in counter.teller_skills)
        and t.target_counter_id in (None, counter.id)
    )


def class_now(t: Ticket, now: dt.datetime) -> PriorityClass:
    """An appointment not yet due counts as normal."""
    early = t.klass is PriorityClass.APPOINTMENT and t.due_at is not None and t.due_at > now
    return PriorityClass.NORMAL if early else t.klass


def place_in_line(t: Ticket, now: dt.datetime) -> tuple[dt.datetime, dt.datetime, int]:
    """First queued first called; due appointments by booked time."""
    if class_now(t, now) is PriorityClass.APPOINTMENT and t.due_at is not None:
        return (t.due_at, t.queued_at, t.id)
    return (t.queued_at, t.queued_at, t.id)


def skipped(
    lobby: Lobby, counter: Counter, chosen: Ticket, reason: str, now: dt.datetime
) -> list[Ticket]:
    """Waiting tickets the rule `reason` says the counter should have called before `chosen`."""
    mine = [t for t in lobby.waiting if t.id != chosen.id and may_call(lobby, counter, t)]

    def aged(t: Ticket) -> bool:
        return (now - t.queued_at).total_seconds() >= lobby.policy.ageing_s

    if reason == "sent_here":
        assert chosen.target_counter_id == counter.id
        return [
            t
            for t in mine
            if t.target_counter_id == counter.id
            and (t.queued_at, t.id) < (chosen.queued_at, chosen.id)
        ]
    if reason == "aged":
        return [] if aged(chosen) else [chosen]
    sent_here = [t for t in mine if t.target_counter_id == counter.id]
    klass, place = class_now(chosen, now), place_in_line(chosen, now)
    ahead = [
        t
        for t in mine
        if t.service_code == chosen.service_code
        and class_now(t, now) is klass
        and place_in_line(t, now) < place
    ]
    if reason == "cycle":  # no lane narrowed the line: nobody the counter may call has aged
        return sent_here + ahead + [t for t in [chosen, *mine] if aged(t)]
    assert reason == "own_lane", reason
    return sent_here + ahead


@dataclass
class CallRecord:
    ticket: Ticket
    reason: str
    klass: PriorityClass  # effective class at the call
    skipped: list[Ticket] = field(default_factory=list)


def call(lobby: Lobby, counter_id: int, now: dt.datetime, log: list[CallRecord]) -> Ticket | None:
    """Call the next ticket through the lobby; check it is the one dispatch chose, and log why."""
    counter = lobby.counters[counter_id]
    if counter.state is not CounterState.OPEN:
        before = snapshot(lobby)
        try:
            lobby.call_next(counter_id, now)
        except Conflict:
            assert snapshot(lobby) == before
            return None
        raise AssertionError(f"a {counter.state} counter called")
    expected = dispatch.choose(counter, lobby.waiting, lobby.services, lobby.policy, now)
    passed_over = (
        [] if expected is None else skipped(lobby, counter, expected.ticket, expected.reason, now)
    )
    called = lobby.call_next(counter_id, now)
    if expected is None:
        assert called is None
        assert not any(may_call(lobby, counter, t) for t in lobby.waiting)
        return None
    assert called is expected.ticket
    assert may_call(lobby, counter, called)
    assert called.state is TicketState.CALLED and called.counter_id == counter.id
    log.append(CallRecord(called, expected.reason, class_now(called, now), passed_over))
    return called


# --- random day at the lobby ----------------------------------------------------------

ACTIONS = [
    *["issue"] * 5,
    *["call"] * 2,
    *["serve"] * 4,  # complete the current customer, if any, and call the next
    *["recall"] * 2,
    "start",
    *["complete"] * 4,
    *["no_show"] * 3,
    *["requeue"] * 2,
    "transfer_service",
    "transfer_counter",
    "cancel",
    *["open"] * 2,
    "close",
    "pause",
    *["resume"] * 2,
]
Step = tuple[str, int, int, int, int]  # action, a, b, seconds to wait first, aim
actions = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS),
        st.integers(0, 1000),
        st.integers(0, 1000),
        st.sampled_from([0, 0, 0, 1, 5, 30, 60, 300]),
        st.integers(0, 9),
    ),
    min_size=30,
    max_size=100,
)


def target_counter(lobby: Lobby, kind: str, a: int, aim: int) -> int:
    """Mostly a counter the action suits (one with someone to call, a customer to serve);
    now and then any counter, so that refusals are exercised too."""
    ids = sorted(lobby.counters)
    counters = [lobby.counters[i] for i in ids]
    choices: list[list[Counter]] = []
    if kind in ("call", "serve"):
        states = [CounterState.OPEN] + ([CounterState.SERVING] if kind == "serve" else [])
        ready = [c for c in counters if c.state in states]
        busy_line = [c for c in ready if dispatch.eligible(c, lobby.waiting, lobby.services)]
        choices = [busy_line, ready]
    elif kind in ("recall", "start", "complete", "no_show", "transfer_service", "transfer_counter"):
        busy = [c for c in counters if c.current_ticket_id is not None]
        if kind == "no_show":
            needed = lobby.policy.no_show_after_calls
            ripe = [c for c in busy if lobby.current(c.id).call_count >= needed]
            choices = [ripe, busy]
        else:
            choices = [busy]
    if aim < 8:
        for suitable in choices:
            if suitable:
                return suitable[a % len(suitable)].id
    return ids[a % len(ids)]


def run_day(setup: Setup, steps: list[Step]) -> tuple[Lobby, list[CallRecord]]:
    """Apply random actions; refused ones must change nothing; state stays consistent."""
    lobby = setup.build()
    ids = sorted(lobby.counters)
    codes = setup.codes
    log: list[CallRecord] = []
    now = T0
    for kind, a, b, step, aim in steps:
        now += sec(step)
        cid = target_counter(lobby, kind, a, aim)
        before = snapshot(lobby)
        known = set(lobby.tickets)
        at_counter = lobby.counters[cid].current_ticket_id
        leg = None if at_counter is None else lobby.tickets[at_counter]
        try:
            if kind == "issue":
                klass = CLASSES[b % len(CLASSES)]
                due = None
                if klass is PriorityClass.APPOINTMENT and b % 7 != 6:
                    due = now + sec((b % 7 - 3) * 600)
                lobby.issue(codes[a % len(codes)], now, klass, due_at=due)
            elif kind == "call":
                call(lobby, cid, now, log)
            elif kind == "serve":
                if lobby.counters[cid].current_ticket_id is not None:
                    lobby.complete(cid, now)
                call(lobby, cid, now, log)
            elif kind == "recall":
                lobby.recall(cid, now)
            elif kind == "start":
                lobby.start(cid, now)
            elif kind == "complete":
                lobby.complete(cid, now)
            elif kind == "no_show":
                lobby.no_show(cid, now)
            elif kind == "requeue":
                missed = [t for t in lobby.tickets.values() if t.outcome is Outcome.NO_SHOW]
                if missed:
                    lobby.requeue(missed[b % len(missed)].id, now)
            elif kind in ("transfer_service", "transfer_counter"):
                target = lobby.counters[ids[b % len(ids)]]
                if kind == "transfer_service":
                    code, to = codes[b % len(codes)], None
                else:
                    code, to = target.services[b % len(target.services)], target.id
                new = lobby.transfer(cid, now, code, to)
                # The next leg waits, with the customer's number and issue time.
                assert leg is not None and leg.outcome is Outcome.TRANSFERRED
                assert (new.number, new.issued_at) == (leg.number, leg.issued_at)
                assert (new.service_code, new.target_counter_id) == (code, to)
                assert new.state is TicketState.WAITING and new.id not in known
            elif kind == "cancel":
                live = [t.id for t in lobby.tickets.values() if not t.finished]
                tickets = live if live and aim < 8 else sorted(lobby.tickets)
                if tickets:
                    lobby.cancel(tickets[b % len(tickets)], now)
            elif kind == "open":
                lobby.open(cid, 100 + cid, now, setup.counters[cid - 1].skills)
            elif kind == "close":
                lobby.close(cid, now)
            elif kind == "pause":
                lobby.pause(cid, now)
            elif kind == "resume":
                lobby.resume(cid, now)
        except (Conflict, InvalidInput):
            assert snapshot(lobby) == before, f"a refused {kind} changed the lobby"
        check_consistent(lobby)
    return lobby, log


@dataclass
class Legs:
    calls_due: int  # calls the ticket's history entitles it to
    second_chances: int  # no-shows put back in the queue


def lifecycle(lobby: Lobby) -> dict[int, Legs]:
    """Walk each ticket's events in order, checking that each step was allowed.

    A ticket is called only while waiting. It enters the queue once per leg (issued, or the
    next leg of a transfer) and again each time a no-show is put back; every entry but a last
    one still waiting, or cancelled while waiting, ends in exactly one call.
    """
    state: dict[int, str] = {}
    entered: Tally[int] = Tally()
    second: Tally[int] = Tally()
    for e in lobby.events:
        if e.ticket_id is None:
            continue
        tid, was = e.ticket_id, state.get(e.ticket_id)
        if e.kind == "issued":
            assert was is None
            becomes = "waiting"
            entered[tid] += 1
        elif e.kind == "requeued":  # the next leg of a transfer, or a no-show back in line
            assert was in (None, "no_show"), (tid, was)
            becomes = "waiting"
            entered[tid] += 1
            second[tid] += was == "no_show"
        elif e.kind == "called":
            assert was == "waiting", f"ticket {tid} called while {was}"
            becomes = "called"
        elif e.kind in ("recalled", "started"):
            assert was == "called"
            becomes = was
        elif e.kind in ("completed", "transferred"):
            assert was == "called"
            becomes = "done"
        elif e.kind == "no_show":
            assert was == "called"
            becomes = "no_show"
        elif e.kind == "cancelled":
            assert was in ("waiting", "called")
            becomes = f"cancelled_{was}"
        else:
            raise AssertionError(e.kind)
        state[tid] = becomes
    allowed = {
        TicketState.WAITING: {"waiting"},
        TicketState.CALLED: {"called"},
        TicketState.SERVING: {"called"},
        TicketState.FINISHED: {"done", "no_show", "cancelled_waiting", "cancelled_called"},
    }
    assert set(state) == set(lobby.tickets)
    for tid, t in lobby.tickets.items():
        assert state[tid] in allowed[t.state], (t, state[tid])
    return {
        tid: Legs(entered[tid] - (state[tid] in ("waiting", "cancelled_waiting")), second[tid])
        for tid in state
    }


# --- (1) never called twice -----------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(setups(), actions)
def test_a_ticket_is_called_once_per_leg(setup: Setup, steps: list[Step]) -> None:
    lobby, log = run_day(setup, steps)
    called = Tally(e.ticket_id for e in lobby.events if e.kind == "called")
    legs = lifecycle(lobby)
    for tid, t in lobby.tickets.items():
        assert called[tid] == legs[tid].calls_due, (t, called[tid], legs[tid])
        # Once per leg; more only after a no-show was given another chance.
        assert called[tid] <= 1 + legs[tid].second_chances
    assert sum(called.values()) == len(log)
    # One number per visit: the legs of a transfer share it, nobody else does, and the
    # day's numbers run without gaps (a refused issue uses none).
    visits: dict[str, set[dt.datetime]] = defaultdict(set)
    for t in lobby.tickets.values():
        visits[t.number].add(t.issued_at)
    assert all(len(issued) == 1 for issued in visits.values())
    issued = [lobby.tickets[e.ticket_id or 0].number for e in lobby.events if e.kind == "issued"]
    for prefix in {n[0] for n in issued}:
        seqs = [int(n[1:]) for n in issued if n[0] == prefix]
        assert seqs == list(range(1, len(seqs) + 1))


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


@settings(max_examples=60, deadline=None)
@given(setups(), actions)
def test_each_call_follows_the_rule_it_cites(setup: Setup, steps: list[Step]) -> None:
    """With re-queues, transfers and appointments falling due: a cycle or lane call skips
    nobody of the same service and effective class ahead in line, nor anyone sent here; a
    cycle call skips nobody aged; an aged call has aged; sent-here calls go oldest first."""
    _, log = run_day(setup, steps)
    for r in log:
        assert r.skipped == [], (r.reason, r.ticket, r.skipped)


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
