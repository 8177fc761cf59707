"""A mergeable wait histogram: fixed buckets, so the histograms of hours, outlets and days add
up bucket by bucket, and the 90th percentile of a branch over a month is had from the sums.

Bucket i holds the waits in (EDGES_S[i-1], EDGES_S[i]] seconds (bucket 0: [0, EDGES_S[0]]);
the last bucket holds everything above the last edge. The edges are one minute apart up to
ten minutes, where most waits end, then wider; 15 minutes (the default target) is an edge, so
"within 15 minutes" is exact from the histogram too.

A percentile from a histogram is interpolated linearly inside the bucket it falls in: for
waits of 0–60 s the error is at most 60 s, and at most the bucket's width in general. The
daily roll-up also keeps the exact 90th percentile of its own waits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Final

EDGES_S: Final = (
    60, 120, 180, 240, 300, 360, 420, 480, 540, 600,
    720, 900, 1200, 1500, 1800, 2400, 3000, 3600, 5400, 7200,
)  # fmt: skip
BUCKETS: Final = len(EDGES_S) + 1  # the last one: over two hours
COLUMNS: Final = tuple(f"w{i:02d}" for i in range(BUCKETS))


def bucket_of(wait_s: float) -> int:
    """The bucket a wait of `wait_s` seconds falls in."""
    for i, edge in enumerate(EDGES_S):
        if wait_s <= edge:
            return i
    return len(EDGES_S)


def of_waits(waits: Iterable[float]) -> list[int]:
    counts = [0] * BUCKETS
    for wait in waits:
        counts[bucket_of(wait)] += 1
    return counts


def merge(histograms: Iterable[Sequence[int]]) -> list[int]:
    total = [0] * BUCKETS
    for h in histograms:
        for i, n in enumerate(h):
            total[i] += int(n or 0)
    return total


def percentile(counts: Sequence[int], q: float) -> float | None:
    """The q-th quantile (0 < q ≤ 1) of the waits counted, interpolated in its bucket; None
    when nothing is counted. Above the last edge the last edge is returned (a floor)."""
    n = sum(counts)
    if n == 0:
        return None
    rank = q * n  # the rank-th smallest wait, 1-based and possibly fractional
    seen = 0
    for i, count in enumerate(counts):
        if count and seen + count >= rank:
            if i == len(EDGES_S):
                return float(EDGES_S[-1])
            low = 0.0 if i == 0 else float(EDGES_S[i - 1])
            return low + (EDGES_S[i] - low) * (rank - seen) / count
        seen += count
    return float(EDGES_S[-1])


def exact_percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th quantile of the values by the nearest-rank rule (the value at rank ⌈q·n⌉)."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(math.ceil(q * len(ordered)), 1) - 1])
