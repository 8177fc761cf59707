"""Flexible-counter advice: when to open a flexible counter or call in second-line
staff, and when to close one again. Pure rules; the lobby dashboard and the
simulator both call `advise`.

The rule looks at the predicted wait of a customer who takes a ticket now
(the worst service), the share of time the open counters were busy lately,
and what the outlet can still do:

* **open** a closed flexible counter when the predicted wait has been above
  `open_ratio × target` for `sustain_s` (or is far above the target), and a
  teller is free;
* **page** second-line staff in the same situation when no flexible counter
  is closed or nobody free may work one;
* **close** an open flexible counter when the predicted wait stays well below
  the target and the counters were mostly idle for `sustain_s`.

Hysteresis keeps the advice from flapping: once "open" is advised it stands
until the predicted wait falls under `clear_ratio × target`; "close" needs
the wait under `close_ratio × target` and utilisation under
`close_utilisation` for a sustained time.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field, replace


class Action(enum.StrEnum):
    NONE = "none"
    OPEN = "open_flexible"
    PAGE = "page_second_line"
    CLOSE = "close_flexible"
    SERVE = "open_for_service"  # customers wait for a service no open counter serves


@dataclass(frozen=True)
class AdviceRules:
    # Tuned in the simulator on scenarios/pension-day-flex.yaml (docs/forecast.md): acting
    # before the target is reached keeps the service level; closing once the wait is
    # half the target keeps counter-hours near what perfect foresight would use.
    target_wait_s: int = 600
    open_ratio: float = 0.8  # advise more capacity above this share of the target
    urgent_ratio: float = 1.5  # ... at once above this share
    clear_ratio: float = 0.6  # standing "open" advice ends below this share
    close_ratio: float = 0.5  # advise closing below this share ...
    close_utilisation: float = 0.7  # ... with the counters busy less than this
    sustain_s: int = 180  # how long a condition must hold


@dataclass(frozen=True)
class LobbyState:
    """What the rule sees at one moment."""

    now: dt.datetime
    predicted_wait_s: float  # for a ticket taken now, worst service
    utilisation: float  # busy share of the open counters, recent window
    closed_flexible: tuple[int, ...] = ()  # flexible counters that could open
    open_flexible: tuple[int, ...] = ()  # flexible counters now open and idle-able
    free_tellers: int = 0  # staff at the outlet who may work a counter and are not at one
    # Services with customers waiting that no open counter serves (their waits are in no
    # prediction: nobody will call them), how many wait for them, and a closed counter
    # configured for them, if any.
    unserved: tuple[str, ...] = ()
    unserved_waiting: int = 0
    unserved_counter: int | None = None


@dataclass(frozen=True)
class Advice:
    action: Action
    reason: str  # a message id with {params}; the dashboard translates it
    params: dict[str, object] = field(default_factory=dict)
    counter: int | None = None


@dataclass(frozen=True)
class Memory:
    """What the rule remembers between calls (hysteresis)."""

    high_since: dt.datetime | None = None
    low_since: dt.datetime | None = None
    standing: Action = Action.NONE


NO_ADVICE = Advice(Action.NONE, "")


def _(text: str) -> str:
    """Marks a message id for the catalogue; the dashboard translates it when shown."""
    return text


OPEN_REASON = _("Predicted wait {wait} min, target {target} min: open flexible counter {counter}.")
PAGE_REASON = _("Predicted wait {wait} min, target {target} min, no counter free: call in help.")
CLOSE_REASON = _("Counters busy {busy}% of the time, wait {wait} min: counter {counter} can close.")
SERVE_REASON = _(
    "{n} waiting for {services}, which no open counter serves: open counter {counter}."
)
SERVE_PAGE_REASON = _(
    "{n} waiting for {services}, which no open counter serves: call in a teller who can."
)


def advise(
    state: LobbyState, memory: Memory, rules: AdviceRules | None = None
) -> tuple[Advice, Memory]:
    """The advice for `state`, and the memory to pass to the next call."""
    rules = rules or AdviceRules()
    if state.unserved:
        # Nobody will call these customers: before any other advice, and at once.
        params: dict[str, object] = {
            "n": state.unserved_waiting,
            "services": " ".join(state.unserved),
        }
        if state.unserved_counter is not None:
            params["counter"] = state.unserved_counter
            served = Advice(Action.SERVE, SERVE_REASON, params, state.unserved_counter)
        else:
            served = Advice(Action.SERVE, SERVE_PAGE_REASON, params)
        return served, replace(memory, standing=Action.SERVE, high_since=None, low_since=None)
    target = rules.target_wait_s
    ratio = state.predicted_wait_s / target if target else 0.0
    high = ratio > rules.open_ratio or (
        memory.standing in (Action.OPEN, Action.PAGE) and ratio > rules.clear_ratio
    )
    low = ratio < rules.close_ratio and state.utilisation < rules.close_utilisation
    memory = replace(
        memory,
        high_since=(memory.high_since or state.now) if high else None,
        low_since=(memory.low_since or state.now) if low else None,
    )
    wait_min = round(state.predicted_wait_s / 60)
    target_min = round(target / 60)
    if high:
        held = (state.now - (memory.high_since or state.now)).total_seconds()
        if held >= rules.sustain_s or ratio >= rules.urgent_ratio:
            params = {"wait": wait_min, "target": target_min}
            if state.closed_flexible and state.free_tellers > 0:
                advice = Advice(
                    Action.OPEN,
                    OPEN_REASON,
                    {**params, "counter": state.closed_flexible[0]},
                    state.closed_flexible[0],
                )
            else:
                advice = Advice(Action.PAGE, PAGE_REASON, params)
            return advice, replace(memory, standing=advice.action)
        return NO_ADVICE, memory
    if low and state.open_flexible:
        held = (state.now - (memory.low_since or state.now)).total_seconds()
        if held >= rules.sustain_s:
            counter = state.open_flexible[-1]
            advice = Advice(
                Action.CLOSE,
                CLOSE_REASON,
                {"busy": round(state.utilisation * 100), "wait": wait_min, "counter": counter},
                counter,
            )
            return advice, replace(memory, standing=Action.CLOSE)
    return NO_ADVICE, replace(memory, standing=Action.NONE)
