"""The estimate's play keeps each counter's candidates as tickets are called, instead of asking
`dispatch.choose` to find them among everyone waiting at every call (issue 22). On random
lobbies it answers exactly as the plain play below, which asks for them every time."""

from __future__ import annotations

import copy
import datetime as dt
import random

import pytest

from manyi.lobby.domain import dispatch
from manyi.lobby.domain.estimate import Played, _busy_for, play, standing
from manyi.lobby.domain.model import (
    Channel,
    Counter,
    CounterKind,
    CounterState,
    Policy,
    PriorityClass,
    Service,
)
from manyi.lobby.domain.predict import LobbyView
from manyi.lobby.domain.ticket import Ticket

T0 = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
SERVICES = {
    "A": Service("A", "个人现金业务", "A", 300),
    "B": Service("B", "个人非现金业务", "B", 240),
    "K": Service("K", "快捷业务", "K", 90, fast_lane=True),
    "C": Service("C", "对公业务", "C", 600, skill="corporate"),
    "V": Service("V", "财富业务", "V", 900, skill="wealth"),
}
KINDS = list(CounterKind)
CLASSES = list(PriorityClass)


def plain_play(view: LobbyView, waiting: list[Ticket]) -> Played:
    """`estimate.play` as it was: every call chooses among everyone still waiting."""
    waiting = list(waiting)
    counters = [copy.copy(c) for c in view.counters if c.state is not CounterState.CLOSED]
    able = {
        code: {c.id for c in counters if c.can_serve(service)}
        for code, service in view.services.items()
    }
    free_at = {c.id: view.now + dt.timedelta(seconds=_busy_for(view, c)) for c in counters}
    calls = dict.fromkeys(free_at, 0)
    called_at: dict[int, dt.datetime] = {}
    ahead: dict[int, int] = {}
    while counters and waiting:
        counter = min(counters, key=lambda c: (free_at[c.id], c.number))
        at = free_at[counter.id]
        pick = dispatch.choose(counter, waiting, view.services, view.policy, at)
        if pick is None:
            counters.remove(counter)
            continue
        ticket = pick.ticket
        called_at[ticket.id] = at
        ahead[ticket.id] = sum(calls[c] for c in able.get(ticket.service_code, ()))
        calls[counter.id] += 1
        counter.credits = pick.credits
        waiting = [t for t in waiting if t is not ticket]
        free_at[counter.id] = at + dt.timedelta(seconds=view.service_time_s(ticket.service_code))
    return Played(view.now, called_at, ahead)


def lobby(rng: random.Random) -> LobbyView:
    counters = []
    for number in range(1, rng.randint(1, 7) + 1):
        services = tuple(rng.sample(list(SERVICES), rng.randint(1, len(SERVICES))))
        c = Counter(number, number, rng.choice(KINDS), services)
        if rng.random() < 0.8:
            skills = frozenset(s for s in ("corporate", "wealth") if rng.random() < 0.5)
            c.open(teller_id=100 + number, skills=skills)
            c.current_ticket_id = rng.choice([None, None, 9999])
            c.credits = {k.value: rng.randint(-4, 4) for k in CLASSES if rng.random() < 0.4}
        counters.append(c)
    now = T0 + dt.timedelta(hours=2)
    waiting = []
    for ticket_id in range(1, rng.randint(0, 150) + 1):
        queued = now - dt.timedelta(seconds=rng.randint(0, 2400))
        klass = rng.choice(CLASSES) if rng.random() < 0.3 else PriorityClass.NORMAL
        due = queued + dt.timedelta(minutes=rng.randint(-20, 40))
        waiting.append(
            Ticket(
                ticket_id,
                f"X{ticket_id:03d}",
                rng.choice(list(SERVICES)),
                klass,
                Channel.KIOSK,
                queued,
                queued,
                due_at=due if klass is PriorityClass.APPOINTMENT else None,
                target_counter_id=rng.choice(counters).id if rng.random() < 0.05 else None,
            )
        )
    waiting.sort(key=lambda t: (t.queued_at, t.id))
    recent = {code: float(rng.randint(30, 900)) for code in SERVICES if rng.random() < 0.5}
    policy = Policy(ageing_s=rng.choice([60, 600, 900, 1800]))
    return LobbyView(now, SERVICES, counters, waiting, recent_service_s=recent, policy=policy)


@pytest.mark.parametrize("seed", range(60))
def test_the_play_answers_as_the_plain_play(seed: int) -> None:
    rng = random.Random(seed)
    view = lobby(rng)
    assert play(view) == plain_play(view, list(view.waiting))
    newcomer = Ticket(
        2**62,
        "",
        rng.choice(list(SERVICES)),
        rng.choice(CLASSES),
        Channel.KIOSK,
        view.now,
        view.now,
    )
    expected = plain_play(view, [*view.waiting, newcomer]).standing(newcomer.id, view.now)
    if dispatch_able(view, newcomer):
        assert standing(view, newcomer) == expected
    else:
        assert standing(view, newcomer) is None


def dispatch_able(view: LobbyView, ticket: Ticket) -> bool:
    service = view.services[ticket.service_code]
    return any(c.state is not CounterState.CLOSED and c.can_serve(service) for c in view.counters)
