"""Forecasting's answer to customer reach's `CapacityPort`: the staffing plan's capacity per
30-minute slot, for appointments (registered by `manyi.web.app` and `manyi.cli`).

Reach is above forecasting, so this module does not import it: the port is matched by shape
(`slot_capacity(...)` returning objects with `start`, `counters`, `servable`, `walk_ins`).

For a day, the outlet's last `HISTORY_WEEKS` weeks of visits of the service give the expected
walk-ins and service time per interval (`demand.forecast_day`, days grouped by kind on the
bank's calendar) and the counters the plan needs for them at the outlet's target wait
(`demand.plan_day`, Erlang C, `SERVICE_LEVEL` called within the target). The counters planned
in a slot are that number or, when more, the outlet's counters that serve the service (the
outlet rosters them through its opening hours). `servable` is the most arrivals those counters
serve in the slot at the same service level and target (`servable_arrivals`).

No history: no walk-ins forecast (0) and the service's configured expected service time, so the
counters that serve it decide alone; the walk-in share still keeps part of it free.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.forecast import demand, erlang
from manyi.forecast.export import export_visits
from manyi.lobby import layouts
from manyi.lobby.tables import LobbyCounter
from manyi.org.tables import Unit
from manyi.workdays import calendars

HISTORY_WEEKS = 8
SERVICE_LEVEL = 0.8
CACHE_S = 300.0  # a day's plan is kept this long per process (a booking page asks often)
SLOT_S = demand.INTERVAL.total_seconds()


@dataclass(frozen=True)
class PlannedSlot:
    start: dt.datetime
    counters: int
    servable: float
    walk_ins: float


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


_cache: dict[tuple[int, str, dt.date, int, str], tuple[float, dict[dt.datetime, PlannedSlot]]] = {}
_lock = threading.Lock()


def _serving_counters(session: Session, outlet_id: int, service_code: str) -> int:
    rows = session.scalars(select(LobbyCounter.services).where(LobbyCounter.outlet_id == outlet_id))
    return sum(1 for services in rows if service_code in (services or []))


def _day_plan(
    session: Session, outlet: Unit, service_code: str, day: dt.date, target_wait_s: int
) -> dict[dt.datetime, PlannedSlot]:
    lobby = layouts.layout(session, outlet)
    zone = ZoneInfo(lobby.policy.timezone)
    service = lobby.services.get(service_code)
    serving = _serving_counters(session, outlet.id, service_code)
    if service is None or serving == 0:
        return {}
    first = day - dt.timedelta(weeks=HISTORY_WEEKS)
    visits = [
        v
        for v in export_visits(session, outlet, first, day - dt.timedelta(days=1)).visits
        if v.service == service_code
    ]
    forecast = demand.forecast_day(visits, day, zone, calendar=calendars.bank_calendar(session))
    planned = demand.plan_day(forecast, target_wait_s, SERVICE_LEVEL) if visits else None
    slots: dict[dt.datetime, PlannedSlot] = {}
    for n, interval in enumerate(forecast.intervals):
        start = dt.datetime.combine(day, interval.start, zone).astimezone(dt.UTC)
        service_s = interval.service_s if visits and interval.service_s > 0 else None
        service_s = service_s or float(service.expected_service_s)
        walk_ins = interval.arrivals if visits else 0.0
        counters = max(serving, planned[n].staffing.servers if planned else 0)
        slots[start] = PlannedSlot(
            start, counters, servable_arrivals(counters, service_s, target_wait_s), walk_ins
        )
    return slots


class PlannedCapacity:
    def slot_capacity(
        self,
        session: Session,
        outlet: Unit,
        service_code: str,
        starts: Sequence[dt.datetime],
        target_wait_s: int,
        now: dt.datetime,
    ) -> Sequence[PlannedSlot]:
        if not starts:
            return ()
        zone = ZoneInfo(layouts.layout(session, outlet).policy.timezone)
        days = sorted({s.astimezone(zone).date() for s in starts})
        plan: dict[dt.datetime, PlannedSlot] = {}
        for day in days:
            key = (outlet.id, service_code, day, target_wait_s, str(session.get_bind().engine.url))
            with _lock:
                hit = _cache.get(key)
            if hit is not None and time.monotonic() - hit[0] < CACHE_S:
                plan.update(hit[1])
                continue
            fresh = _day_plan(session, outlet, service_code, day, target_wait_s)
            with _lock:
                _cache[key] = (time.monotonic(), fresh)
            plan.update(fresh)
        return [plan[s] for s in starts if s in plan]


def forget() -> None:
    """Drop the cached plans (tests)."""
    with _lock:
        _cache.clear()
