"""Working-day calendars for deadlines counted in working days.

A calendar answers two questions about a local date: is it a working day, and
does the calendar actually know that year. `ChinaCalendar` follows the State
Council's yearly holiday notice (statutory holidays off, make-up workdays 调休
on), as packaged by `chinese_calendar`; the package is updated once the
notice for a year is published, usually in November or December of the year
before. For a year it does not know yet, it falls back to Monday to Friday and
says so through `known()`, so a caller can warn that a deadline may move once
the holidays are published.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import chinese_calendar

__all__ = [
    "CALENDAR_NAMES",
    "ChinaCalendar",
    "WeekdayCalendar",
    "WorkCalendar",
    "add_workdays",
    "calendar_for",
    "count_workdays",
]

# A calendar with no working day in a whole year is broken; stop rather than loop forever.
_MAX_SEARCH_DAYS = 366


class WorkCalendar(Protocol):
    def is_workday(self, day: dt.date) -> bool:
        """Whether `day` is a working day."""
        ...

    def known(self, day: dt.date) -> bool:
        """Whether `is_workday` for `day` rests on real data rather than a guess."""
        ...


class WeekdayCalendar:
    """Monday to Friday, no public holidays (jurisdictions without a holiday table)."""

    def is_workday(self, day: dt.date) -> bool:
        return day.weekday() < 5

    def known(self, day: dt.date) -> bool:
        return True


class ChinaCalendar:
    """Mainland China: statutory holidays and make-up workdays (调休).

    Outside the years `chinese_calendar` covers, Monday to Friday is assumed
    and `known()` is False.
    """

    def is_workday(self, day: dt.date) -> bool:
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return day.weekday() < 5

    def known(self, day: dt.date) -> bool:
        try:
            chinese_calendar.is_workday(day)
        except NotImplementedError:
            return False
        return True


_CALENDARS: dict[str, WorkCalendar] = {"cn": ChinaCalendar(), "weekdays": WeekdayCalendar()}
CALENDAR_NAMES: tuple[str, ...] = tuple(_CALENDARS)


def calendar_for(name: str) -> WorkCalendar:
    """The calendar called `name`: "cn" (mainland China) or "weekdays" (Monday to Friday)."""
    try:
        return _CALENDARS[name]
    except KeyError:
        known = ", ".join(CALENDAR_NAMES)
        raise ValueError(f"unknown calendar {name!r} (known: {known})") from None


def add_workdays(calendar: WorkCalendar, start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start`; `start` itself is never counted.

    `add_workdays(cal, friday, 1)` is the next working day, a Monday in a
    plain week. n = 0 gives `start` back.
    """
    if n < 0:
        raise ValueError(f"number of working days must not be negative, got {n}")
    day = start
    remaining = n
    idle = 0
    while remaining:
        day += dt.timedelta(days=1)
        if calendar.is_workday(day):
            remaining -= 1
            idle = 0
        else:
            idle += 1
            if idle > _MAX_SEARCH_DAYS:
                raise ValueError(f"calendar has no working day in a year after {day}")
    return day


def count_workdays(calendar: WorkCalendar, after: dt.date, before: dt.date) -> int:
    """How many working days lie strictly between `after` and `before` (0 if none)."""
    day = after + dt.timedelta(days=1)
    count = 0
    while day < before:
        count += calendar.is_workday(day)
        day += dt.timedelta(days=1)
    return count
