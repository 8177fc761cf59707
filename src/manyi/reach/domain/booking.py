"""Booking rules for appointments: states, who may book, check-in, no-shows.

Pure: the caller passes `now` and what it loaded.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from manyi.errors import Conflict, InvalidInput
from manyi.reach.domain.slots import Rules

CODE_DIGITS = 6  # the verification code sent to the mobile
CODE_TTL = dt.timedelta(minutes=10)
CODE_ATTEMPTS = 5  # wrong tries before a code is spent
CHECKIN_DIGITS = 6  # the code shown on the booked page, typed at the kiosk


class State(enum.StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    NO_SHOW = "no_show"


class Arrival(enum.StrEnum):
    """How a check-in at `now` is treated."""

    ON_TIME = "on_time"  # an appointment-class ticket due at the slot start
    LATE = "late"  # past the grace: a normal ticket (the bank's rule)


def code_hash(secret: str, customer_key: str) -> str:
    """A verification code bound to the number it was sent to (HMAC keyed by the blind index)."""
    return hmac.new(customer_key.encode(), secret.encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_code_format(code: str) -> str:
    value = (code or "").strip()
    if not (len(value) == CODE_DIGITS and value.isdigit()):
        raise InvalidInput(
            "the verification code has {n} digits", "code", n=CODE_DIGITS, error_code="bad_code"
        )
    return value


def blocked_until(
    no_shows: Iterable[dt.datetime], now: dt.datetime, rules: Rules
) -> dt.datetime | None:
    """When a number may book again after repeated no-shows; None when it may book now.

    `no_show_limit` no-shows within `no_show_window_days` before now block booking for
    `block_days` after the latest of them.
    """
    window_start = now - dt.timedelta(days=rules.no_show_window_days)
    recent = sorted(t for t in no_shows if window_start <= t <= now)
    if len(recent) < rules.no_show_limit:
        return None
    until = recent[-1] + dt.timedelta(days=rules.block_days)
    return until if until > now else None


def arrival(slot_start: dt.datetime, now: dt.datetime, rules: Rules) -> Arrival:
    """On time or late at `now`; refused when too early (check-in opens `early_minutes`
    before the slot) or on another day than the slot's (the caller checks the day)."""
    opens = slot_start - dt.timedelta(minutes=rules.early_minutes)
    if now < opens:
        raise Conflict(
            "check-in opens {minutes} minutes before your time",
            "code",
            minutes=rules.early_minutes,
            error_code="too_early",
        )
    if now <= slot_start + dt.timedelta(minutes=rules.late_grace_minutes):
        return Arrival.ON_TIME
    return Arrival.LATE


def missed(slot_start: dt.datetime, now: dt.datetime, rules: Rules) -> bool:
    """A booked appointment not checked in by the end of the grace is a no-show."""
    return now > slot_start + dt.timedelta(minutes=rules.late_grace_minutes)


@dataclass(frozen=True)
class DayCounts:
    """The lobby dashboard's figures for a day's appointments."""

    total: int  # booked, checked in or no-show (cancelled ones not counted)
    checked_in: int
    late: int  # booked, past the slot start, still within the grace
    missing: int  # no-shows and booked past the grace


def day_counts(
    rows: Iterable[tuple[str, dt.datetime]], now: dt.datetime, rules: Rules
) -> DayCounts:
    """Counts from (state, slot start) of a day's appointments."""
    total = checked = late = missing = 0
    for state, start in rows:
        if state == State.CANCELLED:
            continue
        total += 1
        if state == State.CHECKED_IN:
            checked += 1
        elif state == State.NO_SHOW or (state == State.BOOKED and missed(start, now, rules)):
            missing += 1
        elif state == State.BOOKED and now > start:
            late += 1
    return DayCounts(total, checked, late, missing)
