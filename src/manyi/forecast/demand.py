"""Demand forecast for one day: arrivals and service times per 30-minute interval,
learned from an outlet's history, and the counters each interval needs.

Days are grouped by kind, because a branch's Monday, a pension-payment day
and the last workday of a month look different:

* Chinese public holidays and weekends that are not make-up workdays
  (调休) come from the calendar passed in: the bank's (`manyi.workdays`: the
  `chinese_calendar` package, with the years head office entered from the State
  Council's notice taking precedence), or the package alone by default. For a
  year neither knows, Monday–Friday count as workdays and a note says so.
* Peak days are configurable: pension-payment days of the month (default
  the 15th) and the last workdays of a month (default 2).
* Other workdays are grouped by weekday.

The forecast for a date averages the history's days of the same kind per
interval (falling back to all ordinary workdays when there are none of the
kind), and the service time per interval is the mean of the served customers'
service times then (falling back to the whole history's mean).
"""

from __future__ import annotations

import calendar as calendar_module
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from manyi.forecast.eventlog import Visit
from manyi.forecast.staffing import StaffingResult, staff_for
from manyi.workdays.domain import ChinaCalendar, HolidayCalendar

INTERVAL = dt.timedelta(minutes=30)
SLOTS_PER_DAY = 48
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class PeakDays:
    pension_days: tuple[int, ...] = (15,)
    month_end_workdays: int = 2


@dataclass(frozen=True)
class DayKind:
    kind: str  # "holiday", "weekend", "pension", "month_end", "mon".."fri", "makeup"
    open: bool
    note: str = ""


PACKAGE_CALENDAR: HolidayCalendar = ChinaCalendar()


def _is_workday(day: dt.date, calendar: HolidayCalendar) -> tuple[bool, str]:
    note = ""
    if not calendar.known(day):
        note = (
            f"the holidays of {day.year} are not known yet (not entered by head office, not in"
            " the package): Monday to Friday taken as workdays"
        )
    return calendar.is_workday(day), note


def _last_workdays(year: int, month: int, count: int, calendar: HolidayCalendar) -> set[dt.date]:
    days: list[dt.date] = []
    last = calendar_module.monthrange(year, month)[1]
    for number in range(last, 0, -1):
        day = dt.date(year, month, number)
        if calendar.is_workday(day):
            days.append(day)
            if len(days) == count:
                break
    return set(days)


def day_kind(
    day: dt.date, peaks: PeakDays | None = None, calendar: HolidayCalendar = PACKAGE_CALENDAR
) -> DayKind:
    peaks = peaks or PeakDays()
    workday, note = _is_workday(day, calendar)
    if not workday:
        holiday = calendar.holiday_name(day) is not None
        return DayKind("holiday" if holiday else "weekend", False, note)
    if day.day in peaks.pension_days:
        return DayKind("pension", True, note)
    if day in _last_workdays(day.year, day.month, peaks.month_end_workdays, calendar):
        return DayKind("month_end", True, note)
    if day.weekday() >= 5:
        return DayKind("makeup", True, note)  # 调休: a weekend day worked instead
    return DayKind(WEEKDAYS[day.weekday()], True, note)


@dataclass(frozen=True)
class IntervalForecast:
    start: dt.time
    arrivals: float  # expected customers in the interval
    service_s: float

    @property
    def arrivals_per_hour(self) -> float:
        return self.arrivals * (dt.timedelta(hours=1) / INTERVAL)


@dataclass(frozen=True)
class DayForecast:
    date: dt.date
    kind: DayKind
    based_on: int  # how many history days of that kind the forecast averages
    intervals: list[IntervalForecast]
    notes: list[str] = field(default_factory=list)


def forecast_day(
    visits: Iterable[Visit],
    date: dt.date,
    zone: ZoneInfo,
    peaks: PeakDays | None = None,
    calendar: HolidayCalendar = PACKAGE_CALENDAR,
) -> DayForecast:
    """Arrivals and service time per 30-minute interval of `date` (local time in `zone`), the
    history's days grouped by kind on `calendar` (pass the bank's)."""
    peaks = peaks or PeakDays()
    kind = day_kind(date, peaks, calendar)
    notes = [kind.note] if kind.note else []
    counts: dict[dt.date, list[int]] = defaultdict(lambda: [0] * SLOTS_PER_DAY)
    service: dict[int, list[float]] = defaultdict(list)
    everyone: list[float] = []
    for visit in visits:
        local = visit.issued_at.astimezone(zone)
        if local.date() >= date:
            continue  # only the past informs the forecast
        slot = (local.hour * 60 + local.minute) // 30
        counts[local.date()][slot] += 1
        if visit.outcome == "served" and visit.called_at is not None:
            seconds = (visit.finished_at - visit.called_at).total_seconds()
            if seconds > 0:
                service[slot].append(seconds)
                everyone.append(seconds)
    kinds = {day: day_kind(day, peaks, calendar).kind for day in counts}
    same = [day for day, k in kinds.items() if k == kind.kind]
    if not same and kind.open:
        ordinary = set(WEEKDAYS[:5])
        same = [day for day, k in kinds.items() if k in ordinary]
        notes.append(f"no {kind.kind} days in the history: ordinary workdays used")
    overall = sum(everyone) / len(everyone) if everyone else 0.0
    intervals = []
    for slot in range(SLOTS_PER_DAY):
        mean = sum(counts[day][slot] for day in same) / len(same) if same else 0.0
        times = service.get(slot, [])
        service_s = sum(times) / len(times) if times else overall
        start = dt.time(slot // 2, 30 * (slot % 2))
        intervals.append(IntervalForecast(start, mean if kind.open else 0.0, service_s))
    return DayForecast(date, kind, len(same), intervals, notes)


@dataclass(frozen=True)
class PlannedInterval:
    forecast: IntervalForecast
    staffing: StaffingResult


def plan_day(
    forecast: DayForecast, target_wait_s: float, service_level: float
) -> list[PlannedInterval]:
    """Counters per interval (Erlang C) to call `service_level` of customers within the target."""
    plan = []
    for interval in forecast.intervals:
        if interval.arrivals <= 0 or interval.service_s <= 0:
            staffing = staff_for(0.0, max(interval.service_s, 1.0), target_wait_s, service_level)
        else:
            staffing = staff_for(
                interval.arrivals_per_hour, interval.service_s, target_wait_s, service_level
            )
        plan.append(PlannedInterval(interval, staffing))
    return plan


def counter_hours(plan: Sequence[PlannedInterval]) -> float:
    return sum(p.staffing.servers for p in plan) * INTERVAL.total_seconds() / 3600
