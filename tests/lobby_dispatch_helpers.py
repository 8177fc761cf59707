"""Builders for the dispatch tests: the services, counters, tickets numbered in order, and the
picks a counter makes from a waiting line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from manyi.lobby.domain.dispatch import Pick, choose
from manyi.lobby.domain.model import Channel, Counter, CounterKind, Policy, PriorityClass, Service
from manyi.lobby.domain.ticket import Ticket

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
G, V, A, N = (
    PriorityClass.GREEN,
    PriorityClass.VIP,
    PriorityClass.APPOINTMENT,
    PriorityClass.NORMAL,
)

SERVICES: dict[str, Service] = {
    s.code: s
    for s in [
        Service("DEP", "存款", "A", 300),
        Service("LOAN", "贷款", "B", 600),
        Service("CASH", "小额取现", "C", 120, fast_lane=True),
        Service("FX", "外汇", "F", 900, skill="fx"),
    ]
}
POLICY = Policy()


def sec(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)


def counter(
    services: Sequence[str] = ("DEP",),
    kind: CounterKind = CounterKind.REGULAR,
    id: int = 1,
    skills: frozenset[str] = frozenset(),
) -> Counter:
    c = Counter(id, id, kind, tuple(services))
    c.open(100 + id, skills)
    return c


_ids = iter(range(1, 10_000))


def ticket(
    code: str = "DEP",
    klass: PriorityClass = N,
    age: float = 60,
    *,
    id: int | None = None,
    due_in: float | None = None,
    target: int | None = None,
) -> Ticket:
    """A waiting ticket queued `age` seconds before NOW; an appointment due `due_in` s from NOW."""
    queued = NOW - sec(age)
    return Ticket(
        id=next(_ids) if id is None else id,
        number="X",
        service_code=code,
        klass=klass,
        channel=Channel.KIOSK,
        issued_at=queued,
        queued_at=queued,
        due_at=None if due_in is None else NOW + sec(due_in),
        target_counter_id=target,
    )


def pick(
    c: Counter, waiting: Sequence[Ticket], policy: Policy = POLICY, now: dt.datetime = NOW
) -> Pick:
    got = choose(c, waiting, SERVICES, policy, now)
    assert got is not None
    return got


def drain(c: Counter, waiting: list[Ticket], calls: int, policy: Policy = POLICY) -> list[Ticket]:
    """Call `calls` times at one counter, as the engine does: keep the credits, drop the called."""
    called = []
    for _ in range(calls):
        got = pick(c, waiting, policy)
        c.credits = got.credits
        waiting.remove(got.ticket)
        called.append(got.ticket)
    return called
