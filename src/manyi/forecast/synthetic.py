"""Realistic synthetic lobby days, played on the in-memory `Lobby` (the real dispatch code).

One outlet, weekdays from 09:00 to 17:00 (Beijing time):

- five services (cash, non-cash, corporate, fast lane, wealth) and four priority classes;
- arrivals that vary by hour (a morning and an afternoon peak, a lunch dip) and by day (a
  busy Monday, a pension-payment day);
- seven counters with shifts and lunch breaks, tellers of different speeds who take short
  breaks, and a flexible counter the lobby manager opens when the line grows;
- lognormal service times, customers who give up, no-shows and a few transfers.

The same seed gives the same log. Used by the tests and the benchmark in docs/forecast.md.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from manyi.forecast.eventlog import Visit
from manyi.lobby.domain.engine import Lobby
from manyi.lobby.domain.model import (
    Counter,
    CounterKind,
    CounterState,
    Policy,
    PriorityClass,
    Service,
    TicketState,
)

ZONE = ZoneInfo("Asia/Shanghai")
SERVICES = (
    Service("A", "个人现金业务", "A", 300, name_en="Personal cash"),
    Service("B", "个人非现金业务", "B", 480, name_en="Personal non-cash"),
    Service("C", "对公业务", "C", 600, name_en="Corporate", skill="corporate"),
    Service("K", "快速通道", "K", 120, name_en="Fast lane", fast_lane=True),
    Service("V", "贵宾理财", "V", 900, name_en="Wealth", skill="wealth"),
)
MIX = (("A", 0.36), ("B", 0.30), ("C", 0.08), ("K", 0.20), ("V", 0.06))
CLASSES = (("normal", 0.78), ("green", 0.08), ("vip", 0.08), ("appointment", 0.06))
CLASS_SLOWER = {"green": 1.3, "vip": 1.1}  # elderly customers take longer
# Arrivals per hour in each local hour, before the day's factor.
ARRIVALS = {9: 34.0, 10: 52.0, 11: 44.0, 12: 28.0, 13: 34.0, 14: 46.0, 15: 42.0, 16: 30.0}
DAY_FACTORS = (1.15, 1.0, 0.95, 1.3, 1.05)  # Monday … Friday; Thursday is a pension day
OPENS, CLOSES = dt.time(9), dt.time(17)


@dataclass(frozen=True)
class CounterPlan:
    number: int
    kind: CounterKind
    services: tuple[str, ...]
    skills: frozenset[str] = frozenset()
    shifts: tuple[tuple[dt.time, dt.time], ...] = ()  # none: opened on demand (flexible)


def _shifts(*spans: str) -> tuple[tuple[dt.time, dt.time], ...]:
    """("09:00-12:00", …) as pairs of local times."""
    return tuple(
        (dt.time.fromisoformat(span[:5]), dt.time.fromisoformat(span[6:])) for span in spans
    )


REGULAR, FAST, VIP, GREEN = (
    CounterKind.REGULAR,
    CounterKind.FAST_LANE,
    CounterKind.VIP,
    CounterKind.GREEN,
)
COUNTERS = (  # lunch is taken in turns (午休轮岗); the flexible counter opens on demand
    CounterPlan(1, FAST, ("K", "A"), shifts=_shifts("09:00-12:00", "12:45-17:00")),
    CounterPlan(2, REGULAR, ("A", "B"), shifts=_shifts("09:00-17:00")),
    CounterPlan(3, REGULAR, ("B", "A"), shifts=_shifts("09:00-11:45", "12:45-17:00")),
    CounterPlan(
        4, REGULAR, ("C",), frozenset({"corporate"}), _shifts("09:00-11:30", "13:00-17:00")
    ),
    CounterPlan(5, VIP, ("V", "B"), frozenset({"wealth"}), _shifts("09:00-17:00")),
    CounterPlan(6, GREEN, ("A", "B"), shifts=_shifts("09:30-12:00", "13:00-16:30")),
    CounterPlan(7, CounterKind.FLEXIBLE, ("B", "A", "K")),
)
FLEX_OPEN_AT = 14  # people waiting when the lobby manager opens the flexible counter …
FLEX_CLOSE_AT = 3  # … and closes it once the line stays at most this long for 15 minutes
SECOND = dt.timedelta(seconds=1)


@dataclass
class _VisitDraft:
    ticket_id: str
    service: str
    klass: str
    issued_at: dt.datetime
    called_at: dt.datetime | None = None
    counter: str | None = None
    finished_at: dt.datetime | None = None
    outcome: str | None = None


@dataclass
class _Day:
    rng: random.Random
    day: dt.date
    factor: float
    lobby: Lobby
    outlet: str
    queue: list[tuple[dt.datetime, int, str, int]] = field(default_factory=list)
    visits: dict[int, _VisitDraft] = field(default_factory=dict)  # leg id -> visit
    speed: dict[int, float] = field(default_factory=dict)
    closing: set[int] = field(default_factory=set)
    calling: set[int] = field(default_factory=set)
    quiet_checks: int = 0
    _seq: int = 0

    def at(self, local: dt.time) -> dt.datetime:
        return dt.datetime.combine(self.day, local, ZONE).astimezone(dt.UTC)

    def schedule(self, when: dt.datetime, action: str, arg: int = 0) -> None:
        self._seq += 1
        heapq.heappush(self.queue, (when, self._seq, action, arg))

    def rate(self, when: dt.datetime) -> float:
        return ARRIVALS.get(when.astimezone(ZONE).hour, 0.0) * self.factor

    def pick(self, table: tuple[tuple[str, float], ...]) -> str:
        roll = self.rng.random() * sum(w for _, w in table)
        for name, weight in table:
            roll -= weight
            if roll <= 0:
                return name
        return table[-1][0]

    def service_s(self, code: str, klass: str, counter: int) -> float:
        mean = float(self.lobby.services[code].expected_service_s)
        mean *= self.speed[counter] * CLASS_SLOWER.get(klass, 1.0)
        sigma2 = math.log(1 + 0.6**2)  # coefficient of variation 0.6
        return self.rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))


def generate(
    seed: int = 1, days: int = 5, start: dt.date = dt.date(2026, 3, 2), outlet: str = "SYN-01"
) -> list[Visit]:
    """Visits of `days` weekdays from `start`, in order of issue."""
    rng = random.Random(seed)  # noqa: S311 (a simulation, not a secret)
    visits: list[Visit] = []
    day = start
    for _ in range(days):
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        visits.extend(_simulate(rng, day, DAY_FACTORS[day.weekday()], outlet))
        day += dt.timedelta(days=1)
    return visits


def _simulate(rng: random.Random, day: dt.date, factor: float, outlet: str) -> list[Visit]:
    lobby = Lobby.of(
        SERVICES,
        [Counter(p.number, p.number, p.kind, p.services) for p in COUNTERS],
        policy=Policy(opens_at=OPENS, closes_at=CLOSES, timezone=ZONE.key),
    )
    sim = _Day(rng, day, factor, lobby, outlet)
    for plan in COUNTERS:
        sim.speed[plan.number] = rng.uniform(0.8, 1.25)
        for begin, end in plan.shifts:
            sim.schedule(sim.at(begin), "open", plan.number)
            sim.schedule(sim.at(end), "close", plan.number)
    sim.schedule(sim.at(OPENS), "arrive")
    sim.schedule(sim.at(OPENS), "manage")
    while sim.queue:
        when, _, action, arg = heapq.heappop(sim.queue)
        _ACTIONS[action](sim, when, arg)
    return [
        Visit(
            ticket_id=v.ticket_id,
            outlet=outlet,
            service=v.service,
            priority_class=v.klass,
            issued_at=v.issued_at,
            called_at=v.called_at,
            finished_at=v.finished_at or v.issued_at,
            outcome=v.outcome or "abandoned",
            counter=v.counter,
        )
        for v in sorted({id(v): v for v in sim.visits.values()}.values(), key=lambda v: v.issued_at)
    ]


def _arrive(sim: _Day, now: dt.datetime, _: int) -> None:
    peak = max(ARRIVALS.values()) * sim.factor
    nxt = now + dt.timedelta(seconds=sim.rng.expovariate(peak / 3600))
    if nxt < sim.at(CLOSES):
        sim.schedule(nxt, "arrive")
    if sim.rng.random() * peak > sim.rate(now):  # thinning: fewer arrivals off-peak
        return
    code = sim.pick(MIX)
    klass = "vip" if code == "V" and sim.rng.random() < 0.5 else sim.pick(CLASSES)
    ticket = sim.lobby.issue(code, now, PriorityClass(klass))
    sim.visits[ticket.id] = _VisitDraft(f"{sim.day:%Y%m%d}-{ticket.number}", code, klass, now)
    if sim.rng.random() < 0.3:  # the impatient ones give up after a while
        patience = sim.rng.expovariate(1 / 1800)
        sim.schedule(now + dt.timedelta(seconds=patience), "give_up", ticket.id)
    _wake_idle(sim, now)


def _wake_idle(sim: _Day, now: dt.datetime) -> None:
    """Idle tellers notice the new customer and press "next"."""
    for counter in sim.lobby.counters.values():
        if counter.state is CounterState.OPEN and counter.id not in sim.calling:
            sim.calling.add(counter.id)
            sim.schedule(now + sim.rng.uniform(3, 20) * SECOND, "call", counter.id)


def _open(sim: _Day, now: dt.datetime, number: int) -> None:
    sim.closing.discard(number)
    counter = sim.lobby.counters[number]
    if counter.state is CounterState.CLOSED:
        plan = COUNTERS[number - 1]
        sim.lobby.open(number, 100 + number, now, plan.skills)
        sim.calling.add(number)
        sim.schedule(now + sim.rng.uniform(30, 120) * SECOND, "call", number)


def _close(sim: _Day, now: dt.datetime, number: int) -> None:
    counter = sim.lobby.counters[number]
    if counter.state is CounterState.CLOSED:
        return
    if now >= sim.at(CLOSES) and sim.lobby.waiting:
        # At the end of the day the counters stay until the lobby is empty.
        sim.closing.discard(number)
        sim.schedule(now + dt.timedelta(minutes=5), "close", number)
        if counter.state is CounterState.OPEN and number not in sim.calling:
            sim.calling.add(number)
            sim.schedule(now + 5 * SECOND, "call", number)
        return
    if counter.state is CounterState.SERVING:
        sim.closing.add(number)  # after this customer
        return
    if counter.state is CounterState.PAUSED:
        sim.lobby.resume(number, now)
    sim.lobby.close(number, now)
    sim.calling.discard(number)


def _call(sim: _Day, now: dt.datetime, number: int) -> None:
    sim.calling.discard(number)
    counter = sim.lobby.counters[number]
    if counter.state is not CounterState.OPEN:
        return
    ticket = sim.lobby.call_next(number, now)
    if ticket is None:
        return
    visit = sim.visits[ticket.id]
    if visit.called_at is None:
        visit.called_at, visit.counter = now, str(number)
    if sim.rng.random() < 0.04:  # not there: recall, then a no-show
        sim.schedule(now + 45 * SECOND, "recall", number)
        return
    walk = sim.rng.uniform(10, 40)
    took = walk + sim.service_s(ticket.service_code, visit.klass, number)
    sim.schedule(now + took * SECOND, "complete", number)


def _recall(sim: _Day, now: dt.datetime, number: int) -> None:
    sim.lobby.recall(number, now)
    sim.schedule(now + 45 * SECOND, "no_show", number)


def _no_show(sim: _Day, now: dt.datetime, number: int) -> None:
    ticket = sim.lobby.no_show(number, now)
    _end(sim.visits[ticket.id], now, "no_show")
    _after(sim, now, number)


def _complete(sim: _Day, now: dt.datetime, number: int) -> None:
    ticket = sim.lobby.current(number)
    visit = sim.visits[ticket.id]
    if ticket.service_code in ("A", "B") and sim.rng.random() < 0.03:
        nxt = sim.lobby.transfer(number, now, "B" if ticket.service_code == "A" else "A")
        sim.visits[nxt.id] = visit
        _after(sim, now, number)
        _wake_idle(sim, now)
        return
    sim.lobby.complete(number, now)
    _end(visit, now, "served")
    _after(sim, now, number)


def _after(sim: _Day, now: dt.datetime, number: int) -> None:
    """The teller finished with a customer: close, take a break, or call the next one."""
    if number in sim.closing:
        _close(sim, now, number)
        if sim.lobby.counters[number].state is CounterState.CLOSED or number in sim.calling:
            return
    if sim.rng.random() < 0.02:
        sim.lobby.pause(number, now)
        sim.schedule(now + sim.rng.uniform(300, 900) * SECOND, "resume", number)
        return
    sim.calling.add(number)
    sim.schedule(now + sim.rng.uniform(5, 30) * SECOND, "call", number)


def _resume(sim: _Day, now: dt.datetime, number: int) -> None:
    if sim.lobby.counters[number].state is CounterState.PAUSED:
        sim.lobby.resume(number, now)
        sim.calling.add(number)
        sim.schedule(now, "call", number)


def _give_up(sim: _Day, now: dt.datetime, ticket_id: int) -> None:
    ticket = sim.lobby.tickets[ticket_id]
    if ticket.state is TicketState.WAITING and ticket.first_called_at is None:
        sim.lobby.cancel(ticket_id, now)
        _end(sim.visits[ticket_id], now, "abandoned")


def _manage(sim: _Day, now: dt.datetime, _: int) -> None:
    """The lobby manager's round every five minutes: the flexible counter."""
    waiting = len(sim.lobby.waiting)
    flexible = COUNTERS[-1].number
    state = sim.lobby.counters[flexible].state
    if state is CounterState.CLOSED and waiting >= FLEX_OPEN_AT and now < sim.at(CLOSES):
        sim.schedule(now + dt.timedelta(minutes=3), "open", flexible)  # the teller walks over
        sim.quiet_checks = 0
    elif state is not CounterState.CLOSED:
        sim.quiet_checks = sim.quiet_checks + 1 if waiting <= FLEX_CLOSE_AT else 0
        if sim.quiet_checks >= 3:
            sim.schedule(now, "close", flexible)
            sim.quiet_checks = 0
    if now < sim.at(CLOSES) or sim.lobby.waiting:
        sim.schedule(now + dt.timedelta(minutes=5), "manage")


def _end(visit: _VisitDraft, now: dt.datetime, outcome: str) -> None:
    visit.finished_at, visit.outcome = now, outcome


_ACTIONS = {
    "arrive": _arrive,
    "open": _open,
    "close": _close,
    "call": _call,
    "recall": _recall,
    "no_show": _no_show,
    "complete": _complete,
    "resume": _resume,
    "give_up": _give_up,
    "manage": _manage,
}
