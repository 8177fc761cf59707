"""Complaint deadlines: the regulator's policy as data, and the deadline status as a pure
function of now, the policy and the case's history.

Counting rule
-------------
The day of receipt is not counted: a period counted in days starts on the next
day (PRC Civil Code art. 201), and it ends at 24:00 of its last day (art. 203),
in the local time of the responsible unit's time zone.

* CALENDAR days: last day = local date of receipt + limit days.
* WORKING days: last day = the limit-th working day after the local date of
  receipt, on the policy's calendar (`workcal`).

A complaint received 2026-03-10 14:00 Asia/Shanghai under "cbirc-2020" (15
calendar days) therefore has 2026-03-25 as its last day and is due at
2026-03-26 00:00 Asia/Shanghai (2026-03-25 16:00 UTC): not overdue at
23:59:59 local on the 25th, overdue from 00:00 local on the 26th. The period
is half-open: a case is overdue, and a decision late, from the due instant on.

The presets apply the days literally and do not move a last day that falls on
a public holiday to the next working day (the roll-over of Civil Code art.
203 para. 2); a bank that counts working days picks "cbirc-2020-workdays".

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
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from manyi.complaints.workcal import add_workdays, calendar_for, count_workdays

__all__ = [
    "PRESETS",
    "ClockEvent",
    "ClockKind",
    "DayCount",
    "DeadlinePolicy",
    "DeadlineState",
    "DeadlineStatus",
    "ExtensionRule",
    "deadline_status",
    "due_at",
    "last_day",
    "policy_from_dict",
    "policy_to_dict",
    "zone_for",
]

UTC = dt.UTC
# Tolerance when comparing the fraction used with a risk threshold, so that an
# exact 12 of 15 days reaches 80 % despite binary floating point (~1 ms in 15 days).
_EPSILON = 1e-9


# --- policy -----------------------------------------------------------------


class DayCount(StrEnum):
    CALENDAR = "calendar"  # 自然日
    WORKING = "working"  # 工作日


@dataclass(frozen=True)
class ExtensionRule:
    """What granting the next stage requires."""

    needs_reason: bool
    needs_complainant_informed: bool
    needs_higher_approval: bool  # approval by the higher-level unit or a head-office manager


@dataclass(frozen=True)
class DeadlinePolicy:
    """A regulator's handling periods, stored as data so a bank can configure its own.

    `limits[i]` is the period of stage i in days from receipt; `extensions[i]`
    says what granting stage i + 1 requires. `at_risk` are fractions of the
    current period used at which the risk level rises to 1, 2, …. The time
    zone is not part of the policy: it is the responsible unit's.
    """

    code: str
    name_zh: str
    name_en: str
    day_count: DayCount
    calendar: str  # "cn" | "weekdays": used for WORKING, ignored for CALENDAR
    limits: tuple[int, ...]
    extensions: tuple[ExtensionRule, ...]
    at_risk: tuple[float, ...] = (0.5, 0.8)

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise ValueError("policy code must not be empty")
        if not isinstance(self.day_count, DayCount):
            raise ValueError(f"day_count must be one of {_choices(DayCount)}")
        calendar_for(self.calendar)
        _check_limits(self.limits)
        if len(self.extensions) != len(self.limits) - 1:
            raise ValueError(
                f"a policy with {len(self.limits)} stages needs {len(self.limits) - 1} "
                f"extension rules, got {len(self.extensions)}"
            )
        _check_fractions(self.at_risk)

    @property
    def stages(self) -> int:
        return len(self.limits)


def _check_limits(limits: tuple[int, ...]) -> None:
    if not limits:
        raise ValueError("limits must name at least one period")
    for days in limits:
        if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
            raise ValueError(f"limits must be positive whole numbers of days, got {days!r}")
    if any(later <= earlier for earlier, later in itertools.pairwise(limits)):
        raise ValueError(f"limits must increase from stage to stage, got {list(limits)}")


def _check_fractions(fractions: tuple[float, ...]) -> None:
    for fraction in fractions:
        if isinstance(fraction, bool) or not isinstance(fraction, int | float):
            raise ValueError(f"at_risk fractions must be numbers, got {fraction!r}")
        if not 0 < fraction < 1:
            raise ValueError(f"at_risk fractions must lie strictly between 0 and 1, got {fraction}")
    if any(later <= earlier for earlier, later in itertools.pairwise(fractions)):
        raise ValueError(f"at_risk fractions must increase, got {list(fractions)}")


def _choices(enum: type[StrEnum]) -> str:
    return ", ".join(member.value for member in enum)


_REASON_AND_INFORM = ExtensionRule(
    needs_reason=True, needs_complainant_informed=True, needs_higher_approval=False
)
_APPROVED_ABOVE = ExtensionRule(
    needs_reason=True, needs_complainant_informed=True, needs_higher_approval=True
)

PRESETS: dict[str, DeadlinePolicy] = {
    policy.code: policy
    for policy in (
        # 《银行业保险业消费投诉处理管理办法》 art. 24: 15 days; complex cases up to 30;
        # particularly complex cases 30 more with approval from above, complainant told.
        DeadlinePolicy(
            code="cbirc-2020",
            name_zh="银保监会令2020年第3号：15日，可延至30日、60日（自然日）",
            name_en="CBIRC Order 2020 No. 3: 15 days, extendable to 30 and 60 (calendar days)",
            day_count=DayCount.CALENDAR,
            calendar="cn",
            limits=(15, 30, 60),
            extensions=(_REASON_AND_INFORM, _APPROVED_ABOVE),
        ),
        DeadlinePolicy(
            code="cbirc-2020-workdays",
            name_zh="银保监会令2020年第3号：15日，可延至30日、60日（工作日）",
            name_en="CBIRC Order 2020 No. 3: 15 days, extendable to 30 and 60 (working days)",
            day_count=DayCount.WORKING,
            calendar="cn",
            limits=(15, 30, 60),
            extensions=(_REASON_AND_INFORM, _APPROVED_ABOVE),
        ),
        DeadlinePolicy(
            code="cfpb",
            name_zh="美国消费者金融保护局（CFPB）：15日内回复，60日内最终答复",
            name_en="US CFPB: response within 15 days, final response within 60",
            day_count=DayCount.CALENDAR,
            calendar="weekdays",
            limits=(15, 60),
            extensions=(_REASON_AND_INFORM,),
        ),
        DeadlinePolicy(
            code="fca-disp",
            name_zh="英国金融行为监管局（FCA DISP）：8周内最终答复",
            name_en="UK FCA DISP: final response within 8 weeks",
            day_count=DayCount.CALENDAR,
            calendar="weekdays",
            limits=(56,),
            extensions=(),
        ),
        # Business days without UK bank holidays: the "weekdays" calendar knows none.
        DeadlinePolicy(
            code="fca-psd",
            name_zh="英国支付服务投诉：15个工作日，特殊情况35个工作日",
            name_en="UK payment services: 15 business days, 35 in exceptional circumstances",
            day_count=DayCount.WORKING,
            calendar="weekdays",
            limits=(15, 35),
            extensions=(_REASON_AND_INFORM,),
        ),
    )
}


# --- policy as JSON -----------------------------------------------------------

_REQUIRED_KEYS = ("code", "name_zh", "day_count", "limits")
_OPTIONAL_KEYS = ("name_en", "calendar", "extensions", "at_risk")
_RULE_KEYS = ("needs_reason", "needs_complainant_informed", "needs_higher_approval")


def policy_to_dict(policy: DeadlinePolicy) -> dict[str, object]:
    """The policy as plain JSON-ready data; `policy_from_dict` reads it back."""
    return {
        "code": policy.code,
        "name_zh": policy.name_zh,
        "name_en": policy.name_en,
        "day_count": policy.day_count.value,
        "calendar": policy.calendar,
        "limits": list(policy.limits),
        "extensions": [
            {key: getattr(rule, key) for key in _RULE_KEYS} for rule in policy.extensions
        ],
        "at_risk": list(policy.at_risk),
    }


def policy_from_dict(data: Mapping[str, object]) -> DeadlinePolicy:
    """Read a policy stored as JSON, refusing anything unclear with a ValueError.

    Required: code, name_zh, day_count ("calendar" | "working"), limits.
    Optional: name_en (""), calendar ("cn"), extensions ([]), at_risk ([0.5, 0.8]).
    Each extension rule names all three of needs_reason,
    needs_complainant_informed and needs_higher_approval as true or false.
    """
    _check_keys(data, _REQUIRED_KEYS, _OPTIONAL_KEYS, "policy")
    day_count = _text(data, "day_count")
    try:
        counted = DayCount(day_count)
    except ValueError:
        raise ValueError(
            f"day_count must be one of {_choices(DayCount)}, got {day_count!r}"
        ) from None
    return DeadlinePolicy(
        code=_text(data, "code"),
        name_zh=_text(data, "name_zh"),
        name_en=_text(data, "name_en", ""),
        day_count=counted,
        calendar=_text(data, "calendar", "cn"),
        limits=tuple(_whole_number(days, "limits") for days in _items(data, "limits", [])),
        extensions=tuple(_rule_from_dict(rule) for rule in _items(data, "extensions", [])),
        at_risk=tuple(_number(f, "at_risk") for f in _items(data, "at_risk", [0.5, 0.8])),
    )


def _rule_from_dict(data: object) -> ExtensionRule:
    if not isinstance(data, Mapping):
        raise ValueError(f"an extension rule must be an object, got {data!r}")
    _check_keys(data, _RULE_KEYS, (), "extension rule")
    flags = {key: data[key] for key in _RULE_KEYS}
    for key, flag in flags.items():
        if not isinstance(flag, bool):
            raise ValueError(f"extension rule {key} must be true or false, got {flag!r}")
    return ExtensionRule(**flags)


def _check_keys(
    data: Mapping[str, object], required: Sequence[str], optional: Sequence[str], what: str
) -> None:
    missing = [key for key in required if key not in data]
    if missing:
        raise ValueError(f"{what} is missing {', '.join(missing)}")
    unknown = sorted(set(data) - set(required) - set(optional))
    if unknown:
        raise ValueError(f"{what} has unknown keys: {', '.join(unknown)}")


def _text(data: Mapping[str, object], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string, got {value!r}")
    return value


def _whole_number(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} must hold whole numbers of days, got {value!r}")
    return value


def _number(value: object, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must hold numbers, got {value!r}")
    return float(value)


def _items(data: Mapping[str, object], key: str, default: list[object]) -> list[object]:
    value = data.get(key, default)
    if not isinstance(value, list | tuple):
        raise ValueError(f"{key} must be a list, got {value!r}")
    return list(value)


# --- due dates ----------------------------------------------------------------


def zone_for(tz: str) -> ZoneInfo:
    """The IANA time zone `tz`, or a ValueError naming it."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r}") from None


def last_day(policy: DeadlinePolicy, start_on: dt.date, stage: int) -> dt.date:
    """The last local day of stage `stage` for a period counted from `start_on` (not counted)."""
    if not 0 <= stage < policy.stages:
        raise ValueError(f"policy {policy.code} has stages 0 to {policy.stages - 1}, not {stage}")
    days = policy.limits[stage]
    if policy.day_count is DayCount.CALENDAR:
        return start_on + dt.timedelta(days=days)
    return add_workdays(calendar_for(policy.calendar), start_on, days)


def due_at(
    policy: DeadlinePolicy, received_local_date: dt.date, stage: int, tz: str
) -> dt.datetime:
    """The instant (UTC) stage `stage` runs out: 24:00 local of its last day.

    `received_local_date` is the local date the period counts from: the day
    of receipt, or of the reopening.
    """
    end = last_day(policy, received_local_date, stage)
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
    calendar_known: bool  # False when a WORKING period runs into years the calendar lacks

    @property
    def is_open(self) -> bool:
        return self.state in (DeadlineState.ON_TIME, DeadlineState.AT_RISK, DeadlineState.OVERDUE)


@dataclass
class _Clock:
    """The clock rebuilt from history; mutable only while replaying."""

    policy: DeadlinePolicy
    tz: str
    start_on: dt.date
    stage: int = 0
    closed_by: ClockKind | None = None
    closed_at: dt.datetime | None = None
    breached: bool = False
    overdue_since: dt.datetime | None = None

    @property
    def due(self) -> dt.datetime:
        return due_at(self.policy, self.start_on, self.stage, self.tz)

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


def _replay(events: Sequence[ClockEvent], policy: DeadlinePolicy, tz: str) -> _Clock:
    first = events[0]
    if first.kind is not ClockKind.RECEIVED:
        raise ValueError(f"history must start with {ClockKind.RECEIVED}, not {first.kind}")
    clock = _Clock(policy=policy, tz=tz, start_on=_local_date(first.at, tz))
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
    events: Sequence[ClockEvent], policy: DeadlinePolicy, now: dt.datetime, tz: str
) -> DeadlineStatus:
    """The deadline status of a case at `now`, rebuilt from its history.

    `tz` is the IANA time zone of the responsible unit. Raises ValueError for
    a history that is out of order, does not start with RECEIVED, extends past
    the last stage, or acts on a closed case.
    """
    if now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now}")
    zone_for(tz)
    now = now.astimezone(UTC)
    clock = _replay(_events_until(events, now), policy, tz)
    if clock.closed_by is None:
        clock.note_time(now)
    measured_at = clock.closed_at or now
    due = clock.due
    used = _used(policy, clock.start_on, clock.stage, measured_at, tz)
    state, risk = _state_and_risk(clock, policy, used, measured_at >= due)
    can_extend = clock.closed_by is None and clock.stage + 1 < policy.stages
    return DeadlineStatus(
        state=state,
        stage=clock.stage,
        started_on=clock.start_on,
        last_day=last_day(policy, clock.start_on, clock.stage),
        due_at=due,
        used=used,
        risk_level=risk,
        remaining=due - measured_at,
        breached=clock.breached,
        overdue_since=clock.overdue_since,
        can_extend=can_extend,
        next_extension=policy.extensions[clock.stage] if can_extend else None,
        calendar_known=_calendar_known(policy, clock.start_on, clock.stage),
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


def _used(policy: DeadlinePolicy, start_on: dt.date, stage: int, at: dt.datetime, tz: str) -> float:
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
        calendar = calendar_for(policy.calendar)
        elapsed = count_workdays(calendar, start_on, today)
        elapsed += fraction if calendar.is_workday(today) else 0.0
    return elapsed / policy.limits[stage]


def _calendar_known(policy: DeadlinePolicy, start_on: dt.date, stage: int) -> bool:
    """Whether every day counted towards the due date rests on real holiday data."""
    if policy.day_count is DayCount.CALENDAR:
        return True
    calendar = calendar_for(policy.calendar)
    end = last_day(policy, start_on, stage)
    day = start_on + dt.timedelta(days=1)
    while day <= end:
        if not calendar.known(day):
            return False
        day += dt.timedelta(days=1)
    return True
