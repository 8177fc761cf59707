"""Satisfaction measures and their 95 % intervals, from counts and sums (pure).

Every function takes counts (or sums of scores) rather than lists of answers, so the same code
serves a raw query, a roll-up table and a test; docs/quality.md gives the formulas and why:

- CSAT share: the share of answers 4–5 among 1–5, with the Wilson score interval (it stays
  inside 0..1 and keeps close to its nominal coverage for small n and shares near 0 or 1,
  where the textbook Wald interval fails);
- CSAT mean (1–5) and CES mean (1–7), with a Student t interval from the sums of scores and of
  their squares, clipped to the scale;
- NPS: promoters (9–10) minus detractors (0–6), −100..100; its variance is that of the
  three-category multinomial, var = (p_pro + p_det − (p_pro − p_det)²) / n, estimated with one
  pseudo-answer added to each category (never 0), and the interval the normal approximation,
  clipped to −100..100;
- change between two periods: the CSAT share by Newcombe's hybrid score interval for a
  difference of proportions (his method 10), NPS by the normal approximation with the two
  (pseudo-answer) variances summed; `significant` when the interval excludes zero.

A sample under `SMALL_SAMPLE_N` answers is `small`: shown as such, never hidden, never ranked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from statistics import NormalDist

SMALL_SAMPLE_N = 30
"""Below this many answers an estimate is marked small (its interval is wide; not ranked)."""

CONFIDENCE = 0.95
Z95 = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)  # 1.959963984540054

CSAT_SCALE = (1, 5)
CSAT_TOP = 4  # 4 and 5 are "satisfied"
NPS_SCALE = (0, 10)
NPS_PROMOTER = 9  # 9–10
NPS_DETRACTOR = 6  # 0–6
CES_SCALE = (1, 7)


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float

    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def as_list(self, digits: int = 4) -> list[float]:
        return [round(self.low, digits) + 0.0, round(self.high, digits) + 0.0]  # no -0.0


@dataclass(frozen=True, slots=True)
class Estimate:
    """A measure over `n` answers with its 95 % interval (None when it cannot be had)."""

    value: float
    ci95: Interval | None
    n: int

    @property
    def small(self) -> bool:
        return self.n < SMALL_SAMPLE_N


@dataclass(frozen=True, slots=True)
class Change:
    """`after` − `before`, with the 95 % interval of the difference."""

    difference: float
    ci95: Interval
    small: bool  # either period is a small sample

    @property
    def significant(self) -> bool:
        """The interval excludes zero: a real movement at the 95 % level, not noise."""
        return self.ci95.excludes_zero()


def _check_counts(part: int, n: int) -> None:
    if n < 0 or part < 0 or part > n:
        raise ValueError(f"counts out of range: {part} of {n}")


def wilson(successes: int, n: int, z: float = Z95) -> Interval:
    """Wilson score interval of the proportion successes/n (n > 0)."""
    _check_counts(successes, n)
    if n == 0:
        raise ValueError("no answers: a proportion of nothing has no interval")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = (z / (1 + z2 / n)) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # At p = 0 or 1 one bound is exactly 0 or 1; rounding must not push it past.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(low, high)


def csat_share(top2: int, n: int) -> Estimate | None:
    """Share of 4–5 among `n` CSAT answers, with its Wilson interval; None without answers."""
    if n == 0:
        return None
    return Estimate(top2 / n, wilson(top2, n), n)


def _clip(value: float, low: float, high: float) -> float:
    return float(min(high, max(low, value)))


@cache
def t_quantile(df: int) -> float:
    """The two-sided 95 % quantile of Student's t with `df` degrees of freedom."""
    from scipy.stats import t  # imported when first needed: scipy takes a while to load

    return float(t.ppf(0.5 + CONFIDENCE / 2, df))


def mean(n: int, total: int, total_sq: int, scale: tuple[int, int]) -> Estimate | None:
    """Mean score on `scale` from n, Σx and Σx², with a t interval clipped to the scale.

    The variance comes from integer sums, (nΣx² − (Σx)²) / (n(n − 1)), so it is exact however
    many answers are added up. One answer has a mean and no interval.
    """
    if n == 0:
        return None
    if n < 0 or total_sq * n < total * total:
        raise ValueError(f"sums out of range: n={n}, sum={total}, sum of squares={total_sq}")
    value = total / n
    if n == 1:
        return Estimate(value, None, n)
    variance = (n * total_sq - total * total) / (n * (n - 1))
    half = t_quantile(n - 1) * math.sqrt(variance / n)
    low, high = scale
    return Estimate(
        value, Interval(_clip(value - half, low, high), _clip(value + half, low, high)), n
    )


def _nps_variance(promoters: int, detractors: int, n: int) -> float:
    """Per-answer variance of (promoter − detractor), a three-valued score (+1, 0, −1)."""
    p_pro, p_det = promoters / n, detractors / n
    return p_pro + p_det - (p_pro - p_det) ** 2


def _nps_variance_adjusted(promoters: int, detractors: int, n: int) -> float:
    """The multinomial variance with one pseudo-answer added to each of the three categories
    (promoter, passive, detractor): never 0, so a sample all in one category still has a width.
    Used for the variance only; the NPS itself stays the observed one."""
    return _nps_variance(promoters + 1, detractors + 1, n + 3)


def nps(promoters: int, detractors: int, n: int) -> Estimate | None:
    """Net Promoter Score (−100..100) with its 95 % interval; None without answers.

    The normal approximation, clipped to −100..100, around the observed NPS, with the
    multinomial variance estimated after adding one pseudo-answer to each category (an
    Agresti–Coull-style adjustment, docs/quality.md): when every answer falls in one category
    the plain estimate is 0 and the interval a single point ([100, 100] from 3 promoters), which
    claims a certainty the sample does not have.
    """
    _check_counts(promoters, n)
    _check_counts(detractors, n)
    if promoters + detractors > n:
        raise ValueError(f"promoters and detractors ({promoters} + {detractors}) exceed {n}")
    if n == 0:
        return None
    d = (promoters - detractors) / n
    half = Z95 * math.sqrt(_nps_variance_adjusted(promoters, detractors, n) / n)
    interval = Interval(_clip(100 * (d - half), -100, 100), _clip(100 * (d + half), -100, 100))
    return Estimate(100 * d, interval, n)


def newcombe(x1: int, n1: int, x2: int, n2: int) -> Interval:
    """Newcombe's hybrid score interval (1998, method 10) for p1 − p2 = x1/n1 − x2/n2."""
    p1, p2 = x1 / n1, x2 / n2
    w1, w2 = wilson(x1, n1), wilson(x2, n2)
    d = p1 - p2
    low = d - math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2)
    high = d + math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2)
    return Interval(max(-1.0, low), min(1.0, high))


def csat_change(before: tuple[int, int], after: tuple[int, int]) -> Change | None:
    """Change of the CSAT share, (top2, n) before → after; None when a period has no answers."""
    (x0, n0), (x1, n1) = before, after
    if n0 == 0 or n1 == 0:
        return None
    interval = newcombe(x1, n1, x0, n0)
    small = min(n0, n1) < SMALL_SAMPLE_N
    return Change(x1 / n1 - x0 / n0, interval, small)


def nps_change(before: tuple[int, int, int], after: tuple[int, int, int]) -> Change | None:
    """Change of NPS, (promoters, detractors, n) before → after, in points (−200..200).

    The two periods are independent samples, so the variance of the difference is the sum of
    the two multinomial variances, each with the pseudo-answers of `nps` (two periods all
    promoters would otherwise differ by exactly 0 with a certainty no sample gives); normal
    approximation, clipped to −200..200.
    """
    (pro0, det0, n0), (pro1, det1, n1) = before, after
    if n0 == 0 or n1 == 0:
        return None
    d = (pro1 - det1) / n1 - (pro0 - det0) / n0
    se = math.sqrt(
        _nps_variance_adjusted(pro0, det0, n0) / n0 + _nps_variance_adjusted(pro1, det1, n1) / n1
    )
    interval = Interval(
        _clip(100 * (d - Z95 * se), -200, 200), _clip(100 * (d + Z95 * se), -200, 200)
    )
    return Change(100 * d, interval, min(n0, n1) < SMALL_SAMPLE_N)
