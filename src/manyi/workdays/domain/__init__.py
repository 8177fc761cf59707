"""The working-day calendar, pure: the package's knowledge merged with the years head office
entered (`calendar`), and the notice's line format with its checks (`notice`)."""

from manyi.workdays.domain.calendar import (
    CALENDAR_NAMES,
    PACKAGE_CALENDARS,
    BankCalendar,
    Calendars,
    ChinaCalendar,
    DayKind,
    EnteredDay,
    HolidayCalendar,
    WeekdayCalendar,
    WorkCalendar,
    YearSource,
    add_workdays,
    calendar_for,
    count_workdays,
    guessed_years,
)

__all__ = [
    "CALENDAR_NAMES",
    "PACKAGE_CALENDARS",
    "BankCalendar",
    "Calendars",
    "ChinaCalendar",
    "DayKind",
    "EnteredDay",
    "HolidayCalendar",
    "WeekdayCalendar",
    "WorkCalendar",
    "YearSource",
    "add_workdays",
    "calendar_for",
    "count_workdays",
    "guessed_years",
]
