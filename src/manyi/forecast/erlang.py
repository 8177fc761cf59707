"""Erlang staffing: how many counters a stream of customers needs.

Two queueing models, both with Poisson arrivals, exponential service times, `c` identical
counters and one first-come-first-served queue:

- Erlang C (M/M/c): customers wait as long as it takes. Stable only when the offered load
  `a = arrivals per second x mean service time` (in Erlangs) is below `c`.
- Erlang A (M/M/c+M): each waiting customer gives up after an exponentially distributed
  patience (mean `patience_s`). Always stable; some customers leave unserved.

Everything is computed in floating point without factorials or large powers: Erlang B comes
from its recurrence `B(n) = a·B(n-1) / (n + a·B(n-1))`, which only ever shrinks, Erlang C from B
(`C = c·B / (c - a·(1 - B))`), and the Erlang A sums are rescaled as they grow. Hundreds of
counters take microseconds (Erlang C) to milliseconds (Erlang A).

Sources (textbook results, restated here in our own words): the Erlang B recurrence and the
C-from-B identity are in any queueing text (e.g. Gross & Harris, *Fundamentals of Queueing
Theory*); Erlang A follows Palm (1943) and Garnett, Mandelbaum & Reiman, "Designing a call
center with impatient customers" (2002), see `erlang_a`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from manyi.errors import InvalidInput

__all__ = [
    "ErlangA",
    "StaffingResult",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "mean_wait_s",
    "occupancy",
    "service_level",
    "staff_for",
]

# Erlang A sums stop once a term is this small next to the running total (past the peak).
_NEGLIGIBLE = 1e-17
# A queue longer than this is a sign of a patience far longer than the load can bear.
_MAX_QUEUE_STATES = 1_000_000
_RESCALE_ABOVE = 1e250
# Service levels are compared with this slack so 0.8 is met by 0.7999999999999999.
_SLACK = 1e-12


# --- input checks (messages are catalogue ids; `field` names the parameter) -----------


def _check_servers(servers: int, minimum: int) -> None:
    if isinstance(servers, bool) or not isinstance(servers, int) or servers < minimum:
        raise InvalidInput(
            "the number of counters must be a whole number, at least {minimum}",
            "servers",
            minimum=minimum,
        )


def _check_load(load: float) -> float:
    if not (math.isfinite(load) and load >= 0):
        raise InvalidInput("the offered load must be a number, 0 or more", "load")
    return float(load)


def _check_service_time(value: float, field: str) -> float:
    if not (math.isfinite(value) and value > 0):
        raise InvalidInput("the service time must be greater than 0 seconds", field)
    return float(value)


def _check_target(value: float) -> float:
    if not (math.isfinite(value) and value >= 0):
        raise InvalidInput("the target time must be 0 seconds or more", "target_s")
    return float(value)


def _check_patience(value: float) -> float:
    if not value > 0:  # NaN fails too; +inf means "never gives up" (Erlang C)
        raise InvalidInput("the patience must be greater than 0 seconds", "patience_s")
    return float(value)


# --- Erlang B and C ---------------------------------------------------------------------


def _b(servers: int, load: float) -> float:
    b = 1.0
    for n in range(1, servers + 1):
        b = load * b / (n + load * b)
    return b


def _c_from_b(servers: int, load: float, b: float) -> float:
    if load >= servers:
        return 1.0
    return servers * b / (servers - load * (1.0 - b))


def _sl_c(servers: int, load: float, p_wait: float, aht_s: float, target_s: float) -> float:
    if load >= servers:
        return 0.0
    return 1.0 - p_wait * math.exp(-(servers - load) * target_s / aht_s)


def erlang_b(servers: int, load: float) -> float:
    """Probability that an arrival finds all `servers` busy when nobody may queue (M/M/c/c).

    `load` is the offered load in Erlangs (arrival rate x mean service time).
    """
    _check_servers(servers, 0)
    return _b(servers, _check_load(load))


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival has to wait (M/M/c); 1.0 when `load >= servers`."""
    _check_servers(servers, 1)
    load = _check_load(load)
    return _c_from_b(servers, load, _b(servers, load))


def service_level(servers: int, load: float, aht_s: float, target_s: float) -> float:
    """Share of arrivals called within `target_s` seconds (M/M/c, first come first served).

    `1 - C·exp(-(c - a)·t / aht)`: a waiting customer's wait is exponential with rate
    `(c - a) / aht`. 0.0 when the queue is unstable (`load >= servers`).
    """
    _check_servers(servers, 1)
    load = _check_load(load)
    aht_s = _check_service_time(aht_s, "aht_s")
    target_s = _check_target(target_s)
    return _sl_c(servers, load, _c_from_b(servers, load, _b(servers, load)), aht_s, target_s)


def mean_wait_s(servers: int, load: float, aht_s: float) -> float:
    """Mean wait over all arrivals, those served at once included: `C·aht / (c - a)`.

    Infinite when the queue is unstable (`load >= servers`).
    """
    _check_servers(servers, 1)
    load = _check_load(load)
    aht_s = _check_service_time(aht_s, "aht_s")
    if load >= servers:
        return math.inf
    return _c_from_b(servers, load, _b(servers, load)) * aht_s / (servers - load)


def occupancy(servers: int, load: float) -> float:
    """Share of time a counter is busy, `a / c`, capped at 1.0 when overloaded."""
    _check_servers(servers, 1)
    return min(1.0, _check_load(load) / servers)


# --- Erlang A ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ErlangA:
    """Steady-state figures of M/M/c+M; every share is over all arrivals."""

    p_wait: float  # finds every counter busy and joins the queue
    abandon: float  # leaves the queue before being called
    service_level: float  # called within the target (abandonment counts as a miss)
    mean_wait_s: float  # time in the queue, whether it ended in service or abandonment
    occupancy: float  # share of time a counter is busy


def erlang_a(
    servers: int, load: float, aht_s: float, patience_s: float, target_s: float = 0.0
) -> ErlangA:
    """M/M/c+M (Erlang A, Palm's model of impatient customers).

    Arrival rate `λ = load / aht`, service rate `μ = 1 / aht`, abandonment rate
    `θ = 1 / patience`. The number of customers present is a birth-death process: births at
    `λ`, deaths at `min(n, c)·μ + max(n - c, 0)·θ`. Below `c` its steady state is the Erlang B
    one, so the states `0..c` weigh `π_c / B(c, a)` together; above `c`,
    `π_(c+k) = π_c · Π_(i=1..k) λ / (cμ + iθ)`. The sum over `k` is taken until its terms are
    negligible (they grow while `cμ + kθ < λ`, then fall faster than geometrically). Then:

    - P(wait) = P(N ≥ c), by PASTA the share of arrivals who queue;
    - mean queue length `E[Q] = Σ k·π_(c+k)`; abandonment rate `θ·E[Q]`, so
      P(abandon) = `θ·E[Q] / λ` and, by Little's law, mean wait = `E[Q] / λ`;
    - service level = P(called within t) over all arrivals. An arrival with `k` customers
      ahead leaves the front of the queue one step at a time: with `j` ahead the next event
      (a call, or an abandonment among the `j` ahead or by itself) comes at rate
      `cμ + (j+1)θ`; it survives every step with probability `ν / (ν + k + 1)`
      (`ν = cμ/θ`, a telescoping product), independently of how long the steps take. The
      steps take `Σ Exp(θ(ν + 1 + j))`, `j = 0..k`, which is `-ln(X)/θ` with
      `X ~ Beta(ν + 1, k + 1)`; so P(steps ≤ t) = P(NB ≥ k + 1) for a negative binomial with
      shape `ν + 1` and success probability `e^(-θt)` (the incomplete-beta / negative
      binomial identity). As `θ → 0` this is the Erlang C answer.

    These are the quantities of Garnett, Mandelbaum & Reiman (2002), computed by summing the
    state probabilities directly instead of through incomplete gamma functions.
    """
    _check_servers(servers, 1)
    load = _check_load(load)
    aht_s = _check_service_time(aht_s, "aht_s")
    patience_s = _check_patience(patience_s)
    target_s = _check_target(target_s)
    if math.isinf(patience_s):
        p_wait = _c_from_b(servers, load, _b(servers, load))
        stable = load < servers
        return ErlangA(
            p_wait=p_wait,
            abandon=0.0,
            service_level=_sl_c(servers, load, p_wait, aht_s, target_s),
            mean_wait_s=p_wait * aht_s / (servers - load) if stable else math.inf,
            occupancy=min(1.0, load / servers),
        )
    return _erlang_a(servers, load, aht_s, patience_s, target_s)


def _erlang_a(servers: int, load: float, aht_s: float, patience_s: float, t: float) -> ErlangA:
    b = _b(servers, load)
    if load == 0 or b == 0.0:  # nobody comes, or the queue has no measurable weight
        return ErlangA(0.0, 0.0, 1.0, 0.0, load / servers)
    lam = load / aht_s
    theta = 1.0 / patience_s
    c_mu = servers / aht_s
    nu = c_mu / theta
    # Negative binomial NB(shape = ν + 1, p = e^(-θt)) in logs: log P(NB = j), its CDF.
    shape = nu + 1.0
    # 1 − p underflows to 0 for a target of a few nanoseconds: that is no target at all.
    one_minus_p = -math.expm1(-theta * t)
    timed = one_minus_p > 0.0
    log_1mp = math.log(one_minus_p) if timed else 0.0
    log_pmf = -shape * theta * t
    cdf = math.exp(log_pmf) if timed else 1.0
    tail = max(0.0, 1.0 - cdf)  # P(NB ≥ k + 1) for the current k

    q = 1.0  # π_(c+k) / π_c, times the running rescale
    total = 1.0  # Σ q
    moment = 0.0  # Σ k·q
    answered = nu / (nu + 1.0) * tail  # Σ q · P(called within t | k ahead)
    log_scale = 0.0
    k = 0
    while True:
        k += 1
        ratio = lam / (c_mu + k * theta)
        q *= ratio
        if tail > 0.0:
            log_pmf += math.log((shape + k - 1) / k) + log_1mp
            cdf += math.exp(log_pmf)
            tail = max(0.0, 1.0 - cdf)
            answered += q * nu / (nu + k + 1) * tail
        total += q
        moment += k * q
        if q > _RESCALE_ABOVE:
            q, total, moment, answered = (x / _RESCALE_ABOVE for x in (q, total, moment, answered))
            log_scale += math.log(_RESCALE_ABOVE)
        if ratio < 1.0 and q < _NEGLIGIBLE * total:
            break
        if k >= _MAX_QUEUE_STATES:
            raise InvalidInput(
                "the patience is too long for this load; leave it out to use Erlang C",
                "patience_s",
            )
    # States 0..c-1 weigh (1/B - 1)·π_c and the queue states total·π_c; multiply both by B.
    log_queue = math.log(b) + math.log(total) + log_scale
    p_wait = 1.0 / (1.0 + (1.0 - b) * math.exp(min(-log_queue, 700.0)))
    mean_queue = p_wait * moment / total
    abandon = min(1.0, theta * mean_queue / lam)
    return ErlangA(
        p_wait=p_wait,
        abandon=abandon,
        service_level=min(1.0, (1.0 - p_wait) + p_wait * answered / total),
        mean_wait_s=mean_queue / lam,
        occupancy=min(1.0, load * (1.0 - abandon) / servers),
    )


# --- staffing ---------------------------------------------------------------------------


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
