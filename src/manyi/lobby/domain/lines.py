"""A counter's candidates during the estimate's play, kept in lines (issue 22).

The play (`estimate.play`) asks each counter, call after call, whom the dispatch rules
(`dispatch.choose`) have it call next. Asked of a list of everyone the counter may call,
each answer reads the whole list several times: a play of a queue of n costs O(n²). Here a
counter's tickets are kept in lines, one for each service and class, each in the order of its
age (`dispatch.age_key`), and the tickets sent to this counter in one more. Every rule then
looks at the front of a few lines: the lane's lines, the oldest front (ageing), the counter's
first service with anyone waiting, the front of each class. Only appointments are read whole,
as an appointment counts as a normal ticket until its booked time (`dispatch.effective_class`),
which moves as the play's clock does; they are few.

A ticket called by any counter is passed over by all of them (`gone`, shared): taking it out
of every line that holds it would cost more than skipping it once at a line's front.

The answers are `dispatch.choose`'s, ticket, reason and credits (tests/unit/
test_lobby_play_equivalence.py plays random lobbies both ways).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from manyi.lobby.domain.dispatch import (
    Pick,
    age_key,
    effective_class,
    fifo_key,
    in_own_lane,
    next_class,
)
from manyi.lobby.domain.model import Counter, Policy, PriorityClass, Service
from manyi.lobby.domain.ticket import Ticket

Key = tuple[str, PriorityClass]  # a line: (service code, class)


class _Line:
    """Tickets in age order, read from the front; a called one is skipped when reached."""

    __slots__ = ("front", "gone", "tickets")

    def __init__(self, tickets: list[Ticket], gone: set[int]) -> None:
        self.tickets = sorted(tickets, key=age_key)
        self.front = 0
        self.gone = gone

    def first(self) -> Ticket | None:
        tickets, gone, at = self.tickets, self.gone, self.front
        while at < len(tickets):
            ticket = tickets[at]
            if id(ticket) not in gone:
                self.front = at
                return ticket
            at += 1
        self.front = at
        return None

    def left(self) -> list[Ticket]:
        return [t for t in self.tickets[self.front :] if id(t) not in self.gone]


class Lines:
    """One counter's tickets (those `dispatch.eligible` gives it) in lines; `gone` holds the
    `id()` of every ticket called so far in the play, by any counter."""

    __slots__ = ("counter", "lane", "lines", "sent")

    def __init__(
        self,
        counter: Counter,
        tickets: Sequence[Ticket],
        services: Mapping[str, Service],
        gone: set[int],
    ) -> None:
        self.counter = counter
        sent: list[Ticket] = []
        by_key: dict[Key, list[Ticket]] = {}
        for ticket in tickets:
            if ticket.target_counter_id == counter.id:
                sent.append(ticket)  # chosen before anything else while any is left
            else:
                by_key.setdefault((ticket.service_code, ticket.klass), []).append(ticket)
        self.sent = _Line(sent, gone)
        self.lines = {key: _Line(found, gone) for key, found in by_key.items()}
        self.lane = frozenset(
            key for key in self.lines if in_own_lane(counter.kind, services[key[0]], key[1])
        )

    def choose(self, policy: Policy, now: dt.datetime) -> Pick | None:
        """`dispatch.choose` for this counter's tickets still waiting, at `now`."""
        credits = dict(self.counter.credits)
        sent = self.sent.first()
        if sent is not None:
            return Pick(sent, "sent_here", credits)
        fronts = {key: t for key, line in self.lines.items() if (t := line.first()) is not None}
        if len(fronts) < len(self.lines):  # a line once empty stays so: not looked at again
            self.lines = {key: self.lines[key] for key in fronts}
        if not fronts:
            return None
        lane = [key for key in fronts if key in self.lane] if self.lane else []
        reason = "own_lane" if lane else ""
        pool = lane or list(fronts)

        aged_since = now.astimezone(dt.UTC) - dt.timedelta(seconds=policy.ageing_s)
        oldest = min((fronts[key] for key in pool), key=age_key)
        if oldest.queued_at <= aged_since:
            return Pick(oldest, "aged", credits)

        for code in self.counter.services:
            for_service = [key for key in pool if key[0] == code]
            if for_service:
                pool = for_service
                break

        by_class: dict[PriorityClass, list[Ticket]] = {}
        for key in pool:
            if key[1] is PriorityClass.APPOINTMENT:  # each as it counts at `now`
                for ticket in self.lines[key].left():
                    by_class.setdefault(effective_class(ticket, now), []).append(ticket)
            else:
                by_class.setdefault(key[1], []).append(fronts[key])
        klass = next_class(credits, {k: policy.weights[k] for k in by_class})
        line = by_class[klass]
        if klass is PriorityClass.APPOINTMENT:
            ticket = min(line, key=lambda t: fifo_key(t, now))
        else:
            ticket = min(line, key=age_key)
        return Pick(ticket, reason or "cycle", credits)
