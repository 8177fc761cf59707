"""Complaint deadlines: a case's status over its life (risk levels, extensions, decisions,
reopening, withdrawal, impossible histories), with time frozen by passing `now`."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.complaints.domain.deadlines import (
    ClockEvent,
    ClockKind,
    DeadlineState,
    deadline_status,
    due_at,
)
from manyi.complaints.domain.policies import PRESETS, ExtensionRule
from tests.complaint_deadline_helpers import (
    CBIRC,
    SECOND,
    SHANGHAI,
    UTC,
    event,
    local,
    received,
    sh,
    status_at,
)

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
