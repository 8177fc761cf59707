"""The Erlang formulas: how long customers wait at a given number of counters.

The search for how many counters a stream of customers needs is in `staffing` (`staff_for`).
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
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "mean_wait_s",
    "occupancy",
    "service_level",
]

# Erlang A sums stop once a term is this small next to the running total (past the peak).
_NEGLIGIBLE = 1e-17
# A queue longer than this is a sign of a patience far longer than the load can bear.
_MAX_QUEUE_STATES = 1_000_000
_RESCALE_ABOVE = 1e250


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
