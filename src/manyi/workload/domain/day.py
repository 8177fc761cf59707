"""A teller's day from what the lobby recorded: figures for the workload page.

Inputs are intervals the queries module reads from the lobby:

- `on_duty`: the teller is signed on at a counter and not paused (counter_opened or
  counter_resumed until counter_paused or counter_closed); an interval still open at `now`
  ends at `now`;
- `servings`: the tickets the teller served (started → finished), each with its complexity
  weight (the counter bundle's transaction weights, else the service's default) and whether it
  was a difficult case.

A **break** is time off duty between two on-duty intervals (paused, or signed off and on
again) lasting at least `break_min` minutes (MANYI_WORKLOAD_BREAK_MIN). Shorter gaps (a
two-minute pause to fetch forms) do not end a stretch. A **stretch** is the time from the end
of one break (or the first sign-on) to the start of the next (or the last sign-off, or now):
so a teller signed on 08:30–12:10 with a 5-minute pause at 10:00 worked one 3 h 40 min
stretch; with a 15-minute pause there instead (break 10 min), two stretches of 1 h 30 min and
1 h 55 min.

**Busy time** is the union of the serving intervals (a ticket served while another is still
open at the counter is not counted twice). **Overtime** is on-duty or serving time after the
outlet's closing time that day (none for an outlet open until midnight).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Span = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class Serving:
    started_at: dt.datetime
    finished_at: dt.datetime | None  # None: still serving at `now`
    weight: float = 1.0
    difficult: bool = False


@dataclass(frozen=True)
class DayFigures:
    """One teller's day. Times in seconds."""

    on_duty_s: float
    busy_s: float
    served: int
    weighted: float
    longest_stretch_s: float
    breaks: int
    difficult: int
    overtime_s: float

    @property
    def difficult_share(self) -> float | None:
        """Difficult cases among those served; None when nobody was served."""
        return None if self.served == 0 else min(self.difficult / self.served, 1.0)

    @property
    def busy_share(self) -> float | None:
        return None if self.on_duty_s <= 0 else min(self.busy_s / self.on_duty_s, 1.0)

    @property
    def weighted_per_hour(self) -> float | None:
        """Weighted served per hour on duty: the load fairness compares."""
        return None if self.on_duty_s <= 0 else self.weighted * 3600 / self.on_duty_s


def merge(spans: Iterable[Span]) -> list[Span]:
    """Overlapping or touching spans merged, in time order; empty spans dropped."""
    merged: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def total_s(spans: Iterable[Span]) -> float:
    return sum((end - start).total_seconds() for start, end in merge(spans))


def after(spans: Iterable[Span], moment: dt.datetime) -> list[Span]:
    """The parts of the spans after `moment`."""
    return [(max(start, moment), end) for start, end in spans if end > moment]


def stretches(on_duty: Sequence[Span], break_min: float) -> list[Span]:
    """The working stretches: the on-duty envelope cut at every break (a gap of at least
    `break_min` minutes between on-duty intervals)."""
    spans = merge(on_duty)
    if not spans:
        return []
    cut = dt.timedelta(minutes=break_min)
    result = [spans[0]]
    for start, end in spans[1:]:
        if start - result[-1][1] >= cut:
            result.append((start, end))
        else:
            result[-1] = (result[-1][0], end)
    return result


def figures(
    on_duty: Sequence[Span],
    servings: Sequence[Serving],
    *,
    now: dt.datetime,
    closes_at: dt.datetime | None,
    break_min: float,
    complaints: int = 0,
) -> DayFigures:
    """A teller's figures for a day. `complaints` naming the teller that day count as
    difficult cases on top of the servings marked difficult (capped at the served count: a
    complaint is about a customer the teller served)."""
    duty = merge((start, min(end, now)) for start, end in on_duty)
    serving_spans = [(s.started_at, min(s.finished_at or now, now)) for s in servings]
    finished = [s for s in servings if s.finished_at is not None and s.finished_at <= now]
    parts = stretches(duty, break_min)
    overtime = 0.0
    if closes_at is not None:
        overtime = total_s(after([*duty, *serving_spans], closes_at))
    served = len(finished)
    difficult = min(sum(s.difficult for s in finished) + complaints, served)
    return DayFigures(
        on_duty_s=total_s(duty),
        busy_s=total_s(serving_spans),
        served=served,
        weighted=round(sum(s.weight for s in finished), 3),
        longest_stretch_s=max(((e - s).total_seconds() for s, e in parts), default=0.0),
        breaks=max(len(parts) - 1, 0),
        difficult=difficult,
        overtime_s=overtime,
    )


def current_stretch_s(on_duty: Sequence[Span], now: dt.datetime, break_min: float) -> float:
    """How long the teller has worked since their last break, if on duty now (else 0)."""
    parts = stretches([(s, min(e, now)) for s, e in on_duty], break_min)
    if not parts or parts[-1][1] < now:
        return 0.0
    return (now - parts[-1][0]).total_seconds()


def busy_share_since(servings: Sequence[Serving], since: dt.datetime, now: dt.datetime) -> float:
    """Share of [since, now) spent serving."""
    window = (now - since).total_seconds()
    if window <= 0:
        return 0.0
    spans = [(max(s.started_at, since), min(s.finished_at or now, now)) for s in servings]
    return min(total_s(spans) / window, 1.0)
