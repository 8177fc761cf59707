"""Working-day calendars: is a local date a working day, and does the calendar know that year.

Mainland China follows the State Council's yearly notice: statutory holidays off, and
make-up workdays (调休上班), usually Saturdays or Sundays, on. The `chinese_calendar` package
carries the notices it has been released with; a year it does not know (2027, as of its 1.11
release) would be Monday to Friday, a guess.

`BankCalendar` merges what head office entered with the package, per year:

* a year head office entered is taken whole from the entered table: a listed date is a holiday
  or a make-up workday as entered, any other date of the year is Monday to Friday. The entered
  year wins over the package even where both know it, so a wrong package entry can be corrected
  (a per-date merge could not take a package holiday away);
* a notice may list a day of the year before (the 2019 notice moved 2018-12-29 to a workday): an
  entered date is taken as entered whatever its year;
* otherwise the package decides; a year neither knows is Monday to Friday and `known()` is False,
  so a caller can warn that a date counted in working days may still move.

Example: with 2027 entered as "2027-02-05..2027-02-13 春节" and make-up workday 2027-02-20
(a Saturday), 2027-02-08 (a Monday) is a holiday, 2027-02-20 a working day, and 2027-03-01 (a
Monday) a working day; without the entry, 2027-02-08 is a guessed working day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import chinese_calendar

# A calendar with no working day in a whole year is broken; stop rather than loop forever.
_MAX_SEARCH_DAYS = 366


class WorkCalendar(Protocol):
    def is_workday(self, day: dt.date) -> bool:
        """Whether `day` is a working day."""
        ...

    def known(self, day: dt.date) -> bool:
        """Whether `is_workday` for `day` rests on real data rather than a guess."""
        ...


class HolidayCalendar(WorkCalendar, Protocol):
    def holiday_name(self, day: dt.date) -> str | None:
        """The holiday `day` belongs to (春节, "Spring Festival"), None on any other day."""
        ...


def _weekday(day: dt.date) -> bool:
    return day.weekday() < 5


class WeekdayCalendar:
    """Monday to Friday, no public holidays (jurisdictions without a holiday table)."""

    def is_workday(self, day: dt.date) -> bool:
        return _weekday(day)

    def known(self, day: dt.date) -> bool:
        return True

    def holiday_name(self, day: dt.date) -> str | None:
        return None


# The package's tables, read once: its own `is_workday` checks the year range with a min and a
# max over every holiday on each call (0.1 ms), which a deadline status pays some hundred times.
_PACKAGE_HOLIDAYS: dict[dt.date, str] = {d: str(n) for d, n in chinese_calendar.holidays.items()}
_PACKAGE_WORKDAYS: dict[dt.date, str] = {d: str(n) for d, n in chinese_calendar.workdays.items()}
_PACKAGE_YEARS = range(min(_PACKAGE_HOLIDAYS).year, max(_PACKAGE_HOLIDAYS).year + 1)


class ChinaCalendar:
    """Mainland China as the `chinese_calendar` package knows it (the default): its holidays
    off, its make-up workdays on, as the package's own `is_workday` decides.

    Outside the years the package covers, Monday to Friday is assumed and `known()` is False.
    """

    def is_workday(self, day: dt.date) -> bool:
        if day in _PACKAGE_WORKDAYS:
            return True
        return _weekday(day) and day not in _PACKAGE_HOLIDAYS

    def known(self, day: dt.date) -> bool:
        return day.year in _PACKAGE_YEARS

    def holiday_name(self, day: dt.date) -> str | None:
        return _PACKAGE_HOLIDAYS.get(day)

    def year_days(self, year: int) -> list[EnteredDay]:
        """The package's holidays and make-up workdays of `year` (empty for a year it lacks):
        the starting point head office can correct, in the table's own terms."""
        days = [
            EnteredDay(day, DayKind.HOLIDAY, name, year)
            for day, name in _PACKAGE_HOLIDAYS.items()
            if day.year == year
        ]
        days += [
            EnteredDay(day, DayKind.WORKDAY, name, year)
            for day, name in _PACKAGE_WORKDAYS.items()
            if day.year == year and day.weekday() >= 5
        ]
        return sorted(days, key=lambda d: d.day)


class DayKind(StrEnum):
    HOLIDAY = "holiday"  # 放假
    WORKDAY = "workday"  # 调休上班: a weekend day worked


class YearSource(StrEnum):
    ENTERED = "entered"  # head office entered the notice
    PACKAGE = "package"  # the chinese_calendar package knows it
    GUESS = "guess"  # neither: Monday to Friday


@dataclass(frozen=True)
class EnteredDay:
    day: dt.date
    kind: DayKind
    name: str  # the holiday it belongs to: 春节, 国庆节 …
    year: int  # the notice's year (a day of December may belong to the next year's notice)


class BankCalendar:
    """The package's calendar with the years head office entered taking precedence."""

    def __init__(
        self,
        entered: Iterable[EnteredDay] = (),
        entered_years: Iterable[int] = (),
        package: ChinaCalendar | None = None,
    ) -> None:
        self._days: dict[dt.date, EnteredDay] = {d.day: d for d in entered}
        self.entered_years: frozenset[int] = frozenset(entered_years) | {
            d.year for d in self._days.values()
        }
        self._package = package or ChinaCalendar()

    def is_workday(self, day: dt.date) -> bool:
        entry = self._days.get(day)
        if entry is not None:
            return entry.kind is DayKind.WORKDAY
        if day.year in self.entered_years:
            return _weekday(day)
        return self._package.is_workday(day)

    def known(self, day: dt.date) -> bool:
        return self.source(day.year) is not YearSource.GUESS

    def holiday_name(self, day: dt.date) -> str | None:
        entry = self._days.get(day)
        if entry is not None:
            return entry.name if entry.kind is DayKind.HOLIDAY else None
        if day.year in self.entered_years:
            return None
        return self._package.holiday_name(day)

    def source(self, year: int) -> YearSource:
        """Where the calendar's answers for `year` come from."""
        if year in self.entered_years:
            return YearSource.ENTERED
        if self._package.known(dt.date(year, 7, 1)):
            return YearSource.PACKAGE
        return YearSource.GUESS

    def guessed(self, year: int) -> bool:
        return self.source(year) is YearSource.GUESS

    def entered_days(self, year: int) -> list[EnteredDay]:
        return sorted((d for d in self._days.values() if d.year == year), key=lambda d: d.day)


def guessed_years(calendar: WorkCalendar, first: dt.date, last: dt.date) -> tuple[int, ...]:
    """The years between `first` and `last` (both counted) whose days the calendar guesses."""
    years = []
    for year in range(first.year, last.year + 1):
        probe = max(first, dt.date(year, 1, 1))
        if not calendar.known(probe):
            years.append(year)
    return tuple(years)


@dataclass(frozen=True)
class Calendars:
    """The calendars a deadline policy may name: "cn" (mainland China: the bank's calendar
    when a service passes it, else the package) and "weekdays" (Monday to Friday)."""

    cn: WorkCalendar

    def named(self, name: str) -> WorkCalendar:
        if name == "cn":
            return self.cn
        return calendar_for(name)


PACKAGE_CALENDARS = Calendars(cn=ChinaCalendar())

_CALENDARS: Mapping[str, WorkCalendar] = {"cn": ChinaCalendar(), "weekdays": WeekdayCalendar()}
CALENDAR_NAMES: tuple[str, ...] = tuple(_CALENDARS)


def calendar_for(name: str) -> WorkCalendar:
    """The package-only calendar called `name`: "cn" (mainland China) or "weekdays" (Monday to
    Friday). Services use `Calendars.named` with the bank's calendar instead."""
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
