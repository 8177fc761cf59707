"""Where a ticket stands: the dispatch rules played forward (`lobby.domain.estimate`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from manyi.lobby.domain.estimate import MAX_CALLS, DispatchEstimate, play, standing
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
SEC = dt.timedelta(seconds=1)
MIN = dt.timedelta(minutes=1)
SERVICES = {
    "A": Service("A", "个人现金业务", "A", 300),
    "B": Service("B", "个人非现金业务", "B", 300),
    "C": Service("C", "对公业务", "C", 600, skill="corporate"),
}


def ticket(
    ticket_id: int, code: str, at: dt.datetime, klass: PriorityClass = PriorityClass.NORMAL
) -> Ticket:
    return Ticket(ticket_id, f"{code}{ticket_id:03d}", code, klass, Channel.KIOSK, at, at)


def counter(number: int, services: tuple[str, ...], **kw: object) -> Counter:
    c = Counter(number, number, CounterKind.REGULAR, services)
    c.open(teller_id=number, skills=kw.pop("skills", frozenset()))  # type: ignore[arg-type]
    return c


def view(counters: list[Counter], waiting: list[Ticket], now: dt.datetime) -> LobbyView:
    return LobbyView(now, SERVICES, counters, waiting, policy=Policy())


def test_later_priority_and_preferred_customers_count_as_ahead() -> None:
    # B001's old status page said "position 1": A002, A003 and a later green A004 went first.
    a1, b1, a2, a3 = (
        ticket(i, c, T0 + i * SEC) for i, c in [(1, "A"), (2, "B"), (3, "A"), (4, "A")]
    )
    a4 = ticket(5, "A", T0 + 5 * SEC, PriorityClass.GREEN)
    lobby = view([counter(1, ("A", "B"))], [a1, b1, a2, a3, a4], T0 + 10 * SEC)
    found = standing(lobby, b1)
    # The counter prefers A: A001, A002, A003 are called first; by then B001 has waited
    # past the ageing threshold (900 s) and goes before A004.
    assert found is not None and (found.ahead, found.wait_s) == (3, 900)
    # The green customer who came last is called before the normal ones of the same line.
    green = standing(lobby, a4)
    assert green is not None and green.ahead == 0


def test_only_the_counters_that_can_serve_the_ticket_count() -> None:
    a1, b1 = ticket(1, "A", T0), ticket(2, "B", T0 + SEC)
    lobby = view([counter(1, ("A",)), counter(2, ("B",))], [a1, b1], T0 + 2 * SEC)
    found = standing(lobby, b1)
    assert found is not None and (found.ahead, found.wait_s) == (0, 0)


def test_a_busy_counter_frees_after_half_a_service() -> None:
    busy = counter(1, ("A",))
    busy.take(99)
    a1 = ticket(1, "A", T0)
    found = standing(view([busy], [a1], T0), a1)
    assert found is not None and (found.ahead, found.wait_s) == (0, 150)


def test_no_open_counter_for_the_service_gives_no_estimate() -> None:
    closed = Counter(5, 5, CounterKind.REGULAR, ("C",))
    assert closed.state is CounterState.CLOSED
    c1 = ticket(1, "C", T0)
    assert standing(view([counter(3, ("A", "B")), closed], [c1], T0), c1) is None
    assert DispatchEstimate().predict(view([counter(3, ("A", "B")), closed], [c1], T0), c1) is None
    # Open, but the teller lacks the corporate skill: still nobody can serve it.
    unskilled = counter(5, ("C",))
    assert standing(view([unskilled], [c1], T0), c1) is None
    skilled = counter(5, ("C",), skills=frozenset({"corporate"}))
    assert standing(view([skilled], [c1], T0), c1) is not None


def test_a_new_ticket_goes_behind_everyone_waiting() -> None:
    waiting = [ticket(i, "A", T0 + i * SEC) for i in range(1, 5)]
    new = ticket(2**62, "A", T0 + 10 * SEC)
    found = standing(view([counter(1, ("A",)), counter(2, ("A",))], waiting, T0 + 10 * SEC), new)
    # Two counters, four ahead of 300 s each: called when the second pair is done.
    assert found is not None and (found.ahead, found.wait_s) == (4, 600)


def test_one_play_answers_for_every_ticket_in_the_queue() -> None:
    waiting = [
        ticket(
            i,
            "AB"[i % 2],
            T0 + i * SEC,
            PriorityClass.GREEN if i % 5 == 0 else PriorityClass.NORMAL,
        )
        for i in range(1, 30)
    ]
    lobby = view([counter(1, ("A", "B")), counter(2, ("B",))], waiting, T0 + 40 * SEC)
    played = play(lobby)
    for t in waiting:
        assert played.standing(t.id, lobby.now) == standing(lobby, t)


def test_a_very_long_queue_is_estimated_without_playing_the_rules() -> None:
    waiting = [ticket(i, "A", T0 + i * SEC) for i in range(1, MAX_CALLS + 10)]
    new = ticket(2**62, "A", T0 + 10 * MIN)
    lobby = view([counter(1, ("A",)), counter(2, ("A",))], waiting, T0 + 10 * MIN)
    found = standing(lobby, new)
    assert found is not None and found.ahead == len(waiting)
    assert found.wait_s == len(waiting) * 300 // 2
    # Issuing reads such a queue as counts per service only: the same answer.
    counted = replace(lobby, waiting=(), waiting_counts={"A": len(waiting)})
    assert standing(counted, new) == found
