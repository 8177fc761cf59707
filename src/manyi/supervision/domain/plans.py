"""Scheduled inspections (巡查): a plan's period and the day each outlet is visited (pure).

A plan covers the outlets under one unit for a period, a month ("2027-03"), a quarter
("2027-Q1") or a year ("2027"), and visits each of them `visits` times in it. The visits are
spread over the period's working days (the mainland calendar: holidays off, make-up workdays
on) so that an inspector's visits do not all fall on the first day:

- only days from `today` on count (a plan made in the middle of its quarter uses what is
  left of it); a period with no working day left is refused;
- with D working days, V visits per outlet and N outlets (in a fixed order), outlet i's k-th
  visit (k from 0) falls on working day ⌊(k + (i + ½)/N) / V × D⌋. Example: a quarter of 60
  working days, 3 outlets, 1 visit each: days 10, 30 and 50; 2 visits each: 5, 15, 25, 35, 45, 55.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from manyi.errors import InvalidInput
from manyi.workdays.domain.calendar import WorkCalendar

MAX_VISITS_PER_OUTLET = 6
MAX_VISITS_PER_PLAN = 2000
_PERIOD = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(0[1-9]|1[0-2])))?$")


@dataclass(frozen=True, slots=True)
class Period:
    label: str
    starts_on: dt.date
    ends_on: dt.date  # the last day, inclusive


def parse_period(text: str) -> Period:
    """'2027' (a year), '2027-Q1' (a quarter) or '2027-03' (a month)."""
    found = _PERIOD.match(text.strip().upper())
    if found is None or not 2000 <= int(found.group(1)) <= 2100:
        raise InvalidInput(
            "Give the period as a year (2027), a quarter (2027-Q1) or a month (2027-03).",
            "period",
        )
    year, quarter, month = int(found.group(1)), found.group(2), found.group(3)
    if quarter:
        first = 3 * (int(quarter) - 1) + 1
        start, end = dt.date(year, first, 1), _month_end(year, first + 2)
    elif month:
        start, end = dt.date(year, int(month), 1), _month_end(year, int(month))
    else:
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return Period(found.group(0), start, end)


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def check_visits(visits: int, outlets: int) -> None:
    if not 1 <= visits <= MAX_VISITS_PER_OUTLET:
        raise InvalidInput(
            "Each outlet is visited 1 to {limit} times in a plan.",
            "visits",
            limit=MAX_VISITS_PER_OUTLET,
        )
    if outlets == 0:
        raise InvalidInput("There is no open outlet under this unit to inspect.", "unit_id")
    if visits * outlets > MAX_VISITS_PER_PLAN:
        raise InvalidInput(
            "A plan holds at most {limit} visits; choose a smaller unit or fewer visits.",
            "visits",
            limit=MAX_VISITS_PER_PLAN,
        )


def working_days(calendar: WorkCalendar, period: Period, today: dt.date) -> list[dt.date]:
    day = max(period.starts_on, today)
    days = []
    while day <= period.ends_on:
        if calendar.is_workday(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def spread(
    calendar: WorkCalendar,
    period: Period,
    outlets: Sequence[int],
    visits: int,
    today: dt.date,
) -> list[tuple[int, dt.date]]:
    """(outlet, day) for every visit of the plan, by day then outlet (see the module)."""
    check_visits(visits, len(outlets))
    days = working_days(calendar, period, today)
    if not days:
        raise InvalidInput(
            "The period {period} has no working day left to inspect in.",
            "period",
            period=period.label,
        )
    n, d = len(outlets), len(days)
    planned = [
        (outlet, days[min(d - 1, int((k + (i + 0.5) / n) / visits * d))])
        for i, outlet in enumerate(outlets)
        for k in range(visits)
    ]
    return sorted(planned, key=lambda pair: (pair[1], outlets.index(pair[0])))
