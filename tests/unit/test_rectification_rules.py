"""Rectification tasks' pure rules: states and sides, due dates, overdue, the ladder."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.complaints.domain.workcal import ChinaCalendar, WeekdayCalendar
from manyi.errors import Conflict, Forbidden, InvalidInput
from manyi.supervision.domain.rectification import (
    Action,
    NewTask,
    Recheck,
    Side,
    Source,
    TaskState,
    actions_for,
    check_closable,
    check_new,
    due_date,
    escalation_unit,
    is_overdue,
    ladder_level,
    next_look,
    next_state,
    summary_counts,
    warn_due,
)

MONDAY = dt.date(2026, 11, 30)
BOTH = frozenset({Side.RESPONSIBLE, Side.ISSUER})


def new(**changes: object) -> NewTask:
    fields: dict[str, object] = {
        "source": Source.MANUAL,
        "source_ref": "",
        "title": "叫号机故障未报修",
        "detail": "",
        "unit_id": 4,
        "owner_id": None,
        "evidence_required": "报修单照片",
        "due_days": 5,
    }
    fields.update(changes)
    return NewTask(**fields)  # type: ignore[arg-type]


def test_the_whole_path_open_to_closed_and_a_send_back() -> None:
    state = TaskState.OPEN
    for action, side in [
        (Action.START, Side.RESPONSIBLE),
        (Action.SUBMIT, Side.RESPONSIBLE),
        (Action.SEND_BACK, Side.ISSUER),
        (Action.START, Side.RESPONSIBLE),
        (Action.SUBMIT, Side.RESPONSIBLE),
        (Action.VERIFY, Side.ISSUER),
        (Action.CLOSE, Side.ISSUER),
    ]:
        state = next_state(state, action, side)
    assert state is TaskState.CLOSED


def test_a_step_from_the_wrong_state_or_side_is_refused() -> None:
    with pytest.raises(Conflict):
        next_state(TaskState.OPEN, Action.VERIFY, Side.ISSUER)
    with pytest.raises(Forbidden):
        next_state(TaskState.SUBMITTED, Action.VERIFY, Side.RESPONSIBLE)
    with pytest.raises(Forbidden):
        next_state(TaskState.OPEN, Action.START, None)
    with pytest.raises(Conflict):
        next_state(TaskState.CLOSED, Action.START, Side.RESPONSIBLE)


def test_the_buttons_follow_state_side_and_recheck() -> None:
    assert actions_for(TaskState.OPEN, frozenset({Side.ISSUER}), None) == []
    assert actions_for(TaskState.SUBMITTED, BOTH, None) == [Action.VERIFY, Action.SEND_BACK]
    assert actions_for(TaskState.VERIFIED, BOTH, None) == [Action.CLOSE, Action.REQUEST_RECHECK]
    assert actions_for(TaskState.VERIFIED, BOTH, Recheck.PENDING) == []
    assert actions_for(TaskState.VERIFIED, BOTH, Recheck.PASSED) == [Action.CLOSE]
    with pytest.raises(Conflict):
        check_closable(Recheck.PENDING)


def test_a_new_task_needs_a_title_evidence_and_a_reference_unless_manual() -> None:
    assert check_new(new(title="  标题 ")).title == "标题"
    for bad in (
        new(title=" "),
        new(evidence_required=""),
        new(source=Source.INSPECTION, source_ref=""),
        new(title="长" * 201),
        new(source="nowhere"),
    ):
        with pytest.raises(InvalidInput):
            check_new(bad)


def test_due_in_working_days_skips_weekends_and_holidays() -> None:
    cal = ChinaCalendar()
    assert due_date(MONDAY, cal, due_on=None, due_days=5) == dt.date(2026, 12, 7)
    calendar = due_date(MONDAY, cal, due_on=None, due_days=5, working_days=False)
    assert calendar == dt.date(2026, 12, 5)
    # From Wednesday 30 September 2026, three working days jump the National Day week.
    after_holiday = due_date(dt.date(2026, 9, 30), cal, due_on=None, due_days=3)
    assert after_holiday > dt.date(2026, 10, 7)
    assert due_date(MONDAY, WeekdayCalendar(), due_on=MONDAY, due_days=None) == MONDAY


def test_a_due_date_must_be_one_way_ahead_and_in_range() -> None:
    cal = WeekdayCalendar()
    for due_on, due_days in [
        (None, None),
        (MONDAY, 3),
        (MONDAY - dt.timedelta(days=1), None),
        (None, 0),
        (None, 366),
    ]:
        with pytest.raises(InvalidInput):
            due_date(MONDAY, cal, due_on=due_on, due_days=due_days)


def test_overdue_from_the_day_after_while_the_responsible_side_holds_it() -> None:
    due = dt.date(2026, 12, 4)
    assert not is_overdue(TaskState.IN_PROGRESS, due, due)
    assert is_overdue(TaskState.IN_PROGRESS, due, due + dt.timedelta(days=1))
    assert is_overdue(TaskState.SENT_BACK, due, due + dt.timedelta(days=9))
    assert not is_overdue(TaskState.SUBMITTED, due, due + dt.timedelta(days=9))


def test_the_ladder_warns_then_climbs_one_level_every_three_days() -> None:
    due = dt.date(2026, 12, 11)  # a Friday
    assert not warn_due(due, dt.date(2026, 12, 8))
    assert warn_due(due, dt.date(2026, 12, 9))
    levels = [ladder_level(due, due + dt.timedelta(days=d)) for d in range(0, 8)]
    assert levels == [0, 1, 1, 1, 2, 2, 2, 3]
    assert next_look(due, dt.date(2026, 12, 1), 0, warned=False) == dt.date(2026, 12, 9)
    assert next_look(due, dt.date(2026, 12, 9), 0, warned=True) == dt.date(2026, 12, 12)
    assert next_look(due, dt.date(2026, 12, 12), 1, warned=True) == dt.date(2026, 12, 15)


def test_the_escalation_unit_is_an_ancestor_up_to_the_head_office() -> None:
    path = "/1/4/9/12/"
    assert [escalation_unit(path, level) for level in range(0, 5)] == [None, 9, 4, 1, None]


def test_board_figures() -> None:
    today = dt.date(2026, 12, 10)
    due = dt.date(2026, 12, 5)
    figures = summary_counts(
        [
            (TaskState.OPEN, due, None),
            (TaskState.SUBMITTED, due, today),
            (TaskState.CLOSED, due, dt.date(2026, 12, 4)),
            (TaskState.CLOSED, due, dt.date(2026, 12, 6)),
        ],
        today,
    )
    assert figures == {
        "open": 2,
        "overdue": 1,
        "closed": 2,
        "closed_on_time": 1,
        "on_time_pct": 50.0,
    }
    assert summary_counts([], today)["on_time_pct"] is None
