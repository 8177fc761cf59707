"""Periods of the satisfaction page: days, ISO weeks, calendar months and quarters (pure).

`buckets(start, end, period)` cuts the local dates start..end (both inclusive) into the
periods that hold them, each with its label and first local day; the last bucket may be cut
short by `end`, the first by `start`. `previous(start, end)` is the range of the same length
just before, which the page compares against.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

MAX_BUCKETS = 400  # a year of days fits; more is refused (the chart would be unreadable)


class Period(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


@dataclass(frozen=True, slots=True)
class Bucket:
    label: str  # 2026-11-30, 2026-W48, 2026-11, 2026-Q4
    first: dt.date  # first local day inside the range


def period_start(day: dt.date, period: Period) -> dt.date:
    if period is Period.DAY:
        return day
    if period is Period.WEEK:
        return day - dt.timedelta(days=day.weekday())
    if period is Period.MONTH:
        return day.replace(day=1)
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def label(day: dt.date, period: Period) -> str:
    if period is Period.DAY:
        return day.isoformat()
    if period is Period.WEEK:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period is Period.MONTH:
        return f"{day.year:04d}-{day.month:02d}"
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


def next_start(start: dt.date, period: Period) -> dt.date:
    """The first day of the period after the one starting on `start`."""
    if period is Period.DAY:
        return start + dt.timedelta(days=1)
    if period is Period.WEEK:
        return start + dt.timedelta(days=7)
    months = 1 if period is Period.MONTH else 3
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def buckets(start: dt.date, end: dt.date, period: Period) -> list[Bucket]:
    if end < start:
        raise ValueError("the end of the range is before its start")
    found: list[Bucket] = []
    cursor = period_start(start, period)
    while cursor <= end:
        found.append(Bucket(label(cursor, period), max(cursor, start)))
        if len(found) > MAX_BUCKETS:
            raise ValueError(f"more than {MAX_BUCKETS} periods: choose a longer period")
        cursor = next_start(cursor, period)
    return found


def previous(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The range of the same number of days just before start..end."""
    days = (end - start).days + 1
    return start - dt.timedelta(days=days), start - dt.timedelta(days=1)
