"""The emerging-issue detector on synthetic weekly counts: no false alarms beyond the stated
rate on stable Poisson noise (measured over many simulated weeks, fixed seed), a jump detected,
small counts never alarming, over-dispersed baselines judged by the negative binomial."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from manyi.insight.domain import detector
from manyi.insight.domain.detector import Case, Thresholds, assess, detect, detection_unit

WEEK = dt.date(2026, 11, 23)  # a Monday


def false_alarm_rate(mean: float, weeks: int, seed: int) -> float:
    """Alarms per series-week on a stable Poisson series with this weekly mean."""
    rng = np.random.default_rng(seed)
    series = rng.poisson(mean, size=weeks + 12)
    alarms = sum(
        assess(series[i - 12 : i].tolist(), int(series[i])).alarm for i in range(12, len(series))
    )
    return alarms / weeks


@pytest.mark.parametrize("mean", [0.2, 1.0, 3.0, 8.0])
def test_stable_poisson_noise_rarely_alarms(mean: float) -> None:
    # 5,000 simulated weeks per mean (the nominal one-sided level is 0.5 %, the minimum of 3
    # cases keeps low means well under it; the baseline estimated from 12 weeks widens the real
    # rate a little). Measured over 20,000 weeks with seed 19 (docs/complaints.md): 0.085 %
    # (mean 0.2), 0.35 % (1.0), 0.40 % (3.0), 0.46 % (8.0). Bound here: under 1 %.
    rate = false_alarm_rate(mean, 5_000, seed=19)
    assert rate < 0.01


def test_a_jump_is_detected() -> None:
    rng = np.random.default_rng(7)
    history = rng.poisson(1.5, size=12).tolist()
    result = assess(history, 9)
    assert result.alarm and result.method == "poisson" and result.p_value < 0.005
    # A jump to four times the level (4 → 16 a week) is found about nine times in ten
    # (measured 0.894 over 500 trials; 3.5 times, 4 → 14, 0.78).
    found = 0
    for i in range(200):
        base = np.random.default_rng(100 + i).poisson(4.0, size=12).tolist()
        jump = int(np.random.default_rng(1000 + i).poisson(16.0))
        found += assess(base, jump).alarm
    assert found / 200 > 0.8


def test_small_counts_never_alarm_and_a_quiet_series_judges_its_first_cases() -> None:
    quiet = [0] * 12
    assert not assess(quiet, 1).alarm
    assert not assess(quiet, 2).alarm  # below the minimum of 3 cases, whatever the p-value
    first = assess(quiet, 3)
    assert first.alarm and first.expected == pytest.approx(0.5 / 12)
    assert not assess([0] * 5, 6).alarm  # too short a history: no judgement yet
    assert assess([0] * 5, 6).p_value == 1.0
    assert not assess([2] * 12, 0).alarm


def test_an_overdispersed_baseline_uses_the_negative_binomial() -> None:
    bursty = [0, 0, 9, 0, 1, 0, 8, 0, 0, 7, 0, 1]
    assert detector.overdispersed(bursty)
    result = assess(bursty, 9)
    poisson = assess([2] * 12, 9)
    assert result.method == "negbin" and not result.alarm  # bursts are this series' normal
    assert poisson.method == "poisson" and poisson.alarm


def test_counts_per_category_and_unit_and_the_cases_behind_an_alert() -> None:
    cases = [Case(i, "fees", 9, WEEK - dt.timedelta(weeks=1 + i % 12)) for i in range(12)]
    cases += [Case(100 + i, "fees", 9, WEEK + dt.timedelta(days=i)) for i in range(5)]
    cases += [Case(200 + i, "attitude", 9, WEEK + dt.timedelta(days=i)) for i in range(2)]
    cases += [Case(300, "fees", 10, WEEK)]
    alerts = detect(cases, WEEK)
    assert [(a.category, a.unit_id, a.week) for a in alerts] == [("fees", 9, WEEK)]
    assert alerts[0].case_ids == (100, 101, 102, 103, 104)
    assert alerts[0].assessment.count == 5 and alerts[0].assessment.expected == pytest.approx(
        12.5 / 12
    )
    assert detect(cases, WEEK - dt.timedelta(weeks=1)) == []
    with pytest.raises(ValueError):
        detect(cases, WEEK + dt.timedelta(days=1))  # not a Monday


def test_the_unit_a_case_counts_for() -> None:
    assert detection_unit("/1/4/9/23/") == 9  # an outlet: its tier-2 branch
    assert detection_unit("/1/4/9/") == 9  # a tier-2 branch itself
    assert detection_unit("/1/4/") == 4  # kept at a tier-1 branch
    assert detection_unit("/1/") == 1
    assert detection_unit("") is None


def test_thresholds_can_be_tightened() -> None:
    strict = Thresholds(alpha=0.0001, min_cases=5)
    assert assess([1] * 12, 5).alarm and not assess([1] * 12, 5, strict).alarm
