"""The misconduct deadline watch's rules: the first at-risk day on the working-day calendar,
which notice a day calls for, and when the worker looks again."""

from __future__ import annotations

import datetime as dt

from manyi.complaints.domain.workcal import ChinaCalendar
from manyi.supervision.complaints_adapters import names
from manyi.supervision.domain import misconduct as m
from manyi.supervision.domain.misconduct import DeadlineNotice

CAL = ChinaCalendar()
D = dt.date


def test_a_case_is_at_risk_two_working_days_before_its_due_day() -> None:
    assert m.at_risk_from(D(2026, 12, 11), CAL) == D(2026, 12, 9)  # Friday ← Wednesday
    assert m.at_risk_from(D(2026, 12, 14), CAL) == D(2026, 12, 10)  # Monday ← Thursday
    # After the National Day week: from the Tuesday before it (1–7 October are off).
    assert m.at_risk_from(D(2026, 10, 8), CAL) == D(2026, 9, 29)


def test_each_day_calls_for_at_most_one_notice() -> None:
    due = D(2026, 12, 11)
    assert m.deadline_notice("reported", due, D(2026, 12, 8), CAL) is None
    assert m.deadline_notice("investigating", due, D(2026, 12, 9), CAL) is DeadlineNotice.AT_RISK
    assert m.deadline_notice("investigating", due, D(2026, 12, 11), CAL) is DeadlineNotice.AT_RISK
    assert m.deadline_notice("reported", due, D(2026, 12, 12), CAL) is DeadlineNotice.OVERDUE
    assert m.deadline_notice("findings", due, D(2026, 12, 30), CAL) is None  # met


def test_the_watch_looks_on_the_first_at_risk_day_then_the_day_after_the_due_day() -> None:
    due = D(2026, 12, 11)
    look = m.next_deadline_look
    assert look("reported", due, D(2026, 11, 30), CAL, ()) == D(2026, 12, 9)
    assert look("investigating", due, D(2026, 12, 9), CAL, ["at_risk"]) == D(2026, 12, 12)
    # Seen for the first time on an at-risk day: look again when it would be overdue.
    assert look("reported", due, D(2026, 12, 10), CAL, ()) == D(2026, 12, 12)
    assert look("reported", due, D(2026, 12, 20), CAL, ["overdue"]) is None
    assert look("dismissed", due, D(2026, 12, 1), CAL, ()) is None


def test_a_complaint_task_names_the_reference_exactly_alone_or_in_a_cluster() -> None:
    assert names("TS202611300000001", "TS202611300000001")
    assert names("TS202611300000001, TS202611300000002；TS3", "TS202611300000002")
    assert not names("TS2026113000000012", "TS202611300000001")
