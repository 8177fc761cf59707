"""Fairness of load across an outlet's tellers on a day.

Load is compared per hour on duty (weighted served ÷ hours signed on and not paused), so a
teller who worked a half day is not "unfairly light". Two measures:

- the **Gini coefficient** of those rates, Σᵢ Σⱼ |xᵢ − xⱼ| ÷ (2 n² x̄): 0 when every teller
  carries the same load, rising toward 1 − 1/n when one carries it all. It does not change
  when every load is scaled, nor with the order of tellers; the page shows it;
- the **coefficient of variation** (population standard deviation ÷ mean), for those used to
  it; unbounded.

Only tellers on duty that day count; with fewer than two, or no load at all, there is
nothing to compare (None).
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def gini(loads: Sequence[float]) -> float | None:
    values = [float(x) for x in loads]
    n, total = len(values), sum(values)
    if n < 2 or total <= 0:
        return None
    values.sort()
    # Σ|xi − xj| over ordered pairs = 2 Σ (2i − n + 1) x(i) for sorted x, i from 0.
    spread = sum((2 * i - n + 1) * x for i, x in enumerate(values))
    return max(0.0, min(1.0, spread / (n * total)))


def coefficient_of_variation(loads: Sequence[float]) -> float | None:
    n = len(loads)
    if n < 2:
        return None
    mean = sum(loads) / n
    if mean <= 0:
        return None
    variance = sum((x - mean) ** 2 for x in loads) / n
    return math.sqrt(variance) / mean
