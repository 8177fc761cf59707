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
from manyi.lobby.domain.model import Counter, CounterState
from manyi.lobby.domain.predict import LobbyEvent, LobbyView
from manyi.lobby.domain.ticket import Ticket

# Beyond this many calls to play, the line is estimated without the rules (see `_rough`).
MAX_CALLS = 400


@dataclass(frozen=True)
class Standing:
    """A ticket's place as of now."""

    ahead: int  # customers called before it by the counters that can serve it
    wait_s: int  # seconds until it is called


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
    waiting = [t for t in view.waiting if t.id != ticket.id]
    waiting.append(ticket)
    if len(waiting) > MAX_CALLS:
        return _rough(view, ticket, able)
    able_ids = {c.id for c in able}
    counters = [copy.copy(c) for c in view.counters if c.state is not CounterState.CLOSED]
    free_at = {c.id: view.now + dt.timedelta(seconds=_busy_for(view, c)) for c in counters}
    ahead = 0
    while counters:
        counter = min(counters, key=lambda c: (free_at[c.id], c.number))
        at = free_at[counter.id]
        pick = dispatch.choose(counter, waiting, view.services, view.policy, at)
        if pick is None:
            counters.remove(counter)  # nothing more it may call: it stays idle
            continue
        if pick.ticket.id == ticket.id:
            return Standing(ahead, math.ceil((at - view.now).total_seconds()))
        counter.credits = pick.credits
        waiting.remove(pick.ticket)
        ahead += counter.id in able_ids
        served_s = view.service_time_s(pick.ticket.service_code)
        free_at[counter.id] = at + dt.timedelta(seconds=served_s)
    return None  # not reached: an able counter always calls the ticket in the end


def _busy_for(view: LobbyView, counter: Counter) -> float:
    """Seconds until the counter can call: 0 when open and idle, else half a service."""
    if counter.state is CounterState.OPEN and counter.current_ticket_id is None:
        return 0.0
    if not counter.services:
        return 0.0
    return view.service_time_s(counter.services[0]) / 2


def _rough(view: LobbyView, ticket: Ticket, able: list[Counter]) -> Standing:
    """A very long queue: everyone queued earlier for the able counters' services, shared
    among them (the rules are not played, to keep a ticket's issue quick)."""
    codes = {code for c in able for code in c.services}
    before = [
        t
        for t in view.waiting
        if t.id != ticket.id
        and t.service_code in codes
        and (t.queued_at, t.id) < (ticket.queued_at, ticket.id)
    ]
    work = sum(view.service_time_s(t.service_code) for t in before)
    return Standing(len(before), math.ceil(work / len(able)))


class DispatchEstimate:
    """The wait predictor of `standing`, for the in-memory lobby and the use cases."""

    name = "dispatch"

    def observe(self, event: LobbyEvent) -> None:
        return None

    def predict(self, view: LobbyView, ticket: Ticket) -> int | None:
        found = standing(view, ticket)
        return None if found is None else found.wait_s
