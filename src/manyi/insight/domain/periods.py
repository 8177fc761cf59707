"""Periods for complaint analysis: cutting a range of local dates into days, ISO weeks, months,
quarters or years, and the period each one is compared with (pure).

A range is two local dates, both inclusive. `spans(start, end, kind)` returns every period that
touches the range, in order, clipped to it — a month with no complaint is still a span, so a
series always has every period and an empty one counts as zero (the old month-on-month figure
compared with the last month that *had* complaints; that was the bug).

Comparisons shift a span back:

- `Compare.MOM` (环比) — the period just before: a day, 7 days, a calendar month, three months
  or a year. A span cut short by the range is shifted as it is (1–15 March → 1–15 February).
- `Compare.YOY` (同比) — the same period a year earlier: twelve calendar months back, except for
  weeks, which go back 52 weeks so that a week still starts on a Monday.

Months are shifted by the calendar: 31 March → 28 (or 29) February, and a span that ends on the
last day of its month ends on the last day of the target month (1–30 April back a year is
1–30 April; February 2025 forward to 2024 is 1–29 February).
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from manyi.quality.domain import periods as quality_periods

MAX_SPANS = 1200  # three years of days; more is refused (no chart shows it)


class PeriodKind(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Compare(enum.StrEnum):
    MOM = "mom"  # 环比: the period before
    YOY = "yoy"  # 同比: the same period a year earlier


@dataclass(frozen=True, slots=True)
class Span:
    """A period clipped to the range: `first`..`last`, both inclusive local dates."""

    label: str  # 2026-11-30, 2026-W48, 2026-11, 2026-Q4, 2026
    first: dt.date
    last: dt.date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.first <= day <= self.last


def period_start(day: dt.date, kind: PeriodKind) -> dt.date:
    if kind is PeriodKind.YEAR:
        return dt.date(day.year, 1, 1)
    return quality_periods.period_start(day, quality_periods.Period(kind.value))


def label(day: dt.date, kind: PeriodKind) -> str:
    if kind is PeriodKind.YEAR:
        return f"{day.year:04d}"
    return quality_periods.label(day, quality_periods.Period(kind.value))


_MONTHS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}


def add_months(day: dt.date, months: int, *, keep_month_end: bool = False) -> dt.date:
    """`day` moved by whole calendar months, the day clamped to the target month's length;
    with `keep_month_end`, a month's last day stays the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    length = calendar.monthrange(year, month + 1)[1]
    last_of_month = day.day == calendar.monthrange(day.year, day.month)[1]
    return dt.date(
        year, month + 1, length if keep_month_end and last_of_month else min(day.day, length)
    )


def next_start(start: dt.date, kind: PeriodKind) -> dt.date:
    """The first day of the period after the one starting on `start`."""
    if kind is PeriodKind.DAY:
        return start + dt.timedelta(days=1)
    if kind is PeriodKind.WEEK:
        return start + dt.timedelta(days=7)
    return add_months(start, _MONTHS[kind])


def spans(start: dt.date, end: dt.date, kind: PeriodKind) -> list[Span]:
    """Every period touching start..end, in order, clipped to the range (never empty)."""
    if end < start:
        raise ValueError("the end of the range is before its start")
    found: list[Span] = []
    cursor = period_start(start, kind)
    while cursor <= end:
        following = next_start(cursor, kind)
        found.append(
            Span(
                label(cursor, kind), max(cursor, start), min(following - dt.timedelta(days=1), end)
            )
        )
        if len(found) > MAX_SPANS:
            raise ValueError(f"more than {MAX_SPANS} periods: choose a longer period")
        cursor = following
    return found


def shift(span: Span, kind: PeriodKind, compare: Compare) -> Span:
    """The span `span` is compared with (see the module's docstring)."""
    if compare is Compare.YOY and kind is not PeriodKind.WEEK:
        months = -12
    elif kind in _MONTHS:
        months = -_MONTHS[kind]
    else:
        days = {PeriodKind.DAY: 1, PeriodKind.WEEK: 7}[kind]
        if compare is Compare.YOY:
            days = 364
        first, last = span.first - dt.timedelta(days=days), span.last - dt.timedelta(days=days)
        return Span(label(first, kind), first, last)
    first = add_months(span.first, months)
    last = add_months(span.last, months, keep_month_end=True)
    return Span(label(first, kind), first, last)


def whole_months(start: dt.date, end: dt.date) -> int | None:
    """How many calendar months start..end covers exactly, or None if it is not whole months."""
    if start.day != 1 or next_start_day(end).day != 1:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def next_start_day(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=1)


def previous_range(start: dt.date, end: dt.date, compare: Compare) -> tuple[dt.date, dt.date]:
    """The range start..end is compared with: a year earlier (YOY), or the period of the same
    length just before (MOM) — whole calendar months when the range is whole months (March is
    compared with February, Q2 with Q1), else the same number of days."""
    if compare is Compare.YOY:
        return add_months(start, -12), add_months(end, -12, keep_month_end=True)
    months = whole_months(start, end)
    if months is not None:
        return add_months(start, -months), add_months(end, -months, keep_month_end=True)
    days = (end - start).days + 1
    return start - dt.timedelta(days=days), start - dt.timedelta(days=1)


def totals(counts_by_day: Mapping[dt.date, int], wanted: Sequence[Span]) -> list[int]:
    """The complaints of `counts_by_day` in each span (a span with none counts zero); the
    spans may overlap or repeat (a series and its comparison spans)."""
    days = sorted(counts_by_day)
    running = [0]
    for day in days:
        running.append(running[-1] + counts_by_day[day])
    return [
        running[bisect.bisect_right(days, s.last)] - running[bisect.bisect_left(days, s.first)]
        for s in wanted
    ]
