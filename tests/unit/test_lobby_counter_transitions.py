"""Lobby model rules: a counter's transitions (open, close, pause, take, release, what it can
serve), then the same rules through the in-memory lobby."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from manyi.errors import Conflict, InvalidInput
from manyi.lobby.domain.engine import Lobby
from manyi.lobby.domain.model import Counter, CounterKind, CounterState, Outcome, TicketState
from tests.lobby_model_helpers import T0, sec, service

# --- Counter transitions --------------------------------------------------------------


def counter_in(state: CounterState) -> Counter:
    c = Counter(5, 3, CounterKind.REGULAR, ("DEP", "LOAN"), credits={"green": 1})
    if state is CounterState.CLOSED:
        return c
    c.open(42, frozenset({"fx"}))
    c.credits = {"green": -2, "normal": 2}
    if state is CounterState.PAUSED:
        c.pause()
    elif state is CounterState.SERVING:
        c.take(77)
    return c


COUNTER_OPS: dict[str, Any] = {
    "open": lambda c: c.open(43, frozenset()),
    "close": lambda c: c.close(),
    "pause": lambda c: c.pause(),
    "resume": lambda c: c.resume(),
    "ready_to_call": lambda c: c.ready_to_call(),
}
COUNTER_LEGAL = {
    "open": {CounterState.CLOSED},
    "close": {CounterState.CLOSED, CounterState.OPEN, CounterState.PAUSED},
    "pause": {CounterState.OPEN},
    "resume": {CounterState.PAUSED},
    "ready_to_call": {CounterState.OPEN},
}
COUNTER_ILLEGAL = [
    (state, op) for op in COUNTER_OPS for state in CounterState if state not in COUNTER_LEGAL[op]
]


@pytest.mark.parametrize(("state", "op"), COUNTER_ILLEGAL)
def test_illegal_counter_transitions_raise_and_change_nothing(state: CounterState, op: str) -> None:
    c = counter_in(state)
    before = copy.deepcopy(c)
    with pytest.raises(Conflict) as info:
        COUNTER_OPS[op](c)
    assert info.value.field == "counter"
    assert info.value.params["n"] == 3
    assert c == before


def test_open_signs_a_teller_on_and_resets_the_cycle() -> None:
    c = counter_in(CounterState.CLOSED)
    c.open(42, frozenset({"fx"}))
    assert c.state is CounterState.OPEN
    assert (c.teller_id, c.teller_skills, c.credits) == (42, frozenset({"fx"}), {})
    c.ready_to_call()


def test_close_signs_the_teller_off() -> None:
    for state in (CounterState.OPEN, CounterState.PAUSED):
        c = counter_in(state)
        c.close()
        assert c.state is CounterState.CLOSED
        assert c.teller_id is None and c.teller_skills == frozenset()
        assert c.current_ticket_id is None


def test_closing_a_closed_counter_changes_nothing() -> None:
    c = counter_in(CounterState.CLOSED)
    before = copy.deepcopy(c)
    c.close()
    assert c == before


def test_pause_and_resume() -> None:
    c = counter_in(CounterState.OPEN)
    c.pause()
    assert (c.state, c.teller_id) == (CounterState.PAUSED, 42)  # still signed on
    c.resume()
    assert c.state == CounterState.OPEN
    assert c.credits == {"green": -2, "normal": 2}  # a pause keeps the cycle


def test_take_and_release() -> None:
    c = counter_in(CounterState.OPEN)
    c.take(77)
    assert (c.state, c.current_ticket_id) == (CounterState.SERVING, 77)
    c.release()
    assert (c.state, c.current_ticket_id) == (CounterState.OPEN, None)
    c.ready_to_call()


def test_can_serve_needs_the_service_and_the_skill() -> None:
    c = counter_in(CounterState.CLOSED)
    plain = service()
    fx = service(code="FX", prefix="F", skill="fx")
    other = service(code="GOLD", prefix="G")
    assert c.can_serve(plain)
    assert not c.can_serve(other)
    c.services = ("DEP", "FX")
    assert not c.can_serve(fx)  # nobody signed on with the skill
    c.open(42, frozenset({"fx"}))
    assert c.can_serve(fx)
    c.close()
    assert not c.can_serve(fx)


# --- the same rules through the in-memory lobby ---------------------------------------


def small_lobby(**kw: Any) -> Lobby:
    lobby = Lobby.of(
        [service(), service(code="LOAN", prefix="B", name_zh="贷款")],
        [
            Counter(1, 1, CounterKind.REGULAR, ("DEP",)),
            Counter(2, 2, CounterKind.REGULAR, ("LOAN", "DEP")),
        ],
        **kw,
    )
    lobby.open(1, 101, T0)
    lobby.open(2, 102, T0)
    return lobby


def test_lobby_no_show_then_requeue_then_served() -> None:
    lobby = small_lobby()
    t = lobby.issue("DEP", T0)
    assert lobby.call_next(1, T0 + sec(10)) is t
    with pytest.raises(Conflict):
        lobby.no_show(1, T0 + sec(20))  # one call is not enough
    assert lobby.counters[1].current_ticket_id == t.id
    lobby.recall(1, T0 + sec(30))
    lobby.no_show(1, T0 + sec(60))
    assert lobby.counters[1].state is CounterState.OPEN
    assert lobby.counters[1].current_ticket_id is None
    lobby.requeue(t.id, T0 + sec(120))
    assert t.state is TicketState.WAITING
    assert lobby.call_next(2, T0 + sec(130)) is t
    lobby.complete(2, T0 + sec(200))
    assert t.outcome is Outcome.SERVED
    kinds = [e.kind for e in lobby.events if e.ticket_id == t.id]
    assert kinds == [
        "issued",
        "called",
        "recalled",
        "no_show",
        "requeued",
        "called",
        "completed",
    ]


def test_lobby_transfer_needs_a_new_service_or_a_counter() -> None:
    lobby = small_lobby()
    t = lobby.issue("DEP", T0)
    lobby.call_next(1, T0)
    before = copy.deepcopy((lobby.tickets, lobby.counters))
    with pytest.raises(InvalidInput) as info:
        lobby.transfer(1, T0 + sec(5))
    assert info.value.field == "service"
    with pytest.raises(InvalidInput) as info:
        lobby.transfer(1, T0 + sec(5), "LOAN", target_counter_id=1)  # 1 serves no loans
    assert info.value.field == "counter"
    assert (lobby.tickets, lobby.counters) == before
    nxt = lobby.transfer(1, T0 + sec(5), "LOAN")
    assert t.outcome is Outcome.TRANSFERRED
    assert (nxt.number, nxt.issued_at, nxt.service_code) == (t.number, t.issued_at, "LOAN")
    assert lobby.counters[1].current_ticket_id is None
    assert lobby.waiting == [nxt]
    assert lobby.call_next(2, T0 + sec(6)) is nxt


def test_lobby_cancel_a_called_ticket_frees_its_counter() -> None:
    lobby = small_lobby()
    t = lobby.issue("DEP", T0)
    lobby.call_next(1, T0)
    lobby.cancel(t.id, T0 + sec(1))
    assert t.outcome is Outcome.CANCELLED
    assert lobby.counters[1].state is CounterState.OPEN
    assert lobby.call_next(1, T0 + sec(2)) is None


def test_lobby_cannot_call_while_serving_paused_or_closed() -> None:
    lobby = small_lobby()
    lobby.issue("DEP", T0)
    lobby.issue("DEP", T0)
    lobby.call_next(1, T0)
    with pytest.raises(Conflict):
        lobby.call_next(1, T0)
    lobby.pause(2, T0)
    with pytest.raises(Conflict):
        lobby.call_next(2, T0)
    lobby.resume(2, T0)
    lobby.close(2, T0)
    with pytest.raises(Conflict):
        lobby.call_next(2, T0)
    assert len(lobby.waiting) == 1
