"""The emerging-issue detector: a control chart over weekly complaint counts that copes with
small counts.

Each series is the number of complaints of one prominent-issue category at one unit per week
(Monday to Sunday, the unit's local days). The week under watch is compared with the previous
`baseline_weeks` weeks of the same series:

- the expected count is the baseline's mean, with half a case added to the baseline's total
  (`(sum + 0.5) / n`), so a series that was all zeros still has a small positive expectation
  and its first cases are judged by a real tail probability rather than a division by zero;
- when the baseline is over-dispersed (its variance exceeds its mean beyond chance: the index of
  dispersion `(n − 1)·s²/mean` above the chi-square 95th percentile with n − 1 degrees of
  freedom), the count is judged against a negative binomial with the baseline's mean and
  variance (method of moments); otherwise against a Poisson with the expected count;
- an alert is raised when the upper tail `P(X ≥ count)` is below `alpha` (0.005) **and** the
  week has at least `min_cases` (3) complaints: one or two complaints are never an alert, so a
  quiet series does not alarm on its first case.

The false-alarm rate on stable Poisson series is measured in `tests/unit/test_detector.py` (and
reported in docs/complaints.md): with the baseline itself estimated from 12 weeks, it stays well
under 1 % of series-weeks at every mean tried. Pure: no clock, no database.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

BASELINE_WEEKS = 12
MIN_BASELINE_WEEKS = 8  # fewer weeks of history: no judgement yet
ALPHA = 0.005
MIN_CASES = 3
DISPERSION_LEVEL = 0.95


@dataclass(frozen=True)
class Thresholds:
    baseline_weeks: int = BASELINE_WEEKS
    min_baseline_weeks: int = MIN_BASELINE_WEEKS
    alpha: float = ALPHA
    min_cases: int = MIN_CASES


DEFAULT = Thresholds()


@dataclass(frozen=True)
class Assessment:
    """One week of one series judged against its baseline."""

    count: int
    expected: float  # the baseline's (corrected) weekly mean
    variance: float  # the baseline's sample variance
    method: str  # "poisson" or "negbin"
    p_value: float  # P(X >= count) under the baseline's distribution
    alarm: bool


def week_start(day: dt.date) -> dt.date:
    """The Monday of the ISO week holding `day`."""
    return day - dt.timedelta(days=day.weekday())


def detection_unit(path: str) -> int | None:
    """The unit a complaint counts for: the one two steps below head office on the responsible
    unit's path (a tier-2 branch, or an outlet sitting directly under a tier-1 branch), else the
    responsible unit itself (a case kept at a tier-1 branch or head office).

    Tier-2 rather than outlet: the brief's bank had 0.17 complaints per outlet per month, so an
    outlet's weekly series is nearly all zeros and no week could ever stand out from chance;
    a tier-2 branch gathers ten to thirty outlets, enough for a baseline, and its head is the
    one who can make an outlet change.
    """
    ids = [int(part) for part in path.strip("/").split("/") if part]
    if not ids:
        return None
    return ids[2] if len(ids) >= 3 else ids[-1]


def overdispersed(history: Sequence[int], *, level: float = DISPERSION_LEVEL) -> bool:
    """Whether the baseline varies more than a Poisson would (index-of-dispersion test)."""
    n = len(history)
    if n < 2:
        return False
    mean = sum(history) / n
    if mean <= 0:
        return False
    var = sum((x - mean) ** 2 for x in history) / (n - 1)
    statistic = (n - 1) * var / mean
    return statistic > _chi2_quantile(level, n - 1)


@functools.cache
def _chi2_quantile(level: float, df: int) -> float:
    from scipy import stats  # here, not at the top: see `assess`

    return float(stats.chi2.ppf(level, df))


def assess(history: Sequence[int], count: int, thresholds: Thresholds = DEFAULT) -> Assessment:
    """Judge `count` (this week) against `history` (the previous weeks, oldest first; only the
    last `baseline_weeks` are used). Too short a history gives no alarm (p = 1)."""
    # SciPy's statistics take 0.7 s to import: paid by the first assessment, not by every
    # process that imports the alerts' pages (each web worker, each command line).
    from scipy import stats

    if count < 0 or any(x < 0 for x in history):
        raise ValueError("counts are never negative")
    base = list(history)[-thresholds.baseline_weeks :]
    n = len(base)
    if n < thresholds.min_baseline_weeks:
        return Assessment(count, 0.0, 0.0, "none", 1.0, False)
    expected = (sum(base) + 0.5) / n
    raw_mean = sum(base) / n
    variance = sum((x - raw_mean) ** 2 for x in base) / (n - 1)
    if overdispersed(base) and variance > expected:
        # Negative binomial with the baseline's mean and variance: r = m² / (v − m).
        r = expected * expected / (variance - expected)
        p = r / (r + expected)
        p_value = float(stats.nbinom.sf(count - 1, r, p)) if count > 0 else 1.0
        method = "negbin"
    else:
        p_value = float(stats.poisson.sf(count - 1, expected)) if count > 0 else 1.0
        method = "poisson"
    alarm = count >= thresholds.min_cases and count > expected and p_value < thresholds.alpha
    return Assessment(count, expected, variance, method, p_value, alarm)


@dataclass(frozen=True)
class Case:
    """A complaint as the detector sees it."""

    id: int
    category: str
    unit_id: int
    day: dt.date  # the local day it was received


@dataclass(frozen=True)
class Alert:
    category: str
    unit_id: int
    week: dt.date  # the Monday
    assessment: Assessment
    case_ids: tuple[int, ...]


def weekly_counts(
    cases: Iterable[Case], weeks: Sequence[dt.date]
) -> dict[tuple[str, int], list[int]]:
    """Counts per (category, unit) for each week in `weeks` (Mondays, oldest first), zeros
    included; cases outside those weeks are ignored."""
    index = {w: i for i, w in enumerate(weeks)}
    series: dict[tuple[str, int], list[int]] = {}
    for case in cases:
        i = index.get(week_start(case.day))
        if i is None:
            continue
        row = series.setdefault((case.category, case.unit_id), [0] * len(weeks))
        row[i] += 1
    return series


def weeks_ending(week: dt.date, count: int) -> list[dt.date]:
    """`count` Mondays ending with `week` (which must be a Monday), oldest first."""
    if week.weekday() != 0:
        raise ValueError("a week starts on a Monday")
    return [week - dt.timedelta(weeks=count - 1 - i) for i in range(count)]


def detect(cases: Sequence[Case], week: dt.date, thresholds: Thresholds = DEFAULT) -> list[Alert]:
    """The alerts for the week starting `week` (a Monday): every (category, unit) whose count
    that week stands out from its previous `baseline_weeks` weeks. `cases` should hold the
    baseline weeks and the week itself; the alert carries the ids of the week's cases."""
    weeks = weeks_ending(week, thresholds.baseline_weeks + 1)
    found = []
    for (category, unit_id), counts in sorted(weekly_counts(cases, weeks).items()):
        current = counts[-1]
        if current < thresholds.min_cases:
            continue
        result = assess(counts[:-1], current, thresholds)
        if not result.alarm:
            continue
        ids = tuple(
            sorted(
                c.id
                for c in cases
                if c.category == category and c.unit_id == unit_id and week_start(c.day) == week
            )
        )
        found.append(Alert(category, unit_id, week, result, ids))
    return found


def describe(result: Assessment) -> str:
    """A short English line for logs: "5 vs 0.8 expected (poisson, p=0.0012)"."""
    p = result.p_value
    shown = f"{p:.2g}" if p > 0 and not math.isnan(p) else "0"
    return f"{result.count} vs {result.expected:.1f} expected ({result.method}, p={shown})"
