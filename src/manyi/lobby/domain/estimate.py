"""Where a ticket stands: how many will be called before it, and when it will be called.

One answer for the kiosk, the customer's status page and the dashboard (`lobby.waits`
adds the outlet's learned figures and its 80 % range around them). Pure.

The answer plays the dispatch rules forward (`dispatch.choose`) on the queue as it stands:

- Only counters that are not closed take part. A counter with a customer (or paused) frees
  after half a service time of its first service; an idle open counter calls at once; each
  call keeps a counter busy for the called service's recent mean time.
- Each counter calls by its own rules in turn: own lanes, transfers, ageing (with the
  simulated clock), its preferred service, the weighted class cycle (from its real credits),
  first come first served. So a green-channel customer behind you in the line is called
  before you when the cycle says so, and a counter that does not serve your service never
  calls you.
- Nobody who has not yet arrived is counted: a priority customer who comes later can still
  be called first.

"People ahead" is the number of customers that the counters able to serve the ticket call
before it, as of now: what a customer means by the people in front of them.

When no open counter can serve the ticket (closed counters, or no teller with the skill),
there is no estimate: the ticket waits until a counter opens for it, and the screens say so.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from dataclasses import dataclass

from manyi.lobby.domain import dispatch
from manyi.lobby.domain.lines import Lines
from manyi.lobby.domain.model import Counter, CounterState
from manyi.lobby.domain.predict import LobbyEvent, LobbyView
from manyi.lobby.domain.ticket import Ticket

# Beyond this many waiting, the line is estimated without the rules (see `_rough`).
MAX_CALLS = 150


@dataclass(frozen=True)
class Standing:
    """A ticket's place as of now."""

    ahead: int  # customers called before it by the counters that can serve it
    wait_s: int  # seconds until it is called


@dataclass(frozen=True)
class Played:
    """When each waiting ticket is called if the rules are played forward from `now`."""

    now: dt.datetime
    called_at: dict[int, dt.datetime]  # ticket id -> when it is called
    ahead: dict[int, int]  # ticket id -> customers called before it by its able counters

    def standing(self, ticket_id: int, now: dt.datetime) -> Standing | None:
        """The ticket's standing, its wait counted from `now` (a play a moment old serves)."""
        at = self.called_at.get(ticket_id)
        if at is None:
            return None
        return Standing(self.ahead[ticket_id], max(math.ceil((at - now).total_seconds()), 0))


def open_for(view: LobbyView, service_code: str) -> list[Counter]:
    """Counters not closed whose teller may serve the service now."""
    service = view.services.get(service_code)
    if service is None:
        return []
    return [c for c in view.counters if c.state is not CounterState.CLOSED and c.can_serve(service)]


def standing(view: LobbyView, ticket: Ticket) -> Standing | None:
    """Where `ticket` stands, or None when no open counter can serve it."""
    able = open_for(view, ticket.service_code)
    if not able:
        return None
    if view.waiting_counts is not None:  # a long queue, given as counts: the ticket is last
        codes = {code for c in able for code in c.services}
        before = {code: n for code, n in view.waiting_counts.items() if code in codes}
        work = sum(n * view.service_time_s(code) for code, n in before.items())
        return Standing(sum(before.values()), math.ceil(work / len(able)))
    waiting = [t for t in view.waiting if t.id != ticket.id]
    waiting.append(ticket)
    return play(view, waiting).standing(ticket.id, view.now)


def play(view: LobbyView, waiting: list[Ticket] | None = None) -> Played:
    """Play the rules forward until everyone in `waiting` (default: the view's) is called or
    no counter that is open may call them: one play answers for every ticket in the queue."""
    waiting = list(view.waiting if waiting is None else waiting)
    if len(waiting) > MAX_CALLS:
        return _rough(view, waiting)
    counters = [copy.copy(c) for c in view.counters if c.state is not CounterState.CLOSED]
    able = {
        code: {c.id for c in counters if c.can_serve(service)}
        for code, service in view.services.items()
    }
    free_at = {c.id: view.now + dt.timedelta(seconds=_busy_for(view, c)) for c in counters}
    calls = dict.fromkeys(free_at, 0)  # calls made so far, by counter
    # Whom each counter may call, found once and kept in lines (who may serve whom does not
    # change during the play); a ticket called by one is passed over by all (`gone`).
    gone: set[int] = set()
    mine = {
        c.id: Lines(c, dispatch.eligible(c, waiting, view.services), view.services, gone)
        for c in counters
    }
    called_at: dict[int, dt.datetime] = {}
    ahead: dict[int, int] = {}
    left = len(waiting)  # not yet called
    while counters and left:
        counter = min(counters, key=lambda c: (free_at[c.id], c.number))
        at = free_at[counter.id]
        pick = mine[counter.id].choose(view.policy, at)
        if pick is None:
            counters.remove(counter)  # nothing more it may call: it stays idle
            continue
        ticket = pick.ticket
        called_at[ticket.id] = at
        ahead[ticket.id] = sum(calls[c] for c in able.get(ticket.service_code, ()))
        calls[counter.id] += 1
        counter.credits = pick.credits
        left -= 1
        gone.add(id(ticket))
        free_at[counter.id] = at + dt.timedelta(seconds=view.service_time_s(ticket.service_code))
    return Played(view.now, called_at, ahead)


def _busy_for(view: LobbyView, counter: Counter) -> float:
    """Seconds until the counter can call: 0 when open and idle, else half a service."""
    if counter.state is CounterState.OPEN and counter.current_ticket_id is None:
        return 0.0
    if not counter.services:
        return 0.0
    return view.service_time_s(counter.services[0]) / 2


def _rough(view: LobbyView, waiting: list[Ticket]) -> Played:
    """A very long queue: each ticket waits for everyone queued earlier for the services of the
    counters able to serve it, shared among them (the rules are not played, to keep a
    ticket's issue and the status pages quick)."""
    order = sorted(waiting, key=lambda t: (t.queued_at, t.id))
    called_at: dict[int, dt.datetime] = {}
    ahead: dict[int, int] = {}
    for code in {t.service_code for t in order}:
        able = open_for(view, code)
        if not able:
            continue
        codes = {c for counter in able for c in counter.services}
        before = work = 0.0
        for t in order:
            if t.service_code == code:
                called_at[t.id] = view.now + dt.timedelta(seconds=math.ceil(work / len(able)))
                ahead[t.id] = int(before)
            if t.service_code in codes:
                before += 1
                work += view.service_time_s(t.service_code)
    return Played(view.now, called_at, ahead)


class DispatchEstimate:
    """The wait predictor of `standing`, for the in-memory lobby and the use cases."""

    name = "dispatch"

    def observe(self, event: LobbyEvent) -> None:
        return None

    def predict(self, view: LobbyView, ticket: Ticket) -> int | None:
        found = standing(view, ticket)
        return None if found is None else found.wait_s
