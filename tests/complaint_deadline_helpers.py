"""Shared pieces of the complaint deadline tests: local times, clock events, the CBIRC presets."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from manyi.complaints.domain.deadlines import ClockEvent, ClockKind, DeadlineStatus, deadline_status
from manyi.complaints.domain.policies import PRESETS, DeadlinePolicy

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
