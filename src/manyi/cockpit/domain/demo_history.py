"""A plausible year of daily lobby figures for the demo bank's outlets (pure), in the format
of a previous queue system's export (`domain.history`): what a bank brings when it adopts
manyi, so the demo's cockpit shows a year.

The pattern: Monday busiest and weekends quieter (0.6), statutory holidays closed, the pension
days (the 5th to the 8th of each month) busier with longer waits, a little more traffic
towards the year's end, and each outlet its own size and speed. Waits follow an exponential
distribution around the day's mean, spread over the cockpit's histogram buckets, so the mean,
the share within target and the percentiles agree.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Sequence

from manyi.cockpit.domain import histogram
from manyi.cockpit.domain.history import DayFigures

WEEKDAY = (1.25, 1.0, 0.95, 1.0, 1.1, 0.6, 0.6)  # Monday … Sunday
PENSION_DAYS = range(5, 9)


def _buckets(n: int, mean_s: float) -> list[int]:
    """n waits exponentially distributed around mean_s, by bucket (rounded, adding up to n)."""
    edges = (*histogram.EDGES_S, math.inf)
    low, shares = 0.0, []
    for edge in edges:
        shares.append(math.exp(-low / mean_s) - math.exp(-edge / mean_s))
        low = edge
    counts = [int(n * share) for share in shares]
    counts[max(range(len(counts)), key=lambda i: shares[i])] += n - sum(counts)
    return counts


def _middle(i: int) -> float:
    low = 0 if i == 0 else histogram.EDGES_S[i - 1]
    high = histogram.EDGES_S[i] if i < len(histogram.EDGES_S) else low * 1.25
    return (low + high) / 2


def year(
    outlets: Sequence[str],
    last: dt.date,
    closed: Callable[[dt.date], bool],
    *,
    days: int = 365,
    target_s: int = 900,
    seed: int = 21,
) -> list[DayFigures]:
    """The days last-days+1 … last of each outlet (none on a closed day)."""
    out: list[DayFigures] = []
    first = last - dt.timedelta(days=days - 1)
    for k, code in enumerate(outlets):
        rng = random.Random(f"{seed}:{code}")  # noqa: S311 (demo figures, not secrets)
        size, speed = 180 + 60 * (k % 4), 270 + 60 * (k % 3)
        for i in range(days):
            day = first + dt.timedelta(days=i)
            if closed(day):
                continue
            load = WEEKDAY[day.weekday()] * (1 + 0.1 * i / days) * rng.uniform(0.85, 1.15)
            mean_s = speed * load
            if day.day in PENSION_DAYS:
                load, mean_s = load * 1.4, mean_s * 1.6
            issued = max(int(size * load), 1)
            no_shows, cancellations = int(issued * 0.04), int(issued * 0.02)
            served = issued - no_shows - cancellations
            called = served
            counts = _buckets(called, mean_s)
            within = sum(
                c for c, e in zip(counts, histogram.EDGES_S, strict=False) if e <= target_s
            )
            sums = {
                "issued": issued, "served": served, "no_shows": no_shows,
                "cancellations": cancellations, "wait_n": called,
                "wait_sum_s": int(sum(c * _middle(j) for j, c in enumerate(counts))),
                "wait_within": within, "service_n": served,
                "service_sum_s": int(served * rng.uniform(330, 480)),
                **dict(zip(histogram.COLUMNS, counts, strict=True)),
            }  # fmt: skip
            out.append(DayFigures(len(out) + 2, code, day, sums))
    return out
