"""Wait prediction at issue: the interface and the v0 estimate.

A predictor sees lobby events in time order (`observe`) and, when a ticket
is issued, predicts its wait from issue to first call (`predict`). The
forecasting feature adds predictors that learn from events; v0 only looks at
the queue as it stands.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from manyi.lobby.domain.model import Counter, CounterState, Policy, Service
from manyi.lobby.domain.ticket import Ticket


@dataclass(frozen=True)
class LobbyEvent:
    kind: str  # issued, called, recalled, started, completed, no_show, ...
    at: dt.datetime
    ticket_id: int | None = None
    service_code: str | None = None
    klass: str | None = None
    counter_id: int | None = None


@dataclass(frozen=True)
class LobbyView:
    """The queue as it stands when a ticket is issued."""

    now: dt.datetime
    services: Mapping[str, Service]
    counters: Sequence[Counter]
    waiting: Sequence[Ticket]
    # Mean service time (finish − start) of recently served tickets, by service code.
    recent_service_s: Mapping[str, float] = field(default_factory=dict)
    # When set, the queue is given only as counts per service (cheap to read for a long
    # queue) and every ticket asked about is taken to be at the back of the line, as a
    # ticket being issued is.
    waiting_counts: Mapping[str, int] | None = None
    # The outlet's rules, for the estimate that plays dispatch forward (`estimate.py`).
    policy: Policy = field(default_factory=Policy)

    def service_time_s(self, code: str) -> float:
        recent = self.recent_service_s.get(code)
        if recent:
            return recent
        service = self.services.get(code)
        return float(service.expected_service_s) if service else 0.0

    def able_counters(self, service_code: str) -> list[Counter]:
        """Counters that can serve the service now; if none is open, those configured for it."""
        service = self.services[service_code]
        configured = [c for c in self.counters if service_code in c.services]
        staffed = [
            c for c in configured if c.state is not CounterState.CLOSED and c.can_serve(service)
        ]
        return staffed or configured

    def competing_codes(self, ticket: Ticket) -> set[str]:
        """Services whose customers the counters able to serve `ticket` also take."""
        codes: set[str] = set()
        for counter in self.able_counters(ticket.service_code):
            codes.update(counter.services)
        return codes

    def ahead_by_service(self, ticket: Ticket) -> dict[str, int]:
        """How many competitors wait ahead of `ticket`, by service."""
        codes = self.competing_codes(ticket)
        if self.waiting_counts is not None:
            return {c: n for c, n in self.waiting_counts.items() if c in codes and n}
        ahead: dict[str, int] = {}
        for t in self.competitors(ticket):
            ahead[t.service_code] = ahead.get(t.service_code, 0) + 1
        return ahead

    def competitors(self, ticket: Ticket) -> list[Ticket]:
        """Waiting tickets queued before `ticket` that the same counters could take."""
        codes = self.competing_codes(ticket)
        mine = (ticket.queued_at, ticket.id)
        return [
            t
            for t in self.waiting
            if t.id != ticket.id and t.service_code in codes and (t.queued_at, t.id) < mine
        ]


class WaitPredictor(Protocol):
    name: str

    def observe(self, event: LobbyEvent) -> None: ...

    def predict(self, view: LobbyView, ticket: Ticket) -> int | None:
        """Seconds from issue to first call, or None when no counter can serve the ticket."""
        ...


class QueueAheadEstimate:
    """v0: people ahead × their recent mean service time ÷ counters able to serve."""

    name = "v0"

    def observe(self, event: LobbyEvent) -> None:
        return None

    def predict(self, view: LobbyView, ticket: Ticket) -> int | None:
        counters = view.able_counters(ticket.service_code)
        if not counters:
            return None
        ahead = view.ahead_by_service(ticket)
        work = sum(n * view.service_time_s(code) for code, n in ahead.items())
        return math.ceil(work / len(counters))
