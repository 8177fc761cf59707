"""Per teller and day figures of an outlet, its fairness figure and a teller's 30-day trend:
what the workload pages show and what the cockpit may read (`manyi.workload` PUBLIC).

Days are the outlet's business days (`lobby.domain.days`), closing time its lobby's opening
hours. Difficult cases are the tickets whose counter work includes a transaction the catalogue
marks difficult (a dispute, a loss report), plus the complaints received that day naming the
teller (`complaints.facts.naming_staff`: complaints are not tied to a ticket, so each counts
as one difficult customer that day).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from manyi.complaints import facts as complaint_facts
from manyi.lobby import layouts
from manyi.lobby.domain import days
from manyi.org.tables import Unit
from manyi.workload import queries
from manyi.workload.domain import day as day_rules
from manyi.workload.domain import fairness
from manyi.workload.domain.day import DayFigures

TREND_DAYS = 30


@dataclass(frozen=True)
class TellerDay:
    staff_id: int
    name: str
    day: dt.date
    figures: DayFigures


@dataclass(frozen=True)
class OutletDay:
    outlet_id: int
    day: dt.date
    tellers: tuple[TellerDay, ...]
    gini: float | None  # of weighted served per hour on duty (domain.fairness)
    cv: float | None


def bounds(session: Session, outlet: Unit, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants business day `day` of the outlet begins and ends."""
    policy = layouts.layout(session, outlet).policy
    start = days.day_start(day, policy.zone, policy.day_starts_at)
    return start, days.day_start(day + dt.timedelta(days=1), policy.zone, policy.day_starts_at)


def closing(session: Session, outlet: Unit, day: dt.date) -> dt.datetime | None:
    policy = layouts.layout(session, outlet).policy
    if policy.closes_at is None:
        return None
    return dt.datetime.combine(day, policy.closes_at, policy.zone).astimezone(dt.UTC)


def teller_days(
    session: Session,
    outlet: Unit,
    first: dt.date,
    last: dt.date,
    *,
    now: dt.datetime,
    break_min: float,
    staff_ids: Sequence[int] | None = None,
) -> list[TellerDay]:
    """Every teller's figures for each business day from `first` to `last` on which they were
    on duty or served (only `staff_ids` when given), by day then name."""
    since, _ = bounds(session, outlet, first)
    _, until = bounds(session, outlet, last)
    duty = queries.on_duty(session, outlet.id, since, until, now)
    served = queries.servings(session, outlet.id, since, until)
    tellers = sorted(set(duty) | set(served))
    if staff_ids is not None:
        tellers = [t for t in tellers if t in set(staff_ids)]
    names = queries.names(session, tellers)
    periods = []
    day = first
    while day <= last:
        periods.append((day, *bounds(session, outlet, day)))
        day += dt.timedelta(days=1)
    starts = [start for _, start, _ in periods]
    # Each serving in the day its service started: one pass, not one per day.
    by_day: dict[tuple[int, int], list[day_rules.Serving]] = defaultdict(list)
    for teller in tellers:
        for _, _, serving in served.get(teller, []):
            index = bisect.bisect_right(starts, serving.started_at) - 1
            if index >= 0:
                by_day[(teller, index)].append(serving)
    found: list[TellerDay] = []
    for index, (day, start, end) in enumerate(periods):
        complaints = complaint_facts.naming_staff(session, tellers, since=start, until=end)
        closes = closing(session, outlet, day)
        for teller in tellers:
            spans = [(max(s, start), min(e, end)) for s, e in duty.get(teller, []) if e > start]
            spans = [s for s in spans if s[0] < end]
            servings = by_day.get((teller, index), [])
            if not spans and not servings:
                continue
            figures = day_rules.figures(
                spans,
                servings,
                now=min(now, end),
                closes_at=closes,
                break_min=break_min,
                complaints=complaints.get(teller, 0),
            )
            found.append(TellerDay(teller, names.get(teller, str(teller)), day, figures))
    return sorted(found, key=lambda t: (t.day, t.name, t.staff_id))


def outlet_day(
    session: Session, outlet: Unit, day: dt.date, *, now: dt.datetime, break_min: float
) -> OutletDay:
    tellers = teller_days(session, outlet, day, day, now=now, break_min=break_min)
    loads = [
        t.figures.weighted_per_hour for t in tellers if t.figures.weighted_per_hour is not None
    ]
    return OutletDay(
        outlet.id,
        day,
        tuple(tellers),
        fairness.gini(loads),
        fairness.coefficient_of_variation(loads),
    )


def trend(
    session: Session,
    outlet: Unit,
    last: dt.date,
    *,
    now: dt.datetime,
    break_min: float,
    staff_ids: Sequence[int] | None = None,
) -> list[TellerDay]:
    """The last `TREND_DAYS` business days up to `last`, per teller."""
    first = last - dt.timedelta(days=TREND_DAYS - 1)
    return teller_days(
        session, outlet, first, last, now=now, break_min=break_min, staff_ids=staff_ids
    )


def business_day(session: Session, outlet: Unit, now: dt.datetime) -> dt.date:
    policy = layouts.layout(session, outlet).policy
    return days.business_day(now, policy.zone, policy.day_starts_at)
