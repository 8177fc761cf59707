"""A prominent-issue category's target path, its status, and before/after a task closed."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.errors import InvalidInput
from manyi.insight.domain.category_rules import CategoryForm, check
from manyi.insight.domain.targets import (
    Status,
    baseline,
    before_after,
    months_between,
    progress,
    target_for,
)

D = dt.date
START, DUE = D(2026, 1, 15), D(2026, 6, 30)


def test_the_baseline_is_the_mean_of_the_three_months_before_the_start() -> None:
    counts = {D(2025, 10, 1): 12, D(2025, 11, 1): 9, D(2025, 12, 1): 9, D(2026, 1, 1): 50}
    assert baseline(counts, START) == 10.0
    assert baseline({D(2025, 12, 1): 3}, START) == 1.0  # missing months are zeros


def test_the_target_falls_linearly_to_the_due_month_and_stays() -> None:
    # Six months January to June: 10 → 7 (30 %) in steps of 0.5.
    path = [target_for(m, 10.0, 30.0, START, DUE) for m in months_between(START, D(2026, 8, 1))]
    assert path == pytest.approx([9.5, 9.0, 8.5, 8.0, 7.5, 7.0, 7.0, 7.0])
    assert target_for(D(2025, 12, 1), 10.0, 30.0, START, DUE) is None
    assert target_for(D(2026, 1, 1), 10.0, 30.0, START, D(2026, 1, 31)) == 7.0  # one step


def test_status_of_the_latest_complete_month() -> None:
    counts = {D(2025, 10, 1): 10, D(2025, 11, 1): 10, D(2025, 12, 1): 10}
    counts |= {D(2026, 1, 1): 9, D(2026, 2, 1): 10, D(2026, 3, 1): 4}
    p = progress(counts, decline_pct=30, starts_on=START, due_on=DUE, today=D(2026, 3, 20))
    assert p.status is Status.BEHIND and p.latest is not None and p.latest.month == D(2026, 2, 1)
    assert [pt.count for pt in p.points] == [10, 10, 10, 9, 10, 4]  # zero-filled, to this month
    assert p.points[-1].complete is False and p.decline_pct == 0.0
    later = progress(counts, decline_pct=30, starts_on=START, due_on=DUE, today=D(2026, 4, 2))
    assert later.status is Status.ON_TRACK and later.decline_pct == 60.0
    early = progress(counts, decline_pct=30, starts_on=START, due_on=DUE, today=D(2026, 1, 5))
    assert early.status is Status.NOT_STARTED
    empty = progress({}, decline_pct=30, starts_on=START, due_on=DUE, today=D(2026, 4, 2))
    assert empty.status is Status.NO_BASELINE and [pt.count for pt in empty.points] == [0] * 7
    none = progress({}, decline_pct=30, starts_on=None, due_on=None, today=D(2026, 4, 2))
    assert none.status is Status.NO_TIMETABLE and len(none.points) == 12


def test_before_and_after_a_task_closed() -> None:
    closed = D(2026, 5, 1)
    days = [closed - dt.timedelta(days=d) for d in range(1, 57, 4)]  # 14 in the 8 weeks before
    days += [closed + dt.timedelta(days=d) for d in range(0, 56, 14)]  # 4 in the 8 weeks after
    days += [closed - dt.timedelta(days=100)]  # outside either window
    done = before_after(days, closed, D(2026, 8, 1))
    assert (done.before, done.after, done.weeks_after, done.fell) == (14, 4, 8, True)
    assert done.change_pct == pytest.approx(-71.4)
    early = before_after(days, closed, closed + dt.timedelta(days=20))
    assert early.fell is None and early.weeks_after == 2 and early.after == 2
    half = before_after(days, closed, closed + dt.timedelta(weeks=4))
    assert half.fell is True and half.weeks_after == 4


def form(**changes: object) -> CategoryForm:
    values: dict[str, object] = {
        "code": "queue_app",
        "name_zh": "预约排队",
        "name_en": "Queue app",
        "definition": "线上预约取号后仍需排队。",
        "keywords": "预约，取号 排队、 排队",
        "examples": "预约了还要等\n\n取号失败",
        "owner_department": "operations",
        "target_decline_pct": "40",
        "starts_on": "2026-01-01",
        "due_on": "2026-12-01",
        "active": True,
    }
    return CategoryForm(**(values | changes))  # type: ignore[arg-type]


def test_a_category_is_checked_field_by_field() -> None:
    clean = check(form())
    assert clean.keywords == ("预约", "取号", "排队") and clean.examples == (
        "预约了还要等",
        "取号失败",
    )
    assert clean.target_decline_pct == 40.0 and clean.due_on == D(2026, 12, 1)
    for changes, field in [
        ({"code": "Queue"}, "code"),
        ({"name_zh": " "}, "name_zh"),
        ({"definition": ""}, "definition"),
        ({"owner_department": "nowhere"}, "owner_department"),
        ({"target_decline_pct": "120"}, "target"),
        ({"target_decline_pct": "abc"}, "target"),
        ({"starts_on": "2026-13-01"}, "starts_on"),
        ({"due_on": ""}, "due_on"),
        ({"due_on": "2025-12-01"}, "due_on"),
        ({"sort_order": "x"}, "sort_order"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            check(form(**changes))
        assert refused.value.field == field, changes
