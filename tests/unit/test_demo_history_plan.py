"""The demo history's plan (pure): repeatable, all in the past, its codes those of each
category's profile, and its story holding whatever day it is seeded — the year-on-year fall,
each story task's category lower after it closed, the detector finding the emerging issue."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from manyi.insight.domain import demo_history, detector
from manyi.insight.domain.demo_history import Outlet, plan
from manyi.insight.domain.demo_story import EMERGING, PROFILES, STORY_TASKS
from tests.conftest import FIXED_NOW

OUTLETS = (
    Outlet("BJ-HD-ZGC", "中关村", 1.15, ("BJ-HD", "BJ", "HO")),
    Outlet("BJ-HD-WDK", "五道口", 0.64, ("BJ-HD", "BJ", "HO")),
    Outlet("BJ-CY-WJ", "望京", 0.89, ("BJ-CY", "BJ", "HO")),
    Outlet("SH-PD-LJZ", "陆家嘴", 1.32, ("SH-PD", "SH", "HO")),
    Outlet("SH-XH-XJH", "徐家汇", 1.0, ("SH-XH", "SH", "HO")),
)
TIER2 = {o.code: i for i, o in enumerate(OUTLETS)}  # each outlet its own tier-2 series here
# Days of the week and of the year unlike FIXED_NOW's (a Monday in late November).
NOWS = (
    FIXED_NOW,
    dt.datetime(2026, 3, 4, 7, tzinfo=dt.UTC),
    dt.datetime(2027, 7, 17, tzinfo=dt.UTC),
)


def test_the_plan_is_repeatable_and_in_the_past() -> None:
    first = plan(FIXED_NOW, OUTLETS)
    assert first == plan(FIXED_NOW, OUTLETS)
    assert 3000 <= len(first) <= 5000
    start = FIXED_NOW - dt.timedelta(days=demo_history.DAYS + 1)
    for c in first:
        assert start <= c.received_at < c.decided_at <= c.closed_at < FIXED_NOW
        assert c.breached == (c.decided_at > c.due_at)
        profile = PROFILES[c.issue]
        assert c.business in dict(profile.business)
        assert c.cause in dict(profile.cause)
        assert c.channel in dict(profile.channel)
        assert c.appeal in dict(profile.appeal)
        assert c.root in dict(profile.root)
    on_time = sum(not c.breached for c in first) / len(first)
    assert 0.9 <= on_time < 1


@pytest.mark.parametrize("now", NOWS, ids=lambda n: n.date().isoformat())
def test_the_story_holds_whatever_day_it_is_seeded(now: dt.datetime) -> None:
    cases = plan(now, OUTLETS)
    year = now - dt.timedelta(days=365)
    this = Counter(c.issue for c in cases if c.received_at >= year)
    last = Counter(c.issue for c in cases if c.received_at < year)
    assert 0.45 <= 1 - sum(this.values()) / sum(last.values()) <= 0.65
    assert 1 - this["attitude"] / last["attitude"] >= 0.6
    outlets = {o.code: o for o in OUTLETS}
    for task in STORY_TASKS:
        closed = now - dt.timedelta(days=task.closed_days_ago)
        window = dt.timedelta(weeks=8)
        mine = [
            c.received_at
            for c in cases
            if c.issue == task.issue
            and (c.outlet == task.unit or task.unit in outlets[c.outlet].ancestors)
        ]
        before = sum(closed - window <= at < closed for at in mine)
        after = sum(closed <= at < closed + window for at in mine)
        assert after < before, (task.issue, before, after)
    week = detector.week_start(now.astimezone(demo_history.ZONE).date()) - dt.timedelta(weeks=1)
    found = detector.detect(
        [
            detector.Case(
                i, c.issue, TIER2[c.outlet], c.received_at.astimezone(demo_history.ZONE).date()
            )
            for i, c in enumerate(cases)
        ],
        week,
        detector.DEFAULT,
    )
    outlet, issue, _ = EMERGING
    assert (issue, TIER2[outlet]) in {(a.category, a.unit_id) for a in found}
