"""Counters shared by several services: the pools of an outlet's counters and the places they
leave each service (pure, no database)."""

from __future__ import annotations

import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.reach.domain.pools import Pool, PoolPlan, bookable_s, pools, pools_of, room
from tests.lobby_helpers import COUNTERS

SERVICES = "ABCD"


def _linked(services: tuple[str, ...], counters_of: dict[str, frozenset[int]]) -> bool:
    """Whether the services' counter sets form one linked group."""
    groups = [counters_of[s] for s in services]
    reached, rest = set(groups[0]), groups[1:]
    while rest:
        touching = [g for g in rest if g & reached]
        if not touching:
            return False
        for g in touching:
            reached |= g
        rest = [g for g in rest if g not in touching]
    return True


lobbies = st.dictionaries(
    st.integers(1, 5),
    st.sets(st.sampled_from(SERVICES), min_size=1, max_size=3),
    min_size=1,
    max_size=5,
)


@settings(max_examples=150, deadline=None)
@given(
    serves=lobbies,
    capacity=st.lists(st.floats(0, 3000), min_size=5, max_size=5),
    walk_ins=st.lists(st.floats(0, 4000), min_size=4, max_size=4),
    times=st.lists(st.sampled_from([120.0, 300.0, 480.0, 900.0]), min_size=4, max_size=4),
    share=st.floats(0, 0.9),
    wishes=st.lists(st.sampled_from(SERVICES), max_size=60),
)
def test_services_sharing_counters_never_book_more_than_the_counters_serve_beyond_walk_ins(
    serves: dict[int, set[str]],
    capacity: list[float],
    walk_ins: list[float],
    times: list[float],
    share: float,
    wishes: list[str],
) -> None:
    """Counter n serves `capacity[n-1]` seconds in the slot; service s needs `walk_ins[s]`
    seconds for its walk-ins and `times[s]` a customer. Customers book one after another while
    their service has room; then, for every linked group of services, the work booked fits in
    what their counters serve beyond the walk-ins of the services only those counters serve,
    less the walk-in share (Hall's condition, brute force over the groups, not the pools)."""
    index = {s: n for n, s in enumerate(SERVICES)}
    weight = {s: times[index[s]] for s in SERVICES}
    counters_of: dict[str, frozenset[int]] = {}
    for counter, codes in serves.items():
        for code in codes:
            counters_of[code] = counters_of.get(code, frozenset()) | {counter}

    def plan(counters: frozenset[int], services: frozenset[str]) -> PoolPlan:
        return PoolPlan(
            capacity_s=sum(capacity[n - 1] for n in counters),
            walk_in_s=sum(walk_ins[index[s]] for s in services),
            service_s={s: weight[s] for s in services},
        )

    plans: list[tuple[Pool, PoolPlan | None]] = [
        (p, plan(p.counters, p.services)) for p in pools(serves)
    ]
    booked: dict[str, int] = {}
    for wish in wishes:
        if room(wish, plans, booked, share) >= 1:
            booked[wish] = booked.get(wish, 0) + 1
    assert set(booked) <= set(counters_of)  # a service no counter serves books nothing
    served = sorted(counters_of)
    for size in range(1, len(served) + 1):
        for group in itertools.combinations(served, size):
            if not _linked(group, counters_of):
                continue
            counters = frozenset().union(*(counters_of[s] for s in group))
            inside = frozenset(s for s in served if counters_of[s] <= counters)
            work = sum(booked.get(s, 0) * weight[s] for s in inside)
            assert work <= bookable_s(plan(counters, inside), share) + 1e-6, (group, booked)


@given(
    servable=st.floats(0, 500),
    walk_ins=st.floats(0, 500),
    share=st.floats(0, 0.99),
    service_s=st.sampled_from([60.0, 300.0, 600.0]),
)
def test_one_service_alone_keeps_the_single_service_formula(
    servable: float, walk_ins: float, share: float, service_s: float
) -> None:
    alone = Pool(frozenset({1, 2}), frozenset({"A"}))
    plan = PoolPlan(servable * service_s, walk_ins * service_s, {"A": service_s})
    expected = math.floor(max(0.0, servable - walk_ins) * (1 - share) + 1e-9)
    places = room("A", [(alone, plan)], {}, share)
    assert abs(places - expected) <= 1  # float rounding only
    assert places <= max(0.0, servable - walk_ins) * (1 - share) + 1e-6


def test_the_worked_example_a_booking_of_one_service_takes_room_from_the_other() -> None:
    # Counters 1 and 2 serve A (300 s) and B; counter 3 serves B (600 s) only.
    found = pools({1: ["A", "B"], 2: ["A", "B"], 3: ["B"]})
    assert found == [
        Pool(frozenset({1, 2}), frozenset({"A"})),
        Pool(frozenset({1, 2, 3}), frozenset({"A", "B"})),
    ]
    times = {"A": 300.0, "B": 600.0}
    plans: list[tuple[Pool, PoolPlan | None]] = [
        (found[0], PoolPlan(6000.0, 0.0, times)),  # 3,000 s bookable at half kept
        (found[1], PoolPlan(12000.0, 0.0, times)),  # 6,000 s
    ]
    assert (room("A", plans, {}, 0.5), room("B", plans, {}, 0.5)) == (10, 10)
    assert (room("A", plans, {"A": 4}, 0.5), room("B", plans, {"A": 4}, 0.5)) == (6, 8)
    assert room("B", plans, {"A": 4, "B": 8}, 0.5) == 0
    assert room("A", [(found[0], None), plans[1]], {}, 0.5) == 0  # a pool the plan misses


def test_the_test_lobby_pools() -> None:
    # Counters 1 and 3 serve A and B, 2 serves K and A, 4 serves B, A and K, 5 serves C.
    found = pools({c.number: list(c.services) for c in COUNTERS})
    by_counters = {tuple(sorted(p.counters)): "".join(sorted(p.services)) for p in found}
    assert by_counters == {(5,): "C", (2, 4): "K", (1, 3, 4): "B", (1, 2, 3, 4): "ABK"}
    assert [sorted(p.counters) for p in pools_of("A", found)] == [[1, 2, 3, 4]]
    assert [sorted(p.counters) for p in pools_of("B", found)] == [[1, 3, 4], [1, 2, 3, 4]]


def test_many_counter_set_ups_keep_the_services_own_groups_and_the_whole() -> None:
    # Twelve services, each at its own counter and at counter 0: thousands of groups.
    serves = {n: [f"S{n}"] for n in range(1, 13)} | {0: [f"S{n}" for n in range(1, 13)]}
    found = pools(serves)
    assert len(found) == 13  # each service's counters {0, n}, and all of them
    assert max(len(p.counters) for p in found) == 13
