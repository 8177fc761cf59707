"""The lobby's digital twin: run a scenario's replications and summarise their KPIs.

`run_scenario` is the entry point (the `manyi simulate` command, the tests,
the bench and the flexible-counter evaluation call it). One replication is
`replication.run_replication`: a discrete-event simulation in which every
call is decided by the lobby's own `dispatch.choose` and every change of a
ticket or counter is a `lobby.model` transition. See docs/simulation.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

from manyi.forecast import kpi
from manyi.forecast.records import Call, CounterControl, CounterTime, Customer, Replication
from manyi.forecast.replication import run_replication
from manyi.forecast.scenario import Scenario, open_intervals

__all__ = [
    "Call",
    "CounterControl",
    "CounterTime",
    "Customer",
    "Replication",
    "SimulationResult",
    "open_intervals",
    "run_replication",
    "run_scenario",
]


@dataclass(frozen=True)
class SimulationResult:
    scenario: Scenario
    replications: tuple[Replication, ...]
    summary: kpi.Summary

    @property
    def simulated(self) -> int:
        return sum(r.simulated for r in self.replications)


def run_scenario(
    scenario: Scenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    engine: str = "fast",
    trace: bool = False,
    control: Callable[[], CounterControl] | None = None,
    workers: int | None = 1,
) -> SimulationResult:
    """Run every replication and summarise the KPIs with 95 % confidence intervals.

    `engine` is "fast" (the default) or "lobby" (drive `lobby.engine.Lobby`;
    same decisions, slower). `control` makes a fresh `CounterControl` per
    replication. `workers` > 1 runs replications in that many processes
    (None: one per CPU); the numbers are the same as with one.
    """
    if replications is not None or seed is not None:
        scenario = replace(
            scenario,
            replications=scenario.replications if replications is None else replications,
            seed=scenario.seed if seed is None else seed,
        )
    count = scenario.replications
    workers = min(workers or os.cpu_count() or 1, count)
    if workers > 1 and control is None:
        # Each replication has its own streams, so the split changes no number.
        chunks = [range(i, count, workers) for i in range(workers)]
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(_run_chunk, [(scenario, c, engine, trace) for c in chunks]))
        runs = tuple(sorted((r for part in parts for r in part), key=lambda r: r.index))
    else:
        runs = tuple(
            run_replication(
                scenario, i, engine=engine, trace=trace, control=control() if control else None
            )
            for i in range(count)
        )
    return SimulationResult(scenario, runs, kpi.summarise(scenario, runs))


def _run_chunk(job: tuple[Scenario, range, str, bool]) -> list[Replication]:
    scenario, indexes, engine, trace = job
    return [run_replication(scenario, i, engine=engine, trace=trace) for i in indexes]
