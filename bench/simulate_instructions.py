"""Simulator cost in instructions per customer: manyi and Ciw on M/M/3, under callgrind.

The clock on a shared machine wavers by a third from one run to the next; the
number of instructions a run executes does not. Each simulator runs the
M/M/3 scenario (`scenarios/mmc-3.yaml`) in a fresh Python under
`valgrind --tool=callgrind`, once with `--small` replications and once with
`--large`; the difference in instructions divided by the difference in
customers is the marginal cost of one customer, with start-up and imports
taken out (string hashes are seeded alike, so reruns agree to about 1 %).
Prints those costs and Ciw's ÷ manyi's; asserts nothing.

    .venv/bin/python bench/simulate_instructions.py [--small 1] [--large 3] [--lobby]

Needs valgrind (skipped with a message when it is missing). About two minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "mmc-3.yaml"


def child(which: str, replications: int) -> None:
    """Run one simulator and print how many customers it simulated."""
    from manyi.forecast.scenario import load_scenario

    scenario = load_scenario(SCENARIO)
    if which in ("manyi", "lobby"):
        from manyi.forecast.simulation import run_scenario

        engine = "fast" if which == "manyi" else "lobby"
        print(run_scenario(scenario, replications=replications, engine=engine).simulated)
        return
    import ciw  # development dependency; the same queue as bench/simulate.py

    service = scenario.services[0]
    assert service.arrivals.per_hour is not None
    customers = 0
    for replication in range(replications):
        ciw.seed(scenario.seed * 1000 + replication)
        network = ciw.create_network(
            arrival_distributions=[ciw.dists.Exponential(rate=service.arrivals.per_hour / 60)],
            service_distributions=[ciw.dists.Exponential(rate=60 / service.service_time.mean_s)],
            number_of_servers=[len(scenario.counters)],
        )
        sim = ciw.Simulation(network)
        sim.simulate_until_max_time(scenario.horizon_s / 60)
        records = sim.get_all_records()
        waits = [r.waiting_time for r in records if r.arrival_date >= scenario.warmup_s / 60]
        _ = sum(waits) / len(waits)
        customers += len(records)
    print(customers)


def counted(which: str, replications: int) -> tuple[int, int]:
    """(instructions, customers) of one run under callgrind."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--child",
        which,
        str(replications),
    ]
    # A fixed hash seed: string hashes decide dict and set layouts, hence a few instructions.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)  # noqa: S603
    found = re.search(r"Collected : (\d+)", done.stderr)
    assert found, done.stderr[-2000:]
    return int(found.group(1)), int(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1, help="replications of the first run")
    parser.add_argument("--large", type=int, default=3, help="replications of the second run")
    parser.add_argument("--lobby", action="store_true", help="also manyi on lobby.engine.Lobby")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: no instruction counts")
        return
    names = {"manyi": "manyi (fast floor)", "lobby": "manyi (lobby.engine.Lobby)", "ciw": "Ciw"}
    if not args.lobby:
        del names["lobby"]
    cost: dict[str, float] = {}
    for which in names:
        small, large = counted(which, args.small), counted(which, args.large)
        cost[which] = (large[0] - small[0]) / (large[1] - small[1])
    print(
        f"M/M/3, instructions per simulated customer ({args.small} and {args.large} "
        f"replications × {SCENARIO.name}, callgrind)"
    )
    print(f"{'':<30}{'instructions':>14}{'Ciw ÷ this':>12}")
    for which, name in names.items():
        print(f"{name:<30}{cost[which]:>14,.0f}{cost['ciw'] / cost[which]:>12.2f}")


if __name__ == "__main__":
    main()
