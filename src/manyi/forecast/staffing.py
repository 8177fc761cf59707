"""Staffing: the fewest counters that call a share of the customers within a target time.

`staff_for` searches the counters with the formulas of `erlang` (Erlang C, or Erlang A when
the customers' patience is given) and adds the shrinkage to roster people, not counters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from manyi.errors import InvalidInput

# The unchecked kernels: the inputs are checked once here, not at every step of the search.
from manyi.forecast.erlang import (
    ErlangA,
    _b,
    _c_from_b,
    _check_patience,
    _check_service_time,
    _check_target,
    _erlang_a,
    _sl_c,
)

__all__ = ["StaffingResult", "staff_for"]

# Service levels are compared with this slack so 0.8 is met by 0.7999999999999999.
_SLACK = 1e-12


@dataclass(frozen=True)
class StaffingResult:
    """The fewest counters meeting the service level, and the figures at that number.

    `staff` is the people to roster once shrinkage (breaks, training, absence) is allowed
    for; `abandon` is only set when a patience was given (Erlang A).
    """

    servers: int
    p_wait: float
    service_level: float
    mean_wait_s: float
    occupancy: float
    staff: int
    abandon: float | None = None


def staff_for(
    arrivals_per_hour: float,
    service_s: float,
    target_s: float,
    service_level: float,
    shrinkage: float = 0.0,
    patience_s: float | None = None,
    max_servers: int = 2000,
) -> StaffingResult:
    """The smallest number of counters that calls `service_level` of the customers within
    `target_s` seconds: Erlang C, or Erlang A when `patience_s` is given (see `erlang_a`
    for the service-level definition there). Under Erlang C the answer is always more than
    the load, so the queue is stable. No arrivals need no counters.

    Raises `InvalidInput` (with the parameter as `field`) for impossible inputs, and when more
    than `max_servers` counters would be needed.
    """
    arrivals = arrivals_per_hour
    if not (math.isfinite(arrivals) and arrivals >= 0):
        raise InvalidInput("arrivals per hour must be a number, 0 or more", "arrivals_per_hour")
    service_s = _check_service_time(service_s, "service_s")
    target_s = _check_target(target_s)
    if not 0 < service_level < 1:
        raise InvalidInput(
            "the service level must be between 0 and 1 (for example 0.8)", "service_level"
        )
    if not 0 <= shrinkage < 1:
        raise InvalidInput("shrinkage must be at least 0 and less than 1", "shrinkage")
    if patience_s is not None:
        patience_s = _check_patience(patience_s)
    if isinstance(max_servers, bool) or not isinstance(max_servers, int) or max_servers < 1:
        raise InvalidInput("the counter limit must be a whole number, at least 1", "max_servers")
    abandon0 = None if patience_s is None else 0.0
    if arrivals == 0:
        return StaffingResult(0, 0.0, 1.0, 0.0, 0.0, 0, abandon0)

    load = arrivals * service_s / 3600.0
    if patience_s is None or math.isinf(patience_s):
        servers, p_wait, level = _search_c(load, service_s, target_s, service_level, max_servers)
        wait = p_wait * service_s / (servers - load)
        busy = load / servers
        abandon = abandon0
    else:
        servers, figures = _search_a(
            load, service_s, patience_s, target_s, service_level, max_servers
        )
        p_wait, level, wait = figures.p_wait, figures.service_level, figures.mean_wait_s
        busy, abandon = figures.occupancy, figures.abandon
    # Rounded first so 14 / (1 - 0.3) = 20.000000000000004 rosters 20 people, not 21.
    staff = math.ceil(round(servers / (1.0 - shrinkage), 9))
    return StaffingResult(servers, p_wait, level, wait, busy, staff, abandon)


def _too_many(max_servers: int) -> InvalidInput:
    return InvalidInput(
        "more than {max_servers} counters would be needed; check the arrivals and times",
        "arrivals_per_hour",
        max_servers=max_servers,
    )


def _search_c(
    load: float, aht_s: float, target_s: float, wanted: float, max_servers: int
) -> tuple[int, float, float]:
    """Step up from the first stable number, carrying Erlang B along (O(answer) in all)."""
    servers = math.floor(load) + 1
    if servers > max_servers:
        raise _too_many(max_servers)
    b = _b(servers, load)
    while True:
        p_wait = _c_from_b(servers, load, b)
        level = _sl_c(servers, load, p_wait, aht_s, target_s)
        if level >= wanted - _SLACK:
            return servers, p_wait, level
        servers += 1
        if servers > max_servers:
            raise _too_many(max_servers)
        b = load * b / (servers + load * b)


def _search_a(
    load: float, aht_s: float, patience_s: float, target_s: float, wanted: float, max_servers: int
) -> tuple[int, ErlangA]:
    """Bisection: the service level grows with the counters. Served customers are at most
    `c·μ` a second, so a level `p` needs `c ≥ p·a`; that is where the search starts."""
    cache: dict[int, ErlangA] = {}

    def figures(servers: int) -> ErlangA:
        if servers not in cache:
            try:
                cache[servers] = _erlang_a(servers, load, aht_s, patience_s, target_s)
            except InvalidInput:
                if servers >= load:
                    raise
                # Overloaded with a queue past a million: (1 - c/a)·patience, the wait at the
                # back of it, dwarfs any target, so this many counters is simply too few.
                cache[servers] = ErlangA(1.0, 1.0 - servers / load, 0.0, math.inf, 1.0)
        return cache[servers]

    low = max(1, math.ceil(wanted * load - 1e-9))
    if low > max_servers or figures(max_servers).service_level < wanted - _SLACK:
        raise _too_many(max_servers)
    high = max_servers
    while low < high:
        middle = (low + high) // 2
        if figures(middle).service_level >= wanted - _SLACK:
            high = middle
        else:
            low = middle + 1
    return low, figures(low)
