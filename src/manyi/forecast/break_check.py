"""Forecasting's answer to workload's break check: the service level the lobby would keep over
the next hour with some counters closed for a break, by the simulator (registered by
`manyi.web.wiring`).

Workload sits above forecasting, so this module does not import it: the port is matched by
shape (`levels(session, outlet, now, break_min)` returning a function of the closed counter
numbers). The scenario is the live lobby: the counters signed on now with their services, each
service's arrivals at the rate of the tickets issued in the last hour, the customers waiting
now arriving in the first minute, and service times the recent means (the configured expected
time when none was served lately). A counter on a break opens again after `break_min`
minutes. `REPLICATIONS` runs with a fixed seed: the same lobby gives the same answer, and two
closings are compared on the same random streams.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
from manyi.lobby import layouts, queries
from manyi.lobby.domain.model import CounterState
from manyi.lobby.tables import LobbyTicket
from manyi.org.tables import Unit

HORIZON_S = 3600
BURST_S = 60  # the customers waiting now arrive in the first minute
REPLICATIONS = 12
DAY_S = 24 * 3600


def live_scenario(session: Session, outlet: Unit, now: dt.datetime) -> Scenario | None:
    """The next hour of the live lobby, every signed-on counter open; None when none is."""
    snap = queries.snapshot(session, outlet, now)
    counters = [v.counter for v in snap.counters if v.counter.state is not CounterState.CLOSED]
    if not counters:
        return None
    local = now.astimezone(snap.policy.zone)
    start = local.hour * 3600 + local.minute * 60
    end = min(start + HORIZON_S, DAY_S)
    issued = dict(
        session.execute(
            select(LobbyTicket.service_code, func.count())
            .where(
                LobbyTicket.outlet_id == outlet.id,
                LobbyTicket.issued_at >= now - dt.timedelta(hours=1),
                LobbyTicket.issued_at <= now,
                LobbyTicket.previous_id.is_(None),
            )
            .group_by(LobbyTicket.service_code)
        ).all()
    )
    recent = layouts.recent_service_s(session, outlet.id, now)
    services = []
    for queue in snap.services:
        code, rate = queue.service.code, float(issued.get(queue.service.code, 0))
        burst = rate + queue.waiting * 3600 / BURST_S
        services.append(
            ServiceSpec(
                code=code,
                name=code,
                prefix=queue.service.prefix,
                arrivals=Arrivals(
                    windows=(
                        RateWindow(start, start + BURST_S, burst),
                        RateWindow(start + BURST_S, end, rate),
                    )
                ),
                service_time=Distribution(
                    "exponential", recent.get(code, float(queue.service.expected_service_s))
                ),
                skill=queue.service.skill,
            )
        )
    skills = frozenset(s.skill for s in services if s.skill)
    return Scenario(
        name="break check",
        horizon_s=float(end - start),
        services=tuple(services),
        counters=tuple(
            CounterSpec(number=c.number, services=c.services, kind=c.kind, skills=skills)
            for c in counters
        ),
        replications=REPLICATIONS,
        seed=1,
        target_wait_s=float(snap.policy.target_wait_s),
        start_s=start,
    )


def level_with(scenario: Scenario, closed: frozenset[int], break_min: float) -> float | None:
    """The predicted share called within the target wait with `closed` on a break."""
    back = scenario.start_s + round(break_min * 60)
    end = scenario.start_s + round(scenario.horizon_s)
    counters = tuple(
        replace(c, open=(Window(back, end),)) if c.number in closed else c
        for c in scenario.counters
    )
    if back >= end and all(c.number in closed for c in counters):
        return None
    summary = run_scenario(replace(scenario, counters=counters)).summary
    if summary.customers == 0:
        return 1.0  # nobody comes: nobody waits
    level = summary.service_level.mean
    return None if math.isnan(level) else level


class SimulatedBreaks:
    """Workload's `BreakCheck` port."""

    def levels(
        self, session: Session, outlet: Unit, now: dt.datetime, break_min: float
    ) -> Callable[[frozenset[int]], float | None]:
        scenario = live_scenario(session, outlet, now)
        if scenario is None:
            return lambda closed: None
        found: dict[frozenset[int], float | None] = {}

        def check(closed: frozenset[int]) -> float | None:
            if closed not in found:
                found[closed] = level_with(scenario, closed, break_min)
            return found[closed]

        return check
