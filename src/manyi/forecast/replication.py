"""One replication of a scenario: the event loop of the lobby's digital twin.

One replication is a heap of timed events (an arrival per service, the end
of a service, a recall, a customer giving up, a counter opening or closing
by its window, a staffing decision, the horizon). Every call is decided by
`dispatch.choose` on a `Floor` (see floor.py) and every change of a ticket
or counter is a `lobby.model` transition; nothing here re-implements them.

How a run goes:

- Customers arrive until the horizon. Each draws, from its service's own
  stream, a class, a service time, whether it will be a no-show, whether it
  will be transferred (and its second service time), and its patience.
- A counter that becomes free calls next at once. When a customer arrives,
  the counters that stood idle longest are asked first; only counters able
  to serve the new ticket are asked, since nothing else changed for the
  others (they found nobody to call when they became idle).
- A no-show is called, recalled every `recall_interval_s` until the
  policy's `no_show_after_calls`, then marked a no-show. A transferred
  customer ends the first leg at the counter and queues for the second
  service keeping the issue time (the lobby's transfer), once per visit.
- A counter closes at the end of its window after finishing its current
  customer; a closing counter calls nobody.
- With `drain` (the default), at the horizon the doors close: no more
  tickets, and each open counter goes on until nobody it can serve is
  waiting (or about to be transferred to it), then closes. Without it, the
  run stops at the horizon.

Statistics count the customers issued from the warm-up to the horizon, and
the counter time after the warm-up.
"""

from __future__ import annotations

import datetime as dt
import gc
import heapq
import itertools

from manyi.forecast.express import is_plain, run_plain
from manyi.forecast.floor import FLOORS, Floor, lobby_counters, lobby_services, start_time
from manyi.forecast.records import Call, CounterControl, CounterTime, Customer, Replication
from manyi.forecast.sampling import CustomerSource, Visit
from manyi.forecast.scenario import Scenario, open_intervals
from manyi.lobby.domain.model import Counter, TicketState
from manyi.lobby.domain.predict import LobbyView
from manyi.lobby.domain.ticket import Ticket

ARRIVE, DONE, STEP, GIVE_UP, OPEN, CLOSE, CONTROL, HORIZON = range(8)
_heappush = heapq.heappush
_from_ts = dt.datetime.fromtimestamp
_UTC = dt.UTC


def run_replication(
    scenario: Scenario,
    index: int,
    *,
    engine: str = "fast",
    trace: bool = False,
    control: CounterControl | None = None,
) -> Replication:
    # A replication makes a few objects per customer (a ticket, heap entries, records), and
    # none refers back to another in a cycle: reference counting frees each, so the cyclic
    # collector, which otherwise walks every live ticket each few hundred allocations, finds
    # nothing. It is paused for the run and resumed as it was, whatever happens.
    collecting = gc.isenabled()
    gc.disable()
    try:
        if is_plain(scenario, engine, control):  # the same run with fewer steps (express.py)
            return run_plain(scenario, index, trace)
        return _Run(scenario, index, engine, trace, control).run()
    finally:
        if collecting:
            gc.enable()


# --- one replication -------------------------------------------------------------------


class _Desk:
    """A counter during a run: the model's Counter plus the clock's bookkeeping."""

    __slots__ = (
        "busy_s",
        "busy_since",
        "can_serve",
        "closing",
        "counter",
        "open_s",
        "opened_at",
        "visit",
    )

    def __init__(self, counter: Counter, can_serve: frozenset[str]) -> None:
        self.counter = counter
        self.can_serve = can_serve
        self.visit: Visit | None = None
        self.busy_since = 0.0
        self.busy_s = 0.0
        self.opened_at: float | None = None
        self.open_s = 0.0
        self.closing = False


class _Run:
    def __init__(
        self,
        scenario: Scenario,
        index: int,
        engine: str,
        trace: bool,
        control: CounterControl | None,
    ) -> None:
        sc = self.scenario = scenario
        self.index = index
        self.policy = sc.policy
        self.base = start_time(sc)
        self._base_ts = self.base.timestamp()
        self.services = lobby_services(sc)
        counters, skills = lobby_counters(sc)
        self.floor: Floor = FLOORS[engine](self.services, counters, sc.policy, skills)
        self.desks = [
            _Desk(counter, frozenset(s.code for s in sc.services if spec.serves(s)))
            for counter, spec in zip(counters, sc.counters, strict=True)
        ]
        self.lines = [CustomerSource(s, sc, index) for s in sc.services]
        self.heap: list[tuple[float, int, int, object]] = []
        self.seq = itertools.count()
        self.idle: list[_Desk] = []
        self.visits: list[Visit] = []
        self.by_ticket: dict[int, Visit] = {}
        self.draining = False
        self.trace: list[Call] | None = [] if trace else None
        self.control = control
        self.end_s = sc.horizon_s

    def push(self, t: float, kind: int, what: object) -> None:
        heapq.heappush(self.heap, (t, next(self.seq), kind, what))

    def when(self, t: float) -> dt.datetime:
        """The wall-clock time (UTC, to the microsecond) of `t` seconds into the run."""
        return _from_ts(self._base_ts + t, _UTC)

    # --- the loop ------------------------------------------------------------------

    def run(self) -> Replication:
        sc = self.scenario
        for desk, spec in zip(self.desks, sc.counters, strict=True):
            for a, b in open_intervals(spec, sc):
                self.push(a, OPEN, desk)
                if b < sc.horizon_s:
                    self.push(b, CLOSE, desk)
        for line in self.lines:
            first = line.clock.next_after(0.0)
            if first is not None:
                self.push(first, ARRIVE, line)
        if self.control is not None:
            self.push(0.0, CONTROL, None)
        self.push(sc.horizon_s, HORIZON, None)

        heap, pop = self.heap, heapq.heappop
        while heap:
            t, _, kind, what = pop(heap)
            if kind == ARRIVE:
                self.arrive(t, what)  # type: ignore[arg-type]
            elif kind == DONE:
                self.done(t, what)  # type: ignore[arg-type]
            elif kind == STEP:
                self.step(t, what)  # type: ignore[arg-type]
            elif kind == GIVE_UP:
                self.give_up(t, what)  # type: ignore[arg-type]
            elif kind == OPEN:
                self.open(t, what)  # type: ignore[arg-type]
            elif kind == CLOSE:
                self.close(t, what)  # type: ignore[arg-type]
            elif kind == CONTROL:
                self.decide(t)
            elif self.horizon(t):
                break
        return self.result()

    # --- customers -----------------------------------------------------------------

    def arrive(self, t: float, line: CustomerSource) -> None:
        later = line.clock.next_after(t)
        if later is not None:
            _heappush(self.heap, (later, next(self.seq), ARRIVE, line))
        visit = line.customer(t)
        now = _from_ts(self._base_ts + t, _UTC)
        ticket = self.floor.issue(line.code, visit.klass, now)
        visit.ticket = ticket
        self.by_ticket[ticket.id] = visit
        self.visits.append(visit)
        if line.patience is not None:
            self.push(t + line.patience(), GIVE_UP, visit)
        if self.idle:
            self.offer(line.code, t, now)

    def offer(self, code: str, t: float, now: dt.datetime) -> None:
        """A ticket for `code` joined the line: idle counters able to serve it call next."""
        for desk in self.idle:
            if code in desk.can_serve:
                ticket = self.floor.call_next(desk.counter, now)
                if ticket is not None:
                    self.idle.remove(desk)
                    self.begin(desk, ticket, t)
                    return

    def begin(self, desk: _Desk, ticket: Ticket, t: float) -> None:
        visit = self.by_ticket[ticket.id]
        if visit.first_call is None:
            visit.first_call = t
        desk.visit = visit
        desk.busy_since = t
        if self.trace is not None:
            self.trace.append(
                Call(t, desk.counter.number, ticket.id, ticket.service_code, ticket.klass.value)
            )
        if visit.no_show and visit.leg == 1:
            self.push(t + self.scenario.recall_interval_s, STEP, desk)
        else:
            length = visit.first_s if visit.leg == 1 else visit.second_s
            _heappush(self.heap, (t + length, next(self.seq), DONE, desk))

    def step(self, t: float, desk: _Desk) -> None:
        """The called customer has not come: recall, or after enough calls mark a no-show."""
        visit = desk.visit
        assert visit is not None and visit.ticket is not None
        now = self.when(t)
        if visit.ticket.call_count < self.policy.no_show_after_calls:
            self.floor.recall(desk.counter, now)
            self.push(t + self.scenario.recall_interval_s, STEP, desk)
            return
        self.floor.no_show(desk.counter, now)
        visit.outcome = "no_show"
        del self.by_ticket[visit.ticket.id]
        self.release(desk, t, now)

    def done(self, t: float, desk: _Desk) -> None:
        visit = desk.visit
        assert visit is not None and visit.ticket is not None
        now = _from_ts(self._base_ts + t, _UTC)
        del self.by_ticket[visit.ticket.id]
        if visit.leg == 1 and visit.second_code is not None:
            leg = self.floor.transfer(desk.counter, now, visit.second_code)
            visit.leg = 2
            visit.ticket = leg
            self.by_ticket[leg.id] = visit
            self.release(desk, t, now)
            if leg.state is TicketState.WAITING:
                self.offer(visit.second_code, t, now)
        else:
            self.floor.complete(desk.counter, now)
            visit.outcome = "served"
            self.release(desk, t, now)
        if self.draining:
            self.send_home(t, now)

    def give_up(self, t: float, visit: Visit) -> None:
        if visit.first_call is not None or visit.outcome is not None or visit.ticket is None:
            return
        if self.floor.give_up(visit.ticket, self.when(t)):
            visit.outcome = "abandoned"
            del self.by_ticket[visit.ticket.id]

    # --- counters ------------------------------------------------------------------

    def release(self, desk: _Desk, t: float, now: dt.datetime) -> None:
        """The counter is free: count its busy time, then close or call the next customer."""
        warmup = self.scenario.warmup_s
        if t > warmup:
            desk.busy_s += t - max(desk.busy_since, warmup)
        desk.visit = None
        if desk.closing:
            self.shut(desk, t, now)
            return
        self.ready(desk, t, now)

    def ready(self, desk: _Desk, t: float, now: dt.datetime) -> None:
        ticket = self.floor.call_next(desk.counter, now)
        if ticket is not None:
            self.begin(desk, ticket, t)
        elif self.draining and not self.needed(desk):
            self.shut(desk, t, now)
        else:
            self.idle.append(desk)

    def open(self, t: float, desk: _Desk) -> None:
        if desk.opened_at is not None:  # still open: a window or a decision reopens it
            desk.closing = False
            return
        now = self.when(t)
        self.floor.open(desk.counter, now)
        desk.opened_at = t
        self.ready(desk, t, now)

    def close(self, t: float, desk: _Desk) -> None:
        if desk.opened_at is None:
            return
        if desk.visit is not None:
            desk.closing = True  # finish the current customer first
        else:
            self.shut(desk, t, self.when(t))

    def shut(self, desk: _Desk, t: float, now: dt.datetime) -> None:
        self.floor.close(desk.counter, now)
        if desk in self.idle:
            self.idle.remove(desk)
        assert desk.opened_at is not None
        warmup = self.scenario.warmup_s
        if t > warmup:
            desk.open_s += t - max(desk.opened_at, warmup)
        desk.opened_at = None
        desk.closing = False
        self.end_s = max(self.end_s, t)

    def needed(self, desk: _Desk) -> bool:
        """After the horizon: someone being served now will be transferred to this counter."""
        return any(
            d.visit is not None
            and d.visit.leg == 1
            and d.visit.second_code is not None
            and d.visit.second_code in desk.can_serve
            for d in self.desks
        )

    def send_home(self, t: float, now: dt.datetime) -> None:
        for desk in list(self.idle):
            if not self.needed(desk):
                self.shut(desk, t, now)

    def decide(self, t: float) -> None:
        assert self.control is not None
        now = self.when(t)
        view = LobbyView(
            now=now,
            services=self.services,
            counters=[d.counter for d in self.desks],
            waiting=list(self.floor.waiting()),
        )
        wanted = self.control.decide(t, view)
        for desk in self.desks:
            want = wanted.get(desk.counter.number)
            if want is True:
                self.open(t, desk)
            elif want is False:
                self.close(t, desk)
        later = t + self.control.interval_s
        if later < self.scenario.horizon_s:
            self.push(later, CONTROL, None)

    def horizon(self, t: float) -> bool:
        """The doors close. True stops the run (no drain)."""
        if not self.scenario.drain:
            warmup = self.scenario.warmup_s
            for desk in self.desks:
                if desk.visit is not None and t > warmup:
                    desk.busy_s += t - max(desk.busy_since, warmup)
                if desk.opened_at is not None and t > warmup:
                    desk.open_s += t - max(desk.opened_at, warmup)
                    desk.opened_at = None
            return True
        self.draining = True
        self.send_home(t, self.when(t))
        return False

    # --- the record ----------------------------------------------------------------

    def result(self) -> Replication:
        sc = self.scenario
        for desk in self.desks:  # a counter still open when the events ran out
            if desk.opened_at is not None and sc.drain:
                self.shut(desk, max(self.end_s, desk.opened_at), self.when(self.end_s))
        customers = tuple(
            Customer(
                v.issued,
                v.service,
                v.klass.value,
                None if v.first_call is None else v.first_call - v.issued,
                v.outcome or ("served" if v.first_call is not None else "unserved"),
                v.leg == 2,
            )
            for v in self.visits
            if v.issued >= sc.warmup_s
        )
        counters = tuple(CounterTime(d.counter.number, d.busy_s, d.open_s) for d in self.desks)
        return Replication(
            self.index,
            customers,
            counters,
            len(self.visits),
            self.end_s,
            tuple(self.trace or ()),
        )
