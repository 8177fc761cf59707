"""Flexible-counter advice: sustained, urgent, hysteresis, paging, closing."""

from __future__ import annotations

import datetime as dt

from manyi.forecast.advice import Action, AdviceRules, LobbyState, Memory, advise

T0 = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)
RULES = AdviceRules(target_wait_s=600, sustain_s=300)


def run(waits: list[float], **state: object) -> list[Action]:
    """Advice once a minute for the predicted waits given."""
    memory = Memory()
    actions = []
    for minute, wait in enumerate(waits):
        fields: dict[str, object] = {
            "utilisation": 0.9,
            "closed_flexible": (8,),
            "free_tellers": 1,
            **state,
        }
        now = T0 + dt.timedelta(minutes=minute)
        advice, memory = advise(
            LobbyState(now=now, predicted_wait_s=wait, **fields),  # type: ignore[arg-type]
            memory,
            RULES,
        )
        actions.append(advice.action)
    return actions


def test_open_only_after_the_wait_stays_above_target() -> None:
    actions = run([700] * 7)
    assert actions[:5] == [Action.NONE] * 5
    assert actions[5:] == [Action.OPEN, Action.OPEN]


def test_far_above_target_is_advised_at_once_with_the_counter() -> None:
    memory = Memory()
    advice, _ = advise(
        LobbyState(T0, 1000, 0.95, closed_flexible=(8,), free_tellers=2), memory, RULES
    )
    assert advice.action is Action.OPEN and advice.counter == 8
    assert advice.params == {"wait": 17, "target": 10, "counter": 8}


def test_no_flapping_around_the_target() -> None:
    # Above target long enough to advise, then hovering just under it: the advice stands.
    actions = run([700] * 6 + [560, 620, 450, 590])
    assert actions[5:] == [Action.OPEN] * 5
    # Well under the target: the advice clears.
    assert run([700] * 6 + [200])[-1] is Action.NONE


def test_brief_spikes_do_not_trigger() -> None:
    assert Action.OPEN not in run([700, 700, 300, 700, 700, 300, 700, 700])


def test_page_when_no_flexible_counter_can_open() -> None:
    assert run([1000], closed_flexible=())[-1] is Action.PAGE
    assert run([1000], free_tellers=0)[-1] is Action.PAGE


def test_close_a_flexible_counter_when_idle_for_long() -> None:
    quiet = {"utilisation": 0.2, "closed_flexible": (), "open_flexible": (7, 8)}
    # (sustain 300 s in these tests: five quiet minutes before "close")
    actions = run([60] * 7, **quiet)
    assert actions[:5] == [Action.NONE] * 5 and actions[5] is Action.CLOSE
    memory = Memory()
    for minute in range(6):
        advice, memory = advise(
            LobbyState(T0 + dt.timedelta(minutes=minute), 60, 0.2, open_flexible=(7, 8)),
            memory,
            RULES,
        )
    assert advice.counter == 8
    assert run([60] * 7, utilisation=0.2, open_flexible=())[-1] is Action.NONE
    assert run([60] * 7, utilisation=0.8, open_flexible=(8,))[-1] is Action.NONE


def test_customers_waiting_for_a_service_nobody_serves_are_advised_at_once() -> None:
    state = LobbyState(
        now=T0,
        predicted_wait_s=0,  # the served services are quiet: no other advice would be given
        utilisation=0.1,
        unserved=("C",),
        unserved_waiting=2,
        unserved_counter=5,
    )
    advice, memory = advise(state, Memory(), RULES)
    assert (advice.action, advice.counter) == (Action.SERVE, 5)
    assert advice.params == {"n": 2, "services": "C", "counter": 5}
    assert memory.standing is Action.SERVE
    # No closed counter is configured for it (the open one lacks a teller with the skill).
    advice, _ = advise(
        LobbyState(
            now=T0, predicted_wait_s=0, utilisation=0.1, unserved=("C",), unserved_waiting=1
        ),
        Memory(),
        RULES,
    )
    assert advice.action is Action.SERVE and advice.counter is None
    assert "call in a teller" in advice.reason
