"""Which days an outlet opens (`lobby.domain.days.open_on`): its days of the week, the bank's
make-up working days (调休) and public holidays, against the real mainland calendar."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.errors import InvalidInput
from manyi.lobby.domain.days import ALL_WEEKDAYS, WORKING_WEEK, open_on
from manyi.lobby.domain.model import Policy
from manyi.workdays.domain.calendar import ChinaCalendar

CALENDAR = ChinaCalendar()


def opens(day: dt.date, weekdays: frozenset[int], on_holidays: bool = False) -> bool:
    works = CALENDAR.is_workday(day)
    holiday = not works and CALENDAR.holiday_name(day) is not None
    return open_on(day, weekdays, on_holidays, works, holiday)


def days_of(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(days=i) for i in range((dt.date(year + 1, 1, 1) - first).days)]


def test_the_default_week_opens_exactly_on_the_bank_s_working_days() -> None:
    for day in days_of(2025) + days_of(2026):
        assert opens(day, WORKING_WEEK) == CALENDAR.is_workday(day), day


def test_a_week_of_seven_days_closes_on_holidays_unless_it_opens_on_them() -> None:
    saturday, national_day = dt.date(2026, 11, 28), dt.date(2026, 10, 1)  # a Thursday
    assert not opens(saturday, WORKING_WEEK) and opens(saturday, ALL_WEEKDAYS)
    assert not opens(national_day, ALL_WEEKDAYS)
    assert opens(national_day, ALL_WEEKDAYS, on_holidays=True)
    # Open on holidays, but only on its own days of the week: a weekend outlet on a Thursday.
    assert not opens(national_day, frozenset({6, 7}), on_holidays=True)
    every_day = [opens(d, ALL_WEEKDAYS, on_holidays=True) for d in days_of(2026)]
    assert all(every_day)


def test_a_make_up_working_day_is_open_whatever_the_week() -> None:
    make_up = [d for d in days_of(2026) if CALENDAR.is_workday(d) and d.isoweekday() >= 6]
    assert make_up  # the calendar has some (调休)
    for day in make_up:
        assert opens(day, WORKING_WEEK) and opens(day, frozenset({1}))


def test_an_outlet_closed_on_mondays() -> None:
    monday = dt.date(2026, 11, 30)
    assert not opens(monday, frozenset({2, 3, 4, 5, 6, 7}))
    assert opens(monday + dt.timedelta(days=1), frozenset({2, 3, 4, 5, 6, 7}))


@pytest.mark.parametrize("weekdays", [frozenset(), frozenset({0}), frozenset({1, 8})])
def test_a_policy_needs_one_real_day_of_the_week_at_least(weekdays: frozenset[int]) -> None:
    with pytest.raises(InvalidInput) as refused:
        Policy(open_weekdays=weekdays)
    assert refused.value.field == "open_weekdays"
