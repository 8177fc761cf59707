"""A ticket: one leg of a customer's visit, and its transitions.

Pure domain code, like `model.py`. Ticket life (one *leg*; a transfer ends a
leg and starts a new one that keeps the number and the original issue time):

    waiting --call--> called --start--> serving --complete--> finished(served)
       ^                |  \\--recall--^                     \\--transfer--> finished(transferred)
       |                |--no_show--> finished(no_show) --requeue (grace)--^
       |                |--transfer / cancel / complete
       \\--cancel--> finished(cancelled)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Final

from manyi.errors import Conflict, Term
from manyi.lobby.domain.model import (
    Channel,
    Outcome,
    Policy,
    PriorityClass,
    TicketState,
)

# The members the transitions test, as plain names, for the reason given in model.py:
# reading one through its class (`TicketState.WAITING`) costs an `EnumType.__getattr__`
# call in Python 3.11, and the simulator moves every customer through these.
_WAITING: Final = TicketState.WAITING
_CALLED: Final = TicketState.CALLED
_SERVING: Final = TicketState.SERVING
_FINISHED: Final = TicketState.FINISHED
_SERVED: Final = Outcome.SERVED


@dataclass(slots=True)
class Ticket:
    """One leg of a customer's visit."""

    id: int
    number: str
    service_code: str
    klass: PriorityClass
    channel: Channel
    issued_at: dt.datetime
    queued_at: dt.datetime  # FIFO and ageing key; later than issue after a re-queue
    due_at: dt.datetime | None = None  # appointments: the booked time
    state: TicketState = TicketState.WAITING
    outcome: Outcome | None = None
    first_called_at: dt.datetime | None = None
    last_called_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    call_count: int = 0
    counter_id: int | None = None
    teller_id: int | None = None
    target_counter_id: int | None = None  # set by a transfer to one counter
    predicted_wait_s: int | None = None

    @property
    def finished(self) -> bool:
        return self.state is _FINISHED

    # Each transition tests the state itself and builds its error only when it
    # refuses: the simulator makes these calls for every customer.

    def call(self, counter_id: int, teller_id: int | None, now: dt.datetime) -> None:
        if self.state is not _WAITING:
            raise self._refusal(Term("called to a counter"))
        self.state = _CALLED
        self.call_count = 1
        self.first_called_at = self.first_called_at or now
        self.last_called_at = now
        self.counter_id = counter_id
        self.teller_id = teller_id

    def recall(self, now: dt.datetime) -> None:
        if self.state is not _CALLED:
            raise self._refusal(Term("recalled"))
        self.call_count += 1
        self.last_called_at = now

    def start(self, now: dt.datetime) -> None:
        if self.state is not _CALLED:
            raise self._refusal(Term("started"))
        self.state = _SERVING
        self.started_at = now

    def complete(self, now: dt.datetime) -> None:
        # A teller who never pressed "start" began serving when they called.
        if self.state is not _CALLED and self.state is not _SERVING:
            raise self._refusal(Term("completed"))
        self.started_at = self.started_at or self.last_called_at
        self.state = _FINISHED
        self.outcome = _SERVED
        self.finished_at = now

    def no_show(self, now: dt.datetime, policy: Policy) -> None:
        if self.state is not _CALLED:
            raise self._refusal(Term("marked a no-show"))
        if self.call_count < policy.no_show_after_calls:
            raise Conflict(
                "call {number} {calls} times before marking a no-show",
                "ticket",
                number=self.number,
                calls=policy.no_show_after_calls,
            )
        self._finish(Outcome.NO_SHOW, now)

    def requeue(self, now: dt.datetime, policy: Policy, queued_at: dt.datetime) -> None:
        if self.outcome is not Outcome.NO_SHOW or self.finished_at is None:
            raise Conflict(
                "only a no-show can be put back in the queue", "ticket", number=self.number
            )
        if (now - self.finished_at).total_seconds() > policy.requeue_grace_s:
            raise Conflict(
                "{number} missed its call more than {minutes} minutes ago; issue a new ticket",
                "ticket",
                number=self.number,
                minutes=policy.requeue_grace_s // 60,
            )
        self.state = _WAITING
        self.outcome = None
        self.finished_at = None
        self.call_count = 0
        self.counter_id = None
        self.teller_id = None
        self.queued_at = queued_at

    def transfer(
        self, now: dt.datetime, new_id: int, service_code: str, target_counter_id: int | None
    ) -> Ticket:
        """End this leg as transferred; return the next leg, waiting, same number and issue time."""
        if self.state is not _CALLED and self.state is not _SERVING:
            raise self._refusal(Term("transferred"))
        self.started_at = self.started_at or self.last_called_at
        self._finish(Outcome.TRANSFERRED, now)
        return replace(
            self,
            id=new_id,
            service_code=service_code,
            state=_WAITING,
            outcome=None,
            first_called_at=None,
            last_called_at=None,
            started_at=None,
            finished_at=None,
            call_count=0,
            counter_id=None,
            teller_id=None,
            target_counter_id=target_counter_id,
            predicted_wait_s=None,
        )

    def cancel(self, now: dt.datetime) -> None:
        if self.state is not _WAITING and self.state is not _CALLED:
            raise Conflict(
                "{number} cannot be cancelled: it is {state}",
                "ticket",
                number=self.number,
                state=Term(self.state.value),
            )
        self._finish(Outcome.CANCELLED, now)

    def _finish(self, outcome: Outcome, now: dt.datetime) -> None:
        self.state = _FINISHED
        self.outcome = outcome
        self.finished_at = now

    def _refusal(self, verb: Term) -> Conflict:
        return Conflict(
            "{number} cannot be {verb}: it is {state}",
            "ticket",
            number=self.number,
            verb=verb,
            state=Term((self.outcome or self.state).value),
        )
