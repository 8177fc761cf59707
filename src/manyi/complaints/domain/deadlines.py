"""Complaint deadlines: when a period runs out, and the deadline status as a pure function
of now, the policy (`policies.DeadlinePolicy`) and the case's history.

Counting rule
-------------
The day of receipt is not counted: a period counted in days starts on the next
day (PRC Civil Code art. 201), and it ends at 24:00 of its last day (art. 203),
in the local time of the responsible unit's time zone.

* CALENDAR days: last day = local date of receipt + limit days.
* WORKING days: last day = the limit-th working day after the local date of
  receipt, on the policy's calendar (`workcal`). The calendars are an argument
  (`calendars`): services pass the bank's (`manyi.workdays.calendars`: the
  `chinese_calendar` package with the years head office entered taking
  precedence); the default is the package alone. Where the counted days run
  into a year neither knows, Monday to Friday is assumed and the status names
  the year (`guessed_years`), so the case page can warn that the due date may
  still move.

A complaint received 2026-03-10 14:00 Asia/Shanghai under "cbirc-2020" (15
calendar days) therefore has 2026-03-25 as its last day and is due at
2026-03-26 00:00 Asia/Shanghai (2026-03-25 16:00 UTC): not overdue at
23:59:59 local on the 25th, overdue from 00:00 local on the 26th. The period
is half-open: a case is overdue, and a decision late, from the due instant on.

The presets (`policies.PRESETS`) apply the days literally and do not move a
last day that falls on a public holiday to the next working day (the roll-over
of Civil Code art. 203 para. 2); a bank that counts working days picks
"cbirc-2020-workdays".

Time zones
----------
Due instants are returned in UTC. "24:00 of the last day" is taken as 00:00
of the following local day with fold=0: where a daylight-saving jump skips
midnight (America/Santiago) that is the instant the new day begins, and where
midnight occurs twice it is the first, the stricter reading. All arithmetic is
done on UTC instants: subtracting two datetimes that share a ZoneInfo would
compare wall clocks and be an hour off across a DST change.

History
-------
A case's history is an ordered sequence of `ClockEvent`. RECEIVED starts the
clock at stage 0. EXTENDED (an extension approved at `at`) moves to the next
stage, whose limit counts from the same start. An extension approved after
the due instant still takes effect, but the case stays `breached` and
`overdue_since` keeps the instant it first went overdue. DECIDED and STOPPED
(withdrawn, or closed without a decision) stop the clock. REOPENED restarts a
fresh period at stage 0 counted from the reopening's local date; earlier
extensions do not carry over and the breach history remains. Only events at
or before `now` count, so the status answers "what was the state at `now`".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from manyi.complaints.domain.policies import DayCount, DeadlinePolicy, ExtensionRule
from manyi.complaints.domain.workcal import (
    PACKAGE_CALENDARS,
    Calendars,
    add_workdays,
    count_workdays,
    guessed_years,
)

__all__ = [
    "ClockEvent",
    "ClockKind",
    "DeadlineState",
    "DeadlineStatus",
    "deadline_status",
    "due_at",
    "last_day",
    "zone_for",
]

UTC = dt.UTC
# Tolerance when comparing the fraction used with a risk threshold, so that an
# exact 12 of 15 days reaches 80 % despite binary floating point (~1 ms in 15 days).
_EPSILON = 1e-9


# --- due dates ----------------------------------------------------------------


def zone_for(tz: str) -> ZoneInfo:
    """The IANA time zone `tz`, or a ValueError naming it."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r}") from None


def last_day(
    policy: DeadlinePolicy,
    start_on: dt.date,
    stage: int,
    calendars: Calendars = PACKAGE_CALENDARS,
) -> dt.date:
    """The last local day of stage `stage` for a period counted from `start_on` (not counted)."""
    if not 0 <= stage < policy.stages:
        raise ValueError(f"policy {policy.code} has stages 0 to {policy.stages - 1}, not {stage}")
    days = policy.limits[stage]
    if policy.day_count is DayCount.CALENDAR:
        return start_on + dt.timedelta(days=days)
    return add_workdays(calendars.named(policy.calendar), start_on, days)


def due_at(
    policy: DeadlinePolicy,
    received_local_date: dt.date,
    stage: int,
    tz: str,
    calendars: Calendars = PACKAGE_CALENDARS,
) -> dt.datetime:
    """The instant (UTC) stage `stage` runs out: 24:00 local of its last day.

    `received_local_date` is the local date the period counts from: the day
    of receipt, or of the reopening.
    """
    end = last_day(policy, received_local_date, stage, calendars)
    return _local_midnight(end + dt.timedelta(days=1), tz)


def _local_midnight(day: dt.date, tz: str) -> dt.datetime:
    # fold=0 (the default): a skipped midnight maps to the instant the day begins,
    # a repeated one to its first occurrence.
    return dt.datetime.combine(day, dt.time(), tzinfo=zone_for(tz)).astimezone(UTC)


# --- history ------------------------------------------------------------------


class ClockKind(StrEnum):
    RECEIVED = "received"  # 受理: starts the clock
    EXTENDED = "extended"  # 延期获批: the next stage
    DECIDED = "decided"  # 作出处理决定并告知: stops the clock
    REOPENED = "reopened"  # 重新处理: a fresh period from the reopening date
    STOPPED = "stopped"  # withdrawn (撤诉) or closed without a decision


@dataclass(frozen=True)
class ClockEvent:
    kind: ClockKind
    at: dt.datetime  # timezone-aware

    def __post_init__(self) -> None:
        # Accept the plain string a database row holds ("decided") as well as the enum.
        object.__setattr__(self, "kind", ClockKind(self.kind))
        if self.at.utcoffset() is None:
            raise ValueError(f"{self.kind} event time must be timezone-aware, got {self.at}")


class DeadlineState(StrEnum):
    ON_TIME = "on_time"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    STOPPED = "stopped"


@dataclass(frozen=True)
class DeadlineStatus:
    """Where a case stands against its deadline at one instant.

    `used`, `remaining` and `risk_level` are measured at `now` for an open
    case and frozen at the closing event for a decided or stopped one (whose
    risk level is 0: nothing is at risk any more). `used` is in the policy's
    own day units: elapsed counted days after `started_on` plus the elapsed
    fraction of the current local day when that day counts, over the stage's
    limit; it passes 1 once overdue.
    """

    state: DeadlineState
    stage: int
    started_on: dt.date  # local date the current period counts from (itself not counted)
    last_day: dt.date  # local date whose 24:00 is the due instant
    due_at: dt.datetime  # UTC
    used: float
    risk_level: int  # 0 none, i when at_risk[i-1] is reached, len(at_risk) + 1 when overdue
    remaining: dt.timedelta  # negative when overdue
    breached: bool  # was ever overdue, even if an extension or a reopening followed
    overdue_since: dt.datetime | None  # UTC, the first time the case went overdue
    can_extend: bool
    next_extension: ExtensionRule | None
    # The years a WORKING period's counted days run into that the calendar only guesses
    # (Monday to Friday); empty when every counted day rests on real holiday data.
    guessed_years: tuple[int, ...] = ()

    @property
    def calendar_known(self) -> bool:
        return not self.guessed_years

    @property
    def is_open(self) -> bool:
        return self.state in (DeadlineState.ON_TIME, DeadlineState.AT_RISK, DeadlineState.OVERDUE)


@dataclass
class _Clock:
    """The clock rebuilt from history; mutable only while replaying."""

    policy: DeadlinePolicy
    tz: str
    start_on: dt.date
    calendars: Calendars
    stage: int = 0
    closed_by: ClockKind | None = None
    closed_at: dt.datetime | None = None
    breached: bool = False
    overdue_since: dt.datetime | None = None

    @property
    def due(self) -> dt.datetime:
        return due_at(self.policy, self.start_on, self.stage, self.tz, self.calendars)

    def note_time(self, at: dt.datetime) -> None:
        """Remember a breach if the clock is still running at or after the due instant."""
        due = self.due
        if at >= due:
            self.breached = True
            self.overdue_since = self.overdue_since or due

    def apply(self, event: ClockEvent, at: dt.datetime) -> None:
        if event.kind is ClockKind.RECEIVED:
            raise ValueError(f"a case is received only once (again at {event.at})")
        if event.kind is ClockKind.REOPENED:
            if self.closed_by is None:
                raise ValueError(f"cannot reopen a case that is still open (at {event.at})")
            self.start_on = _local_date(at, self.tz)
            self.stage, self.closed_by, self.closed_at = 0, None, None
            return
        if self.closed_by is not None:
            raise ValueError(f"{event.kind} at {event.at} but the case was {self.closed_by}")
        self.note_time(at)
        if event.kind is ClockKind.EXTENDED:
            if self.stage + 1 >= self.policy.stages:
                raise ValueError(
                    f"no further extension: policy {self.policy.code} allows "
                    f"{self.policy.stages - 1} (extension at {event.at})"
                )
            self.stage += 1
        else:
            self.closed_by, self.closed_at = event.kind, at


def _local_date(at: dt.datetime, tz: str) -> dt.date:
    return at.astimezone(zone_for(tz)).date()


def _replay(
    events: Sequence[ClockEvent], policy: DeadlinePolicy, tz: str, calendars: Calendars
) -> _Clock:
    first = events[0]
    if first.kind is not ClockKind.RECEIVED:
        raise ValueError(f"history must start with {ClockKind.RECEIVED}, not {first.kind}")
    clock = _Clock(policy=policy, tz=tz, start_on=_local_date(first.at, tz), calendars=calendars)
    for event in events[1:]:
        clock.apply(event, event.at.astimezone(UTC))
    return clock


def _events_until(events: Sequence[ClockEvent], now: dt.datetime) -> list[ClockEvent]:
    """The events at or before `now` (UTC), after checking the whole history is in order."""
    previous: dt.datetime | None = None
    for event in events:
        at = event.at.astimezone(UTC)
        if previous is not None and at < previous:
            raise ValueError(f"events must be in time order: {event.kind} at {event.at} is early")
        previous = at
    counted = [event for event in events if event.at.astimezone(UTC) <= now]
    if not counted:
        raise ValueError(f"the case was not yet received at {now}")
    return counted


# --- status -------------------------------------------------------------------


def deadline_status(
    events: Sequence[ClockEvent],
    policy: DeadlinePolicy,
    now: dt.datetime,
    tz: str,
    calendars: Calendars = PACKAGE_CALENDARS,
) -> DeadlineStatus:
    """The deadline status of a case at `now`, rebuilt from its history.

    `tz` is the IANA time zone of the responsible unit; `calendars` the working-day calendars
    the policy may name (services pass the bank's). Raises ValueError for
    a history that is out of order, does not start with RECEIVED, extends past
    the last stage, or acts on a closed case.
    """
    if now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now}")
    zone_for(tz)
    now = now.astimezone(UTC)
    clock = _replay(_events_until(events, now), policy, tz, calendars)
    if clock.closed_by is None:
        clock.note_time(now)
    measured_at = clock.closed_at or now
    due = clock.due
    used = _used(policy, clock.start_on, clock.stage, measured_at, tz, calendars)
    state, risk = _state_and_risk(clock, policy, used, measured_at >= due)
    can_extend = clock.closed_by is None and clock.stage + 1 < policy.stages
    return DeadlineStatus(
        state=state,
        stage=clock.stage,
        started_on=clock.start_on,
        last_day=last_day(policy, clock.start_on, clock.stage, calendars),
        due_at=due,
        used=used,
        risk_level=risk,
        remaining=due - measured_at,
        breached=clock.breached,
        overdue_since=clock.overdue_since,
        can_extend=can_extend,
        next_extension=policy.extensions[clock.stage] if can_extend else None,
        guessed_years=_guessed_years(policy, clock.start_on, clock.stage, calendars),
    )


def _state_and_risk(
    clock: _Clock, policy: DeadlinePolicy, used: float, late: bool
) -> tuple[DeadlineState, int]:
    if clock.closed_by is ClockKind.STOPPED:
        return DeadlineState.STOPPED, 0
    if clock.closed_by is ClockKind.DECIDED:
        return (DeadlineState.DONE_LATE if late else DeadlineState.DONE_ON_TIME), 0
    if late:
        return DeadlineState.OVERDUE, len(policy.at_risk) + 1
    risk = sum(1 for threshold in policy.at_risk if used >= threshold - _EPSILON)
    return (DeadlineState.AT_RISK if risk else DeadlineState.ON_TIME), risk


def _used(
    policy: DeadlinePolicy,
    start_on: dt.date,
    stage: int,
    at: dt.datetime,
    tz: str,
    calendars: Calendars,
) -> float:
    """Fraction of stage `stage` used at `at`, counted in the policy's day units."""
    today = _local_date(at, tz)
    if today <= start_on:
        return 0.0  # the day of receipt is not counted
    day_begins = _local_midnight(today, tz)
    # A DST day has 23 or 25 hours; the fraction is of that day's real length.
    fraction = (at - day_begins) / (_local_midnight(today + dt.timedelta(days=1), tz) - day_begins)
    if policy.day_count is DayCount.CALENDAR:
        elapsed = (today - start_on).days - 1 + fraction
    else:
        calendar = calendars.named(policy.calendar)
        elapsed = count_workdays(calendar, start_on, today)
        elapsed += fraction if calendar.is_workday(today) else 0.0
    return elapsed / policy.limits[stage]


def _guessed_years(
    policy: DeadlinePolicy, start_on: dt.date, stage: int, calendars: Calendars
) -> tuple[int, ...]:
    """The years among the counted days (after `start_on` up to the last day) that the calendar
    only guesses; none for a period in calendar days, where holidays do not matter."""
    if policy.day_count is DayCount.CALENDAR:
        return ()
    end = last_day(policy, start_on, stage, calendars)
    return guessed_years(calendars.named(policy.calendar), start_on + dt.timedelta(days=1), end)
