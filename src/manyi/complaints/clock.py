"""A stored complaint's regulatory clock: its status now, and when to look at it next.

The rules are the pure `deadlines.deadline_status`; this module feeds it a
complaint row and writes back the fields the deadline scan queries by
(`due_at`, `next_check_at`, `breached`, `overdue_since`).

Working days are counted on the bank's calendar (`calendars(session)`, from the `workdays`
feature: the package with the years head office entered taking precedence), passed to every
function here so the pure rules never read the database.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from manyi.complaints.domain.deadlines import (
    ClockEvent,
    ClockKind,
    DeadlineState,
    DeadlineStatus,
    deadline_status,
    zone_for,
)
from manyi.complaints.domain.model import OPEN_STATES, State
from manyi.complaints.domain.policies import (
    PRESETS,
    DayCount,
    DeadlinePolicy,
    policy_from_dict,
    policy_to_dict,
)
from manyi.complaints.tables import Complaint, ComplaintPolicy
from manyi.db import is_read_only
from manyi.errors import InvalidInput
from manyi.workdays import calendars as bank_calendars
from manyi.workdays.domain import Calendars

DEFAULT_POLICY = "cbirc-2020"


def zone(tz: str) -> ZoneInfo:
    return zone_for(tz)


def calendars(session: Session) -> Calendars:
    """The working-day calendars as of this unit of work ("cn": the bank's)."""
    return bank_calendars.calendars(session)


def _missing_presets(session: Session) -> list[ComplaintPolicy]:
    """The preset policies not stored yet, as new rows; cbirc-2020 is the default."""
    known = set(session.scalars(select(ComplaintPolicy.code)))
    has_default = session.scalar(select(ComplaintPolicy.code).where(ComplaintPolicy.is_default))
    return [
        ComplaintPolicy(
            code=code,
            definition=policy_to_dict(policy),
            is_default=code == DEFAULT_POLICY and has_default is None,
        )
        for code, policy in PRESETS.items()
        if code not in known
    ]


def ensure_policies(session: Session) -> list[ComplaintPolicy]:
    """Store the preset policies once (idempotent).

    In a read-only unit of work nothing is stored: the missing presets are returned unstored,
    for `policy_row` to read.
    """
    missing = _missing_presets(session)
    if is_read_only(session):
        return missing
    session.add_all(missing)
    session.flush()
    return []


def policy_row(session: Session, code: str | None = None) -> ComplaintPolicy:
    """The stored policy `code` (or the default); the presets are stored on first use."""
    if code is not None:
        found = session.get(ComplaintPolicy, code)  # from the session's identity map after once
        if found is not None:
            return found
    unstored = {row.code: row for row in ensure_policies(session)}
    if code is None:
        row = session.scalar(select(ComplaintPolicy).where(ComplaintPolicy.is_default))
        if row is None:
            row = next((r for r in unstored.values() if r.is_default), None)
        code = row.code if row is not None else DEFAULT_POLICY
    found = session.get(ComplaintPolicy, code) or unstored.get(code)
    if found is None:
        raise InvalidInput("there is no deadline policy {code}", "policy", code=code)
    return found


_POLICY_CACHE: dict[tuple[str, str], DeadlinePolicy] = {}


def policy_of(row: ComplaintPolicy) -> DeadlinePolicy:
    key = (row.code, repr(sorted(row.definition.items())))
    policy = _POLICY_CACHE.get(key)
    if policy is None:
        policy = _POLICY_CACHE[key] = policy_from_dict(row.definition)
    return policy


def recheck_working_days(session: Session, now: dt.datetime) -> None:
    """The working-day calendar changed (head office entered a year): every open case counted
    in working days is due for the next deadline scan, which recomputes its stored due time
    (`refresh`). Pages never wait for that: they compute the status from the calendar."""
    codes = [
        row.code
        for row in session.scalars(select(ComplaintPolicy))
        if policy_of(row).day_count is DayCount.WORKING
    ]
    if not codes:
        return
    session.execute(
        update(Complaint)
        .where(
            Complaint.state.in_([s.value for s in OPEN_STATES]),
            Complaint.policy_code.in_(codes),
        )
        .values(next_check_at=now)
        .execution_options(synchronize_session=False)
    )


def clock_events(complaint: Complaint) -> tuple[ClockEvent, ...]:
    """The clock history as far as the current period needs it.

    The period runs from `clock_started_at` (receipt or the latest reopening);
    each granted stage extends it. Earlier overdue spells are kept in
    `breached` / `overdue_since`, so the simplified history loses nothing.
    """
    start = complaint.clock_started_at
    events = [ClockEvent(ClockKind.RECEIVED, start)]
    events += [ClockEvent(ClockKind.EXTENDED, start)] * complaint.deadline_stage
    state = State(complaint.state)
    if state in {State.DECIDED, State.CLOSED} and complaint.decided_at is not None:
        events.append(ClockEvent(ClockKind.DECIDED, max(complaint.decided_at, start)))
    elif state is State.WITHDRAWN or (state is State.CLOSED and complaint.decided_at is None):
        end = complaint.closed_at or complaint.updated_at or start
        events.append(ClockEvent(ClockKind.STOPPED, max(end, start)))
    return tuple(events)


def status(
    complaint: Complaint, policy: DeadlinePolicy, now: dt.datetime, calendars: Calendars
) -> DeadlineStatus:
    return deadline_status(clock_events(complaint), policy, now, complaint.timezone, calendars)


def refresh(
    complaint: Complaint,
    policy: DeadlinePolicy,
    now: dt.datetime,
    calendars: Calendars,
    *,
    close_after_days: int,
) -> DeadlineStatus:
    """Recompute the stored deadline fields after any change to the case."""
    current = status(complaint, policy, now, calendars)
    complaint.due_at = current.due_at
    if current.state in {DeadlineState.OVERDUE, DeadlineState.DONE_LATE}:
        complaint.breached = True
        if complaint.overdue_since is None:
            complaint.overdue_since = current.due_at
    complaint.next_check_at = next_check(
        complaint, policy, current, now, calendars, close_after_days=close_after_days
    )
    return current


def risk_starts(
    complaint: Complaint,
    policy: DeadlinePolicy,
    level: int,
    due_at: dt.datetime,
    calendars: Calendars,
) -> dt.datetime:
    """The first minute at which risk `level` is reached (bisection over the pure status)."""
    low, high = complaint.clock_started_at, due_at
    while high - low > dt.timedelta(minutes=1):
        middle = low + (high - low) / 2
        if status(complaint, policy, middle, calendars).risk_level >= level:
            high = middle
        else:
            low = middle
    return high


# A decided case waits for the complainant's answer (accept or dispute) for `close_after_days`;
# this long before it closes unanswered, the complainant is reminded (a "needs your answer"
# message, when they asked for text messages).
ANSWER_REMINDER_BEFORE = dt.timedelta(days=2)


def answer_reminder_at(decided_at: dt.datetime, close_after_days: int) -> dt.datetime | None:
    """When to remind the complainant to answer a decision; None when the wait is too short."""
    remind = decided_at + dt.timedelta(days=close_after_days) - ANSWER_REMINDER_BEFORE
    return remind if remind > decided_at else None


def next_check(
    complaint: Complaint,
    policy: DeadlinePolicy,
    current: DeadlineStatus,
    now: dt.datetime,
    calendars: Calendars,
    *,
    close_after_days: int,
) -> dt.datetime | None:
    """When the deadline scan should look at the case again.

    Open: when the next risk level not yet notified begins, else at the due
    time; overdue: now (the scan escalates and sets the supervision's due
    time). Decided: when the complainant is reminded to answer (`answer_reminder_at`), then
    when it closes for want of an answer. Otherwise never.
    """
    state = State(complaint.state)
    if state is State.DECIDED and complaint.decided_at is not None:
        remind = answer_reminder_at(complaint.decided_at, close_after_days)
        if remind is not None and now < remind:
            return remind
        return complaint.decided_at + dt.timedelta(days=close_after_days)
    if state not in OPEN_STATES:
        return None
    if current.state is DeadlineState.OVERDUE:
        return now
    level = complaint.risk_notified + 1  # the next level the scan has not warned of
    if level <= len(policy.at_risk):
        if current.risk_level >= level:
            return now
        return risk_starts(complaint, policy, level, current.due_at, calendars)
    return current.due_at
