"""One outlet-day summed from its raw facts: the hourly cells (hour of issue × service ×
class) and the counters' open time. Pure: the facts come in as plain values.

A customer's visit may have several legs (a transfer ends a leg and starts one that keeps the
number and the issue time), so:
- *issued* counts visits: first legs only (`previous_id is None`), in their service and class;
- *wait* is the first leg's time from issue to first call (a visit waits once); a visit never
  called has no wait (it shows in no-shows or cancellations);
- *served*, *no-shows*, *cancellations* and *transfers* count legs by their outcome, in the
  leg's own service (a transfer moves the customer to another service);
- *service time* is a leg's start (or call) to its end, for legs served or transferred on;
  the tellers' *busy time* is the sum of those.
Every leg belongs to the hour and local day its visit was issued, so a ticket finished after
midnight counts on the day it was issued.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

from manyi.cockpit.domain import histogram


@dataclass(frozen=True, slots=True)
class Leg:
    previous_id: int | None
    service_code: str
    klass: str
    issued_at: dt.datetime
    first_called_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    outcome: str | None


@dataclass(slots=True)
class Cell:
    """The additive sums of one hour × service × class (all counts; times in seconds)."""

    issued: int = 0
    served: int = 0
    no_shows: int = 0
    cancellations: int = 0
    transfers: int = 0
    wait_sum_s: int = 0
    wait_n: int = 0
    wait_within: int = 0
    service_sum_s: int = 0
    service_n: int = 0
    waits: list[int] = field(default_factory=list)  # the waits themselves (exact percentile)

    def histogram(self) -> list[int]:
        return histogram.of_waits(self.waits)


OUTCOME_FIELD = {
    "served": "served",
    "no_show": "no_shows",
    "cancelled": "cancellations",
    "transferred": "transfers",
}


def _seconds(later: dt.datetime, earlier: dt.datetime) -> int:
    return max(int((later - earlier).total_seconds()), 0)


def service_seconds(
    started: dt.datetime | None, called: dt.datetime | None, finished: dt.datetime | None
) -> int | None:
    """A leg's service time: its start (or its call) to its end; None without both ends."""
    begun = started or called
    return _seconds(finished, begun) if begun and finished else None


def cells(legs: Iterable[Leg], tz: str, target_s: int) -> dict[tuple[int, str, str], Cell]:
    """{(local hour of issue, service code, class): its sums}."""
    zone = zoneinfo.ZoneInfo(tz)
    out: dict[tuple[int, str, str], Cell] = {}
    for leg in legs:
        hour = leg.issued_at.astimezone(zone).hour
        cell = out.setdefault((hour, leg.service_code, leg.klass), Cell())
        if leg.previous_id is None:
            cell.issued += 1
            if leg.first_called_at is not None:
                wait = _seconds(leg.first_called_at, leg.issued_at)
                cell.wait_sum_s += wait
                cell.wait_n += 1
                cell.wait_within += wait <= target_s
                cell.waits.append(wait)
        name = OUTCOME_FIELD.get(leg.outcome or "")
        if name is not None:
            setattr(cell, name, getattr(cell, name) + 1)
        service = service_seconds(leg.started_at, leg.first_called_at, leg.finished_at)
        if leg.outcome in ("served", "transferred") and service is not None:
            cell.service_sum_s += service
            cell.service_n += 1
    return out


def total(parts: Iterable[Cell]) -> Cell:
    whole = Cell()
    for part in parts:
        for name in Cell.__slots__:
            if name == "waits":
                whole.waits.extend(part.waits)
            else:
                setattr(whole, name, getattr(whole, name) + getattr(part, name))
    return whole


@dataclass(frozen=True, slots=True)
class CounterEvent:
    counter_id: int
    kind: str  # "counter_opened" or "counter_closed"
    at: dt.datetime


def open_seconds(
    events: Iterable[CounterEvent],
    open_at_start: set[int],
    starts: dt.datetime,
    ends: dt.datetime,
) -> int | None:
    """Counter-seconds open in [starts, ends): each counter from its opening (or `starts`, when
    it was open then) to its closing; a counter still open at `ends` counts up to `ends`
    (callers pass the earlier of the day's end and the outlet's last event, so today is not
    counted ahead). None when no counter was open at all that day."""
    opened: dict[int, dt.datetime] = {c: starts for c in open_at_start}
    seen = bool(open_at_start)
    seconds = 0
    for event in sorted(events, key=lambda e: e.at):
        seen = True
        if event.kind == "counter_opened":
            opened.setdefault(event.counter_id, max(event.at, starts))
        elif event.kind == "counter_closed" and event.counter_id in opened:
            seconds += _seconds(min(event.at, ends), opened.pop(event.counter_id))
    for since in opened.values():
        seconds += _seconds(ends, since)
    return seconds if seen else None
