"""What one replication of a simulation records, and the staffing-rule interface."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from manyi.lobby.domain.predict import LobbyView


class Customer(NamedTuple):
    """One customer of one replication (a transfer does not make a new customer)."""

    issued_s: float
    service: str  # the service the ticket was issued for
    klass: str
    wait_s: float | None  # issue to first call; None when never called
    outcome: str  # served | no_show | abandoned | unserved
    transferred: bool


@dataclass(frozen=True)
class Call:
    """A call in the trace of a replication (kept when `trace=True`)."""

    at_s: float
    counter: int
    ticket_id: int
    service: str
    klass: str


@dataclass(frozen=True)
class CounterTime:
    number: int
    busy_s: float
    open_s: float


@dataclass(frozen=True)
class Replication:
    index: int
    customers: tuple[Customer, ...]  # issued between the warm-up and the horizon
    counters: tuple[CounterTime, ...]  # time after the warm-up
    simulated: int  # customers issued in the whole run, warm-up included
    end_s: float  # when the last counter closed (drain) or the horizon
    calls: tuple[Call, ...] = ()


class CounterControl(Protocol):
    """A staffing rule that opens and closes counters during a run (flexible-counter advice).

    Every `interval_s` until the horizon it sees the lobby as it stands and
    answers the counters (by number) it wants open (True) or closed (False);
    counters it leaves out keep their state. Give the counters it controls
    `open: []` (closed until the rule opens them); with windows as well, the
    windows and the rule would take turns.
    """

    interval_s: float

    def decide(self, t_s: float, view: LobbyView) -> Mapping[int, bool]: ...
