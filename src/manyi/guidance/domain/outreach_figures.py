"""Financial-literacy outreach's periods and figures (pure): the period a page asks for, and
the tallies of events that add up across outlets and levels (an outlet's tally is the sum of
its events', a branch's the sum of its outlets'). Events count in a period by their day: the
day held for a held event, the planned day otherwise; participants and materials come from
held events only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from manyi.errors import InvalidInput
from manyi.guidance.domain.outreach import PERIOD_MAX_DAYS, State, date_of


@dataclass(frozen=True, slots=True)
class Period:
    """Days `start` to `end`, both included."""

    start: dt.date
    end: dt.date

    @classmethod
    def month_of(cls, day: dt.date) -> Period:
        first = day.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return cls(first, following - dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def period_of(start: str, end: str, today: dt.date) -> Period:
    """The period a page asks for: this month when neither end is given."""
    default = Period.month_of(today)
    first = date_of(start, "from") if start.strip() else default.start
    last = date_of(end, "to") if end.strip() else max(first, default.end)
    if last < first:
        raise InvalidInput("the period ends before it starts", "to")
    if (last - first).days + 1 > PERIOD_MAX_DAYS:
        raise InvalidInput("a period is at most {days} days", "to", days=PERIOD_MAX_DAYS)
    return Period(first, last)


@dataclass(frozen=True, slots=True)
class Group:
    """Events of one kind (state, topic, venue) at one outlet: a row of the SQL sums."""

    outlet_path: str
    state: str
    topic: str
    venue_kind: str
    events: int
    participants: int = 0
    materials: int = 0


@dataclass(slots=True)
class Tally:
    """Outreach figures of a unit over a period: additive, so units sum to their parent."""

    planned: int = 0
    held: int = 0
    cancelled: int = 0
    participants: int = 0
    materials: int = 0
    held_by_topic: dict[str, int] = field(default_factory=dict)
    held_by_venue: dict[str, int] = field(default_factory=dict)
    participants_by_topic: dict[str, int] = field(default_factory=dict)

    @property
    def events(self) -> int:
        """Events planned or held (a cancelled one did not reach anyone)."""
        return self.planned + self.held

    @property
    def per_event(self) -> float | None:
        """Participants per held event."""
        return self.participants / self.held if self.held else None

    def add(self, group: Group) -> None:
        if group.state == State.HELD:
            self.held += group.events
            self.participants += group.participants
            self.materials += group.materials
            _bump(self.held_by_topic, group.topic, group.events)
            _bump(self.held_by_venue, group.venue_kind, group.events)
            _bump(self.participants_by_topic, group.topic, group.participants)
        elif group.state == State.PLANNED:
            self.planned += group.events
        else:
            self.cancelled += group.events

    def merge(self, other: Tally) -> None:
        self.planned += other.planned
        self.held += other.held
        self.cancelled += other.cancelled
        self.participants += other.participants
        self.materials += other.materials
        for mine, theirs in (
            (self.held_by_topic, other.held_by_topic),
            (self.held_by_venue, other.held_by_venue),
            (self.participants_by_topic, other.participants_by_topic),
        ):
            for key, value in theirs.items():
                _bump(mine, key, value)


def _bump(counts: dict[str, int], key: str, by: int) -> None:
    counts[key] = counts.get(key, 0) + by


def roll_up(groups: Iterable[Group], unit_paths: Sequence[str]) -> dict[str, Tally]:
    """The groups summed per unit of `unit_paths` (each unit's subtree); a group under none
    of them is left out. Every unit gets a tally, empty when it held nothing.

    A unit holding a path is found by cutting the path at the units' depths (siblings share
    one), a dictionary look-up rather than a scan of every unit: head office has tier-1
    branches by the dozen, a tier-1 branch may have hundreds of outlets below it."""
    tallies = {p: Tally() for p in unit_paths}
    depths = sorted({p.count("/") for p in unit_paths})
    for group in groups:
        for depth in depths:
            cut = "/".join(group.outlet_path.split("/")[:depth]) + "/"
            if cut in tallies:
                tallies[cut].add(group)
                break
    return tallies


def total(tallies: Iterable[Tally]) -> Tally:
    whole = Tally()
    for tally in tallies:
        whole.merge(tally)
    return whole
