"""Whether, and when, a message to a customer may go: consent, quiet hours, the rate limit.

- **Consent** is recorded per customer and purpose; the latest decision counts. No message goes
  without a standing "yes" for its purpose, except a verification code the customer has just
  asked for on the number itself.
- **Quiet hours** (local time, 21:00–08:00 by default): a message that can wait (a reminder, an
  invitation, a complaint's news) is held until they end; a live one (your turn is near, you are
  called, a code) is about this very moment and goes at once, since the customer is at the
  outlet or on the booking page right now.
- **A live message goes stale**: one that could not be sent within a few minutes is dropped
  (`expired`) rather than telling a customer late that their turn is near.
- **Per-number rate limit**: at most `per_hour` messages to one number in any hour and
  `per_day` in any day, and a verification code at most once a minute; over the limit a message
  is not sent (`suppressed`, with the reason), so a fault or an abuse cannot flood a phone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from manyi.reach.domain.messages import RULES, Kind, Purpose

LIVE_FOR = dt.timedelta(minutes=10)
CODE_GAP = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class ConsentRecord:
    purpose: Purpose
    granted: bool
    at: dt.datetime


def has_consent(purpose: Purpose, records: Iterable[ConsentRecord]) -> bool:
    """The customer's latest decision for this purpose is yes (codes need none)."""
    if purpose is Purpose.VERIFICATION:
        return True
    latest: ConsentRecord | None = None
    for record in records:
        if record.purpose is purpose and (latest is None or record.at >= latest.at):
            latest = record
    return latest is not None and latest.granted


@dataclass(frozen=True)
class QuietHours:
    start: dt.time = dt.time(21, 0)  # local time
    end: dt.time = dt.time(8, 0)

    def contains(self, local: dt.time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def send_at(kind: Kind, now: dt.datetime, quiet: QuietHours, zone: dt.tzinfo) -> dt.datetime:
    """When a message created now may first go: now, or the end of quiet hours for one that
    can wait."""
    if RULES[kind].live:
        return now
    local = now.astimezone(zone)
    if not quiet.contains(local.time()):
        return now
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end += dt.timedelta(days=1)
    return end.astimezone(dt.UTC)


def expires_at(kind: Kind, send_from: dt.datetime) -> dt.datetime | None:
    """Until when a message may still be sent: a live one goes stale, others keep."""
    return send_from + LIVE_FOR if RULES[kind].live else None


@dataclass(frozen=True)
class RateLimit:
    per_hour: int = 6
    per_day: int = 20


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # an English message id when not allowed
    retry_after_s: int = 0  # for a code: how long until the customer may ask again


def rate_decision(
    kind: Kind,
    recent: Sequence[tuple[dt.datetime, Kind]],
    now: dt.datetime,
    limit: RateLimit,
) -> Decision:
    """May one more message go to a number that was sent `recent` (times and kinds of the
    messages not suppressed, the last day's at least)?"""
    if kind is Kind.VERIFICATION_CODE:
        codes = [at for at, k in recent if k is Kind.VERIFICATION_CODE and now - at < CODE_GAP]
        if codes:
            wait = CODE_GAP - (now - max(codes))
            return Decision(
                False,
                "a code was sent to this number moments ago",
                retry_after_s=max(1, int(wait.total_seconds()) + 1),
            )
    last_hour = sum(1 for at, _ in recent if now - at < dt.timedelta(hours=1))
    last_day = sum(1 for at, _ in recent if now - at < dt.timedelta(days=1))
    if last_hour >= limit.per_hour:
        return Decision(False, "too many messages to this number in an hour")
    if last_day >= limit.per_day:
        return Decision(False, "too many messages to this number in a day")
    return Decision(True)
