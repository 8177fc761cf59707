"""Complaint deadlines, property-based: the due instant grows with the limit, an open case is
overdue exactly from it, and a late extension never clears the breach."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from manyi.complaints.domain.deadlines import (
    ClockKind,
    DeadlineState,
    DeadlineStatus,
    deadline_status,
    due_at,
    last_day,
)
from manyi.complaints.domain.policies import PRESETS, DayCount, DeadlinePolicy, ExtensionRule
from tests.complaint_deadline_helpers import CBIRC, SHANGHAI, UTC, event, received, sh, status_at

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
