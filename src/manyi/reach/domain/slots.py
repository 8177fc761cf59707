"""Appointment slots (预约时段): which times of a day can be booked, and how many places each has.

A day is cut into slots of `SLOT_MINUTES` inside the outlet's opening hours, on working days of
the bank's calendar only. A slot's places come from the staffing plan, shared by the services
whose counters overlap (`pools.py`): appointments only use what the counters serve at the outlet's
target wait beyond the expected walk-ins, a share of that spare capacity is still kept for
walk-ins who come unannounced, and a booking of one service takes room from the services it
shares counters with. The places left are never negative (a plan revised downwards never cancels
a booking; it just shows the slot full).

A slot's state says why it cannot be booked: `past` (it has started), `too_soon` (inside the lead
time), `too_far` (beyond the horizon), `full` (no place left), else `free`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from manyi.errors import InvalidInput

SLOT_MINUTES = 30
# Past a few kilometres "near the outlet" means nothing; 0 switches the position check off.
MAX_CHECKIN_RADIUS_M = 5000


@dataclass(frozen=True)
class Rules:
    """An outlet's appointment rules (the outlet head or an administrator edits them)."""

    walk_in_share: float = 0.5  # share of the plan's spare capacity kept for walk-ins
    horizon_days: int = 14  # how far ahead a slot may be booked (days after today)
    lead_minutes: int = 60  # a slot must start at least this long after booking
    early_minutes: int = 30  # check-in opens this long before the slot
    late_grace_minutes: int = 15  # after the slot start, still an appointment ticket
    no_show_limit: int = 3  # this many no-shows …
    no_show_window_days: int = 90  # … within this many days …
    block_days: int = 30  # … stop booking for this many days after the last one
    # Appointment hours, inside the opening hours (an outlet open around the clock books
    # only these; a slot must end by `book_until`).
    book_from: dt.time = dt.time(9, 0)
    book_until: dt.time = dt.time(17, 0)
    # Check-in by the link within this many metres of the outlet's position (`nearby`);
    # 0: no position asked (time only, as for an outlet without a position).
    checkin_radius_m: int = 500

    def __post_init__(self) -> None:
        share = self.walk_in_share
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share < 1:
            raise InvalidInput(
                "the walk-in share must be at least 0 % and below 100 %", "walk_in_share"
            )
        _whole(self.horizon_days, 1, 90, "horizon_days")
        _whole(self.lead_minutes, 0, 24 * 60, "lead_minutes")
        _whole(self.early_minutes, 0, 240, "early_minutes")
        _whole(self.late_grace_minutes, 0, 120, "late_grace_minutes")
        _whole(self.no_show_limit, 1, 20, "no_show_limit")
        _whole(self.no_show_window_days, 1, 365, "no_show_window_days")
        _whole(self.block_days, 0, 365, "block_days")
        _whole(self.checkin_radius_m, 0, MAX_CHECKIN_RADIUS_M, "checkin_radius_m")
        if not (isinstance(self.book_from, dt.time) and isinstance(self.book_until, dt.time)):
            raise InvalidInput("appointment hours are times of day", "book_from")
        if self.book_until <= self.book_from:
            raise InvalidInput("appointments must end after they begin", "book_until")


def _whole(value: object, low: int, high: int, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(
            "{name} must be a whole number from {low} to {high}",
            field,
            name=field,
            low=low,
            high=high,
        )


class Timing(StrEnum):
    """Whether a slot's time can be booked now."""

    OPEN = "open"
    PAST = "past"  # it has started
    TOO_SOON = "too_soon"  # inside the lead time
    TOO_FAR = "too_far"  # beyond the horizon


@dataclass(frozen=True)
class Slot:
    start: dt.datetime  # UTC
    end: dt.datetime
    capacity: int  # this service's places: those it has booked and those still free
    booked: int  # this service's bookings
    timing: Timing = Timing.OPEN

    @property
    def open(self) -> bool:
        return self.timing is Timing.OPEN

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked) if self.open else 0

    @property
    def state(self) -> str:
        """free, full, past, too_soon or too_far (the JSON API's `state`)."""
        if not self.open:
            return self.timing.value
        return "free" if self.free > 0 else "full"


def slot_starts(
    day: dt.date,
    opens: dt.time,
    closes: dt.time | None,
    zone: ZoneInfo,
    hours: tuple[dt.time, dt.time] = (dt.time(0), dt.time(23, 59, 59)),
) -> list[dt.datetime]:
    """The UTC starts of the day's slots inside the opening hours (closing at midnight when
    None) and the appointment `hours`, each ending by the earlier end."""
    start = dt.datetime.combine(day, max(opens, hours[0]), zone)
    closing = (
        dt.datetime.combine(day, closes, zone)
        if closes is not None
        else dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
    )
    end = min(closing, dt.datetime.combine(day, hours[1], zone))
    # Align the first slot on the half hour after opening (09:10 opens → 09:30).
    minute = start.hour * 60 + start.minute
    aligned = math.ceil(minute / SLOT_MINUTES) * SLOT_MINUTES
    first = dt.datetime.combine(day, dt.time(0), zone) + dt.timedelta(minutes=aligned)
    length = dt.timedelta(minutes=SLOT_MINUTES)
    starts = []
    at = first
    while at + length <= end:
        starts.append(at.astimezone(dt.UTC))
        at = at + length
    return starts


def horizon(today: dt.date, rules: Rules) -> list[dt.date]:
    """Today and the days of the horizon (the caller drops non-working days)."""
    return [today + dt.timedelta(days=n) for n in range(rules.horizon_days + 1)]


def timing(
    start: dt.datetime, now: dt.datetime, today: dt.date, zone: ZoneInfo, rules: Rules
) -> Timing:
    """Whether a slot starting at `start` can be booked at `now` (lead time and horizon)."""
    if start < now:
        return Timing.PAST
    if start < now + dt.timedelta(minutes=rules.lead_minutes):
        return Timing.TOO_SOON
    if start.astimezone(zone).date() > today + dt.timedelta(days=rules.horizon_days):
        return Timing.TOO_FAR
    return Timing.OPEN


def in_window(
    start: dt.datetime, now: dt.datetime, today: dt.date, zone: ZoneInfo, rules: Rules
) -> bool:
    """Whether a slot starting at `start` may be booked at `now` (lead time and horizon)."""
    return timing(start, now, today, zone, rules) is Timing.OPEN


def day_slots(
    starts: Iterable[dt.datetime],
    room: Mapping[dt.datetime, int],
    booked: Mapping[dt.datetime, int],
    now: dt.datetime,
    today: dt.date,
    zone: ZoneInfo,
    rules: Rules,
) -> list[Slot]:
    """The slots of a day for one service: `room` is the places it can still take per slot
    (`pools.room`; a slot the plan does not cover has none), `booked` its own bookings."""
    length = dt.timedelta(minutes=SLOT_MINUTES)
    return [
        Slot(
            start=start,
            end=start + length,
            capacity=booked.get(start, 0) + max(0, room.get(start, 0)),
            booked=booked.get(start, 0),
            timing=timing(start, now, today, zone, rules),
        )
        for start in starts
    ]
