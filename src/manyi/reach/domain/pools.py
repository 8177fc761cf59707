"""Counters shared by several services (共用窗口): the places of services that share counters come
out of one pool, so together they never take more than those counters serve.

A customer of a service can only be served at a counter that serves it. Take any group of counters
K and the services whose counters all lie in K: their customers (walk-ins and appointments) can
only be served there, so together they must fit in what K serves. If that holds for every such
group, the customers can be shared out over the counters so that each is served (Hall's condition
of a transport problem; a group whose counters no service links adds nothing beyond its parts, so
only linked groups are pools). Per slot and pool:

    bookable = max(0, capacity_s − walk_in_s) × (1 − walk_in_share)
    Σ over the pool's services of booked × service_s  ≤  bookable

`capacity_s` is the seconds of service the pool's counters give in the slot at the outlet's target
wait (forecasting: Erlang C on the pool's walk-ins, at their mean service time), `walk_in_s` the
seconds the pool's expected walk-ins need, and a booking weighs its service's mean service time
(`service_s`), so a long service takes more of the pool than a short one. A service's free places
are the fewest any of its pools still has room for.

Worked example: counters 1 and 2 serve A (300 s) and B; counter 3 serves B (600 s) only. The pools
are {1, 2} with A alone (A can only go there) and {1, 2, 3} with A and B. With 3,000 s bookable in
{1, 2}, 6,000 s in {1, 2, 3} and nothing booked: A has 10 places (3,000 / 300), B 10 (6,000 / 600).
After 4 bookings of A (1,200 s): A has 6, B has 8 ((6,000 − 1,200) / 600): a booking of A took
room from B.

With one service per counter group this is the formula of one service alone: places =
floor(max(0, servable − walk_ins) × (1 − walk_in_share)).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# Linked counter groups enumerated per outlet at most. A lobby has a handful of distinct counter
# set-ups, so a real one never comes near; past it the services' own groups and the whole linked
# set are kept (the groups in between are not checked).
MAX_POOLS = 64


@dataclass(frozen=True)
class Pool:
    """A linked group of counters and the services only they serve."""

    counters: frozenset[int]
    services: frozenset[str]


def pools(serves: Mapping[int, Iterable[str]]) -> list[Pool]:
    """The pools of an outlet whose counter `n` serves the services `serves[n]`: every union of
    services' counter sets that the services link, with the services lying wholly inside it."""
    counters_of: dict[str, set[int]] = {}
    for counter, services in serves.items():
        for code in services:
            counters_of.setdefault(code, set()).add(counter)
    own = {frozenset(c) for c in counters_of.values()}
    groups = set(own)
    grown = True
    while grown and len(groups) <= MAX_POOLS:
        grown = False
        for group in list(groups):
            for other in own:
                union = group | other
                if group & other and union not in groups:
                    groups.add(union)
                    grown = True
    if len(groups) > MAX_POOLS:
        groups = own | set(_linked(own))
    return sorted(
        (
            Pool(group, frozenset(s for s, c in counters_of.items() if c <= group))
            for group in groups
        ),
        key=lambda p: (len(p.counters), sorted(p.counters)),
    )


def _linked(groups: Iterable[frozenset[int]]) -> list[frozenset[int]]:
    """The connected unions of `groups` (counters linked through shared services)."""
    merged: list[frozenset[int]] = []
    for group in groups:
        touching = [m for m in merged if m & group]
        merged = [m for m in merged if not m & group]
        merged.append(group.union(*touching))
    return merged


def pools_of(service: str, all_pools: Iterable[Pool]) -> list[Pool]:
    """The pools a booking of `service` draws on."""
    return [p for p in all_pools if service in p.services]


@dataclass(frozen=True)
class PoolPlan:
    """What the staffing plan says about one pool in one slot."""

    capacity_s: float  # seconds of service the counters give within the target wait
    walk_in_s: float  # seconds the expected walk-ins of the pool's services need
    service_s: Mapping[str, float]  # each of its services' mean service time: a booking's weight


def bookable_s(plan: PoolPlan, walk_in_share: float) -> float:
    """Seconds of the pool appointments may take in the slot (see the module's formula)."""
    return max(0.0, plan.capacity_s - max(0.0, plan.walk_in_s)) * (1.0 - walk_in_share)


def weight(plan: PoolPlan, service: str) -> float:
    """What one booking of `service` takes of the pool (at least a second)."""
    return max(1.0, plan.service_s.get(service, 0.0))


def used_s(pool: Pool, plan: PoolPlan, booked: Mapping[str, int]) -> float:
    return sum(max(0, booked.get(s, 0)) * weight(plan, s) for s in pool.services)


def room(
    service: str,
    plans: Sequence[tuple[Pool, PoolPlan | None]],
    booked: Mapping[str, int],
    walk_in_share: float,
) -> int:
    """Places `service` can still take in the slot: the fewest its pools have room for, given
    the places every service has `booked`; none when a pool has no plan (or there is no pool)."""
    mine = [(pool, plan) for pool, plan in plans if service in pool.services]
    if not mine:
        return 0
    fewest: int | None = None
    for pool, plan in mine:
        if plan is None:
            return 0
        left = bookable_s(plan, walk_in_share) - used_s(pool, plan, booked)
        # A hair of tolerance so 4.0 * 0.5 computed as 1.9999999 still gives 2.
        n = max(0, math.floor(left / weight(plan, service) + 1e-9))
        fewest = n if fewest is None else min(fewest, n)
    return fewest or 0
