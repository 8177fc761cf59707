"""The lobby floor the simulator drives: the lobby's own rules, two ways to hold them.

Every decision is the lobby's: who a counter calls is `dispatch.choose`, and
every state change is a `Ticket` / `Counter` transition from `lobby.model`.

- `LobbyFloor` drives `lobby.engine.Lobby` itself: the in-memory outlet the
  property tests use, with its events and its wait estimate at every issue.
- `FastFloor` is the default, about five times as fast. It keeps the
  waiting line as a list instead of scanning every ticket ever issued, and
  records no events and no predictions, which the simulator does not need.
  It asks `dispatch.choose` with the same arguments (the counter, the
  waiting tickets in queue order, the services, the policy, the time),
  except when everyone waiting stands in one line, where `choose`'s answer
  is known to be the first queued (`FastFloor._one_line` says why), and
  applies the same transitions. `tests/unit/test_simulation.py` runs both
  floors on whole scenarios and checks that every call goes to the same
  ticket at the same time.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Final, Protocol
from zoneinfo import ZoneInfo

from manyi.forecast.scenario import Scenario
from manyi.lobby.domain import dispatch
from manyi.lobby.domain.engine import Lobby
from manyi.lobby.domain.model import (
    Channel,
    Counter,
    Policy,
    PriorityClass,
    Service,
    TicketState,
    format_number,
)
from manyi.lobby.domain.ticket import Ticket


class Floor(Protocol):
    """What the simulator does to an outlet; each method is one lobby action."""

    def issue(self, service_code: str, klass: PriorityClass, now: dt.datetime) -> Ticket: ...

    def call_next(self, counter: Counter, now: dt.datetime) -> Ticket | None: ...

    def recall(self, counter: Counter, now: dt.datetime) -> None: ...

    def complete(self, counter: Counter, now: dt.datetime) -> None: ...

    def no_show(self, counter: Counter, now: dt.datetime) -> None: ...

    def transfer(self, counter: Counter, now: dt.datetime, service_code: str) -> Ticket: ...

    def give_up(self, ticket: Ticket, now: dt.datetime) -> bool:
        """Cancel a ticket whose customer left; False when it was no longer waiting."""
        ...

    def open(self, counter: Counter, now: dt.datetime) -> None: ...

    def close(self, counter: Counter, now: dt.datetime) -> None: ...

    def waiting(self) -> Sequence[Ticket]: ...


_KIOSK: Final = Channel.KIOSK
_APPOINTMENT: Final = PriorityClass.APPOINTMENT


class FastFloor:
    """The lobby's rules on a waiting list kept in queue order (see the module docstring):
    by queue time, then id, as `dispatch.age_key` orders tickets, so the first queued is first.
    `choose` does not depend on the order of the tickets it is given."""

    def __init__(
        self,
        services: Mapping[str, Service],
        counters: Iterable[Counter],
        policy: Policy,
        skills: Mapping[int, frozenset[str]],
    ) -> None:
        self.services = dict(services)
        self.policy = policy
        self.counters = {c.id: c for c in counters}
        self._skills = skills
        self._waiting: list[Ticket] = []
        self._current: dict[int, Ticket] = {}
        # The codes of the services each open counter may serve (`Counter.can_serve`,
        # asked when it opens, since the teller's skills come with the opening).
        self._serves: dict[int, frozenset[str]] = {}
        self._ids = itertools.count(1)
        self._seq: dict[str, int] = {}

    def waiting(self) -> Sequence[Ticket]:
        return self._waiting

    def issue(self, service_code: str, klass: PriorityClass, now: dt.datetime) -> Ticket:
        prefix = self.services[service_code].prefix
        self._seq[prefix] = seq = self._seq.get(prefix, 0) + 1
        # Positional: the dataclass's __init__ takes keywords at twice the cost.
        # (id, number, service_code, klass, channel, issued_at, queued_at)
        ticket = Ticket(
            next(self._ids), format_number(prefix, seq), service_code, klass, _KIOSK, now, now
        )
        self._waiting.append(ticket)  # queued now, so at the back of the line
        return ticket

    def call_next(self, counter: Counter, now: dt.datetime) -> Ticket | None:
        waiting = self._waiting
        if not waiting:  # what choose() answers for an empty line, without the call
            return None
        counter.ready_to_call()
        if self._one_line(counter, waiting):
            ticket = waiting.pop(0)
        else:
            pick = dispatch.choose(counter, waiting, self.services, self.policy, now)
            if pick is None:
                return None
            ticket = pick.ticket
            counter.credits = pick.credits
            _drop(waiting, ticket)
        ticket.call(counter.id, counter.teller_id, now)
        counter.take(ticket.id)
        self._current[counter.id] = ticket
        return ticket

    def _one_line(self, counter: Counter, waiting: list[Ticket]) -> bool:
        """Whether everyone waiting stands in one line at this counter; then `choose` would
        answer the first queued and leave the credits unchanged, so it need not be asked.

        One line: every ticket is of one class and one service the counter may serve, none
        is sent to a counter, the class is not appointment (whose class depends on the
        time), and the counter's only credit is that class. Then every ticket is eligible
        (rule 1) and none is sent here (rule 2). The own lane (rule 3) is everyone or nobody,
        so the pool is everyone. If someone has aged (rule 4), `choose` takes the oldest,
        which is the first queued (aged means queued at or before a cutoff), and keeps the
        credits. If not, the preference (rule 5) leaves everyone, the weighted cycle (rule 6)
        runs over one class (`next_class` drops no credit, adds the class's weight and takes
        back the total, the same weight: the credit is unchanged), and FIFO (rule 7) takes the
        first queued. `tests/unit/test_simulation_fast_paths.py` checks it against `choose`.
        """
        first = waiting[0]
        klass, code = first.klass, first.service_code
        credits = counter.credits
        if len(credits) != 1 or klass not in credits or klass is _APPOINTMENT:
            return False  # (a StrEnum finds its value as a key)
        for ticket in waiting:
            if (
                ticket.klass is not klass
                or ticket.service_code != code
                or ticket.target_counter_id is not None
            ):
                return False
        return code in self._serves[counter.id]

    def recall(self, counter: Counter, now: dt.datetime) -> None:
        self._current[counter.id].recall(now)

    def complete(self, counter: Counter, now: dt.datetime) -> None:
        self._current.pop(counter.id).complete(now)
        counter.release()

    def no_show(self, counter: Counter, now: dt.datetime) -> None:
        self._current.pop(counter.id).no_show(now, self.policy)
        counter.release()

    def transfer(self, counter: Counter, now: dt.datetime, service_code: str) -> Ticket:
        leg = self._current.pop(counter.id).transfer(now, next(self._ids), service_code, None)
        counter.release()
        # The leg keeps the customer's queue time: their place in the line, not its back.
        bisect.insort(self._waiting, leg, key=dispatch.age_key)
        return leg

    def give_up(self, ticket: Ticket, now: dt.datetime) -> bool:
        if ticket.state is not TicketState.WAITING:
            return False
        ticket.cancel(now)
        _drop(self._waiting, ticket)
        return True

    def open(self, counter: Counter, now: dt.datetime) -> None:
        counter.open(counter.number, self._skills.get(counter.id, frozenset()))
        self._serves[counter.id] = frozenset(
            code for code, service in self.services.items() if counter.can_serve(service)
        )

    def close(self, counter: Counter, now: dt.datetime) -> None:
        counter.close()
        for ticket in self._waiting:
            if ticket.target_counter_id == counter.id:
                ticket.target_counter_id = None


def _drop(waiting: list[Ticket], ticket: Ticket) -> None:
    # By identity: a dataclass's == would compare every field of every ticket passed.
    for i, t in enumerate(waiting):
        if t is ticket:
            del waiting[i]
            return


class LobbyFloor:
    """`lobby.engine.Lobby` itself. Finished tickets and past events are dropped as it goes,
    so a long run does not rescan everything it ever issued (the Lobby keeps them all)."""

    def __init__(
        self,
        services: Mapping[str, Service],
        counters: Iterable[Counter],
        policy: Policy,
        skills: Mapping[int, frozenset[str]],
    ) -> None:
        self.lobby = Lobby.of(services.values(), counters, policy=policy)
        self._skills = skills

    def waiting(self) -> Sequence[Ticket]:
        return self.lobby.waiting

    def _done(self, ticket: Ticket) -> None:
        self.lobby.tickets.pop(ticket.id, None)
        self.lobby.events.clear()

    def issue(self, service_code: str, klass: PriorityClass, now: dt.datetime) -> Ticket:
        ticket = self.lobby.issue(service_code, now, klass)
        self.lobby.events.clear()
        return ticket

    def call_next(self, counter: Counter, now: dt.datetime) -> Ticket | None:
        ticket = self.lobby.call_next(counter.id, now)
        self.lobby.events.clear()
        return ticket

    def recall(self, counter: Counter, now: dt.datetime) -> None:
        self.lobby.recall(counter.id, now)
        self.lobby.events.clear()

    def complete(self, counter: Counter, now: dt.datetime) -> None:
        self._done(self.lobby.complete(counter.id, now))

    def no_show(self, counter: Counter, now: dt.datetime) -> None:
        self._done(self.lobby.no_show(counter.id, now))

    def transfer(self, counter: Counter, now: dt.datetime, service_code: str) -> Ticket:
        old = self.lobby.current(counter.id)
        leg = self.lobby.transfer(counter.id, now, service_code=service_code)
        self._done(old)
        return leg

    def give_up(self, ticket: Ticket, now: dt.datetime) -> bool:
        if ticket.state is not TicketState.WAITING:
            return False
        self._done(self.lobby.cancel(ticket.id, now))
        return True

    def open(self, counter: Counter, now: dt.datetime) -> None:
        self.lobby.open(counter.id, counter.number, now, self._skills.get(counter.id, frozenset()))
        self.lobby.events.clear()

    def close(self, counter: Counter, now: dt.datetime) -> None:
        self.lobby.close(counter.id, now)
        self.lobby.events.clear()


FLOORS: dict[str, type[FastFloor] | type[LobbyFloor]] = {"fast": FastFloor, "lobby": LobbyFloor}

# Local midnight of an arbitrary day: the simulated clock starts here plus `start`.
EPOCH_DAY = dt.date(2024, 1, 1)


def start_time(scenario: Scenario) -> dt.datetime:
    """The wall-clock time (aware UTC) of second 0 of a run."""
    zone = ZoneInfo(scenario.policy.timezone)
    midnight = dt.datetime.combine(EPOCH_DAY, dt.time(0), zone).astimezone(dt.UTC)
    return midnight + dt.timedelta(seconds=scenario.start_s)


def lobby_services(scenario: Scenario) -> dict[str, Service]:
    return {
        s.code: Service(
            s.code,
            s.name,
            s.prefix,
            s.expected_service_s,
            name_en=s.name,
            fast_lane=s.fast_lane,
            skill=s.skill,
        )
        for s in scenario.services
    }


def lobby_counters(scenario: Scenario) -> tuple[list[Counter], dict[int, frozenset[str]]]:
    """The scenario's counters (closed) and the skills of each, by counter id."""
    counters = [
        Counter(id=i + 1, number=c.number, kind=c.kind, services=c.services)
        for i, c in enumerate(scenario.counters)
    ]
    return counters, {i + 1: c.skills for i, c in enumerate(scenario.counters)}
