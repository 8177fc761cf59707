"""Live overload alerts and break advice for the lobby dashboard.

A teller on duty is **overloaded** when their current stretch without a break reaches
`max_stretch_min` (MANYI_WORKLOAD_MAX_STRETCH_MIN) or they spent at least `max_busy_share`
(MANYI_WORKLOAD_MAX_BUSY_SHARE) of the last hour serving.

**Break advice** says which overloaded tellers may take a break now while the service level
stays at or above the target. Candidates are taken longest stretch first; each is advised a
break only if the predicted service level with their counter closed for the break *and*
every counter already advised closed stays at or above `target_level`. The prediction is a
port (`LevelCheck`): the application fills it with forecasting's simulator run on the live
lobby (`forecast.break_check`); tests use a fake. A check that cannot answer (None) gives no
advice for that teller rather than a guess.

Example: tellers at counters 1 (stretch 150 min) and 3 (130 min) are overloaded, target 0.8.
With counter 1 closed the simulator predicts 0.86: counter 1 may go now. With 1 and 3 closed
it predicts 0.71: counter 3 waits until counter 1 is back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

# The predicted service level (share called within the target wait) with these counters
# closed for a break; None when it cannot be predicted.
LevelCheck = Callable[[frozenset[int]], float | None]


@dataclass(frozen=True)
class Limits:
    max_stretch_min: float = 120.0
    max_busy_share: float = 0.9
    target_level: float = 0.8


@dataclass(frozen=True)
class TellerNow:
    teller_id: int
    name: str
    counter: int
    stretch_s: float
    busy_share_hour: float


@dataclass(frozen=True)
class Alert:
    teller: TellerNow
    long_stretch: bool
    high_load: bool
    break_now: bool  # advised to take a break now
    level: float | None  # the predicted service level the advice was checked against


def overloaded(tellers: Sequence[TellerNow], limits: Limits) -> list[TellerNow]:
    """Overloaded tellers, longest stretch first (ties: higher load, then counter number)."""
    found = [
        t
        for t in tellers
        if t.stretch_s >= limits.max_stretch_min * 60 or t.busy_share_hour >= limits.max_busy_share
    ]
    return sorted(found, key=lambda t: (-t.stretch_s, -t.busy_share_hour, t.counter))


def advise(tellers: Sequence[TellerNow], limits: Limits, check: LevelCheck) -> list[Alert]:
    """An alert per overloaded teller, with the break advice checked by `check`."""
    closed: frozenset[int] = frozenset()
    alerts = []
    for teller in overloaded(tellers, limits):
        trial = closed | {teller.counter}
        level = check(trial)
        now = level is not None and level >= limits.target_level
        if now:
            closed = trial
        alerts.append(
            Alert(
                teller=teller,
                long_stretch=teller.stretch_s >= limits.max_stretch_min * 60,
                high_load=teller.busy_share_hour >= limits.max_busy_share,
                break_now=now,
                level=level,
            )
        )
    return alerts
