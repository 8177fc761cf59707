"""Working-day calendars for deadlines counted in working days: the shared calendar of the
`workdays` feature (`manyi.workdays.domain.calendar`), named here for the complaint rules and
for code written before the calendar became its own feature.

The rules take the calendar as an argument (`Calendars`): services pass the bank's calendar
(`manyi.workdays.calendars.calendars(session)`: the package with the years head office entered
taking precedence); `PACKAGE_CALENDARS` (the package alone) is the default of the pure rules.
"""

from __future__ import annotations

from manyi.workdays.domain.calendar import (
    CALENDAR_NAMES,
    PACKAGE_CALENDARS,
    Calendars,
    ChinaCalendar,
    WeekdayCalendar,
    WorkCalendar,
    add_workdays,
    calendar_for,
    count_workdays,
    guessed_years,
)

__all__ = [
    "CALENDAR_NAMES",
    "PACKAGE_CALENDARS",
    "Calendars",
    "ChinaCalendar",
    "WeekdayCalendar",
    "WorkCalendar",
    "add_workdays",
    "calendar_for",
    "count_workdays",
    "guessed_years",
]
