"""Hypothesis strategies for the in-memory lobby's property tests (services, counters,
policies), a snapshot of the lobby, and a call that records whom it skipped."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field

from hypothesis import strategies as st

from manyi.errors import Conflict
from manyi.lobby.domain import dispatch
from manyi.lobby.domain.engine import Lobby
from manyi.lobby.domain.model import (
    Counter,
    CounterKind,
    CounterState,
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
