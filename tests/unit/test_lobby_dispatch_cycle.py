"""Dispatch, one test per rule in dispatch.py's docstring, rules 5 to 7: the counter's
preference, the weighted cycle between classes, and FIFO within a class."""

from __future__ import annotations

from collections import Counter as Tally

from manyi.lobby.domain.dispatch import effective_class, fifo_key, next_class
from manyi.lobby.domain.model import DEFAULT_WEIGHTS, Policy
from manyi.lobby.domain.ticket import Ticket
from tests.lobby_dispatch_helpers import NOW, A, G, N, V, counter, drain, pick, sec, ticket


def backlog(per_class: int, code: str = "DEP") -> list[Ticket]:
    """`per_class` fresh tickets of every class, interleaved in arrival order."""
    return [
        ticket(code, klass, age=300 - i * 4 - j)
        for i in range(per_class)
        for j, klass in enumerate((N, V, G, A))
    ]


# --- 5. Preference --------------------------------------------------------------------


def test_the_counters_first_service_with_someone_waiting() -> None:
    c = counter(["LOAN", "DEP"])
    dep_green = ticket("DEP", G, age=800)
    dep = ticket("DEP", N, age=700)
    loan = ticket("LOAN", N, age=10)
    assert pick(c, [dep_green, dep, loan]).ticket is loan
    assert pick(c, [dep_green, dep]).ticket is dep_green
    c2 = counter(["DEP", "LOAN"])
    assert pick(c2, [dep, loan]).ticket is dep


# --- 6. Weighted cycle ----------------------------------------------------------------


def test_default_weights_interleave_four_priority_calls_in_six() -> None:
    c = counter(["DEP"])
    waiting = backlog(10)
    classes = [t.klass for t in drain(c, waiting, 12)]
    assert classes == [G, N, V, A, G, N] * 2
    assert Tally(classes[:6]) == {G: 2, V: 1, A: 1, N: 2}
    # Normal customers are served from the start, not after the priority queue empties.
    assert N in classes[:2]
    assert c.credits == dict.fromkeys(("green", "vip", "appointment", "normal"), 0)


def test_custom_weights() -> None:
    weights = {G: 1, V: 1, A: 1, N: 3}
    p = Policy(weights=weights)
    c = counter(["DEP"])
    classes = [t.klass for t in drain(c, backlog(10), 18, p)]
    for cycle in range(3):
        assert Tally(classes[cycle * 6 : cycle * 6 + 6]) == weights


def test_an_absent_class_gives_up_its_turn() -> None:
    c = counter(["DEP"])
    waiting = [ticket("DEP", k, age=300 - i) for i in range(9) for k in (N, V)]
    classes = [t.klass for t in drain(c, waiting, 6)]
    assert classes == [N, V, N, N, V, N]  # weights normal 2 : VIP 1, no idle turns
    only_normal = [ticket("DEP", N, age=100 - i) for i in range(5)]
    assert [t.klass for t in drain(counter(["DEP"]), only_normal, 5)] == [N] * 5


def test_a_class_that_was_away_gets_no_burst_of_saved_turns() -> None:
    c = counter(["DEP"])
    c.credits = {"green": 50}  # green was owed many turns, then left
    drain(c, [ticket("DEP", N)], 1)
    assert c.credits == {"normal": 0}
    waiting = [ticket("DEP", k, age=300 - i) for i in range(10) for k in (N, G)]
    classes = [t.klass for t in drain(c, waiting, 8)]
    assert Tally(classes) == {G: 4, N: 4}
    assert max(len(run) for run in "".join(k.value[0] for k in classes).split("n")) <= 2


def test_next_class_round_robin_state() -> None:
    credits: dict[str, int] = {"vip": 7}
    weights = {k: DEFAULT_WEIGHTS[k] for k in (G, N)}
    assert next_class(credits, weights) is G  # ties go to green
    assert credits == {"green": -2, "normal": 2}  # the absent VIP lost its credit
    assert next_class(credits, weights) is N
    assert credits == {"green": 0, "normal": 0}


# --- 7. FIFO --------------------------------------------------------------------------


def test_first_queued_first_called_within_a_class() -> None:
    c = counter(["DEP"])
    a, b, d = ticket("DEP", age=300), ticket("DEP", age=200), ticket("DEP", age=100)
    tie = ticket("DEP", age=200)  # same queue time as b, later id
    assert drain(c, [d, tie, b, a], 4) == [a, b, tie, d]


def test_due_appointments_go_by_booked_time() -> None:
    c = counter(["DEP"])
    early_queued = ticket("DEP", A, age=600, due_in=-60)
    early_booked = ticket("DEP", A, age=300, due_in=-120)
    due_now = ticket("DEP", A, age=500, due_in=0)
    assert effective_class(due_now, NOW) is A
    assert drain(c, [early_queued, due_now, early_booked], 3) == [
        early_booked,
        early_queued,
        due_now,
    ]


def test_an_appointment_not_yet_due_competes_as_normal() -> None:
    c = counter(["DEP"])
    early = ticket("DEP", A, age=500, due_in=1800)  # came half an hour early
    normal = ticket("DEP", N, age=400)
    assert effective_class(early, NOW) is N
    assert fifo_key(early, NOW) < fifo_key(normal, NOW)
    got = pick(c, [normal, early])
    assert got.ticket is early  # served early: it was first in the normal line
    assert got.credits == {"normal": 0}  # charged to the normal class, not to appointments
    # Queued after a normal customer, it waits its turn like one.
    late_early = ticket("DEP", A, age=100, due_in=1800)
    assert pick(c, [late_early, normal]).ticket is normal
    # The same customer once due is an appointment, and the cycle treats it so.
    assert effective_class(early, NOW + sec(1800)) is A
