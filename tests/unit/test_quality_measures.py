"""The satisfaction measures and their intervals, against published and independent values."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest
from scipy.stats import t as student_t

from manyi.quality.domain import measures
from manyi.quality.domain.aggregate import FIELDS, Aggregate
from manyi.quality.domain.measures import (
    SMALL_SAMPLE_N,
    csat_change,
    csat_share,
    mean,
    newcombe,
    nps,
    nps_change,
    wilson,
)


def rounded(interval: measures.Interval, digits: int = 4) -> tuple[float, float]:
    return round(interval.low, digits), round(interval.high, digits)


def test_wilson_of_8_of_10() -> None:
    # Worked by hand: centre (0.8 + 1.9208/10) / 1.38415 = 0.71672, half-width 0.22660.
    assert rounded(wilson(8, 10)) == (0.4902, 0.9433)


@pytest.mark.parametrize(("x", "n"), [(0, 1), (1, 1), (0, 10), (3, 10), (10, 10), (81, 95)])
def test_wilson_agrees_with_scipy(x: int, n: int) -> None:
    ours = wilson(x, n)
    theirs = binomtest(x, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert math.isclose(ours.low, theirs.low, abs_tol=1e-12)
    assert math.isclose(ours.high, theirs.high, abs_tol=1e-12)


def test_wilson_stays_inside_zero_and_one_where_wald_does_not() -> None:
    assert wilson(0, 10).low == 0.0 and wilson(10, 10).high == 1.0
    assert wilson(1, 10).low > 0  # Wald would give 0.1 − 0.186 < 0


# Newcombe (1998), Statistics in Medicine 17:873–890, table II, method 10.
NEWCOMBE = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0)),
    ((10, 10, 0, 10), (0.6075, 1.0)),
]


@pytest.mark.parametrize(("counts", "expected"), NEWCOMBE)
def test_newcombe_hybrid_score_interval_matches_the_published_table(
    counts: tuple[int, int, int, int], expected: tuple[float, float]
) -> None:
    assert rounded(newcombe(*counts)) == expected


def test_csat_change_is_after_minus_before_and_flags_significance() -> None:
    change = csat_change(before=(48, 80), after=(56, 70))
    assert change is not None
    assert math.isclose(change.difference, 0.2)
    assert rounded(change.ci95) == (0.0524, 0.3339)
    assert change.significant and not change.small
    noise = csat_change(before=(7, 10), after=(8, 10))
    assert noise is not None and not noise.significant and noise.small
    assert csat_change(before=(0, 0), after=(3, 4)) is None


def test_csat_share_and_its_small_sample_flag() -> None:
    assert csat_share(0, 0) is None
    few = csat_share(8, 10)
    assert few is not None and few.value == 0.8 and few.small
    many = csat_share(24, SMALL_SAMPLE_N)
    assert many is not None and not many.small


def test_nps_value_and_multinomial_interval() -> None:
    # 5 promoters, 3 passives, 2 detractors: NPS 30. The variance is estimated with one
    # pseudo-answer per category: 6, 4, 3 of 13 → 6/13 + 3/13 − (3/13)².
    estimate = nps(5, 2, 10)
    assert estimate is not None and estimate.value == 30.0
    variance = 9 / 13 - (3 / 13) ** 2
    half = 100 * measures.Z95 * math.sqrt(variance / 10)
    assert estimate.ci95 is not None
    assert math.isclose(estimate.ci95.low, 30 - half) and math.isclose(
        estimate.ci95.high, 30 + half
    )
    assert rounded(estimate.ci95, 2) == (-19.55, 79.55)


def test_nps_all_in_one_category_still_has_a_width() -> None:
    """3 promoters and nothing else: the plain multinomial variance is 0 and gave [100, 100];
    the adjusted variance keeps an honest width (and the value stays the observed 100)."""
    for pro, det, n in ((3, 0, 3), (0, 3, 3), (0, 0, 3), (1, 0, 1)):
        estimate = nps(pro, det, n)
        assert estimate is not None and estimate.ci95 is not None
        assert estimate.value == 100 * (pro - det) / n
        assert estimate.ci95.high - estimate.ci95.low > 50, (pro, det, n)
        assert estimate.ci95.low <= estimate.value <= estimate.ci95.high
    top = nps(3, 0, 3)
    assert top is not None and top.ci95 is not None
    assert top.ci95.high == 100 and rounded(top.ci95, 1)[0] == 13.6
    # With many answers the adjustment hardly moves the interval.
    big = nps(400, 100, 1000)
    assert big is not None and big.ci95 is not None
    plain = 100 * measures.Z95 * math.sqrt((0.5 - 0.3**2) / 1000)
    assert math.isclose(big.ci95.high - 30, plain, rel_tol=0.01)


def test_nps_interval_is_clipped_to_its_scale() -> None:
    estimate = nps(3, 0, 4)  # 75, a wide interval past 100
    assert estimate is not None and estimate.ci95 is not None
    assert estimate.ci95.high == 100 and estimate.ci95.low < 75
    assert nps(0, 0, 0) is None
    with pytest.raises(ValueError):
        nps(3, 2, 4)


def test_nps_variance_is_that_of_the_plus_one_zero_minus_one_score() -> None:
    """The multinomial variance is the variance of the ±1/0 score: check it on a sample."""
    rng = random.Random(17)
    scores = [rng.choice([1, 1, 1, 0, 0, -1]) for _ in range(20_000)]
    pro, det = scores.count(1), scores.count(-1)
    n = len(scores)
    m = sum(scores) / n
    sample_var = sum((s - m) ** 2 for s in scores) / n
    assert math.isclose(
        sample_var, measures._nps_variance(pro, det, n), rel_tol=1e-9
    )  # the same quantity, not an approximation


def test_nps_change_sums_the_variances() -> None:
    change = nps_change(before=(40, 30, 100), after=(60, 20, 100))
    assert change is not None and math.isclose(change.difference, 30.0)
    # Each period's variance with one pseudo-answer per category, as `nps` (41/103, 31/103 …).
    var0 = (41 / 103 + 31 / 103 - (10 / 103) ** 2) / 100
    var1 = (61 / 103 + 21 / 103 - (40 / 103) ** 2) / 100
    half = 100 * measures.Z95 * math.sqrt(var0 + var1)
    assert math.isclose(change.ci95.low, 30 - half) and math.isclose(change.ci95.high, 30 + half)
    assert change.significant
    flat = nps_change(before=(40, 30, 100), after=(42, 30, 100))
    assert flat is not None and not flat.significant


def test_an_nps_change_between_two_one_category_samples_is_not_a_certainty() -> None:
    """All promoters before and after: a difference of exactly 0, but not with zero width; and
    all detractors to all promoters with 3 answers each is wide, not a sure +200."""
    same = nps_change(before=(3, 0, 3), after=(3, 0, 3))
    assert same is not None and same.difference == 0
    assert same.ci95.low < -10 and same.ci95.high > 10 and not same.significant
    swing = nps_change(before=(0, 3, 3), after=(3, 0, 3))
    assert swing is not None and swing.ci95.high - swing.ci95.low > 50


def test_mean_with_a_t_interval_from_sums() -> None:
    scores = [2, 3, 3, 4, 6]
    estimate = mean(len(scores), sum(scores), sum(s * s for s in scores), measures.CES_SCALE)
    assert estimate is not None and estimate.value == 3.6
    sd = math.sqrt(sum((s - 3.6) ** 2 for s in scores) / 4)
    half = student_t.ppf(0.975, 4) * sd / math.sqrt(5)
    assert estimate.ci95 is not None
    assert math.isclose(estimate.ci95.low, 3.6 - half) and math.isclose(
        estimate.ci95.high, 3.6 + half
    )
    one = mean(1, 4, 16, measures.CES_SCALE)
    assert one is not None and one.value == 4 and one.ci95 is None
    assert mean(0, 0, 0, measures.CES_SCALE) is None
    wide = mean(2, 2, 2, measures.CSAT_SCALE)  # 1 and 1: no spread, a point
    assert wide is not None and wide.ci95 == measures.Interval(1.0, 1.0)
    clipped = mean(2, 6, 26, measures.CSAT_SCALE)  # 1 and 5: t(1) is 12.7, clipped to 1..5
    assert clipped is not None and clipped.ci95 == measures.Interval(1.0, 5.0)


def test_aggregate_of_one_response_and_its_scales() -> None:
    one = Aggregate.of(csat=4, nps=6, ces=None)
    assert one.as_dict() == {
        "responses": 1,
        "csat_n": 1,
        "csat_top2": 1,
        "csat_sum": 4,
        "csat_sumsq": 16,
        "nps_n": 1,
        "nps_pro": 0,
        "nps_det": 1,
        "ces_n": 0,
        "ces_sum": 0,
        "ces_sumsq": 0,
    }
    for bad in ({"csat": 0}, {"csat": 6}, {"nps": 11}, {"nps": -1}, {"ces": 8}, {"ces": 0}):
        with pytest.raises(ValueError):
            Aggregate.of(**{"csat": None, "nps": None, "ces": None, **bad})


answers = st.tuples(
    st.none() | st.integers(1, 5), st.none() | st.integers(0, 10), st.none() | st.integers(1, 7)
)


@given(st.lists(answers, max_size=60), st.integers(0, 60))
def test_aggregates_add_up_exactly_however_they_are_split(
    rows: list[tuple[int | None, int | None, int | None]], cut: int
) -> None:
    whole = Aggregate.total(Aggregate.of(*r) for r in rows)
    left = Aggregate.total(Aggregate.of(*r) for r in rows[:cut])
    right = Aggregate.total(Aggregate.of(*r) for r in rows[cut:])
    assert left + right == whole
    csat = [r[0] for r in rows if r[0] is not None]
    assert whole.responses == len(rows) and whole.csat_n == len(csat)
    assert whole.csat_top2 == sum(1 for c in csat if c >= 4)
    assert whole.csat_sumsq == sum(c * c for c in csat)
    assert set(whole.as_dict()) == set(FIELDS)
    share = whole.csat()
    assert (share is None) == (not csat)
    if share is not None:
        assert share.ci95 is not None and share.ci95.low <= share.value <= share.ci95.high
    score = whole.nps()
    if score is not None:
        assert score.ci95 is not None and -100 <= score.ci95.low <= score.value <= score.ci95.high


def test_an_interval_as_json_numbers_has_no_negative_zero() -> None:
    assert str(measures.Interval(-0.0, -0.00001).as_list()) == "[0.0, 0.0]"
