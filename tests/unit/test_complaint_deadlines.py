"""Complaint deadlines and working-day calendars, with time frozen by passing `now`."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyi.complaints.domain.deadlines import (
    ClockEvent,
    ClockKind,
    DeadlineState,
    DeadlineStatus,
    deadline_status,
    due_at,
    last_day,
)
from manyi.complaints.domain.policies import (
    PRESETS,
    DayCount,
    DeadlinePolicy,
    ExtensionRule,
    policy_from_dict,
    policy_to_dict,
)
from manyi.complaints.domain.workcal import (
    ChinaCalendar,
    WeekdayCalendar,
    add_workdays,
    calendar_for,
    count_workdays,
)

UTC = dt.UTC
SHANGHAI = "Asia/Shanghai"
CBIRC = PRESETS["cbirc-2020"]
CBIRC_WORKDAYS = PRESETS["cbirc-2020-workdays"]
SECOND = dt.timedelta(seconds=1)


def local(tz: str, *parts: int) -> dt.datetime:
    """An aware datetime at wall-clock `parts` (year, month, day, hour, minute, second) in tz."""
    return dt.datetime(*parts, tzinfo=ZoneInfo(tz))


def sh(*parts: int) -> dt.datetime:
    return local(SHANGHAI, *parts)


def event(kind: ClockKind, at: dt.datetime) -> ClockEvent:
    return ClockEvent(kind, at)


def received(at: dt.datetime) -> ClockEvent:
    return ClockEvent(ClockKind.RECEIVED, at)


def status_at(
    now: dt.datetime,
    *events: ClockEvent,
    policy: DeadlinePolicy = CBIRC,
    tz: str = SHANGHAI,
) -> DeadlineStatus:
    return deadline_status(events, policy, now, tz)


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


# --- risk ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "risk", "state"),
    [
        (sh(2026, 3, 10, 23, 0), 0, DeadlineState.ON_TIME),
        (sh(2026, 3, 18, 11, 59, 59), 0, DeadlineState.ON_TIME),
        (sh(2026, 3, 18, 12, 0), 1, DeadlineState.AT_RISK),  # 7.5 of 15 days
        (sh(2026, 3, 22, 23, 59, 59), 1, DeadlineState.AT_RISK),
        (sh(2026, 3, 23, 0, 0), 2, DeadlineState.AT_RISK),  # 12 of 15 days
        (sh(2026, 3, 26, 0, 0), 3, DeadlineState.OVERDUE),
    ],
)
def test_risk_levels_at_exactly_half_and_four_fifths(
    now: dt.datetime, risk: int, state: DeadlineState
) -> None:
    status = status_at(now, received(sh(2026, 3, 10, 14, 0)))
    assert (status.risk_level, status.state) == (risk, state)


def test_used_is_exact_at_the_thresholds() -> None:
    receipt = received(sh(2026, 3, 10, 14, 0))
    assert status_at(sh(2026, 3, 18, 12, 0), receipt).used == 0.5
    assert status_at(sh(2026, 3, 23, 0, 0), receipt).used == pytest.approx(0.8)
    assert status_at(sh(2026, 3, 27, 0, 0), receipt).used == pytest.approx(16 / 15)


def test_working_day_risk_counts_only_working_time() -> None:
    policy = PRESETS["fca-psd"]  # 15 business days, weekdays
    receipt = received(local("Europe/London", 2026, 3, 6, 15, 0))  # a Friday
    # Working days Mar 9-13 and 16 full, Mar 17 half: 6.5 of 15 is under half.
    assert (
        status_at(
            local("Europe/London", 2026, 3, 17, 12, 0), receipt, policy=policy, tz=("Europe/London")
        ).risk_level
        == 0
    )
    # Mar 9-13, 16-17 full and Mar 18 half: 7.5 of 15.
    halfway = status_at(
        local("Europe/London", 2026, 3, 18, 12, 0), receipt, policy=policy, tz="Europe/London"
    )
    assert halfway.used == 0.5 and halfway.risk_level == 1
    weekend = status_at(
        local("Europe/London", 2026, 3, 21, 12, 0), receipt, policy=policy, tz="Europe/London"
    )
    assert weekend.used == pytest.approx(10 / 15)


# --- extensions -------------------------------------------------------------------


def test_extension_granted_in_time() -> None:
    receipt = received(sh(2026, 3, 10, 14, 0))
    extension = event(ClockKind.EXTENDED, sh(2026, 3, 20, 10, 0))
    before = status_at(sh(2026, 3, 19, 10, 0), receipt, extension)
    assert before.stage == 0 and before.can_extend
    assert before.next_extension == ExtensionRule(
        needs_reason=True, needs_complainant_informed=True, needs_higher_approval=False
    )
    status = status_at(sh(2026, 3, 30, 10, 0), receipt, extension)
    assert status.stage == 1
    assert status.last_day == dt.date(2026, 4, 9)  # 30 days from the original receipt
    assert status.due_at == dt.datetime(2026, 4, 9, 16, 0, tzinfo=UTC)
    assert status.state is DeadlineState.AT_RISK  # 19.4 of 30 days
    assert not status.breached and status.overdue_since is None
    assert status.can_extend
    assert status.next_extension is not None and status.next_extension.needs_higher_approval


def test_extension_granted_late_takes_effect_but_the_breach_is_kept() -> None:
    receipt = received(sh(2026, 3, 10, 14, 0))
    late_extension = event(ClockKind.EXTENDED, sh(2026, 3, 28, 10, 0))
    first_due = dt.datetime(2026, 3, 25, 16, 0, tzinfo=UTC)

    # Asked about a time before the approval, the later event does not count yet.
    overdue = status_at(sh(2026, 3, 27, 10, 0), receipt, late_extension)
    assert overdue.state is DeadlineState.OVERDUE and overdue.stage == 0

    after = status_at(sh(2026, 3, 29, 10, 0), receipt, late_extension)
    assert after.stage == 1
    assert after.state is DeadlineState.AT_RISK  # 18.4 of 30 days used
    assert after.risk_level == 1
    assert after.breached and after.overdue_since == first_due
    assert after.remaining > dt.timedelta(0)


def test_extension_exactly_at_the_due_instant_is_late() -> None:
    receipt = received(sh(2026, 3, 10, 14, 0))
    status = status_at(
        sh(2026, 3, 27, 0, 0), receipt, event(ClockKind.EXTENDED, sh(2026, 3, 26, 0, 0))
    )
    assert status.breached and status.state is not DeadlineState.OVERDUE


def test_second_extension_and_no_third() -> None:
    receipt = received(sh(2026, 3, 10, 14, 0))
    first = event(ClockKind.EXTENDED, sh(2026, 3, 20, 10, 0))
    second = event(ClockKind.EXTENDED, sh(2026, 4, 5, 10, 0))
    status = status_at(sh(2026, 4, 6, 10, 0), receipt, first, second)
    assert status.stage == 2
    assert status.last_day == dt.date(2026, 5, 9)  # 60 days from receipt
    assert not status.can_extend and status.next_extension is None
    assert status.state is DeadlineState.ON_TIME  # 26.4 of 60 days
    third = event(ClockKind.EXTENDED, sh(2026, 4, 20, 10, 0))
    with pytest.raises(ValueError, match="no further extension: policy cbirc-2020 allows 2"):
        status_at(sh(2026, 4, 21, 10, 0), receipt, first, second, third)


def test_a_policy_without_extensions() -> None:
    policy = PRESETS["fca-disp"]
    receipt = received(local("Europe/London", 2026, 3, 2, 9, 0))
    london = "Europe/London"
    status = status_at(local(london, 2026, 3, 3, 9, 0), receipt, policy=policy, tz=london)
    assert not status.can_extend and status.next_extension is None
    assert status.last_day == dt.date(2026, 4, 27)  # 8 weeks
    with pytest.raises(ValueError, match="no further extension: policy fca-disp allows 0"):
        status_at(
            local("Europe/London", 2026, 3, 4, 9, 0),
            receipt,
            event(ClockKind.EXTENDED, local("Europe/London", 2026, 3, 3, 9, 0)),
            policy=policy,
            tz=london,
        )


# --- decision, reopening, stop -------------------------------------------------------


def test_decided_on_time_and_late() -> None:
    receipt = received(sh(2026, 3, 10, 14, 0))
    in_time = event(ClockKind.DECIDED, sh(2026, 3, 25, 23, 59, 59))
    done = status_at(sh(2026, 5, 1), receipt, in_time)
    assert done.state is DeadlineState.DONE_ON_TIME
    assert done.remaining == SECOND  # frozen at the decision
    assert done.risk_level == 0 and not done.breached and not done.can_extend
    assert done.used == pytest.approx(1.0, abs=1e-5)
    assert not done.is_open and status_at(sh(2026, 3, 11), receipt).is_open

    at_due = status_at(sh(2026, 5, 1), receipt, event(ClockKind.DECIDED, sh(2026, 3, 26)))
    assert at_due.state is DeadlineState.DONE_LATE and at_due.breached

    late = status_at(sh(2026, 5, 1), receipt, event(ClockKind.DECIDED, sh(2026, 3, 28, 10, 0)))
    assert late.state is DeadlineState.DONE_LATE
    assert late.breached and late.overdue_since == dt.datetime(2026, 3, 25, 16, tzinfo=UTC)
    assert late.remaining == -dt.timedelta(days=2, hours=10)
    assert late.risk_level == 0 and late.next_extension is None


def test_reopening_restarts_a_fresh_period_at_stage_zero() -> None:
    receipt = received(sh(2026, 3, 10, 14, 0))
    extension = event(ClockKind.EXTENDED, sh(2026, 3, 20, 10, 0))
    decision = event(ClockKind.DECIDED, sh(2026, 4, 15, 10, 0))  # late for 30 days
    reopening = event(ClockKind.REOPENED, sh(2026, 4, 20, 23, 30))
    status = status_at(sh(2026, 4, 21, 9, 0), receipt, extension, decision, reopening)
    assert status.state is DeadlineState.ON_TIME
    assert status.stage == 0 and status.can_extend
    assert status.started_on == dt.date(2026, 4, 20)
    assert status.last_day == dt.date(2026, 5, 5)
    assert status.breached  # the late decision stays on record
    assert status.overdue_since == dt.datetime(2026, 4, 9, 16, 0, tzinfo=UTC)

    on_time_then_reopened = status_at(
        sh(2026, 4, 21, 9, 0),
        receipt,
        event(ClockKind.DECIDED, sh(2026, 3, 15, 10, 0)),
        reopening,
    )
    assert not on_time_then_reopened.breached


def test_withdrawn_case_stops_the_clock() -> None:
    receipt = received(sh(2026, 3, 10, 14, 0))
    stopped = status_at(sh(2026, 6, 1), receipt, event(ClockKind.STOPPED, sh(2026, 3, 12, 9, 0)))
    assert stopped.state is DeadlineState.STOPPED
    assert not stopped.breached and not stopped.can_extend and stopped.risk_level == 0
    stopped_late = status_at(
        sh(2026, 6, 1), receipt, event(ClockKind.STOPPED, sh(2026, 4, 1, 9, 0))
    )
    assert stopped_late.state is DeadlineState.STOPPED and stopped_late.breached
    reopened = status_at(
        sh(2026, 6, 2),
        receipt,
        event(ClockKind.STOPPED, sh(2026, 3, 12, 9, 0)),
        event(ClockKind.REOPENED, sh(2026, 6, 1, 9, 0)),
    )
    assert reopened.state is DeadlineState.ON_TIME and reopened.started_on == dt.date(2026, 6, 1)


@pytest.mark.parametrize(
    ("events", "now", "reason"),
    [
        ((), sh(2026, 3, 11), "not yet received"),
        ((received(sh(2026, 3, 10)),), sh(2026, 3, 9), "not yet received"),
        ((event(ClockKind.DECIDED, sh(2026, 3, 10)),), sh(2026, 3, 11), "must start with"),
        (
            (received(sh(2026, 3, 10)), event(ClockKind.DECIDED, sh(2026, 3, 9))),
            sh(2026, 3, 11),
            "in time order",
        ),
        (
            (received(sh(2026, 3, 10)), received(sh(2026, 3, 11))),
            sh(2026, 3, 12),
            "received only once",
        ),
        (
            (received(sh(2026, 3, 10)), event(ClockKind.REOPENED, sh(2026, 3, 11))),
            sh(2026, 3, 12),
            "still open",
        ),
        (
            (
                received(sh(2026, 3, 10)),
                event(ClockKind.DECIDED, sh(2026, 3, 11)),
                event(ClockKind.EXTENDED, sh(2026, 3, 12)),
            ),
            sh(2026, 3, 13),
            "but the case was decided",
        ),
        (
            (
                received(sh(2026, 3, 10)),
                event(ClockKind.DECIDED, sh(2026, 3, 11)),
                event(ClockKind.DECIDED, sh(2026, 3, 12)),
            ),
            sh(2026, 3, 13),
            "but the case was decided",
        ),
        ((received(sh(2026, 3, 10)),), dt.datetime(2026, 3, 11), "now must be timezone-aware"),
    ],
)
def test_impossible_histories_are_refused(
    events: tuple[ClockEvent, ...], now: dt.datetime, reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        deadline_status(events, CBIRC, now, SHANGHAI)


def test_naive_event_times_and_unknown_zones_are_refused() -> None:
    with pytest.raises(ValueError, match="must be timezone-aware"):
        ClockEvent(ClockKind.RECEIVED, dt.datetime(2026, 3, 10))
    assert ClockEvent("decided", sh(2026, 3, 10)).kind is ClockKind.DECIDED  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'paused' is not a valid ClockKind"):
        ClockEvent("paused", sh(2026, 3, 10))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        status_at(sh(2026, 3, 11), received(sh(2026, 3, 10)), tz="Mars/Olympus")
    with pytest.raises(ValueError, match="has stages 0 to 2, not 3"):
        due_at(CBIRC, dt.date(2026, 3, 10), 3, SHANGHAI)


# --- policies as data -------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(PRESETS))
def test_presets_survive_a_json_round_trip(code: str) -> None:
    policy = PRESETS[code]
    assert policy.code == code and policy.name_zh and policy.name_en
    stored = json.loads(json.dumps(policy_to_dict(policy), ensure_ascii=False))
    assert policy_from_dict(stored) == policy


def test_presets_follow_the_regulations() -> None:
    assert CBIRC.limits == (15, 30, 60) and CBIRC.day_count is DayCount.CALENDAR
    assert [rule.needs_higher_approval for rule in CBIRC.extensions] == [False, True]
    assert all(rule.needs_complainant_informed for rule in CBIRC.extensions)
    assert CBIRC_WORKDAYS.day_count is DayCount.WORKING and CBIRC_WORKDAYS.calendar == "cn"
    assert PRESETS["cfpb"].limits == (15, 60)
    assert PRESETS["fca-disp"].limits == (56,) and PRESETS["fca-disp"].extensions == ()
    assert PRESETS["fca-psd"].limits == (15, 35)
    assert PRESETS["fca-psd"].day_count is DayCount.WORKING
    assert PRESETS["fca-psd"].calendar == "weekdays"


def test_a_minimal_custom_policy_gets_the_defaults() -> None:
    policy = policy_from_dict(
        {"code": "bank-7", "name_zh": "本行七日", "day_count": "working", "limits": [7]}
    )
    assert policy.calendar == "cn" and policy.name_en == ""
    assert policy.extensions == () and policy.at_risk == (0.5, 0.8)


GOOD = policy_to_dict(CBIRC)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"limits": [15, 15, 60]}, "limits must increase"),
        ({"limits": [30, 15, 60]}, "limits must increase"),
        ({"limits": [0, 30, 60]}, "positive whole numbers"),
        ({"limits": [15, 30.5, 60]}, "whole numbers of days"),
        ({"limits": [15, True, 60]}, "whole numbers of days"),
        ({"limits": []}, "at least one period"),
        ({"limits": "15"}, "limits must be a list"),
        ({"limits": [15, 30]}, "2 stages needs 1 extension rules, got 2"),
        ({"at_risk": [0.8, 0.5]}, "at_risk fractions must increase"),
        ({"at_risk": [0.5, 0.5]}, "at_risk fractions must increase"),
        ({"at_risk": [0.5, 1.0]}, "strictly between 0 and 1"),
        ({"at_risk": [0, 0.5]}, "strictly between 0 and 1"),
        ({"at_risk": ["half"]}, "at_risk must hold numbers"),
        ({"calendar": "uk"}, "unknown calendar 'uk'"),
        ({"day_count": "lunar"}, "day_count must be one of calendar, working"),
        ({"code": "  "}, "code must not be empty"),
        ({"code": 7}, "code must be a string"),
        ({"colour": "red"}, "unknown keys: colour"),
        ({"extensions": [{"needs_reason": True}]}, "extension rule is missing"),
        ({"extensions": ["yes", "no"]}, "must be an object"),
        (
            {
                "extensions": [
                    {
                        "needs_reason": "yes",
                        "needs_complainant_informed": True,
                        "needs_higher_approval": False,
                    },
                    GOOD["extensions"][1],
                ]
            },
            "needs_reason must be true or false",
        ),
    ],
)
def test_bad_policies_are_refused_with_a_reason(change: dict[str, object], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        policy_from_dict({**GOOD, **change})


def test_missing_keys_are_named() -> None:
    with pytest.raises(ValueError, match="policy is missing day_count, limits"):
        policy_from_dict({"code": "x", "name_zh": "x"})


# --- properties -------------------------------------------------------------------

ZONES = st.sampled_from(
    [SHANGHAI, "Asia/Urumqi", "America/New_York", "America/Santiago", "Europe/London",
     "Australia/Lord_Howe", "Pacific/Chatham"]
)  # fmt: skip
DAY_COUNTS = st.sampled_from(list(DayCount))
CALENDARS = st.sampled_from(["cn", "weekdays"])


@given(
    start=st.dates(dt.date(2004, 1, 1), dt.date(2026, 10, 1)),
    first=st.integers(1, 60),
    more=st.integers(1, 60),
    day_count=DAY_COUNTS,
    calendar=CALENDARS,
    tz=ZONES,
)
def test_due_is_strictly_monotone_in_the_limit(
    start: dt.date, first: int, more: int, day_count: DayCount, calendar: str, tz: str
) -> None:
    policy = DeadlinePolicy(
        "p",
        "p",
        "p",
        day_count,
        calendar,
        (first, first + more),
        (ExtensionRule(True, True, True),),
    )
    assert due_at(policy, start, 0, tz) < due_at(policy, start, 1, tz)
    assert last_day(policy, start, 0) > start


@given(
    received_at=st.datetimes(
        dt.datetime(2024, 1, 1), dt.datetime(2026, 9, 1), timezones=st.just(UTC)
    ),
    offsets=st.lists(st.integers(0, 40 * 24 * 3600), min_size=2, max_size=6),
    policy=st.sampled_from(sorted(PRESETS.values(), key=lambda p: p.code)),
    tz=ZONES,
)
def test_an_open_case_is_overdue_exactly_from_its_due_instant_and_only_gets_worse(
    received_at: dt.datetime, offsets: list[int], policy: DeadlinePolicy, tz: str
) -> None:
    history = (received(received_at),)
    previous: DeadlineStatus | None = None
    for offset in sorted(offsets):
        now = received_at + dt.timedelta(seconds=offset)
        status = deadline_status(history, policy, now, tz)
        assert (status.state is DeadlineState.OVERDUE) == (now >= status.due_at)
        assert status.remaining == status.due_at - now
        assert status.used >= 0.0
        assert (status.used < 1.0 + 1e-9) or status.state is DeadlineState.OVERDUE
        if previous is not None:
            assert status.used >= previous.used - 1e-12
            assert status.risk_level >= previous.risk_level
        previous = status


@given(
    approval_offset=st.integers(0, 40 * 24 * 3600),
    check_offset=st.integers(0, 70 * 24 * 3600),
)
def test_a_late_extension_never_clears_the_breach(approval_offset: int, check_offset: int) -> None:
    receipt_time = sh(2026, 3, 10, 14, 0)
    approval = receipt_time + dt.timedelta(seconds=approval_offset)
    now = approval + dt.timedelta(seconds=check_offset)
    status = status_at(now, received(receipt_time), event(ClockKind.EXTENDED, approval))
    first_due = due_at(CBIRC, dt.date(2026, 3, 10), 0, SHANGHAI)
    assert status.stage == 1
    assert status.breached == (approval >= first_due or now >= status.due_at)
    if approval >= first_due:
        assert status.overdue_since == first_due
    if now < status.due_at:
        assert status.state in (DeadlineState.ON_TIME, DeadlineState.AT_RISK)
