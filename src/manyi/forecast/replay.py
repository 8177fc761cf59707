"""Replaying a lobby from its events: the event stream, the predictor interface, and what a
predictor can know about the lobby at any instant (`ObservedLobby`).

A predictor sees events in time order (`observe`) and, at the instant a ticket is issued,
predicts that ticket's wait from issue to first call (`predict`). Replay calls `predict` for
every ticket issued at an instant *before* it passes on any event of that instant, so a
prediction uses only what happened strictly before the ticket's issue.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter as Tally
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from manyi.forecast.eventlog import Visit


class EventKind(enum.IntEnum):
    # The values order events that share a timestamp: a ticket issued and called in the
    # same second is issued first.
    ISSUED = 0
    CALLED = 1  # the first call of the visit
    FINISHED = 2  # served, abandoned, no-show or cancelled


@dataclass(frozen=True)
class WaitEvent:
    kind: EventKind
    at: dt.datetime
    ticket_id: str
    service: str
    klass: str
    counter: str | None = None  # CALLED, and FINISHED after a call
    outcome: str | None = None  # FINISHED


@dataclass(frozen=True)
class Arrival:
    """A ticket at the instant it is issued: what a predictor may know about it."""

    ticket_id: str
    service: str
    klass: str
    issued_at: dt.datetime


class Predictor(Protocol):
    name: str

    def observe(self, event: WaitEvent) -> None: ...

    def predict(self, ticket: Arrival, at: dt.datetime) -> float:
        """Predicted seconds from issue to first call, from the events observed so far."""
        ...


def events_of(visits: Iterable[Visit]) -> list[WaitEvent]:
    """Every visit's issue, first call and end, in time order."""
    events: list[WaitEvent] = []
    for v in visits:
        base = {"ticket_id": v.ticket_id, "service": v.service, "klass": v.priority_class}
        events.append(WaitEvent(EventKind.ISSUED, v.issued_at, **base))
        if v.called_at is not None:
            events.append(WaitEvent(EventKind.CALLED, v.called_at, counter=v.counter, **base))
        events.append(
            WaitEvent(
                EventKind.FINISHED,
                v.finished_at,
                counter=v.counter if v.called_at else None,
                outcome=v.outcome,
                **base,
            )
        )
    events.sort(key=lambda e: (e.at, e.kind))  # stable: file order breaks the rest of ties
    return events


def arrival_of(event: WaitEvent) -> Arrival:
    return Arrival(event.ticket_id, event.service, event.klass, event.at)


@dataclass
class Waiting:
    seq: int  # order of issue, for the v0 view's ticket ids
    service: str
    klass: str
    issued_at: dt.datetime


@dataclass
class AtCounter:
    ticket_id: str
    service: str
    called_at: dt.datetime


RECENT_SERVED = 30  # the lobby's own v0 uses the last 30 served tickets …
RECENT_WINDOW = dt.timedelta(hours=2)  # … of the past two hours
ACTIVE_WINDOW = dt.timedelta(minutes=15)  # a counter that called within this is working
DEFAULT_SERVICE_S = 300.0  # before anything has been served at all
RECENT_CALLS = 500  # first calls remembered, for throughput


class ObservedLobby:
    """The lobby as far as the events show it: who waits, who is at which counter, which
    counters serve what, recent service times and waits."""

    def __init__(self) -> None:
        self.waiting: dict[str, Waiting] = {}
        self.at_counter: dict[str, AtCounter] = {}  # counter -> current customer
        self.counter_of: dict[str, str] = {}  # ticket called, not finished -> counter
        self.counter_services: dict[str, Tally[str]] = {}  # counter -> service -> calls
        self.last_call: dict[str, dt.datetime] = {}
        self.services: dict[str, None] = {}  # every service seen, in order of appearance
        self.recent_service: dict[str, deque[tuple[dt.datetime, float]]] = {}
        self.total_service: dict[str, tuple[float, int]] = {}
        self.last_wait: dict[tuple[str, str | None], tuple[dt.datetime, float]] = {}
        self.calls: deque[tuple[dt.datetime, str]] = deque(maxlen=RECENT_CALLS)
        self._seq = 0

    # --- feeding ------------------------------------------------------------------

    def observe(self, event: WaitEvent) -> None:
        self.services.setdefault(event.service, None)
        if event.kind is EventKind.ISSUED:
            self._seq += 1
            self.waiting[event.ticket_id] = Waiting(self._seq, event.service, event.klass, event.at)
        elif event.kind is EventKind.CALLED:
            self._called(event)
        else:
            self._finished(event)

    def _called(self, event: WaitEvent) -> None:
        waited = self.waiting.pop(event.ticket_id, None)
        if waited is not None:
            wait = (event.at - waited.issued_at).total_seconds()
            for key in ((event.service, event.klass), (event.service, None), ("", None)):
                self.last_wait[key] = (event.at, wait)
        if event.counter is None:
            return
        self.counter_services.setdefault(event.counter, Tally())[event.service] += 1
        self.last_call[event.counter] = event.at
        self.calls.append((event.at, event.counter))
        self.at_counter[event.counter] = AtCounter(event.ticket_id, event.service, event.at)
        self.counter_of[event.ticket_id] = event.counter

    def _finished(self, event: WaitEvent) -> None:
        self.waiting.pop(event.ticket_id, None)
        counter = self.counter_of.pop(event.ticket_id, None)
        if counter is None:
            return
        current = self.at_counter.get(counter)
        if current is None or current.ticket_id != event.ticket_id:
            return
        del self.at_counter[counter]
        if event.outcome == "served":
            took = (event.at - current.called_at).total_seconds()
            recent = self.recent_service.setdefault(event.service, deque(maxlen=RECENT_SERVED))
            recent.append((event.at, took))
            total, n = self.total_service.get(event.service, (0.0, 0))
            self.total_service[event.service] = (total + took, n + 1)

    # --- what is known ------------------------------------------------------------

    def long_run_service_s(self, service: str) -> float:
        """Mean service time of everything served so far (of all services when none)."""
        total, n = self.total_service.get(service, (0.0, 0))
        if n:
            return total / n
        total = sum(t for t, _ in self.total_service.values())
        n = sum(k for _, k in self.total_service.values())
        return total / n if n else DEFAULT_SERVICE_S

    def recent_service_s(self, service: str, at: dt.datetime) -> float | None:
        """Mean of the last RECENT_SERVED service times within RECENT_WINDOW (the lobby's rule)."""
        since = at - RECENT_WINDOW
        recent = [s for when, s in self.recent_service.get(service, ()) if when >= since]
        return sum(recent) / len(recent) if recent else None

    def service_s(self, service: str, at: dt.datetime) -> float:
        """Recent mean service time, else the long-run mean."""
        recent = self.recent_service_s(service, at)
        return recent if recent is not None else self.long_run_service_s(service)

    def counters_for(self, service: str) -> list[str]:
        """Counters that have served the service, most used first."""
        return sorted(
            (c for c, served in self.counter_services.items() if served[service]),
            key=lambda c: (-self.counter_services[c][service], c),
        )

    def is_serving(self, counter: str) -> bool:
        return counter in self.at_counter

    def is_active(self, counter: str, at: dt.datetime) -> bool:
        """At work: serving someone now or called someone in the last ACTIVE_WINDOW."""
        last = self.last_call.get(counter)
        return self.is_serving(counter) or (last is not None and at - last <= ACTIVE_WINDOW)

    def calls_since(self, counters: Iterable[str], since: dt.datetime) -> int:
        """First calls made by these counters since `since`."""
        wanted = set(counters)
        n = 0
        for at, counter in reversed(self.calls):
            if at < since:
                break
            n += counter in wanted
        return n

    def waiting_by_service(self) -> Tally[str]:
        return Tally(w.service for w in self.waiting.values())

    def oldest_wait_s(self, service: str, at: dt.datetime) -> float:
        """How long the longest-waiting customer of the service has waited (0: none)."""
        issued = [w.issued_at for w in self.waiting.values() if w.service == service]
        return (at - min(issued)).total_seconds() if issued else 0.0

    def recent_wait(
        self, service: str, klass: str | None, at: dt.datetime, fresh: dt.timedelta | None
    ) -> float | None:
        """The wait of the last customer of (service, class) to be first called.

        `service` "" with `klass` None means any customer. With `fresh`, a value older
        than that is ignored.
        """
        found = self.last_wait.get((service, klass))
        if found is None or (fresh is not None and at - found[0] > fresh):
            return None
        return found[1]
