"""An 80 % range around a predicted wait, calibrated online on the outlet's own errors.

Split-conformal on a sliding window, made adaptive:

- Each known wait leaves an error, actual − predicted, filed under the bucket of its
  prediction (under 30 s, 30–60 s, 1–2 min, 2–3, 3–5, 5–7.5, 7.5–10, 10–15, 15–20,
  20–30, 30 min and more). A short predicted
  wait has small errors, a long one large: the range is narrow where the queue is
  predictable and wide where it is not.
- The range for a prediction p is [p + q(a/2), p + q(1 − a/2)] over the last `WINDOW`
  errors of p's bucket (all buckets pooled while it has fewer than `MIN_BUCKET`), never
  below 0. No range until `MIN_ERRORS` waits are known.
- a starts at 0.2 (80 %) and follows the misses (adaptive conformal inference): each
  known wait outside the range it was given lowers a, each one inside raises it, so that
  over time 20 % fall outside, whether lobbies drift or many waits are zero (a range that
  cannot miss low is made narrower instead of covering more than asked).

`NaiveRange` is the baseline: the 10th–90th percentiles of the last 500 waits, whatever
is predicted. Pure: no database, no clock.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Sequence

MISS = 0.2  # the share asked to fall outside: an 80 % range
STEP = 0.01  # how fast a follows the misses
A_MIN, A_MAX = 0.02, 0.6
EDGES_S = (30.0, 60.0, 120.0, 180.0, 300.0, 450.0, 600.0, 900.0, 1200.0, 1800.0)
WINDOW = 300
POOLED = 1000
MIN_BUCKET = 40
MIN_ERRORS = 30
NAIVE_WINDOW = 500


def quantile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between the order statistics of a sorted, non-empty sequence."""
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


class ErrorBands:
    """The 80 % range of an outlet's predictions, from its recent errors."""

    def __init__(self) -> None:
        self.a = MISS
        self.buckets: list[deque[float]] = [deque(maxlen=WINDOW) for _ in range(len(EDGES_S) + 1)]
        self.pooled: deque[float] = deque(maxlen=POOLED)

    def band(self, predicted: float) -> tuple[float, float] | None:
        """(low, high) seconds for a prediction, or None before enough waits are known."""
        if len(self.pooled) < MIN_ERRORS:
            return None
        errors = self.buckets[bisect.bisect_right(EDGES_S, predicted)]
        ordered = sorted(errors if len(errors) >= MIN_BUCKET else self.pooled)
        low = max(predicted + quantile(ordered, self.a / 2), 0.0)
        high = max(predicted + quantile(ordered, 1 - self.a / 2), low)
        return low, high

    def learn(self, predicted: float, actual: float) -> None:
        """A wait became known: follow the miss, then keep its error."""
        given = self.band(predicted)
        if given is not None:
            missed = not given[0] <= actual <= given[1]
            self.a = min(max(self.a + STEP * (MISS - missed), A_MIN), A_MAX)
        error = actual - predicted
        self.buckets[bisect.bisect_right(EDGES_S, predicted)].append(error)
        self.pooled.append(error)


class NaiveRange:
    """The 10th–90th percentiles of the last 500 known waits: the baseline to beat."""

    def __init__(self) -> None:
        self.waits: deque[float] = deque(maxlen=NAIVE_WINDOW)

    def band(self) -> tuple[float, float] | None:
        if len(self.waits) < MIN_ERRORS:
            return None
        ordered = sorted(self.waits)
        return quantile(ordered, 0.1), quantile(ordered, 0.9)

    def learn(self, actual: float) -> None:
        self.waits.append(actual)


def coverage(ranges: Sequence[tuple[float, float, float]]) -> tuple[float | None, float | None]:
    """(share of actual waits inside their range, mean width in seconds) over
    (low, high, actual) triples; (None, None) when there are none."""
    if not ranges:
        return None, None
    inside = sum(1 for low, high, actual in ranges if low <= actual <= high)
    width = sum(high - low for low, high, _ in ranges)
    return inside / len(ranges), width / len(ranges)
