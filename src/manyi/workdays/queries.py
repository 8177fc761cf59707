"""What the settings page shows: each year around today with where its days come from, and for
an entered year who entered it and when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.workdays.calendars import bank_calendar
from manyi.workdays.domain.calendar import ChinaCalendar, DayKind, EnteredDay, YearSource
from manyi.workdays.domain.notice import format_days
from manyi.workdays.tables import WorkdayYear

__all__ = ["YearView", "year_source", "year_text", "years"]


@dataclass(frozen=True)
class YearView:
    year: int
    source: YearSource
    days: list[EnteredDay]  # what the calendar lists for the year (entered, or the package's)
    row: WorkdayYear | None  # who entered it and when, for an entered year

    @property
    def holidays(self) -> int:
        return sum(d.kind is DayKind.HOLIDAY for d in self.days)

    @property
    def workdays(self) -> int:
        return sum(d.kind is DayKind.WORKDAY for d in self.days)


def years(session: Session, today: dt.date) -> list[YearView]:
    """Last year to two years ahead, and every entered year, newest first."""
    calendar = bank_calendar(session)
    rows = {row.year: row for row in session.scalars(select(WorkdayYear))}
    wanted = set(range(today.year - 1, today.year + 3)) | set(rows)
    package = ChinaCalendar()
    views = []
    for year in sorted(wanted, reverse=True):
        source = calendar.source(year)
        days = (
            calendar.entered_days(year) if source is YearSource.ENTERED else package.year_days(year)
        )
        views.append(YearView(year, source, days, rows.get(year)))
    return views


def year_text(session: Session, year: int) -> str:
    """The editor's starting text: the lines as entered, else the package's days for the year
    (to correct), else nothing."""
    row = session.get(WorkdayYear, year)
    if row is not None:
        return row.text
    return format_days(ChinaCalendar().year_days(year))


def year_source(session: Session, year: int) -> str:
    """The notice an entered year was taken from (its document number), else nothing."""
    row = session.get(WorkdayYear, year)
    return row.source if row is not None else ""
