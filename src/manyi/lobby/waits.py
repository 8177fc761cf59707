"""The one wait estimate the kiosk, the customer's status page and the dashboard all show.

`estimate` answers for one ticket (a new one at the kiosk, a waiting one on its status page,
a probe for "a new ticket now" on the dashboard):

1. **Served at all?** When no open counter serves the ticket's service (or no teller at one
   has its skill), there is no wait to promise: `served` is False and the screens say that
   no open counter serves it now.
2. **Where it stands** (`domain.estimate.standing`): the dispatch rules played forward on the
   queue as it stands: the people the counters able to serve it will call before it, and when
   it will be called.
3. **The outlet's learned wait**, when forecasting chose a predictor for this outlet
   (`ports.wait_predictor().wait_at_issue`): it says what a ticket of this service and class
   joining now waits. A ticket that has already moved up is scaled by how far: its own
   standing against the standing of the same ticket joining now. A ticket just issued is
   "joining now", so the kiosk and the status page agree at the moment of issue, and the
   dashboard's "new ticket" figure is the kiosk's.
4. **The 80 % range** (`ports.wait_predictor().range_80`), from the outlet's own recent
   errors; none while its history is short.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy.orm import Session

from manyi.lobby import layouts, ports, store
from manyi.lobby.domain.estimate import MAX_CALLS, Played, Standing, open_for, play, standing
from manyi.lobby.domain.model import Channel, Counter, PriorityClass
from manyi.lobby.domain.predict import LobbyView
from manyi.lobby.domain.ticket import Ticket
from manyi.lobby.outlets import OutletLike

NEWEST = 2**62  # the id of a ticket not yet written: after every other
SMOOTH_S = 60.0  # keeps the scaling of step 3 calm when the standings are near zero


@dataclass(frozen=True)
class WaitEstimate:
    served: bool  # an open counter serves the ticket's service now
    ahead: int | None = None  # people called before it (None when not served)
    wait_s: int | None = None
    low_s: int | None = None  # the 80 % range, when the outlet's history allows
    high_s: int | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "served": self.served,
            "people_ahead": self.ahead,
            "predicted_wait_s": self.wait_s,
            "wait_low_s": self.low_s,
            "wait_high_s": self.high_s,
        }


NOT_SERVED = WaitEstimate(False)


def estimate(session: Session, outlet: OutletLike, view: LobbyView, ticket: Ticket) -> WaitEstimate:
    """Where `ticket` stands in `view` and how long it will wait (see the module)."""
    if any(t.id == ticket.id for t in view.waiting) and open_for(view, ticket.service_code):
        found = _played(outlet.id, view).standing(ticket.id, view.now)
    else:
        found = standing(view, ticket)
    if found is None:
        return NOT_SERVED
    wait = found.wait_s
    port = ports.wait_predictor()
    learned = port.wait_at_issue(session, outlet, ticket.service_code, ticket.klass.value, view.now)
    if learned is not None:
        joining = found if ticket.queued_at >= view.now else _joining_now(view, ticket)
        if joining is not None:
            wait = round(learned * (found.wait_s + SMOOTH_S) / (joining.wait_s + SMOOTH_S))
    band = port.range_80(session, outlet, wait, view.now)
    low, high = band if band is not None else (None, None)
    return WaitEstimate(True, found.ahead, wait, low, high)


# Every status page of an outlet asks again when its queue changes; one play of the queue
# answers them all. Kept for the same queue, counters and rules, and at most PLAY_TTL_S.
PLAY_TTL_S = 5
PLAYS_KEPT = 64
_plays: OrderedDict[tuple[object, ...], Played] = OrderedDict()
_plays_guard = threading.Lock()


def _played(outlet_id: int, view: LobbyView) -> Played:
    key = (
        outlet_id,
        int(view.now.timestamp()) // PLAY_TTL_S,
        tuple(
            (t.id, t.service_code, t.klass, t.queued_at, t.due_at, t.target_counter_id)
            for t in view.waiting
        ),
        tuple(
            (
                c.id,
                c.state,
                c.current_ticket_id,
                c.services,
                c.teller_skills,
                tuple(c.credits.items()),
            )
            for c in view.counters
        ),
        tuple(view.services.values()),
        tuple(sorted(view.recent_service_s.items())),
        tuple(sorted(view.policy.weights.items())),
        view.policy.ageing_s,
    )
    with _plays_guard:
        found = _plays.get(key)
    if found is None:
        found = play(view)
        with _plays_guard:
            _plays[key] = found
            while len(_plays) > PLAYS_KEPT:
                _plays.popitem(last=False)
    return found


def view_at_issue(
    session: Session,
    outlet: OutletLike,
    lobby: layouts.Layout,
    counters: list[Counter],
    counts: dict[str, int],
    now: dt.datetime,
) -> LobbyView:
    """The queue a ticket being issued joins, given how many wait for each service from the
    business day `policy.first_queue_day(now)` on (`store.counters_and_waiting`). The rules are
    played on the queue itself; a very long one is taken as the counts only (the ticket is
    last in it), to keep issuing quick."""
    policy = lobby.policy
    first_day = policy.first_queue_day(now)
    long_queue = sum(counts.values()) >= MAX_CALLS
    return LobbyView(
        now=now,
        services=lobby.services,
        counters=counters,
        waiting=() if long_queue else store.all_waiting(session, outlet.id, first_day),
        recent_service_s=layouts.recent_service_s(session, outlet.id, now),
        waiting_counts=counts if long_queue else None,
        policy=policy,
    )


def _joining_now(view: LobbyView, ticket: Ticket) -> Standing | None:
    """The standing of the same ticket had it been taken now, at the back of the line."""
    others = [t for t in view.waiting if t.id != ticket.id]
    again = dataclasses.replace(ticket, id=NEWEST, queued_at=view.now, target_counter_id=None)
    return standing(dataclasses.replace(view, waiting=others), again)


def probe(service_code: str, view: LobbyView) -> Ticket:
    """A normal ticket for the service taken now: what the dashboard's new-ticket wait asks."""
    return Ticket(
        id=NEWEST,
        number="",
        service_code=service_code,
        klass=PriorityClass.NORMAL,
        channel=Channel.KIOSK,
        issued_at=view.now,
        queued_at=view.now,
    )
