"""Complaint deadlines: how days are counted (local midnight, daylight saving, month ends) and
the working-day calendars, with time frozen by passing `now`."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from manyi.complaints.domain.deadlines import ClockKind, DeadlineState, due_at, last_day
from manyi.complaints.domain.policies import PRESETS, DayCount, DeadlinePolicy
from manyi.complaints.domain.workcal import (
    ChinaCalendar,
    WeekdayCalendar,
    add_workdays,
    calendar_for,
    count_workdays,
)
from tests.complaint_deadline_helpers import (
    CBIRC,
    CBIRC_WORKDAYS,
    SECOND,
    SHANGHAI,
    UTC,
    event,
    local,
    received,
    sh,
    status_at,
)

# --- the counting rule ----------------------------------------------------------


def test_day_fifteen_ends_at_local_midnight_not_utc_midnight() -> None:
    history = (received(sh(2026, 3, 10, 14, 0)),)
    due = due_at(CBIRC, dt.date(2026, 3, 10), 0, SHANGHAI)
    assert due == dt.datetime(2026, 3, 25, 16, 0, tzinfo=UTC)
    assert due.tzinfo is UTC
    assert due != dt.datetime(2026, 3, 26, tzinfo=UTC)  # UTC midnight is 8 hours later

    last_second = status_at(sh(2026, 3, 25, 23, 59, 59), *history)
    assert last_second.state is DeadlineState.AT_RISK
    assert last_second.due_at == due and last_second.last_day == dt.date(2026, 3, 25)
    assert last_second.remaining == SECOND
    assert not last_second.breached and last_second.overdue_since is None

    first_minute = status_at(sh(2026, 3, 26, 0, 0), *history)
    assert first_minute.state is DeadlineState.OVERDUE
    assert first_minute.remaining == dt.timedelta(0)
    assert first_minute.breached and first_minute.overdue_since == due
    assert first_minute.risk_level == len(CBIRC.at_risk) + 1

    # 23:59 UTC on the 25th is already 07:59 on the 26th in Shanghai.
    assert status_at(dt.datetime(2026, 3, 25, 23, 59, tzinfo=UTC), *history).state is (
        DeadlineState.OVERDUE
    )
    assert status_at(dt.datetime(2026, 3, 25, 15, 59, tzinfo=UTC), *history).state is (
        DeadlineState.AT_RISK
    )


def test_the_same_instant_counts_from_different_dates_in_different_zones() -> None:
    instant = dt.datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # 01:00 Mar 11 in Shanghai
    in_shanghai = status_at(instant, received(instant))
    in_urumqi = status_at(instant, received(instant), tz="Asia/Urumqi")  # 23:00 Mar 10
    assert in_shanghai.started_on == dt.date(2026, 3, 11)
    assert in_shanghai.due_at == dt.datetime(2026, 3, 26, 16, 0, tzinfo=UTC)
    assert in_urumqi.started_on == dt.date(2026, 3, 10)
    assert in_urumqi.due_at == dt.datetime(2026, 3, 25, 18, 0, tzinfo=UTC)


def test_cfpb_in_new_york_across_the_start_of_daylight_saving() -> None:
    new_york = "America/New_York"
    receipt = received(local(new_york, 2026, 3, 1, 10, 0))  # EST; clocks go forward Mar 8
    now = local(new_york, 2026, 3, 16, 23, 59, 59)
    status = status_at(now, receipt, policy=PRESETS["cfpb"], tz=new_york)
    assert status.last_day == dt.date(2026, 3, 16)
    assert status.due_at == dt.datetime(2026, 3, 17, 4, 0, tzinfo=UTC)  # 00:00 EDT
    assert status.remaining == SECOND
    later = local(new_york, 2026, 3, 17, 0, 0)
    assert status_at(later, receipt, policy=PRESETS["cfpb"], tz=new_york).state is (
        DeadlineState.OVERDUE
    )
    extended = status_at(
        later,
        receipt,
        event(ClockKind.EXTENDED, local(new_york, 2026, 3, 12, 9, 0)),
        policy=PRESETS["cfpb"],
        tz=new_york,
    )
    assert extended.stage == 1 and extended.last_day == dt.date(2026, 4, 30)
    assert extended.due_at == dt.datetime(2026, 5, 1, 4, 0, tzinfo=UTC)


def test_a_skipped_midnight_ends_the_day_when_the_new_day_begins() -> None:
    # America/Santiago jumps from 24:00 on 5 Sep 2026 straight to 01:00 on the 6th.
    santiago = "America/Santiago"
    due = due_at(CBIRC, dt.date(2026, 8, 21), 0, santiago)
    assert due == dt.datetime(2026, 9, 6, 4, 0, tzinfo=UTC)
    assert due.astimezone(ZoneInfo(santiago)).hour == 1


def test_a_23_hour_day_is_used_by_its_real_length() -> None:
    one_day = DeadlinePolicy("one-day", "一日", "One day", DayCount.CALENDAR, "cn", (1,), ())
    new_york = "America/New_York"
    receipt = received(local(new_york, 2026, 3, 7, 12, 0))
    noon = local(new_york, 2026, 3, 8, 12, 0)  # 11 real hours into a 23-hour day
    status = status_at(noon, receipt, policy=one_day, tz=new_york)
    assert status.used == pytest.approx(11 / 23)
    assert status.remaining == dt.timedelta(hours=12)


def test_receipt_at_23_59_and_at_00_01_are_a_day_apart() -> None:
    late = status_at(sh(2026, 3, 11, 1, 0), received(sh(2026, 3, 10, 23, 59)))
    early = status_at(sh(2026, 3, 11, 1, 0), received(sh(2026, 3, 11, 0, 1)))
    assert late.last_day == dt.date(2026, 3, 25)
    assert early.last_day == dt.date(2026, 3, 26)
    assert early.due_at - late.due_at == dt.timedelta(days=1)
    assert early.used == 0.0  # the day of receipt is not counted
    assert late.used == pytest.approx(1 / 24 / 15)


@pytest.mark.parametrize(
    ("received_on", "expected_last_day"),
    [
        (dt.date(2026, 1, 31), dt.date(2026, 2, 15)),
        (dt.date(2026, 2, 20), dt.date(2026, 3, 7)),
        (dt.date(2024, 2, 20), dt.date(2024, 3, 6)),  # 29 February in between
        (dt.date(2024, 2, 29), dt.date(2024, 3, 15)),
        (dt.date(2026, 12, 20), dt.date(2027, 1, 4)),
    ],
)
def test_calendar_days_across_month_ends(received_on: dt.date, expected_last_day: dt.date) -> None:
    assert last_day(CBIRC, received_on, 0) == expected_last_day
    due = due_at(CBIRC, received_on, 0, SHANGHAI)
    assert due.astimezone(ZoneInfo(SHANGHAI)) == sh(*expected_last_day.timetuple()[:3]) + (
        dt.timedelta(days=1)
    )


# --- working days -----------------------------------------------------------------


def chinese_workdays_after(start: dt.date, n: int) -> dt.date:
    """Count with chinese_calendar directly, independently of workcal."""
    day = start
    while n:
        day += dt.timedelta(days=1)
        n -= chinese_calendar.is_workday(day)
    return day


def test_spring_festival_2026_under_working_days() -> None:
    # The premises, checked against the holiday data rather than assumed.
    assert chinese_calendar.is_workday(dt.date(2026, 2, 14))  # Saturday, make-up workday
    assert chinese_calendar.is_workday(dt.date(2026, 2, 28))  # Saturday, make-up workday
    for day in range(15, 24):
        assert not chinese_calendar.is_workday(dt.date(2026, 2, day))
    assert chinese_calendar.is_workday(dt.date(2026, 2, 24))

    receipt = received(sh(2026, 2, 13, 17, 30))  # Friday evening, just before the holiday
    status = status_at(sh(2026, 2, 14, 12, 0), receipt, policy=CBIRC_WORKDAYS)
    assert status.last_day == chinese_workdays_after(dt.date(2026, 2, 13), 15)
    assert status.last_day == dt.date(2026, 3, 12)
    assert status.due_at == dt.datetime(2026, 3, 12, 16, 0, tzinfo=UTC)
    assert status.calendar_known
    assert status.used == pytest.approx(0.5 / 15)  # half of the make-up Saturday

    # The clock does not run during the holiday: one working day used throughout.
    for day in (15, 17, 23):
        during = status_at(sh(2026, 2, day, 12, 0), receipt, policy=CBIRC_WORKDAYS)
        assert during.used == pytest.approx(1 / 15)
    after = status_at(sh(2026, 2, 24, 12, 0), receipt, policy=CBIRC_WORKDAYS)
    assert after.used == pytest.approx(1.5 / 15)

    calendar_due = status_at(sh(2026, 2, 14, 12, 0), receipt)
    assert calendar_due.last_day == dt.date(2026, 2, 28)


def test_received_during_the_holiday_counts_from_the_first_working_day() -> None:
    receipt = received(sh(2026, 2, 16, 9, 0))
    status = status_at(sh(2026, 2, 20, 9, 0), receipt, policy=CBIRC_WORKDAYS)
    assert status.used == 0.0
    assert status.last_day == chinese_workdays_after(dt.date(2026, 2, 16), 15)
    assert status.last_day == dt.date(2026, 3, 13)


def test_years_the_holiday_calendar_does_not_know_fall_back_to_weekdays() -> None:
    unknown = dt.date(2199, 3, 12)  # a Tuesday
    assert unknown.weekday() == 1 and not ChinaCalendar().known(unknown)
    receipt = received(sh(2199, 3, 12, 10, 0))
    status = status_at(sh(2199, 3, 13, 10, 0), receipt, policy=CBIRC_WORKDAYS)
    assert not status.calendar_known
    assert status.last_day == dt.date(2199, 4, 2)  # 15 weekdays after Tuesday 12 March
    assert status_at(sh(2199, 3, 13, 10, 0), receipt).calendar_known  # calendar days

    # A period that starts in a known year and runs into an unknown one.
    assert not ChinaCalendar().known(dt.date(2003, 12, 31))
    assert ChinaCalendar().known(dt.date(2004, 1, 2))
    straddling = status_at(
        sh(2004, 1, 2, 9, 0), received(sh(2003, 12, 30, 9, 0)), policy=CBIRC_WORKDAYS
    )
    assert not straddling.calendar_known
    inside = status_at(sh(2004, 1, 6, 9, 0), received(sh(2004, 1, 5, 9, 0)), policy=CBIRC_WORKDAYS)
    assert inside.calendar_known


def test_work_calendars() -> None:
    weekdays = calendar_for("weekdays")
    assert isinstance(weekdays, WeekdayCalendar)
    assert isinstance(calendar_for("cn"), ChinaCalendar)
    friday = dt.date(2026, 3, 13)
    assert add_workdays(weekdays, friday, 1) == dt.date(2026, 3, 16)
    assert add_workdays(weekdays, friday, 0) == friday
    assert add_workdays(weekdays, dt.date(2026, 3, 14), 1) == dt.date(2026, 3, 16)
    assert add_workdays(calendar_for("cn"), friday - dt.timedelta(days=28), 1) == (
        dt.date(2026, 2, 14)  # the make-up Saturday
    )
    assert add_workdays(calendar_for("cn"), dt.date(2026, 2, 14), 1) == dt.date(2026, 2, 24)
    assert count_workdays(weekdays, friday, dt.date(2026, 3, 20)) == 4
    assert count_workdays(weekdays, friday, friday) == 0
    assert ChinaCalendar().is_workday(dt.date(2199, 3, 12))  # a Tuesday, by the fallback
    assert not ChinaCalendar().is_workday(dt.date(2199, 3, 16))  # a Saturday
    with pytest.raises(ValueError, match="must not be negative"):
        add_workdays(weekdays, friday, -1)
    with pytest.raises(ValueError, match=r"unknown calendar 'uk' \(known: cn, weekdays\)"):
        calendar_for("uk")


class NoWorkdays:
    def is_workday(self, day: dt.date) -> bool:
        return False

    def known(self, day: dt.date) -> bool:
        return True


def test_a_calendar_without_working_days_fails_instead_of_looping() -> None:
    with pytest.raises(ValueError, match="no working day"):
        add_workdays(NoWorkdays(), dt.date(2026, 1, 1), 1)
