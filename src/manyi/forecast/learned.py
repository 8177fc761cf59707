"""`learned`: a wait predictor that fits itself to the outlet's own history.

Two things are learned, both online and from observed events only:

1. **Counter habits** (`CounterHabits`): how likely each counter is at work in each quarter
   hour of the day, from past days. Shifts, lunch rotations (午休轮岗) and the flexible
   counter's peak hours repeat, so the *drained* estimate can let the line ahead drain at
   the counters at work now until the quarter ends, then at the capacity the habits
   promise: a line that will lose its counter at 11:30 drains more slowly.
2. **A regression** on six features taken when a ticket is issued: a constant, the queue
   estimate, LES, how long the front of the same line has waited, the queue paced by
   the calls actually made in the last 20 minutes, and the drained estimate. It is fitted
   by exponentially weighted least squares (recent waits count most), reweighted by
   1 / |error| so that it aims at the median wait (what MAE rewards) and a few very long
   waits do not drag it. There is a model for all tickets, one per service and one per
   (service, class); each leans on its parent by a ridge penalty, so a rare class borrows
   from its service and a new service from the whole outlet. Until the outlet has
   MIN_HISTORY waits, the drained estimate is used as it is.

A ticket's features are taken when it is issued and its wait becomes known at its first
call, so what is learned from it is never used before that call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from manyi.forecast.predictors import les_estimate, queue_ahead, queue_estimate
from manyi.forecast.replay import Arrival, EventKind, ObservedLobby, WaitEvent, arrival_of

MINUTE = 60.0
FORGET = 0.995  # each new wait weighs 1/0.995 as much as the one before: a memory of ~200
RIDGE = 100.0  # pull towards the parent model (or the prior), in weighted observations
HUBER = 1.0  # minutes: errors below this all weigh the same
MIN_HISTORY = 20  # waits a model needs before it is used
PRIOR: tuple[float, ...] = (
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    1.0,
)  # intercept, queue, LES, front of line, paced, drained


THROUGHPUT_WINDOW = dt.timedelta(minutes=20)
SLOT_MIN = 15
SLOTS = 24 * 60 // SLOT_MIN
HABIT_RATE = 0.2  # each day's presence moves a counter's habit 20 % of the way
MIN_DAYS = 2
HORIZON = dt.timedelta(hours=8)


def slot_of(at: dt.datetime) -> tuple[dt.date, int]:
    """The quarter hour an instant falls in (UTC: each quarter hour comes once a day)."""
    utc = at.astimezone(dt.UTC)
    return utc.date(), (utc.hour * 60 + utc.minute) // SLOT_MIN


class CounterHabits:
    """How likely each counter is at work in each quarter hour of the day, from past days:
    shifts, lunch rotations and regular breaks repeat, so capacity ahead can be foreseen."""

    def __init__(self) -> None:
        self.current: tuple[dt.date, int] | None = None
        self.present: set[str] = set()
        self.days = [0] * SLOTS
        self.habit: dict[str, list[float]] = {}

    def observe(self, event: WaitEvent, serving: Iterable[str]) -> None:
        key = slot_of(event.at)
        if key != self.current:
            self._fold()
            self.current = key
            self.present = set(serving)  # busy with a customer as the quarter begins
        if event.kind is EventKind.CALLED and event.counter is not None:
            self.present.add(event.counter)
            self.habit.setdefault(event.counter, [0.0] * SLOTS)

    def _fold(self) -> None:
        if self.current is None:
            return
        slot = self.current[1]
        self.days[slot] += 1
        rate = max(HABIT_RATE, 1 / self.days[slot])  # the first days count fully
        for counter, habit in self.habit.items():
            habit[slot] += rate * ((counter in self.present) - habit[slot])

    def expected(self, counters: Iterable[str], slot: int) -> float | None:
        if self.days[slot % SLOTS] < MIN_DAYS:
            return None
        return sum(self.habit[c][slot % SLOTS] for c in counters if c in self.habit)

    def drain_s(
        self, work_s: float, now_counters: int, group: Sequence[str], at: dt.datetime
    ) -> float | None:
        """Seconds until `work_s` counter-seconds are done: the counters at work now until
        the quarter ends, then as many as the habits of `group` promise."""
        day, slot = slot_of(at)
        start = dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(minutes=slot * SLOT_MIN)
        t = 0.0
        left = (start + dt.timedelta(minutes=SLOT_MIN) - at).total_seconds()
        capacity = float(now_counters)
        while t < HORIZON.total_seconds():
            if capacity > 0 and capacity * left >= work_s:
                return t + work_s / capacity
            work_s -= capacity * left
            t += left
            left = SLOT_MIN * 60.0
            slot += 1
            promised = self.expected(group, slot)
            capacity = float(now_counters) if promised is None else promised
        return None


def features(
    obs: ObservedLobby, habits: CounterHabits, ticket: Arrival, at: dt.datetime
) -> tuple[float, ...]:
    line = queue_ahead(obs, ticket, at)
    queue = line.estimate_s() if line else queue_estimate(obs, ticket, at)
    paced = queue
    if line is not None:
        calls = obs.calls_since(line.counters, at - THROUGHPUT_WINDOW)
        if calls:
            rate = calls / THROUGHPUT_WINDOW.total_seconds()
            paced = 0.0 if line.ahead < line.idle else (line.ahead - line.idle + 1) / rate
    drained = queue
    if line is not None and line.ahead >= line.idle:
        need = (line.ahead - line.idle + 1) * line.per_person_s
        found = habits.drain_s(need, len(line.counters), obs.counters_for(ticket.service), at)
        drained = queue if found is None else found
    return (
        1.0,
        queue / MINUTE,
        les_estimate(obs, ticket, at) / MINUTE,
        obs.oldest_wait_s(ticket.service, at) / MINUTE,
        min(paced, 8 * 3600.0) / MINUTE,
        drained / MINUTE,
    )


class WeightedRidge:
    """Exponentially weighted least squares, with a ridge towards prior weights given at
    each use (a specific model leans on the weights of its more general parent)."""

    def __init__(self, k: int) -> None:
        self.xtx = [[0.0] * k for _ in range(k)]
        self.xty = [0.0] * k
        self.n = 0
        self._cache: tuple[tuple[float, ...], tuple[float, ...]] | None = None

    def learn(self, x: Sequence[float], y: float, prior: tuple[float, ...]) -> None:
        k = len(x)
        # Weighting each wait by 1 / |its error| fits the median rather than the mean.
        wt = 1.0 / max(abs(y - self.predict(x, prior)), HUBER)
        for i in range(k):
            self.xty[i] = FORGET * self.xty[i] + wt * x[i] * y
            row = self.xtx[i]
            for j in range(k):
                row[j] = FORGET * row[j] + wt * x[i] * x[j]
        self.n += 1
        self._cache = None

    def weights(self, prior: tuple[float, ...]) -> tuple[float, ...]:
        if self._cache is None or self._cache[0] != prior:
            k = len(prior)
            a = [[self.xtx[i][j] + (RIDGE if i == j else 0.0) for j in range(k)] for i in range(k)]
            b = [self.xty[i] + RIDGE * prior[i] for i in range(k)]
            self._cache = (prior, _solve(a, b))
        return self._cache[1]

    def predict(self, x: Sequence[float], prior: tuple[float, ...]) -> float:
        return sum(w * v for w, v in zip(self.weights(prior), x, strict=True))


def _solve(a: list[list[float]], b: list[float]) -> tuple[float, ...]:
    """Gaussian elimination with partial pivoting; the ridge keeps `a` well conditioned."""
    k = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(k):
        pivot = max(range(col, k), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, k):
            f = m[r][col] / m[col][col]
            for c in range(col, k + 1):
                m[r][c] -= f * m[col][c]
    x = [0.0] * k
    for r in range(k - 1, -1, -1):
        x[r] = (m[r][k] - sum(m[r][c] * x[c] for c in range(r + 1, k))) / m[r][r]
    return tuple(x)


class LearnedPredictor:
    name = "learned"

    def __init__(self) -> None:
        self.lobby = ObservedLobby()
        self.habits = CounterHabits()
        self.models: dict[tuple[str, ...], WeightedRidge] = {}
        self.pending: dict[str, tuple[float, ...]] = {}  # ticket -> features at issue

    def observe(self, event: WaitEvent) -> None:
        if event.kind is EventKind.ISSUED:
            # What the lobby looked like just before this ticket: its features.
            self.pending[event.ticket_id] = features(
                self.lobby, self.habits, arrival_of(event), event.at
            )
        elif event.kind is EventKind.CALLED:
            x = self.pending.pop(event.ticket_id, None)
            waited = self.lobby.waiting.get(event.ticket_id)
            if x is not None and waited is not None:
                y = (event.at - waited.issued_at).total_seconds() / MINUTE
                prior = PRIOR
                for key in _keys(event.service, event.klass):
                    model = self.models.setdefault(key, WeightedRidge(len(PRIOR)))
                    model.learn(x, y, prior)
                    if model.n >= MIN_HISTORY:
                        prior = model.weights(prior)
        else:
            self.pending.pop(event.ticket_id, None)
        self.habits.observe(event, self.lobby.at_counter)
        self.lobby.observe(event)

    def weights(self, service: str, klass: str) -> tuple[float, ...]:
        """The most specific model's weights, each level leaning on the one above."""
        prior = PRIOR
        for key in _keys(service, klass):
            model = self.models.get(key)
            if model is None or model.n < MIN_HISTORY:
                break
            prior = model.weights(prior)
        return prior

    def predict(self, ticket: Arrival, at: dt.datetime) -> float:
        x = features(self.lobby, self.habits, ticket, at)
        if self.models.get(()) is None or self.models[()].n < MIN_HISTORY:
            return x[-1] * MINUTE  # the drained estimate, until there is history
        w = self.weights(ticket.service, ticket.klass)
        return max(sum(a * b for a, b in zip(w, x, strict=True)), 0.0) * MINUTE


def _keys(service: str, klass: str) -> tuple[tuple[str, ...], ...]:
    """From the most general model to the most specific."""
    return ((), (service,), (service, klass))
