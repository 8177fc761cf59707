"""The flexible-counter advice, tried in the simulator against fixed staffing and an oracle.

Three ways to staff the same scenario (e.g. `scenarios/pension-day.yaml`):

* **fixed**: the scenario as written (the outlet's usual plan);
* **advice**: the always-open counters of the scenario, plus its flexible counters opened
  and closed by `advice.advise` — the rule the dashboard shows — looked at once a minute.
  A teller needs `reaction_s` to get to a counter after the advice; second-line staff
  are assumed free (the advice's "page" opens the next flexible counter the same way);
* **oracle**: perfect foresight: for every 30 minutes, the smallest number of counters that
  Erlang C says meets the service level for the true arrival rate and service time of that
  interval, opened exactly then.

For each the simulator reports counter-hours and service level with 95 % confidence
intervals; `compare` runs all three.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from manyi.forecast.advice import Action, AdviceRules, LobbyState, Memory, advise
from manyi.forecast.kpi import Summary
from manyi.forecast.scenario import DAY_S, Scenario, Window
from manyi.forecast.simulation import run_scenario
from manyi.forecast.staffing import staff_for
from manyi.lobby.domain.model import Channel, CounterKind, CounterState, PriorityClass
from manyi.lobby.domain.predict import LobbyView, QueueAheadEstimate
from manyi.lobby.domain.ticket import Ticket

INTERVAL_S = 1800
ORIGIN = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _mean_service_s(scenario: Scenario, code: str) -> float:
    spec = scenario.service(code).service_time
    if spec.kind == "empirical" and spec.values_s:
        return sum(spec.values_s) / len(spec.values_s)
    return spec.mean_s


def oracle_counts(scenario: Scenario, service_level: float = 0.8) -> list[int]:
    """Counters needed in each 30-minute interval of the horizon (Erlang C, true rates)."""
    counts = []
    t = 0.0
    while t < scenario.horizon_s:
        second = (scenario.start_s + t + INTERVAL_S / 2) % DAY_S
        rates = {s.code: s.arrivals.mean_per_hour_at(second) for s in scenario.services}
        total = sum(rates.values())
        if total <= 0:
            counts.append(0)
        else:
            mean_s = sum(r * _mean_service_s(scenario, c) for c, r in rates.items()) / total
            result = staff_for(total, mean_s, scenario.target_wait_s, service_level)
            counts.append(result.servers)
        t += INTERVAL_S
    return counts


def oracle_scenario(scenario: Scenario, service_level: float = 0.8) -> Scenario:
    """The scenario with counters opened per interval exactly as the oracle needs."""
    counts = oracle_counts(scenario, service_level)
    counters = sorted(scenario.counters, key=lambda c: c.number)
    respecced = []
    for rank, counter in enumerate(counters):
        windows: list[Window] = []
        for i, need in enumerate(counts):
            if rank >= need:
                continue
            start = int(scenario.start_s + i * INTERVAL_S) % DAY_S
            end = min(start + INTERVAL_S, DAY_S)
            if windows and windows[-1].end_s == start:
                windows[-1] = Window(windows[-1].start_s, end)
            else:
                windows.append(Window(start, end))
        respecced.append(replace(counter, open=tuple(windows)))
    return replace(scenario, counters=tuple(respecced))


def advice_scenario(scenario: Scenario) -> Scenario:
    """The scenario with its flexible counters left to the advice (closed until opened)."""
    return replace(
        scenario,
        counters=tuple(
            replace(c, open=()) if c.kind is CounterKind.FLEXIBLE else replace(c, open=None)
            for c in scenario.counters
        ),
    )


@dataclass
class AdviceControl:
    """A `CounterControl` that follows the dashboard's advice, with a teller's reaction time."""

    rules: AdviceRules
    interval_s: float = 60.0
    reaction_s: float = 120.0
    memory: Memory = field(default_factory=Memory)
    busy_samples: list[float] = field(default_factory=list)
    pending: dict[int, tuple[float, bool]] = field(default_factory=dict)
    predictor: QueueAheadEstimate = field(default_factory=QueueAheadEstimate)

    def decide(self, t_s: float, view: LobbyView) -> Mapping[int, bool]:
        opened = [c for c in view.counters if c.state is not CounterState.CLOSED]
        busy = sum(1 for c in opened if c.current_ticket_id is not None)
        self.busy_samples.append(busy / len(opened) if opened else 0.0)
        window = int(1800 / self.interval_s)
        del self.busy_samples[:-window]
        flexible = [c for c in view.counters if c.kind is CounterKind.FLEXIBLE]
        waiting = [p for p, (_, state) in self.pending.items() if state]
        state = LobbyState(
            now=view.now,
            predicted_wait_s=self._worst_wait(view),
            utilisation=sum(self.busy_samples) / len(self.busy_samples),
            closed_flexible=tuple(
                c.number
                for c in flexible
                if c.state is CounterState.CLOSED and c.number not in waiting
            ),
            open_flexible=tuple(
                c.number
                for c in flexible
                if c.state is not CounterState.CLOSED and c.current_ticket_id is None
            ),
            free_tellers=len(flexible),  # second-line staff are assumed at hand
        )
        advice, self.memory = advise(state, self.memory, self.rules)
        if advice.counter is not None and advice.counter not in self.pending:
            if advice.action is Action.OPEN and not waiting:
                # One counter at a time: the next advice sees the effect of this one.
                self.pending[advice.counter] = (t_s + self.reaction_s, True)
            elif advice.action is Action.CLOSE:
                self.pending[advice.counter] = (t_s, False)
        due = {n: is_open for n, (at, is_open) in self.pending.items() if at <= t_s}
        for number in due:
            del self.pending[number]
        return due

    def _worst_wait(self, view: LobbyView) -> float:
        worst = 0.0
        for code in view.services:
            probe = Ticket(
                id=2**62,
                number="",
                service_code=code,
                klass=PriorityClass.NORMAL,
                channel=Channel.KIOSK,
                issued_at=view.now,
                queued_at=view.now,
            )
            worst = max(worst, float(self.predictor.predict(view, probe) or 0))
        longest = max(((view.now - t.issued_at).total_seconds() for t in view.waiting), default=0)
        return max(worst, longest)


@dataclass(frozen=True)
class Comparison:
    fixed: Summary
    advice: Summary
    oracle: Summary
    oracle_counts: list[int]


def compare(
    scenario: Scenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    service_level: float = 0.8,
    reaction_s: float = 120.0,
) -> Comparison:
    rules = AdviceRules(target_wait_s=int(scenario.target_wait_s))

    def control() -> AdviceControl:
        return AdviceControl(rules, reaction_s=reaction_s)

    def run(s: Scenario, **kw: object) -> Summary:
        result = run_scenario(s, replications=replications, seed=seed, **kw)  # type: ignore[arg-type]
        return result.summary

    return Comparison(
        fixed=run(scenario),
        advice=run(advice_scenario(scenario), control=control),
        oracle=run(oracle_scenario(scenario, service_level)),
        oracle_counts=oracle_counts(scenario, service_level),
    )
