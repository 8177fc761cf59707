"""A day's staffing plan, run in the simulator: the service level it would really give.

Erlang C per interval assumes each 30 minutes is in steady state; a real morning
carries its queue from one interval into the next. The plan becomes a scenario —
one stream of customers with the forecast arrival rate per interval and the day's
mean service time (exponential), counter k open in the intervals the plan gives it
— and `simulation.run_scenario` runs it with the lobby's own dispatch.
"""

from __future__ import annotations

from collections.abc import Sequence

from manyi.forecast.demand import INTERVAL, PlannedInterval
from manyi.forecast.kpi import Summary
from manyi.forecast.scenario import (
    Arrivals,
    CounterSpec,
    Distribution,
    RateWindow,
    Scenario,
    ServiceSpec,
    Window,
)
from manyi.forecast.simulation import run_scenario

STEP_S = int(INTERVAL.total_seconds())


def _second(p: PlannedInterval) -> int:
    return p.forecast.start.hour * 3600 + p.forecast.start.minute * 60


def plan_scenario(
    plan: Sequence[PlannedInterval], target_wait_s: float, *, replications: int, seed: int
) -> Scenario | None:
    """The plan as a scenario; None when no customer is expected."""
    busy = [p for p in plan if p.forecast.arrivals > 0]
    if not busy:
        return None
    first, last = _second(busy[0]), _second(busy[-1]) + STEP_S
    customers = sum(p.forecast.arrivals for p in busy)
    mean_s = sum(p.forecast.arrivals * p.forecast.service_s for p in busy) / customers
    windows = tuple(
        RateWindow(_second(p), _second(p) + STEP_S, p.forecast.arrivals_per_hour) for p in busy
    )
    service = ServiceSpec(
        code="A",
        name="all services",
        prefix="A",
        arrivals=Arrivals(windows=windows),
        service_time=Distribution("exponential", mean_s),
    )
    most = max(p.staffing.servers for p in busy)
    counters = []
    for k in range(1, max(most, 1) + 1):
        opened: list[Window] = []
        for p in plan:
            start = _second(p)
            if p.staffing.servers < k or not first <= start < last:
                continue
            if opened and opened[-1].end_s == start:
                opened[-1] = Window(opened[-1].start_s, start + STEP_S)
            else:
                opened.append(Window(start, start + STEP_S))
        counters.append(CounterSpec(number=k, services=("A",), open=tuple(opened)))
    return Scenario(
        name="plan",
        horizon_s=float(last - first),
        services=(service,),
        counters=tuple(counters),
        replications=replications,
        seed=seed,
        target_wait_s=target_wait_s,
        start_s=first,
    )


def simulate_plan(
    plan: Sequence[PlannedInterval],
    target_wait_s: float,
    *,
    replications: int = 20,
    seed: int = 1,
) -> Summary | None:
    scenario = plan_scenario(plan, target_wait_s, replications=replications, seed=seed)
    return run_scenario(scenario).summary if scenario is not None else None
