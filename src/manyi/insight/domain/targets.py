"""A prominent-issue category's monthly counts against its target path, and whether
complaints fell after a rectification task closed. Pure: months and counts come in.

The target path (documented in docs/complaints.md, "Prominent issues"):

- baseline B = the mean monthly count of the three months before the month of `starts_on`;
- target T = B × (1 − target_decline_pct / 100), to be reached in the month of `due_on`;
- in between the path falls in equal monthly steps (linear): the month of `starts_on` is step 1
  of K, where K counts the months from `starts_on` to `due_on` inclusive, and month i's target is
  B − (B − T) × i / K; from the month of `due_on` on, the target stays at T.

Status of the latest complete month: "on track" when its count is at or below that month's
target, "behind" when above; "not started" before the month of `starts_on`; "no baseline" when
the three months before had no complaints (nothing to reduce; the count is shown anyway).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

BASELINE_MONTHS = 3


class Status(enum.StrEnum):
    ON_TRACK = "on_track"
    BEHIND = "behind"
    NOT_STARTED = "not_started"
    NO_BASELINE = "no_baseline"
    NO_TIMETABLE = "no_timetable"


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the months from `first`'s to `last`'s, inclusive (empty if reversed)."""
    start, end = month_of(first), month_of(last)
    found = []
    month = start
    while month <= end:
        found.append(month)
        month = add_months(month, 1)
    return found


def baseline(counts: dict[dt.date, int], starts_on: dt.date) -> float:
    """The mean monthly count of the three months before the month of `starts_on` (a month
    missing from `counts` had no complaints)."""
    start = month_of(starts_on)
    months = [add_months(start, -i) for i in range(1, BASELINE_MONTHS + 1)]
    return sum(counts.get(m, 0) for m in months) / BASELINE_MONTHS


def target_for(
    month: dt.date, base: float, decline_pct: float, starts_on: dt.date, due_on: dt.date
) -> float | None:
    """The path's target for `month` (None before the month of `starts_on`)."""
    start, due = month_of(starts_on), month_of(due_on)
    if month < start:
        return None
    steps = len(months_between(start, due))  # K >= 1 (due not before start, checked on entry)
    done = min(len(months_between(start, month)), steps)
    goal = base * (1 - decline_pct / 100)
    return base - (base - goal) * done / steps


@dataclass(frozen=True)
class MonthPoint:
    month: dt.date
    count: int
    target: float | None
    complete: bool  # the month is over (the current month is still counting)


@dataclass(frozen=True)
class Progress:
    baseline: float
    goal: float  # the count asked for by the month of `due_on`
    points: tuple[MonthPoint, ...]
    status: Status
    latest: MonthPoint | None  # the latest complete month
    decline_pct: float | None  # the latest complete month against the baseline, in per cent


def progress(
    counts: dict[dt.date, int],
    *,
    decline_pct: float,
    starts_on: dt.date | None,
    due_on: dt.date | None,
    today: dt.date,
    first: dt.date | None = None,
) -> Progress:
    """Monthly counts (zero-filled) from `first` (default: the baseline's first month) to this
    month, each with its target, and the status of the latest complete month."""
    this_month = month_of(today)
    if starts_on is None or due_on is None:
        months = months_between(first or add_months(this_month, -11), this_month)
        points = tuple(MonthPoint(m, counts.get(m, 0), None, m < this_month) for m in months)
        done = [p for p in points if p.complete]
        return Progress(0.0, 0.0, points, Status.NO_TIMETABLE, done[-1] if done else None, None)
    base = baseline(counts, starts_on)
    goal = base * (1 - decline_pct / 100)
    start_from = first or add_months(month_of(starts_on), -BASELINE_MONTHS)
    points = tuple(
        MonthPoint(
            m,
            counts.get(m, 0),
            target_for(m, base, decline_pct, starts_on, due_on),
            m < this_month,
        )
        for m in months_between(start_from, this_month)
    )
    complete = [p for p in points if p.complete and p.target is not None]
    latest = complete[-1] if complete else None
    if latest is None:
        status = Status.NOT_STARTED
    elif base <= 0:
        status = Status.NO_BASELINE
    else:
        assert latest.target is not None
        status = Status.ON_TRACK if latest.count <= latest.target + 1e-9 else Status.BEHIND
    change = None
    if latest is not None and base > 0:
        change = round((1 - latest.count / base) * 100, 1)
    return Progress(base, goal, points, status, latest, change)


@dataclass(frozen=True)
class BeforeAfter:
    """Complaints of the category in the task's unit before and after the task closed."""

    weeks: int  # the window's length on each side
    before: int
    after: int
    weeks_after: int  # weeks of the after window already past (the window may still run)
    fell: bool | None  # None: too early to say (less than half the window has passed)
    change_pct: float | None


def before_after(
    days: Sequence[dt.date], closed_on: dt.date, today: dt.date, *, weeks: int = 8
) -> BeforeAfter:
    """Counts in the `weeks` weeks before the day a task closed and in the weeks after it (up to
    today); "fell" compares the weekly rates once at least half the after window has passed."""
    span = dt.timedelta(weeks=weeks)
    before = sum(1 for d in days if closed_on - span <= d < closed_on)
    after_end = min(closed_on + span, today)
    after = sum(1 for d in days if closed_on <= d < after_end)
    elapsed = max(0, (after_end - closed_on).days) // 7
    if elapsed * 2 < weeks:
        return BeforeAfter(weeks, before, after, elapsed, None, None)
    rate_before = before / weeks
    rate_after = after / elapsed
    change = None if rate_before == 0 else round((rate_after / rate_before - 1) * 100, 1)
    return BeforeAfter(weeks, before, after, elapsed, rate_after < rate_before, change)
