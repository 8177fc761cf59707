"""Wait predictors on small hand-made logs, causality, and the synthetic benchmark."""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.forecast import synthetic
from manyi.forecast.evaluate import Prediction, evaluate, replay
from manyi.forecast.eventlog import Visit
from manyi.forecast.learned import CounterHabits, LearnedPredictor, WeightedRidge, slot_of
from manyi.forecast.predictors import (
    PREDICTORS,
    LesPredictor,
    QueuePredictor,
    V0Predictor,
    lobby_view,
)
from manyi.forecast.replay import Arrival, EventKind, WaitEvent, events_of
from manyi.lobby.domain.model import CounterState

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def visit(
    ticket_id: str,
    issued: float,
    called: float | None = None,
    finished: float | None = None,
    *,
    service: str = "A",
    klass: str = "normal",
    counter: str | None = None,
    outcome: str | None = None,
) -> Visit:
    """Times in minutes after T0; a visit never called is abandoned after two hours."""
    end = finished if finished is not None else (called + 5 if called is not None else 120)
    return Visit(
        ticket_id=ticket_id,
        outlet="OUT",
        service=service,
        priority_class=klass,
        issued_at=at(issued),
        called_at=None if called is None else at(called),
        finished_at=at(end),
        outcome=outcome or ("served" if called is not None else "abandoned"),
        counter=counter,
    )


def predicted(visits: list[Visit], ticket_id: str, name: str) -> int:
    found = [
        p.predicted_wait_s
        for p in replay(visits, {name: PREDICTORS[name]})
        if p.ticket_id == ticket_id
    ]
    assert len(found) == 1
    return int(found[0])


# --- LES --------------------------------------------------------------------------------


def test_les_takes_the_last_wait_of_the_same_service_and_class() -> None:
    log = [
        visit("a", 0, 5, counter="1"),  # waited 5 min
        visit("b", 2, 3, klass="vip", counter="2"),  # waited 1 min
        visit("x", 6),
        visit("y", 6, klass="vip"),
        visit("z", 6, klass="green"),  # no green yet: the service's last
        visit("w", 6, service="B"),  # no B yet: anyone's last
    ]
    assert predicted(log, "x", "les") == 300
    assert predicted(log, "y", "les") == 60
    assert predicted(log, "z", "les") == 300
    assert predicted(log, "w", "les") == 300


def test_les_prefers_a_fresh_wait_of_the_service_to_a_stale_one_of_the_class() -> None:
    log = [
        visit("a", 0, 5, counter="1"),  # normal, 5 min, called at 10:05
        visit("b", 29, 30, klass="vip", counter="1"),  # vip, 1 min, called at 10:30
        visit("x", 45),  # the last normal call is 40 min old
    ]
    assert predicted(log, "x", "les") == 60


def test_les_does_not_see_a_call_at_the_very_instant_of_issue() -> None:
    log = [visit("a", 0, 5, counter="1"), visit("x", 5)]
    assert predicted(log, "x", "les") == 0  # nothing was called strictly before
    assert predicted([*log, visit("y", 5.01)], "y", "les") == 300


# --- queue and v0 -----------------------------------------------------------------------


def busy_lobby() -> list[Visit]:
    """Counters 1 and 2 serve A; at 10:07 both are busy and three people wait."""
    return [
        visit("p1", 0, 0, 5, counter="1"),
        visit("p2", 0, 0, 5, counter="2"),
        visit("p3", 1, 5, 15, counter="1"),
        visit("p4", 1, 5, 15, counter="2"),
        visit("p5", 6, 15, 20, counter="1"),
        visit("p6", 6, 15, 20, counter="2"),
        visit("p7", 6, 20, 25, counter="1"),
        visit("x", 7),
    ]


def test_queue_counts_the_people_ahead_and_the_counters_serving() -> None:
    # Both busy: the first frees in one service time ÷ 2, then three ahead: (3 + 1) × 300 / 2.
    assert predicted(busy_lobby(), "x", "queue") == 600


def test_v0_is_the_lobbys_own_estimate_on_the_rebuilt_view() -> None:
    # QueueAheadEstimate: 3 ahead × 300 s ÷ 2 counters able to serve.
    assert predicted(busy_lobby(), "x", "v0") == 450
    predictor = V0Predictor()
    for event in events_of(busy_lobby()):
        if event.at < at(7):
            predictor.observe(event)
    view, probe = lobby_view(predictor.lobby, Arrival("x", "A", "normal", at(7)), at(7))
    assert [c.state for c in view.counters] == [CounterState.SERVING, CounterState.SERVING]
    assert len(view.competitors(probe)) == 3
    assert view.service_time_s(probe.service_code) == 300


def test_queue_is_zero_when_a_working_counter_is_free() -> None:
    log = [visit("p1", 0, 0, 5, counter="1"), visit("x", 8)]
    assert predicted(log, "x", "queue") == 0
    assert predicted(log, "x", "v0") == 0


def test_queue_leaves_out_counters_that_stopped_calling() -> None:
    log = [
        visit("p1", 0, 0, 5, counter="1"),
        visit("p2", 0, 0, 5, counter="3"),  # counter 3 then goes away
        visit("p3", 25, 25, 35, counter="1"),
        visit("p4", 26, 36, 41, counter="1"),
        visit("x", 30),
    ]
    # At 10:30 only counter 1 works (3 last called 30 min ago): (1 + 1) × 300 / 1.
    assert predicted(log, "x", "queue") == 600


def test_queue_shares_a_line_that_other_counters_also_take() -> None:
    log = [
        visit("a0", -20, -20, -10, counter="1"),  # counter 1 serves A (10 min)
        visit("b0", -20, -20, -10, service="B", counter="2"),  # counter 2 serves B …
        visit("a1", -9, 0, 10, counter="1"),
        visit("a2", -9, 0, 10, counter="2"),  # … and A
        visit("a3", 1, 10, counter="1"),
        visit("a4", 1, 10, counter="2"),
        visit("b1", 1, 20, service="B", counter="2"),
        visit("b2", 1, 20, service="B", counter="2"),
        visit("x", 2, service="B"),
    ]
    # x (B) is served by counter 2 alone, which is busy. Ahead: the two B, and half of the
    # A line, which counter 1 also takes: (2 + 1 + 1) × 600 s / 1 counter.
    assert predicted(log, "x", "queue") == 2400
    # v0 counts the whole A line: 4 ahead × 600 s / 1 counter.
    assert predicted(log, "x", "v0") == 2400
    assert predicted([v for v in log if v.ticket_id != "a4"], "x", "v0") == 1800
    assert predicted([v for v in log if v.ticket_id != "a4"], "x", "queue") == 2100


def test_a_service_never_served_has_its_own_line_on_one_counter() -> None:
    log = [visit("c1", 0, service="C"), visit("c2", 1, service="C"), visit("x", 2, service="C")]
    assert predicted(log, "x", "queue") == 600  # 2 ahead × the default 300 s
    assert predicted(log, "x", "v0") == 600


# --- learned --------------------------------------------------------------------------


def test_learned_uses_the_queue_estimate_until_it_has_history() -> None:
    log = busy_lobby()
    assert predicted(log, "x", "learned") == predicted(log, "x", "queue")


def test_weighted_ridge_finds_a_linear_rule() -> None:
    model = WeightedRidge(2)
    prior = (0.0, 1.0)
    for i in range(400):
        x = 5 + (i * 7) % 25  # minutes
        model.learn((1.0, x), 3.0 * x, prior)
    _, slope = model.weights(prior)
    assert slope == pytest.approx(3.0, rel=0.05)
    assert model.predict((1.0, 20.0), prior) == pytest.approx(60.0, rel=0.03)


def test_counter_habits_foresee_a_lunch_break() -> None:
    """Counter 2 leaves at 11:30 every day; counter 1 stays."""
    habits = CounterHabits()
    for day in range(3):
        for minute in range(0, 150, 5):  # 10:00 to 12:30
            when = T0 + dt.timedelta(days=day, minutes=minute)
            for counter in ("1", "2") if minute < 90 else ("1",):
                call = WaitEvent(
                    EventKind.CALLED,
                    when,
                    f"{day}.{minute}.{counter}",
                    "A",
                    "normal",
                    counter=counter,
                )
                habits.observe(call, ())
    eleven = T0 + dt.timedelta(days=3, minutes=60)  # 11:00 on the fourth day
    assert habits.expected(["1", "2"], slot_of(eleven)[1]) == pytest.approx(2.0)
    assert habits.expected(["1", "2"], slot_of(eleven)[1] + 2) == pytest.approx(1.0)
    # Two counters until 11:30 do 60 counter-minutes; after that only one works.
    assert habits.drain_s(60 * 60, 2, ["1", "2"], eleven) == pytest.approx(30 * 60)
    assert habits.drain_s(90 * 60, 2, ["1", "2"], eleven) == pytest.approx(60 * 60)


# --- causality ------------------------------------------------------------------------


@cache
def causal_log() -> tuple[Visit, ...]:
    return tuple(synthetic.generate(seed=5, days=2))


@cache
def baseline() -> dict[tuple[str, str], int]:
    return _by_ticket(replay(causal_log(), PREDICTORS))


def _by_ticket(predictions: list[Prediction]) -> dict[tuple[str, str], int]:
    return {(p.ticket_id, p.predictor): p.predicted_wait_s for p in predictions}


MUTATIONS = ("remove", "service", "class", "counter", "outcome", "called", "issued")


def mutate(v: Visit, how: str, cutoff: dt.datetime, shift_s: int) -> Visit | None:
    shift = dt.timedelta(seconds=shift_s)
    if how == "remove":
        return None
    if how == "service":
        return dataclasses.replace(v, service="A" if v.service != "A" else "V")
    if how == "class":
        return dataclasses.replace(v, priority_class="green")
    if how == "counter":
        return dataclasses.replace(v, counter="9", called_at=v.called_at or v.issued_at)
    if how == "outcome":
        return dataclasses.replace(v, outcome="abandoned", called_at=None, counter=None)
    if how == "called":
        called = (v.called_at or v.issued_at) + shift
        return dataclasses.replace(
            v, called_at=called, counter=v.counter or "1", finished_at=called + shift
        )
    # Issued elsewhere, but still after the cutoff.
    issued = max(cutoff + dt.timedelta(seconds=1), v.issued_at - shift)
    return dataclasses.replace(v, issued_at=issued)


@settings(max_examples=12, deadline=None)
@given(
    cut=st.integers(30, 600),
    changes=st.lists(
        st.tuples(
            # Mostly rows just after the cutoff, where a leak would show; some far later.
            st.one_of(st.integers(0, 12), st.integers(0, 2000)),
            st.sampled_from(MUTATIONS),
            st.integers(1, 3600),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_changing_later_rows_changes_no_earlier_prediction(
    cut: int, changes: list[tuple[int, str, int]]
) -> None:
    log = list(causal_log())
    cutoff = log[cut].issued_at
    later = [i for i, v in enumerate(log) if v.issued_at > cutoff]
    edits: dict[int, Visit | None] = {}
    for offset, how, shift in changes:
        i = later[offset % len(later)]
        edits[i] = mutate(log[i], how, cutoff, shift)
    changed = [edits.get(i, v) for i, v in enumerate(log)]
    after = _by_ticket(replay([v for v in changed if v is not None], PREDICTORS))
    before = baseline()
    earlier = [v.ticket_id for v in log if v.issued_at <= cutoff]
    assert len(earlier) > cut
    for ticket_id in earlier:
        for name in PREDICTORS:
            assert after[ticket_id, name] == before[ticket_id, name], (ticket_id, name)


# --- synthetic benchmark --------------------------------------------------------------


def test_synthetic_log_is_deterministic_and_varied() -> None:
    one = synthetic.generate(seed=7, days=1)
    assert one == synthetic.generate(seed=7, days=1)
    assert one != synthetic.generate(seed=8, days=1)
    assert {v.service for v in one} == {"A", "B", "C", "K", "V"}
    assert {v.priority_class for v in one} == {"normal", "green", "vip", "appointment"}
    assert {v.outcome for v in one} >= {"served", "abandoned", "no_show"}
    assert len({v.counter for v in one if v.counter}) >= 6


def test_learned_beats_the_others_on_a_realistic_log() -> None:
    result = evaluate(synthetic.generate(seed=1, days=5), PREDICTORS)
    for name, s in result.scores.items():
        print(f"{name:8} n={s.n} MAE={s.mae_s:.1f} RMSE={s.rmse_s:.1f} ±2min={s.within_2min:.3f}")
    mae = {name: s.mae_s for name, s in result.scores.items()}
    assert result.best == "learned"
    for other in ("v0", "les", "queue"):
        assert mae["learned"] is not None and mae[other] is not None
        assert mae["learned"] < 0.85 * mae[other], other


def test_each_predictor_keeps_to_the_interface() -> None:
    for name, make in PREDICTORS.items():
        predictor = make()
        assert predictor.name == name
    assert isinstance(PREDICTORS["les"](), LesPredictor)
    assert isinstance(PREDICTORS["queue"](), QueuePredictor)
    assert isinstance(PREDICTORS["learned"](), LearnedPredictor)
