"""KPIs of a simulation, with 95 % confidence intervals across replications.

Each replication gives one value of each KPI (its mean wait, its 90th
percentile wait, …). Replications are independent, so the values are an
independent sample and the interval is the Student t one:
mean ± t(0.975, n − 1) · s / √n. Waits inside one replication are
correlated, which is why the interval is never computed over customers.

Definitions (as queue systems define them):

- wait: first call − issue; customers never called (gave up, or still
  waiting when the run ended) have no wait and are left out of wait figures;
- service level: customers called within the target ÷ all customers (one
  who gave up or was never called counts as missed);
- utilisation: time counters spent with a customer ÷ time they were open
  (a no-show's calls and recalls count as busy);
- counter-hours: hours counters were open, summed over counters.
"""

from __future__ import annotations

import bisect
import collections
import functools
import math
import operator
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from manyi.forecast.records import Replication
    from manyi.forecast.scenario import Scenario


@functools.cache  # a hundred bisection steps, asked for every KPI of every run
def t_quantile_975(df: int) -> float:
    """The 97.5 % quantile of Student's t with `df` degrees of freedom (two-sided 95 %)."""
    if df < 1:
        raise ValueError("degrees of freedom must be ≥ 1")
    if df > 2000:  # Cornish–Fisher expansion around the normal; exact to ~1e-9 here
        z = 1.959963984540054
        return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
    if df == 1:
        return math.tan(math.pi * 0.475)  # Cauchy: tan(π(p − ½))
    lo, hi = 0.0, 20.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if _t_central(mid, df) < 0.95:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _t_central(t: float, df: int) -> float:
    """P(|T| ≤ t) for whole `df`, by the finite trigonometric series of the t distribution."""
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    s = math.sin(theta)
    if df % 2 == 0:
        term, total = 1.0, 1.0
        for k in range(1, df // 2):
            term *= c2 * (2 * k - 1) / (2 * k)
            total += term
        return s * total
    if df == 1:
        return 2 * theta / math.pi
    term = math.cos(theta)
    total = term
    for k in range(1, (df - 1) // 2):
        term *= c2 * (2 * k) / (2 * k + 1)
        total += term
    return 2 / math.pi * (theta + s * total)


def quantile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between order statistics (the common "type 7" definition)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass(frozen=True)
class Estimate:
    """A KPI across replications: its mean and 95 % confidence interval (None if n < 2)."""

    mean: float
    low: float | None
    high: float | None
    n: int

    @classmethod
    def of(cls, values: Iterable[float]) -> Estimate:
        xs = list(values)
        if not xs:
            return cls(math.nan, None, None, 0)
        mean = math.fsum(xs) / len(xs)
        if len(xs) < 2:
            return cls(mean, None, None, len(xs))
        half = t_quantile_975(len(xs) - 1) * statistics.stdev(xs) / math.sqrt(len(xs))
        return cls(mean, mean - half, mean + half, len(xs))

    @property
    def half_width(self) -> float | None:
        return None if self.high is None else (self.high - self.mean)

    def contains(self, x: float) -> bool:
        return self.low is not None and self.high is not None and self.low <= x <= self.high

    def as_json(self, digits: int = 4) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None or math.isnan(x) else round(x, digits)

        ci = None if self.low is None else [r(self.low), r(self.high)]
        return {"mean": r(self.mean), "ci95": ci}


@dataclass(frozen=True)
class Summary:
    replications: int
    customers: int  # counted customers over all replications
    mean_wait_s: Estimate
    p90_wait_s: Estimate
    max_wait_s: Estimate
    service_level: Estimate
    utilisation: Estimate
    counter_hours: Estimate
    customers_per_replication: Estimate
    abandoned_share: Estimate
    no_show_share: Estimate
    unserved: Estimate
    per_class: Mapping[str, Estimate]
    per_service: Mapping[str, Estimate]
    per_counter: Mapping[int, tuple[Estimate, Estimate]]  # utilisation, counter-hours

    def as_json(self) -> dict[str, Any]:
        return {
            "customers": self.customers,
            "replications": self.replications,
            "mean_wait_s": self.mean_wait_s.as_json(),
            "p90_wait_s": self.p90_wait_s.as_json(),
            "max_wait_s": self.max_wait_s.as_json(),
            "service_level": self.service_level.as_json(),
            "utilisation": self.utilisation.as_json(),
            "counter_hours": self.counter_hours.as_json(),
            "per_class": {k: v.as_json() for k, v in self.per_class.items()},
            "per_service": {k: v.as_json() for k, v in self.per_service.items()},
            "per_counter": {
                str(n): {"utilisation": u.as_json(), "counter_hours": h.as_json()}
                for n, (u, h) in self.per_counter.items()
            },
            "customers_per_replication": self.customers_per_replication.as_json(),
            "abandoned_share": self.abandoned_share.as_json(),
            "no_show_share": self.no_show_share.as_json(),
            "unserved": self.unserved.as_json(),
        }


_WAIT, _OUTCOME = operator.attrgetter("wait_s"), operator.attrgetter("outcome")
_KLASS, _SERVICE = operator.attrgetter("klass"), operator.attrgetter("service")


def summarise(scenario: Scenario, runs: Sequence[Replication]) -> Summary:
    target = scenario.target_wait_s
    values: dict[str, list[float]] = {}
    per_class: dict[str, list[float]] = {}
    per_service: dict[str, list[float]] = {}
    per_counter: dict[int, tuple[list[float], list[float]]] = {
        c.number: ([], []) for c in scenario.counters
    }

    def add(key: str, x: float) -> None:
        values.setdefault(key, []).append(x)

    # Each figure of a run is a sum over its customers (`fsum` is exactly rounded, so
    # the order does not matter), a count or an order statistic: each is taken in a
    # pass in C (map, sorted, bisect, Counter) rather than a Python loop per customer.
    for run in runs:
        customers = run.customers
        n = len(customers)
        add("customers", n)
        each_wait = list(map(_WAIT, customers))
        waits = [w for w in each_wait if w is not None]
        ordered = sorted(waits)
        outcomes = collections.Counter(map(_OUTCOME, customers))
        if waits:
            add("mean", math.fsum(waits) / len(waits))
            add("p90", quantile(ordered, 0.9))
            add("max", ordered[-1])
        if n:
            add("sl", bisect.bisect_right(ordered, target) / n)  # waits <= target
            add("abandoned", outcomes["abandoned"] / n)
            add("no_show", outcomes["no_show"] / n)
        add("unserved", outcomes["unserved"])
        for groups, field in ((per_class, _KLASS), (per_service, _SERVICE)):
            keys = list(map(field, customers))
            names = dict.fromkeys(keys)
            for name in names:
                if len(names) == 1:  # everyone's
                    ws = waits
                else:
                    pairs = zip(keys, each_wait, strict=True)
                    ws = [w for k, w in pairs if k == name and w is not None]
                if ws:
                    groups.setdefault(name, []).append(math.fsum(ws) / len(ws))
        busy = math.fsum(counter.busy_s for counter in run.counters)
        open_s = math.fsum(counter.open_s for counter in run.counters)
        add("hours", open_s / 3600)
        if open_s > 0:
            add("util", busy / open_s)
        for counter in run.counters:
            util, hours = per_counter[counter.number]
            hours.append(counter.open_s / 3600)
            if counter.open_s > 0:
                util.append(counter.busy_s / counter.open_s)

    def est(key: str) -> Estimate:
        return Estimate.of(values.get(key, []))

    service_order = [s.code for s in scenario.services]
    class_order = ["green", "vip", "appointment", "normal"]
    return Summary(
        replications=len(runs),
        customers=int(sum(values.get("customers", []))),
        mean_wait_s=est("mean"),
        p90_wait_s=est("p90"),
        max_wait_s=est("max"),
        service_level=est("sl"),
        utilisation=est("util"),
        counter_hours=est("hours"),
        customers_per_replication=est("customers"),
        abandoned_share=est("abandoned"),
        no_show_share=est("no_show"),
        unserved=est("unserved"),
        per_class={k: Estimate.of(per_class[k]) for k in class_order if k in per_class},
        per_service={k: Estimate.of(per_service[k]) for k in service_order if k in per_service},
        per_counter={n: (Estimate.of(u), Estimate.of(h)) for n, (u, h) in per_counter.items()},
    )
