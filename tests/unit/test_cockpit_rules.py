"""The cockpit's pure rules: the mergeable wait histogram and its percentiles, one outlet-day
summed from its legs and counter events, levels, distance from target and alerts."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from manyi.cockpit.domain import day, histogram, levels, targets
from manyi.errors import InvalidInput

UTC = dt.UTC
T0 = dt.datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # 09:00 in Beijing


def test_buckets_and_exact_percentile() -> None:
    assert histogram.bucket_of(0) == 0 and histogram.bucket_of(60) == 0
    assert histogram.bucket_of(61) == 1 and histogram.bucket_of(900) == 11
    assert histogram.bucket_of(10**6) == histogram.BUCKETS - 1
    assert histogram.exact_percentile([5, 1, 3, 2, 4, 6, 7, 8, 9, 10], 0.9) == 9
    assert histogram.exact_percentile([], 0.9) is None


def test_histogram_percentile_is_within_one_bucket_of_the_exact_one() -> None:
    rng = random.Random(7)
    waits = [rng.expovariate(1 / 400) for _ in range(5000)]
    parts = [histogram.of_waits(waits[i::3]) for i in range(3)]
    merged = histogram.merge(parts)
    assert merged == histogram.of_waits(waits)  # merging is adding, bucket by bucket
    exact = histogram.exact_percentile(waits, 0.9)
    estimate = histogram.percentile(merged, 0.9)
    assert exact is not None and estimate is not None
    bucket = histogram.bucket_of(exact)
    low = 0 if bucket == 0 else histogram.EDGES_S[bucket - 1]
    assert low <= estimate <= histogram.EDGES_S[bucket]
    assert histogram.percentile([0] * histogram.BUCKETS, 0.9) is None
    overflow = [0] * histogram.BUCKETS
    overflow[-1] = 3
    assert histogram.percentile(overflow, 0.9) == histogram.EDGES_S[-1]


def leg(**kw: object) -> day.Leg:
    base: dict[str, object] = {
        "previous_id": None, "service_code": "A", "klass": "normal", "issued_at": T0,
        "first_called_at": T0 + dt.timedelta(minutes=10), "started_at": None,
        "finished_at": T0 + dt.timedelta(minutes=15), "outcome": "served",
    }  # fmt: skip
    base.update(kw)
    return day.Leg(**base)  # type: ignore[arg-type]


def test_a_visit_waits_once_and_legs_count_in_their_own_service() -> None:
    first = leg(outcome="transferred", finished_at=T0 + dt.timedelta(minutes=12))
    second = leg(
        previous_id=1,
        service_code="B",
        first_called_at=T0 + dt.timedelta(minutes=20),
        started_at=T0 + dt.timedelta(minutes=21),
        finished_at=T0 + dt.timedelta(minutes=31),
    )
    never = leg(
        first_called_at=None, finished_at=T0 + dt.timedelta(minutes=40), outcome="cancelled"
    )
    cells = day.cells([first, second, never], "Asia/Shanghai", 900)
    a, b = cells[(9, "A", "normal")], cells[(9, "B", "normal")]
    assert (a.issued, a.wait_n, a.wait_sum_s, a.transfers, a.cancellations) == (2, 1, 600, 1, 1)
    assert (a.service_n, a.service_sum_s) == (1, 120)  # called 10 min, transferred at 12
    assert (b.issued, b.wait_n, b.served, b.service_sum_s) == (0, 0, 1, 600)
    whole = day.total(cells.values())
    assert (whole.issued, whole.served, whole.waits) == (2, 1, [600])


def test_counter_open_time() -> None:
    start, end = T0 - dt.timedelta(hours=9), T0 + dt.timedelta(hours=15)
    events = [
        day.CounterEvent(1, "counter_opened", T0),
        day.CounterEvent(1, "counter_closed", T0 + dt.timedelta(hours=2)),
        day.CounterEvent(2, "counter_closed", T0 + dt.timedelta(hours=1)),  # open since before
        day.CounterEvent(3, "counter_opened", T0 + dt.timedelta(hours=3)),  # never closed
    ]
    last = T0 + dt.timedelta(hours=4)
    seconds = day.open_seconds(events, {2}, start, last)
    assert seconds == 2 * 3600 + 10 * 3600 + 3600
    assert day.open_seconds([], set(), start, end) is None


def test_levels() -> None:
    assert levels.child_level("head_office") == "tier1_branch"
    assert levels.child_level("outlet") is None
    with pytest.raises(ValueError, match="unknown level"):
        levels.child_level("counter")
    assert levels.child_path("/1/4/9/", "/1/") == "/1/4/"
    assert levels.child_path("/1/4/9/", "/1/4/9/") is None
    assert levels.child_path("/2/5/", "/1/") is None


def test_distance_from_target_and_alerts() -> None:
    goal = targets.Targets(alert_days=2)
    slow = targets.Figures(wait_mean_s=1080, service_level=0.72, abandonment=0.05)
    assert targets.distance(slow, goal) == pytest.approx(0.20)
    assert targets.worst_measure(slow, goal) == "wait_mean_s"
    good = targets.Figures(wait_mean_s=300, service_level=0.95, abandonment=0.02)
    assert targets.distance(good, goal) is not None and targets.distance(good, goal) < 0  # type: ignore[operator]
    assert targets.distance(targets.Figures(None, None, None), goal) is None
    d = dt.date(2026, 11, 27)
    days = {d: slow, d + dt.timedelta(days=2): slow}  # a closed day between does not break it
    assert targets.alerting(days, goal, d + dt.timedelta(days=2)) == [d, d + dt.timedelta(days=2)]
    days[d + dt.timedelta(days=3)] = good
    assert targets.alerting(days, goal, d + dt.timedelta(days=3)) is None
    assert targets.alerting({d: slow}, goal, d) is None  # one bad day is not a pattern


def test_totals_keep_missing_measures_apart_from_zero() -> None:
    from manyi.cockpit.domain.figures import Period, Totals

    a = Totals(sums={"issued": 10, "no_shows": 1, "cancellations": 1, "survey_n": None})
    b = Totals(sums={"issued": 0, "served": 0, "survey_n": 4, "survey_top": 3, "complaints": 0})
    assert a.satisfaction is None and a.complaint_rate is None and a.wait_mean_s is None
    a.add(b)
    assert a.get("survey_n") == 4 and a.satisfaction == 0.75 and a.abandonment == 0.2
    assert a.get("forms_saved") is None and a.complaints_per_outlet is None  # no outlets counted
    with pytest.raises(InvalidInput):
        Period(dt.date(2026, 1, 2), dt.date(2026, 1, 1))
    with pytest.raises(InvalidInput):
        Period(dt.date(2024, 1, 1), dt.date(2026, 12, 31))
    assert len(Period(dt.date(2026, 1, 30), dt.date(2026, 2, 2)).days()) == 4
