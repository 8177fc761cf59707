"""An outlet's lobby held in memory: the domain rules without a database.

The simulator and the property tests drive this class; the service layer
(`service.py`) applies the very same rules to rows under database locks.
Both call `dispatch.choose` and the `Ticket` / `Counter` transitions, so
what is proven here holds in the branch.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from manyi.errors import Conflict, InvalidInput, NotFound
from manyi.lobby.domain import dispatch
from manyi.lobby.domain.model import (
    Channel,
    Counter,
    CounterState,
    Policy,
    PriorityClass,
    Service,
    TicketState,
    format_number,
)
from manyi.lobby.domain.predict import LobbyEvent, LobbyView, QueueAheadEstimate, WaitPredictor
from manyi.lobby.domain.ticket import Ticket


@dataclass
class Lobby:
    services: dict[str, Service]
    counters: dict[int, Counter]
    policy: Policy = field(default_factory=Policy)
    predictor: WaitPredictor = field(default_factory=QueueAheadEstimate)
    tickets: dict[int, Ticket] = field(default_factory=dict)
    events: list[LobbyEvent] = field(default_factory=list)
    _numbers: dict[tuple[dt.date, str], int] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def of(cls, services: Iterable[Service], counters: Iterable[Counter], **kw: object) -> Lobby:
        return cls(
            services={s.code: s for s in services},
            counters={c.id: c for c in counters},
            **kw,  # type: ignore[arg-type]
        )

    # --- queries ----------------------------------------------------------

    @property
    def waiting(self) -> list[Ticket]:
        return [t for t in self.tickets.values() if t.state is TicketState.WAITING]

    def view(self, now: dt.datetime) -> LobbyView:
        return LobbyView(
            now=now,
            services=self.services,
            counters=list(self.counters.values()),
            waiting=self.waiting,
            policy=self.policy,
        )

    def counter(self, counter_id: int) -> Counter:
        try:
            return self.counters[counter_id]
        except KeyError:
            raise NotFound("no counter {n}", "counter", n=counter_id) from None

    def current(self, counter_id: int) -> Ticket:
        counter = self.counter(counter_id)
        if counter.current_ticket_id is None:
            raise Conflict("counter {n} has no current customer", "counter", n=counter.number)
        return self.tickets[counter.current_ticket_id]

    # --- tickets ----------------------------------------------------------

    def issue(
        self,
        service_code: str,
        now: dt.datetime,
        klass: PriorityClass = PriorityClass.NORMAL,
        channel: Channel = Channel.KIOSK,
        due_at: dt.datetime | None = None,
    ) -> Ticket:
        service = self.services.get(service_code)
        if service is None:
            raise NotFound("no service {code} at this outlet", "service", code=service_code)
        if not self.policy.is_open(now):
            raise Conflict("the outlet is closed", "service", error_code="outlet_closed")
        # As the use case refuses it (service.issue_ticket): a ticket that no counter is
        # configured to call would wait for ever.
        if not any(service.code in c.services for c in self.counters.values()):
            raise Conflict("no counter at this outlet serves {code}", "service", code=service.code)
        key = (self.policy.business_day(now), service.prefix)
        self._numbers[key] = seq = self._numbers.get(key, 0) + 1
        ticket = Ticket(
            id=next(self._ids),
            number=format_number(service.prefix, seq),
            service_code=service.code,
            klass=klass,
            channel=channel,
            issued_at=now,
            queued_at=now,
            due_at=due_at,
        )
        ticket.predicted_wait_s = self.predictor.predict(self.view(now), ticket)
        self.tickets[ticket.id] = ticket
        self._emit("issued", now, ticket)
        return ticket

    def call_next(self, counter_id: int, now: dt.datetime) -> Ticket | None:
        counter = self.counter(counter_id)
        counter.ready_to_call()
        pick = dispatch.choose(counter, self.waiting, self.services, self.policy, now)
        if pick is None:
            return None
        counter.credits = pick.credits
        pick.ticket.call(counter.id, counter.teller_id, now)
        counter.take(pick.ticket.id)
        self._emit("called", now, pick.ticket, counter)
        return pick.ticket

    def recall(self, counter_id: int, now: dt.datetime) -> Ticket:
        ticket = self.current(counter_id)
        ticket.recall(now)
        self._emit("recalled", now, ticket, self.counters[counter_id])
        return ticket

    def start(self, counter_id: int, now: dt.datetime) -> Ticket:
        ticket = self.current(counter_id)
        ticket.start(now)
        self._emit("started", now, ticket, self.counters[counter_id])
        return ticket

    def complete(self, counter_id: int, now: dt.datetime) -> Ticket:
        ticket = self.current(counter_id)
        ticket.complete(now)
        self._release(counter_id, "completed", now, ticket)
        return ticket

    def no_show(self, counter_id: int, now: dt.datetime) -> Ticket:
        ticket = self.current(counter_id)
        ticket.no_show(now, self.policy)
        self._release(counter_id, "no_show", now, ticket)
        return ticket

    def requeue(self, ticket_id: int, now: dt.datetime) -> Ticket:
        ticket = self._ticket(ticket_id)
        at = dispatch.requeue_time(ticket, self.waiting, now, self.policy.requeue_behind)
        ticket.requeue(now, self.policy, at)
        self._emit("requeued", now, ticket)
        return ticket

    def transfer(
        self,
        counter_id: int,
        now: dt.datetime,
        service_code: str | None = None,
        target_counter_id: int | None = None,
    ) -> Ticket:
        """End the current leg; the customer waits again, keeping number and issue time."""
        ticket = self.current(counter_id)
        code = service_code or ticket.service_code
        service = self.services.get(code)
        if service is None:
            raise NotFound("no service {code} at this outlet", "service", code=code)
        if target_counter_id is not None:
            target = self.counter(target_counter_id)
            if code not in target.services:
                raise InvalidInput(
                    "counter {n} does not serve {service}",
                    "counter",
                    n=target.number,
                    service=code,
                )
            # As the use case refuses it (transfers.py) and the teller console never offers
            # it: the customer is already at this counter, so there is nowhere to send them.
            if target.id == counter_id:
                raise InvalidInput("choose another counter to transfer to", "counter")
            if target.state is CounterState.CLOSED:
                raise InvalidInput("counter {n} is closed", "counter", n=target.number)
            if service.skill is not None and service.skill not in target.teller_skills:
                raise InvalidInput(
                    "the teller at counter {n} does not handle {service}",
                    "counter",
                    n=target.number,
                    service=code,
                )
        elif code == ticket.service_code:
            raise InvalidInput("choose another service or a counter to transfer to", "service")
        nxt = ticket.transfer(now, next(self._ids), code, target_counter_id)
        self.tickets[nxt.id] = nxt
        self._release(counter_id, "transferred", now, ticket)
        self._emit("requeued", now, nxt)
        return nxt

    def cancel(self, ticket_id: int, now: dt.datetime) -> Ticket:
        ticket = self._ticket(ticket_id)
        was_at = ticket.counter_id if ticket.state is TicketState.CALLED else None
        ticket.cancel(now)
        if was_at is not None:
            self._release(was_at, "cancelled", now, ticket)
        else:
            self._emit("cancelled", now, ticket)
        return ticket

    # --- counters ---------------------------------------------------------

    def open(
        self,
        counter_id: int,
        teller_id: int,
        now: dt.datetime,
        skills: frozenset[str] = frozenset(),
    ) -> None:
        counter = self.counter(counter_id)
        counter.open(teller_id, skills)
        self._emit("counter_opened", now, counter=counter)

    def close(self, counter_id: int, now: dt.datetime) -> None:
        counter = self.counter(counter_id)
        counter.close()
        for ticket in self.waiting:
            if ticket.target_counter_id == counter.id:
                ticket.target_counter_id = None
        self._emit("counter_closed", now, counter=counter)

    def pause(self, counter_id: int, now: dt.datetime) -> None:
        counter = self.counter(counter_id)
        counter.pause()
        self._emit("counter_paused", now, counter=counter)

    def resume(self, counter_id: int, now: dt.datetime) -> None:
        counter = self.counter(counter_id)
        counter.resume()
        self._emit("counter_resumed", now, counter=counter)

    # --- internals --------------------------------------------------------

    def _ticket(self, ticket_id: int) -> Ticket:
        try:
            return self.tickets[ticket_id]
        except KeyError:
            raise NotFound("no ticket {id}", "ticket", id=ticket_id) from None

    def _release(self, counter_id: int, kind: str, now: dt.datetime, ticket: Ticket) -> None:
        counter = self.counters[counter_id]
        if counter.current_ticket_id == ticket.id:
            counter.release()
        self._emit(kind, now, ticket, counter)

    def _emit(
        self,
        kind: str,
        now: dt.datetime,
        ticket: Ticket | None = None,
        counter: Counter | None = None,
    ) -> None:
        event = LobbyEvent(
            kind=kind,
            at=now,
            ticket_id=ticket.id if ticket else None,
            service_code=ticket.service_code if ticket else None,
            klass=ticket.klass.value if ticket else None,
            counter_id=counter.id if counter else None,
        )
        self.events.append(event)
        self.predictor.observe(event)
