"""Simulator speed: the M/M/3 scenario in manyi and in Ciw, in one run.

Prints simulated customers per second for each and the ratio; asserts nothing.
manyi decides every call with the lobby's own `dispatch.choose` and applies
the `lobby.model` transitions; it runs with the default floor ("fast") and,
for comparison, driving `lobby.engine.Lobby` itself ("lobby"). Ciw (a
development dependency) runs the same queue: Poisson arrivals 0.2 a minute,
exponential service with a 10-minute mean, three servers, FIFO.

    .venv/bin/python bench/simulate.py [--replications 30] [--rounds 3] [--workers N]

Rounds are interleaved (manyi, Ciw, manyi, …) so that a noisy machine hurts
both alike; the median round is reported. On a shared machine the clock
wavers; `bench/simulate_instructions.py` counts instructions instead.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from manyi.forecast.scenario import Scenario, load_scenario
from manyi.forecast.simulation import run_scenario

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "mmc-3.yaml"


def manyi_rate(
    scenario: Scenario, replications: int, engine: str = "fast", workers: int = 1
) -> tuple[float, float]:
    """(customers per second, mean wait in minutes)."""
    start = time.perf_counter()
    result = run_scenario(scenario, replications=replications, engine=engine, workers=workers)
    elapsed = time.perf_counter() - start
    return result.simulated / elapsed, result.summary.mean_wait_s.mean / 60


def ciw_rate(scenario: Scenario, replications: int) -> tuple[float, float]:
    import ciw  # development dependency

    service = scenario.services[0]
    assert service.arrivals.per_hour is not None
    arrivals_per_min = service.arrivals.per_hour / 60
    service_rate = 60 / service.service_time.mean_s
    horizon, warmup = scenario.horizon_s / 60, scenario.warmup_s / 60
    customers, waits = 0, []
    start = time.perf_counter()
    for replication in range(replications):
        ciw.seed(scenario.seed * 1000 + replication)
        network = ciw.create_network(
            arrival_distributions=[ciw.dists.Exponential(rate=arrivals_per_min)],
            service_distributions=[ciw.dists.Exponential(rate=service_rate)],
            number_of_servers=[len(scenario.counters)],
        )
        sim = ciw.Simulation(network)
        sim.simulate_until_max_time(horizon)
        records = sim.get_all_records()
        customers += len(records)
        measured = [r.waiting_time for r in records if r.arrival_date >= warmup]
        waits.append(sum(measured) / len(measured))
    elapsed = time.perf_counter() - start
    return customers / elapsed, statistics.fmean(waits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="for the parallel manyi row"
    )
    args = parser.parse_args()
    scenario = load_scenario(SCENARIO)
    runs: dict[str, Callable[[], tuple[float, float]]] = {
        "manyi (fast floor)": lambda: manyi_rate(scenario, args.replications),
        "manyi (lobby.engine.Lobby)": lambda: manyi_rate(scenario, args.replications, "lobby"),
        "Ciw": lambda: ciw_rate(scenario, args.replications),
    }
    if args.workers > 1:
        runs[f"manyi (fast floor, {args.workers} processes)"] = lambda: manyi_rate(
            scenario, args.replications, workers=args.workers
        )
    rates: dict[str, list[float]] = {name: [] for name in runs}
    waits: dict[str, float] = {}
    for _ in range(args.rounds):
        for name, run in runs.items():
            rate, wait = run()
            rates[name].append(rate)
            waits[name] = wait
    median = {name: statistics.median(r) for name, r in rates.items()}
    ciw = median["Ciw"]
    print(
        f"M/M/3, {args.replications} replications × {scenario.horizon_s / 60:.0f} min, "
        f"median of {args.rounds} rounds (Erlang C mean wait 4.444 min)"
    )
    print(f"{'':<36}{'customers/s':>12}{'× Ciw':>8}{'mean wait':>12}   rounds")
    for name, rate in median.items():
        each = ", ".join(f"{r:,.0f}" for r in rates[name])
        print(f"{name:<36}{rate:>12,.0f}{rate / ciw:>8.2f}{waits[name]:>8.3f} min   {each}")


if __name__ == "__main__":
    main()
