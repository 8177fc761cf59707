"""Forecasting's answer to customer reach's `CapacityPort`: the staffing plan's capacity per
30-minute slot for a pool of counters shared by some services, for appointments (registered by
`manyi.web.wiring` and `manyi.cli`).

Reach is above forecasting, so this module does not import it: the port is matched by shape
(`pool_capacity(...)` returning objects with `start`, `counters`, `capacity_s`, `walk_in_s`,
`service_s`). Reach decides the pools (`reach/domain/pools.py`: the counters and the services only
they serve); this module says what the plan gives them.

For a day, the outlet's last `HISTORY_WEEKS` weeks of visits of each service give its expected
walk-ins and service time per interval (`demand.forecast_day`, days grouped by kind on the bank's
calendar). A pool's walk-ins are its services' together, at their mean service time (weighted by
arrivals); the counters planned in a slot are what Erlang C needs for them at the outlet's target
wait (`SERVICE_LEVEL` called within the target) or, when more, the pool's counters (the outlet
rosters them through its opening hours). `capacity_s` is the most work those counters serve in
the slot at the same level and target (`servable_arrivals` × the mean service time), `walk_in_s`
the work of the expected walk-ins.

No history for a service: no walk-ins of it (0) and its configured expected service time, so the
counters decide alone; the walk-in share still keeps part of it free.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from manyi.db_keys import database_key
from manyi.forecast import demand, erlang
from manyi.forecast.eventlog import Visit
from manyi.forecast.export import export_visits
from manyi.forecast.staffing import staff_for
from manyi.lobby import layouts
from manyi.org.tables import Unit
from manyi.workdays import calendars

HISTORY_WEEKS = 8
SERVICE_LEVEL = 0.8
CACHE_S = 300.0  # a day's plan is kept this long per process (a booking page asks often)
SLOT_S = demand.INTERVAL.total_seconds()


@dataclass(frozen=True)
class PooledSlot:
    start: dt.datetime
    counters: int
    capacity_s: float
    walk_in_s: float
    service_s: Mapping[str, float]


def servable_arrivals(
    servers: int, service_s: float, target_s: float, level: float = SERVICE_LEVEL
) -> float:
    """The most arrivals in one slot that `servers` counters call `level` of within `target_s`
    (Erlang C); found by bisection on the load, which the service level falls with."""
    if servers <= 0 or service_s <= 0:
        return 0.0
    low, high = 0.0, float(servers)
    for _ in range(50):
        mid = (low + high) / 2
        if erlang.service_level(servers, mid, service_s, target_s) >= level:
            low = mid
        else:
            high = mid
    return low * SLOT_S / service_s


_Forecasts = dict[str, demand.DayForecast]
_forecasts: dict[tuple[int, dt.date, str], tuple[float, _Forecasts]] = {}
_PoolKey = tuple[int, frozenset[str], int, dt.date, int, str]
_pools: dict[_PoolKey, tuple[float, dict[dt.datetime, PooledSlot]]] = {}
_lock = threading.Lock()
_K = TypeVar("_K")
_V = TypeVar("_V")


def _cached(cache: dict[_K, tuple[float, _V]], key: _K, make: Callable[[], _V]) -> _V:
    with _lock:
        hit = cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < CACHE_S:
        return hit[1]
    fresh = make()
    with _lock:
        cache[key] = (time.monotonic(), fresh)
    return fresh


def _day_forecasts(session: Session, outlet: Unit, day: dt.date, zone: ZoneInfo) -> _Forecasts:
    """Each service's forecast for `day` from the outlet's history (services with visits)."""
    first = day - dt.timedelta(weeks=HISTORY_WEEKS)
    by_service: dict[str, list[Visit]] = {}
    for visit in export_visits(session, outlet, first, day - dt.timedelta(days=1)).visits:
        by_service.setdefault(visit.service, []).append(visit)
    calendar = calendars.bank_calendar(session)
    return {
        code: demand.forecast_day(visits, day, zone, calendar=calendar)
        for code, visits in by_service.items()
    }


def _pool_day(
    session: Session,
    outlet: Unit,
    services: frozenset[str],
    counters: int,
    day: dt.date,
    target_wait_s: int,
) -> dict[dt.datetime, PooledSlot]:
    lobby = layouts.layout(session, outlet)
    zone = ZoneInfo(lobby.policy.timezone)
    known = {code: lobby.services[code] for code in sorted(services) if code in lobby.services}
    if not known or counters <= 0:
        return {}
    key = (outlet.id, day, _url(session))
    forecasts = _cached(_forecasts, key, lambda: _day_forecasts(session, outlet, day, zone))
    slots: dict[dt.datetime, PooledSlot] = {}
    for n in range(demand.SLOTS_PER_DAY):
        start = dt.datetime.combine(day, dt.time(n // 2, 30 * (n % 2)), zone).astimezone(dt.UTC)
        arrivals: dict[str, float] = {}
        times: dict[str, float] = {}
        for code, service in known.items():
            forecast = forecasts.get(code)
            interval = forecast.intervals[n] if forecast is not None else None
            measured = interval.service_s if interval is not None else 0.0
            times[code] = measured if measured > 0 else float(service.expected_service_s)
            arrivals[code] = interval.arrivals if interval is not None else 0.0
        walk_ins = sum(arrivals.values())
        walk_in_s = sum(arrivals[code] * times[code] for code in known)
        mean_s = walk_in_s / walk_ins if walk_ins > 0 else sum(times.values()) / len(times)
        needed = 0
        if walk_ins > 0:
            per_hour = walk_ins * 3600 / SLOT_S
            needed = staff_for(per_hour, mean_s, target_wait_s, SERVICE_LEVEL).servers
        planned = max(counters, needed)
        capacity_s = servable_arrivals(planned, mean_s, target_wait_s) * mean_s
        slots[start] = PooledSlot(start, planned, capacity_s, walk_in_s, times)
    return slots


def _url(session: Session) -> str:
    return database_key(session)


class PlannedCapacity:
    def pool_capacity(
        self,
        session: Session,
        outlet: Unit,
        services: frozenset[str],
        counters: int,
        starts: Sequence[dt.datetime],
        target_wait_s: int,
        now: dt.datetime,
    ) -> Sequence[PooledSlot]:
        if not starts:
            return ()
        zone = ZoneInfo(layouts.layout(session, outlet).policy.timezone)
        plan: dict[dt.datetime, PooledSlot] = {}
        for day in sorted({s.astimezone(zone).date() for s in starts}):
            key = (outlet.id, frozenset(services), counters, day, target_wait_s, _url(session))
            day_plan: dict[dt.datetime, PooledSlot] = _cached(
                _pools,
                key,
                partial(_pool_day, session, outlet, services, counters, day, target_wait_s),
            )
            plan.update(day_plan)
        return [plan[s] for s in starts if s in plan]


def forget() -> None:
    """Drop the cached plans (tests)."""
    with _lock:
        _forecasts.clear()
        _pools.clear()
