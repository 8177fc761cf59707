"""Dispatch, one test per rule in dispatch.py's docstring, rules 1 to 4: who is eligible, tickets
sent here, a counter's own lane, and ageing."""

from __future__ import annotations

import pytest

from manyi.lobby.domain import dispatch
from manyi.lobby.domain.dispatch import choose
from manyi.lobby.domain.model import CounterKind, Policy
from tests.lobby_dispatch_helpers import (
    NOW,
    POLICY,
    SERVICES,
    G,
    N,
    V,
    counter,
    drain,
    pick,
    sec,
    ticket,
)

# --- 1. Eligible ----------------------------------------------------------------------


def test_a_counter_calls_only_services_it_serves() -> None:
    waiting = [ticket("DEP", G), ticket("CASH")]
    assert choose(counter(["LOAN"]), waiting, SERVICES, POLICY, NOW) is None
    assert pick(counter(["LOAN", "DEP"]), waiting).ticket is waiting[0]


def test_a_skilled_service_needs_a_teller_with_the_skill() -> None:
    fx = ticket("FX", age=3000)  # aged, even so
    dep = ticket("DEP")
    unskilled = counter(["FX", "DEP"])
    assert dispatch.eligible(unskilled, [fx, dep], SERVICES) == [dep]
    assert pick(unskilled, [fx, dep]).ticket is dep
    assert choose(unskilled, [fx], SERVICES, POLICY, NOW) is None
    skilled = counter(["FX", "DEP"], skills=frozenset({"fx"}))
    assert pick(skilled, [fx, dep]).ticket is fx


def test_an_unknown_service_is_never_called() -> None:
    gone = ticket("GONE", age=5000)
    assert dispatch.eligible(counter(["GONE", "DEP"]), [gone], SERVICES) == []
    assert choose(counter(["GONE", "DEP"]), [gone], SERVICES, POLICY, NOW) is None


def test_a_ticket_transferred_to_a_counter_is_eligible_there_only() -> None:
    sent = ticket("DEP", target=2)
    one, two = counter(["DEP"], id=1), counter(["DEP"], id=2)
    assert dispatch.eligible(one, [sent], SERVICES) == []
    assert choose(one, [sent], SERVICES, POLICY, NOW) is None
    assert pick(two, [sent]).ticket is sent


# --- 2. Sent here ---------------------------------------------------------------------


def test_tickets_sent_here_come_first_oldest_first() -> None:
    c = counter(["LOAN", "DEP"], kind=CounterKind.GREEN, id=3)
    c.credits = {"green": 3, "normal": -3}
    waiting = [
        ticket("DEP", N, age=5000),  # aged
        ticket("LOAN", G, age=10),  # own lane, preferred service
        ticket("DEP", N, age=30, target=3),
        ticket("DEP", N, age=40, target=3),  # sent here, the older
        ticket("DEP", N, age=4000, target=9),  # sent elsewhere
    ]
    got = pick(c, waiting)
    assert got.ticket is waiting[3]
    assert got.reason == "sent_here"
    assert got.credits == {"green": 3, "normal": -3}  # the cycle is not charged
    assert got.credits is not c.credits


# --- 3. Own lane ----------------------------------------------------------------------


def test_fast_lane_counter_takes_fast_lane_services_first() -> None:
    c = counter(["DEP", "CASH"], kind=CounterKind.FAST_LANE)
    dep = ticket("DEP", G, age=600)  # preferred service, priority class, older
    cash = ticket("CASH", N, age=10)
    got = pick(c, [dep, cash])
    assert (got.ticket, got.reason) == (cash, "own_lane")
    # When no fast-lane customer waits, it helps with the rest.
    got = pick(c, [dep])
    assert (got.ticket, got.reason) == (dep, "cycle")


def test_own_lane_narrows_before_ageing() -> None:
    c = counter(["DEP", "CASH"], kind=CounterKind.FAST_LANE)
    old_dep = ticket("DEP", age=5000)
    cash = ticket("CASH", age=10)
    assert pick(c, [old_dep, cash]).ticket is cash
    # Within the lane, ageing still applies.
    aged_cash = ticket("CASH", age=POLICY.ageing_s)
    got = pick(c, [old_dep, cash, aged_cash])
    assert (got.ticket, got.reason) == (aged_cash, "aged")


def test_green_counter_takes_green_customers_first() -> None:
    c = counter(["LOAN", "DEP"], kind=CounterKind.GREEN)
    normal = ticket("LOAN", N, age=800)
    vip = ticket("LOAN", V, age=700)
    green = ticket("DEP", G, age=10)  # not even the preferred service
    got = pick(c, [normal, vip, green])
    assert (got.ticket, got.reason) == (green, "own_lane")
    got = pick(c, [normal, vip])
    assert got.reason == "cycle"


def test_vip_counter_takes_vip_customers_first() -> None:
    c = counter(["DEP"], kind=CounterKind.VIP)
    green = ticket("DEP", G, age=800)
    normal = ticket("DEP", N, age=700)
    vip = ticket("DEP", V, age=10)
    got = pick(c, [green, normal, vip])
    assert (got.ticket, got.reason) == (vip, "own_lane")
    got = pick(c, [green, normal])
    assert (got.ticket, got.reason) == (green, "cycle")


@pytest.mark.parametrize("kind", [CounterKind.REGULAR, CounterKind.FLEXIBLE])
def test_regular_and_flexible_counters_have_no_lane(kind: CounterKind) -> None:
    vip = ticket("CASH", V, age=10)
    normal = ticket("CASH", N, age=20)
    got = pick(counter(["CASH"], kind=kind), [vip, normal])
    # Weights VIP 1, normal 2: a fresh cycle starts with normal.
    assert (got.ticket, got.reason) == (normal, "cycle")
    got = pick(counter(["CASH"], kind=CounterKind.VIP), [vip, normal])
    assert (got.ticket, got.reason) == (vip, "own_lane")


# --- 4. Ageing ------------------------------------------------------------------------


def test_an_aged_ticket_beats_everything_younger() -> None:
    c = counter(["LOAN", "DEP"])
    c.credits = {"green": 100}  # green is owed a lot of turns
    aged = ticket("DEP", N, age=POLICY.ageing_s)  # exactly at the threshold
    green = ticket("LOAN", G, age=POLICY.ageing_s - 1)
    got = pick(c, [green, aged])
    assert (got.ticket, got.reason) == (aged, "aged")
    assert got.credits == {"green": 100}
    # One second younger, and it is just another normal customer.
    young = ticket("DEP", N, age=POLICY.ageing_s - 1)
    assert pick(c, [green, young]).ticket is green


def test_aged_tickets_go_oldest_first() -> None:
    c = counter(["LOAN", "DEP"])
    p = Policy(ageing_s=600)
    older = ticket("DEP", N, age=700)
    old = ticket("LOAN", G, age=650)
    same_time_higher_id = ticket("DEP", N, age=700)
    order = drain(c, [same_time_higher_id, old, older], 3, p)
    assert order == [older, same_time_higher_id, old]


def test_ageing_counts_from_the_queue_time() -> None:
    c = counter(["DEP"])
    requeued = ticket("DEP", N, age=60)
    requeued.issued_at = NOW - sec(5000)  # issued long ago, back in the queue a minute ago
    green = ticket("DEP", G, age=30)
    assert pick(c, [requeued, green]).ticket is green
