"""Wait predictors for replay: v0, LES, queue and learned, and the registry of them.

Each predictor implements `replay.Predictor`: it observes the events of one outlet in time
order and predicts, for a ticket being issued, the seconds until its first call. It knows
only what it has observed: the replay hands it nothing from the future.

- `v0`: the lobby's own estimate (`lobby.predict.QueueAheadEstimate`) over a `LobbyView`
  rebuilt from the events;
- `les`: last to enter service: the wait of the last customer of the same service and
  class (else service) to be called;
- `queue`: people ahead × recent mean service time ÷ counters actually serving;
- `learned`: a regression on the others fitted to the outlet's own history (`learned.py`).

Adding a predictor: a class with `name`, `observe(event)` and `predict(ticket, at)` (see
`replay.Predictor`), registered in `PREDICTORS`; `manyi waits evaluate` then scores it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from manyi.forecast.replay import Arrival, ObservedLobby, Predictor, WaitEvent
from manyi.lobby.domain.model import (
    Channel,
    Counter,
    CounterKind,
    CounterState,
    PriorityClass,
    Service,
)
from manyi.lobby.domain.predict import LobbyView, QueueAheadEstimate
from manyi.lobby.domain.ticket import Ticket

NEWEST = 2**62  # the id of the ticket being issued: behind everyone waiting (as the lobby does)
LES_FRESH = dt.timedelta(minutes=30)  # an older wait says little about the lobby now


class Observing:
    """Base for predictors that only need the observed lobby."""

    name = ""

    def __init__(self) -> None:
        self.lobby = ObservedLobby()

    def observe(self, event: WaitEvent) -> None:
        self.lobby.observe(event)


# --- v0 -------------------------------------------------------------------------------


def lobby_view(obs: ObservedLobby, ticket: Arrival, at: dt.datetime) -> tuple[LobbyView, Ticket]:
    """The lobby's own view rebuilt from events, and the ticket being issued.

    The log has no configuration, so: a service's expected time is its long-run mean so
    far; a counter serves the services it has been seen serving, most often first; it is
    open when it is serving or called someone in the last `replay.ACTIVE_WINDOW`, closed
    otherwise; services are renamed S1, S2 … (the lobby's codes are stricter than a CSV's).
    """
    names = list(obs.services)
    if ticket.service not in obs.services:
        names.append(ticket.service)
    codes = {name: f"S{i}" for i, name in enumerate(names, 1)}
    services = {
        codes[name]: Service(
            code=codes[name],
            name_zh=name,
            prefix="A",
            expected_service_s=min(max(round(obs.long_run_service_s(name)), 10), 4 * 3600),
        )
        for name in names
    }
    counters = []
    for i, (name, served) in enumerate(obs.counter_services.items(), 1):
        if obs.is_serving(name):
            state = CounterState.SERVING
        elif obs.is_active(name, at):
            state = CounterState.OPEN
        else:
            state = CounterState.CLOSED
        ordered = tuple(codes[s] for s, _ in served.most_common())
        counters.append(Counter(i, i, CounterKind.REGULAR, ordered, state=state))
    waiting = [_ticket(w.seq, codes[w.service], w.klass, w.issued_at) for w in obs.waiting.values()]
    recent = {}
    for name in names:
        mean = obs.recent_service_s(name, at)
        if mean is not None:
            recent[codes[name]] = mean
    view = LobbyView(at, services, counters, waiting, recent)
    return view, _ticket(NEWEST, codes[ticket.service], ticket.klass, at)


def _ticket(ticket_id: int, code: str, klass: str, at: dt.datetime) -> Ticket:
    try:
        priority = PriorityClass(klass)
    except ValueError:
        priority = PriorityClass.NORMAL
    return Ticket(ticket_id, "", code, priority, Channel.KIOSK, issued_at=at, queued_at=at)


class V0Predictor(Observing):
    """The lobby's v0 estimate, replayed: reuses `QueueAheadEstimate` itself."""

    name = "v0"

    def __init__(self) -> None:
        super().__init__()
        self.estimate = QueueAheadEstimate()

    def predict(self, ticket: Arrival, at: dt.datetime) -> float:
        view, probe = lobby_view(self.lobby, ticket, at)
        predicted = self.estimate.predict(view, probe)
        if predicted is not None:
            return float(predicted)
        # No counter has served this service yet: its own line, one counter.
        ahead = self.lobby.waiting_by_service()[ticket.service]
        return ahead * self.lobby.service_s(ticket.service, at)


# --- LES ------------------------------------------------------------------------------


def les_estimate(obs: ObservedLobby, ticket: Arrival, at: dt.datetime) -> float:
    """Wait of the last customer to be called: same service and class, else same service
    (each only if called within LES_FRESH), else the latest of either, else of anyone."""
    for fresh in (LES_FRESH, None):
        for klass in (ticket.klass, None):
            found = obs.recent_wait(ticket.service, klass, at, fresh)
            if found is not None:
                return found
    return obs.recent_wait("", None, at, None) or 0.0


class LesPredictor(Observing):
    name = "les"

    def predict(self, ticket: Arrival, at: dt.datetime) -> float:
        return les_estimate(self.lobby, ticket, at)


# --- queue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueAhead:
    """The line in front of a ticket as the queue estimate sees it."""

    counters: tuple[str, ...]  # the counters that would serve it
    ahead: float  # people ahead, counted in the share these counters take
    per_person_s: float  # their mean recent service time (the ticket's own when none)
    idle: int  # counters at work but not serving anyone

    def estimate_s(self) -> float:
        if self.ahead < self.idle:
            return 0.0
        return (self.ahead - self.idle + 1) * self.per_person_s / len(self.counters)


def queue_ahead(obs: ObservedLobby, ticket: Arrival, at: dt.datetime) -> QueueAhead | None:
    """See `queue_estimate`; None when no counter has served the ticket's service yet."""
    group = obs.counters_for(ticket.service)
    if not group:
        return None
    working = [c for c in obs.counter_services if obs.is_active(c, at)]
    mine = [c for c in group if c in working] or group
    ahead = work = 0.0
    for code, n in obs.waiting_by_service().items():
        ours = sum(1 for c in mine if obs.counter_services[c][code])
        if not ours:
            continue
        takers = sum(1 for c in working if obs.counter_services[c][code])
        share = ours / max(takers, ours)
        ahead += n * share
        work += n * share * obs.service_s(code, at)
    idle = sum(1 for c in mine if c in working and not obs.is_serving(c))
    per_person = work / ahead if ahead else obs.service_s(ticket.service, at)
    return QueueAhead(tuple(mine), ahead, per_person, idle)


def queue_estimate(obs: ObservedLobby, ticket: Arrival, at: dt.datetime) -> float:
    """People ahead × their recent mean service time ÷ the counters actually serving.

    - The counters that serve the ticket are those seen serving its service; of them,
      those at work (serving, or called within the last 15 minutes). When none is at
      work, all of them (they are expected back).
    - People ahead: everyone waiting whose service those counters take, each line counted
      in the share of its working counters that belong to the group (a line that other
      counters help with is not all ahead of this ticket).
    - With all counters busy the first frees in about one service time ÷ counters, so a
      ticket with k people ahead waits about (k + 1) service times ÷ counters; a counter
      at work but idle calls at once.
    - A service no counter has served yet: its own line on one counter.
    """
    line = queue_ahead(obs, ticket, at)
    if line is None:
        return obs.waiting_by_service()[ticket.service] * obs.service_s(ticket.service, at)
    return line.estimate_s()


class QueuePredictor(Observing):
    name = "queue"

    def predict(self, ticket: Arrival, at: dt.datetime) -> float:
        return queue_estimate(self.lobby, ticket, at)


# --- registry -------------------------------------------------------------------------


def _learned() -> Predictor:
    from manyi.forecast.learned import LearnedPredictor

    return LearnedPredictor()


PREDICTORS: dict[str, Callable[[], Predictor]] = {
    "v0": V0Predictor,
    "les": LesPredictor,
    "queue": QueuePredictor,
    "learned": _learned,
}
