"""Erlang A staffing (customers who give up) against Erlang C, a small case by hand and the
one-counter closed form."""

from __future__ import annotations

import math

import pytest

from manyi.forecast.erlang import erlang_a, erlang_c, mean_wait_s, service_level
from manyi.forecast.staffing import staff_for

# --- Erlang A ---------------------------------------------------------------------------


@pytest.mark.parametrize("servers", [11, 14, 20])
def test_erlang_a_converges_to_erlang_c(servers: int) -> None:
    previous_gap = math.inf
    for patience in (1e3, 1e5, 1e7, 1e9):
        figures = erlang_a(servers, 10.0, 180, patience, 20)
        gap = abs(figures.p_wait - erlang_c(servers, 10.0))
        assert gap < previous_gap
        previous_gap = gap
    assert figures.p_wait == pytest.approx(erlang_c(servers, 10.0), abs=1e-5)
    assert figures.service_level == pytest.approx(service_level(servers, 10.0, 180, 20), abs=1e-5)
    assert figures.mean_wait_s == pytest.approx(mean_wait_s(servers, 10.0, 180), rel=1e-4)
    assert figures.abandon < 1e-5
    assert erlang_a(servers, 10.0, 180, math.inf, 20).p_wait == erlang_c(servers, 10.0)


def test_patience_means_fewer_counters() -> None:
    patient = staff_for(200, 180, 20, 0.8)
    impatient = staff_for(200, 180, 20, 0.8, patience_s=60)
    assert impatient.servers < patient.servers
    assert impatient.abandon is not None and 0 < impatient.abandon < 1
    assert impatient.service_level >= 0.8
    assert staff_for(200, 180, 20, 0.8, patience_s=1e7).servers == patient.servers


def test_erlang_a_overloaded_is_finite() -> None:
    # Twice the load the counters can serve: about half the customers must give up.
    figures = erlang_a(10, 20.0, 180, 1200, 20)
    assert figures.p_wait == pytest.approx(1.0, abs=1e-3)
    assert 0.49 < figures.abandon < 0.51
    assert figures.occupancy == pytest.approx(1.0, abs=1e-2)
    assert figures.mean_wait_s == pytest.approx(figures.abandon * 1200)
    # Hundreds of counters and a long patience: no overflow (bench/staffing.py times it).
    big = erlang_a(300, 400.0, 180, 3600, 20)
    assert 0.2 < big.abandon < 0.3 and big.p_wait == pytest.approx(1.0)


def birth_death(
    servers: int, lam: float, mu: float, theta: float, states: int = 600
) -> list[float]:
    """π_n for n = 0..states of the M/M/c+M chain, straight from the balance equations."""
    weights = [1.0]
    for n in range(1, states + 1):
        weights.append(weights[-1] * lam / (min(n, servers) * mu + max(n - servers, 0) * theta))
    total = sum(weights)
    return [w / total for w in weights]


def called_within(servers: int, mu: float, theta: float, queue: list[float], t: float) -> float:
    """Mass (weights `queue[k]` for k customers ahead) called within t, by uniformization of
    the tagged customer's chain: k → k-1 at cμ + kθ, 0 → called at cμ, gone at θ."""
    top = len(queue) - 1
    rate = servers * mu + (top + 1) * theta
    vector = list(queue)
    called = 0.0
    poisson = math.exp(-rate * t)
    result = 0.0
    steps = int(rate * t + 12 * math.sqrt(rate * t) + 30)
    for n in range(steps + 1):
        result += poisson * called
        poisson *= rate * t / (n + 1)
        moved = [0.0] * len(vector)
        called += vector[0] * servers * mu / rate
        for k, mass in enumerate(vector):
            leave = servers * mu + (k + 1) * theta
            moved[k] += mass * (1 - leave / rate)
            if k:
                moved[k - 1] += mass * (servers * mu + k * theta) / rate
        vector = moved
    return result


@pytest.mark.parametrize(
    ("servers", "per_hour", "aht", "patience", "target"),
    [(1, 30, 100, 60, 20), (2, 60, 90, 120, 30), (2, 100, 90, 200, 45)],
)
def test_erlang_a_small_case_by_hand(
    servers: int, per_hour: float, aht: float, patience: float, target: float
) -> None:
    lam, mu, theta = per_hour / 3600, 1 / aht, 1 / patience
    pi = birth_death(servers, lam, mu, theta)
    p_wait = sum(pi[servers:])
    mean_queue = sum((n - servers) * p for n, p in enumerate(pi) if n > servers)
    level = sum(pi[:servers]) + called_within(servers, mu, theta, pi[servers:], target)

    figures = erlang_a(servers, lam * aht, aht, patience, target)
    assert figures.p_wait == pytest.approx(p_wait, rel=1e-9)
    assert figures.abandon == pytest.approx(theta * mean_queue / lam, rel=1e-9)
    assert figures.mean_wait_s == pytest.approx(mean_queue / lam, rel=1e-9)
    assert figures.service_level == pytest.approx(level, abs=1e-9)
    assert figures.occupancy == pytest.approx(lam * (1 - figures.abandon) / (servers * mu))


def test_erlang_a_one_counter_closed_form() -> None:
    # c = 1, t = 0: P(wait) is the busy share, λ·(1 - P(abandon))/μ.
    figures = erlang_a(1, 0.5, 60, 30, 0)
    assert figures.p_wait == pytest.approx(0.5 * (1 - figures.abandon))
    assert figures.service_level == pytest.approx(1 - figures.p_wait)


def test_erlang_a_without_target_wait_answers_everyone_eventually() -> None:
    figures = erlang_a(3, 2.5, 120, 90, 1e6)
    assert figures.service_level == pytest.approx(1 - figures.abandon, abs=1e-9)
