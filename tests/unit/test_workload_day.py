"""A teller's day figures, fairness, break advice and the pulse report's threshold (pure)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyi.errors import InvalidInput
from manyi.workload.domain import advice, day, fairness, pulse

T0 = dt.datetime(2026, 3, 2, 0, 30, tzinfo=dt.UTC)  # 08:30 in Shanghai


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_a_short_pause_does_not_end_a_stretch_and_a_long_one_does() -> None:
    # Signed on 08:30–12:10 with a pause at 10:00: 5 minutes, then 15 minutes.
    short = [(at(0), at(90)), (at(95), at(220))]
    long = [(at(0), at(90)), (at(105), at(220))]
    f = day.figures(short, [], now=at(300), closes_at=None, break_min=10)
    assert (f.longest_stretch_s, f.breaks, f.on_duty_s) == (220 * 60, 0, 215 * 60)
    f = day.figures(long, [], now=at(300), closes_at=None, break_min=10)
    assert (f.longest_stretch_s, f.breaks) == (115 * 60, 1)


def test_busy_time_counts_overlapping_servings_once_and_weights_add_up() -> None:
    servings = [
        day.Serving(at(0), at(10), weight=2.0),
        day.Serving(at(5), at(20), weight=1.5, difficult=True),
        day.Serving(at(30), None),  # still serving at now
    ]
    f = day.figures([(at(0), at(60))], servings, now=at(40), closes_at=None, break_min=10)
    assert f.busy_s == (20 + 10) * 60
    assert (f.served, f.weighted, f.difficult) == (2, 3.5, 1)
    assert f.difficult_share == 0.5
    assert f.on_duty_s == 40 * 60  # the interval ends at now


def test_complaints_add_difficult_cases_but_never_more_than_served() -> None:
    servings = [day.Serving(at(0), at(10))]
    f = day.figures([(at(0), at(60))], servings, now=at(60), closes_at=None, break_min=10,
                    complaints=3)  # fmt: skip
    assert (f.difficult, f.difficult_share) == (1, 1.0)
    nobody = day.figures([], [], now=at(60), closes_at=None, break_min=10, complaints=1)
    assert nobody.difficult_share is None and nobody.busy_share is None


def test_overtime_is_time_on_duty_or_serving_after_closing() -> None:
    closes = at(480)  # 16:30
    duty = [(at(0), at(500))]
    servings = [day.Serving(at(495), at(510))]  # served past sign-off
    f = day.figures(duty, servings, now=at(600), closes_at=closes, break_min=10)
    assert f.overtime_s == 30 * 60
    assert day.figures(duty, servings, now=at(600), closes_at=None, break_min=10).overtime_s == 0


def test_the_current_stretch_is_since_the_last_break_and_zero_off_duty() -> None:
    duty = [(at(0), at(60)), (at(80), at(200))]
    assert day.current_stretch_s(duty, at(150), break_min=10) == 70 * 60
    assert day.current_stretch_s(duty, at(250), break_min=10) == 0
    assert day.busy_share_since([day.Serving(at(0), at(30))], at(0), at(60)) == 0.5


spans = st.lists(
    st.tuples(st.integers(0, 600), st.integers(1, 120)).map(lambda p: (at(p[0]), at(p[0] + p[1]))),
    max_size=12,
)


@given(spans, st.integers(1, 60))
def test_stretches_and_breaks_are_consistent(duty: list[day.Span], break_min: int) -> None:
    f = day.figures(duty, [], now=at(1000), closes_at=None, break_min=break_min)
    parts = day.stretches(duty, break_min)
    assert f.breaks == max(len(parts) - 1, 0)
    # The stretches cover all time on duty and the short gaps; never less than the longest span.
    assert sum((e - s).total_seconds() for s, e in parts) >= f.on_duty_s
    longest_span = max(((e - s).total_seconds() for s, e in duty), default=0.0)
    assert f.longest_stretch_s >= longest_span
    # A longer break threshold never makes more breaks.
    assert day.figures(duty, [], now=at(1000), closes_at=None, break_min=break_min + 30).breaks <= (
        f.breaks
    )


# Weighted served per hour: 0, or at least a hundredth (no subnormal floats to underflow).
loads = st.lists(st.just(0.0) | st.floats(0.01, 100), min_size=2, max_size=20)


@given(loads, st.floats(0.1, 50), st.randoms())
def test_gini_is_bounded_scale_free_and_order_free(
    xs: list[float], k: float, rnd: random.Random
) -> None:
    g = fairness.gini(xs)
    if sum(xs) <= 0:
        assert g is None
        return
    assert g is not None and 0 <= g <= 1 - 1 / len(xs) + 1e-9
    assert fairness.gini([x * k for x in xs]) == pytest.approx(g, abs=1e-9)
    shuffled = list(xs)
    rnd.shuffle(shuffled)
    assert fairness.gini(shuffled) == pytest.approx(g, abs=1e-9)


def test_gini_and_cv_on_known_loads() -> None:
    assert fairness.gini([5, 5, 5]) == 0
    assert fairness.gini([0, 0, 0, 12]) == pytest.approx(0.75)  # one carries it all: 1 − 1/4
    assert fairness.gini([4]) is None
    assert fairness.coefficient_of_variation([2, 4]) == pytest.approx(1 / 3)
    assert fairness.coefficient_of_variation([0, 0]) is None


def teller(tid: int, counter: int, stretch_min: float, busy: float = 0.5) -> advice.TellerNow:
    return advice.TellerNow(tid, f"t{tid}", counter, stretch_min * 60, busy)


def test_break_advice_keeps_the_service_level_longest_stretch_first() -> None:
    tellers = [teller(1, 1, 150), teller(3, 3, 130), teller(2, 2, 30), teller(4, 4, 20, 0.95)]
    levels = {frozenset({1}): 0.86, frozenset({1, 3}): 0.71, frozenset({1, 4}): 0.82}
    asked: list[frozenset[int]] = []

    def check(closed: frozenset[int]) -> float | None:
        asked.append(closed)
        return levels.get(closed)

    alerts = advice.advise(tellers, advice.Limits(120, 0.9, 0.8), check)
    got = [(a.teller.counter, a.long_stretch, a.high_load, a.break_now) for a in alerts]
    assert got == [(1, True, False, True), (3, True, False, False), (4, False, True, True)]
    assert asked == [frozenset({1}), frozenset({1, 3}), frozenset({1, 4})]


def test_no_advice_when_the_level_cannot_be_predicted() -> None:
    alerts = advice.advise([teller(1, 1, 200)], advice.Limits(), lambda closed: None)
    assert [(a.break_now, a.level) for a in alerts] == [(False, None)]
    assert advice.advise([teller(1, 1, 10)], advice.Limits(), lambda c: 1.0) == []


def group(key: str, n: int, score: int = 3) -> pulse.Group:
    return pulse.Group(key, key, n, {q: score * n for q in pulse.QUESTIONS})


def test_pulse_report_never_shows_fewer_than_five() -> None:
    r = pulse.report([group("A", 6, 4), group("B", 2), group("C", 2)], pooled_name="o",
                     total_name="t")  # fmt: skip
    assert [(row.key, row.respondents, row.means["support"]) for row in r.rows] == [("A", 6, 4.0)]
    assert r.pooled is None and r.hidden_groups == 2
    assert r.total is None  # total minus A would reveal B and C together (4 people)
    r = pulse.report([group("A", 6, 4), group("B", 3), group("C", 2)], pooled_name="o",
                     total_name="t")  # fmt: skip
    assert r.pooled is not None and r.pooled.respondents == 5 and r.hidden_groups == 0
    assert r.total is not None and r.total.means["workload"] == round((24 + 15) / 11, 2)
    r = pulse.report([group("A", 4)], pooled_name="o", total_name="t")
    assert (r.rows, r.pooled, r.total, r.hidden_groups) == ((), None, None, 1)


@given(st.lists(st.integers(0, 12), max_size=8))
def test_every_shown_figure_covers_five_or_more(sizes: list[int]) -> None:
    groups = [group(f"U{i}", n) for i, n in enumerate(sizes)]
    r = pulse.report(groups, pooled_name="o", total_name="t")
    shown = [*r.rows, *([r.pooled] if r.pooled else []), *([r.total] if r.total else [])]
    assert all(s.respondents >= pulse.MIN_GROUP for s in shown)
    if r.total is not None:  # what the total and the rows leave is itself five or more, or none
        rest = r.total.respondents - sum(s.respondents for s in r.rows)
        assert rest == 0 or rest >= pulse.MIN_GROUP


def test_a_pulse_answer_is_checked_naming_the_question() -> None:
    good = pulse.parse_answer({"workload": "2", "support": "5", "pressure": "1", "comment": " ok "})
    assert good.scores == {"workload": 2, "support": 5, "pressure": 1} and good.comment == "ok"
    with pytest.raises(InvalidInput) as refused:
        pulse.parse_answer({"workload": "2", "support": "6", "pressure": "1"})
    assert refused.value.field == "support"
    with pytest.raises(InvalidInput):
        pulse.parse_answer({"workload": "2", "support": "3", "pressure": "1", "comment": "x" * 501})
