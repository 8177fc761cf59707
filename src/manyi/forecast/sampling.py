"""Random streams and draws for the simulator: arrival times and customers.

`CustomerSource` gives each arriving customer of a service (a `Visit`) their
class, service time, no-show, transfer and patience, drawn at arrival.

Each replication, and inside it each purpose (the arrivals of one service,
the customers of one service), has its own stream, seeded from the text
``"manyi-sim:<seed>:<replication>:<purpose>"``. Python's `random.Random`
turns a text seed into its SHA-512 digest, so the streams are the same on
every machine and in every process, and independent of each other. The
same seed therefore gives the same numbers; and two scenarios that differ
only in staffing or policy see the very same customers (common random
numbers), which sharpens any comparison between them.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable
from math import log as _log

from manyi.forecast.scenario import DAY_S, Arrivals, Distribution, Scenario, ServiceSpec
from manyi.lobby.domain.model import PriorityClass
from manyi.lobby.domain.ticket import Ticket


def stream(seed: int, replication: int, purpose: str) -> random.Random:
    return random.Random(f"manyi-sim:{seed}:{replication}:{purpose}")  # noqa: S311 - simulation


def exponential(rng: random.Random, rate: float) -> Callable[[], float]:
    """`rng.expovariate(rate)` as a function: the same formula on the same draw, so the
    same numbers, without a second Python call per draw."""
    uniform = rng.random
    return lambda: -_log(1.0 - uniform()) / rate


def sampler(dist: Distribution, rng: random.Random) -> Callable[[], float]:
    """A function that draws one duration in seconds from `dist` with `rng`."""
    if dist.kind == "exponential":
        return exponential(rng, 1.0 / dist.mean_s)
    if dist.kind == "lognormal":
        # Parameters of the underlying normal that give the requested mean and sd.
        sigma2 = math.log1p((dist.sd_s / dist.mean_s) ** 2)
        mu = math.log(dist.mean_s) - sigma2 / 2
        sigma = math.sqrt(sigma2)
        lognorm = rng.lognormvariate
        return lambda: lognorm(mu, sigma)
    if dist.kind == "empirical":
        values = dist.values_s
        choice = rng.choice
        return lambda: choice(values)
    if dist.kind == "fixed":
        mean = dist.mean_s
        return lambda: mean
    raise ValueError(f"unknown distribution {dist.kind}")


class ArrivalClock:
    """Times of a (piecewise) Poisson arrival process over a run.

    Rates are constant inside each daily window and zero outside. Within a
    window the gap is exponential; a gap that would cross the window's end
    is dropped and drawing starts again at the next window. By the memoryless
    property this gives exactly a Poisson process with that rate profile.
    """

    def __init__(self, arrivals: Arrivals, start_s: int, horizon_s: float, rng: random.Random):
        self._constant = arrivals.per_hour
        self._windows = arrivals.windows
        self._start = start_s
        self._horizon = horizon_s
        self._expo = rng.expovariate
        self._uniform = rng.random
        # At a constant rate: arrivals a second, divided once rather than at every draw.
        self._rate = (self._constant or 0.0) / 3600

    def next_after(self, t: float) -> float | None:
        """The next arrival after `t` (seconds since the run's start), or None past the horizon."""
        if self._constant is not None:
            if self._constant <= 0:
                return None
            t += -_log(1.0 - self._uniform()) / self._rate  # self._expo(self._rate), inlined
            return t if t < self._horizon else None
        while t < self._horizon:
            day, second = divmod(self._start + t, DAY_S)
            window = None
            for w in self._windows:
                if second < w.end_s:
                    window = w
                    break
            if window is None:  # after today's last window: first window tomorrow
                t = (day + 1) * DAY_S + self._windows[0].start_s - self._start
                continue
            if second < window.start_s:
                t += window.start_s - second
                continue
            # nextafter: never stall on a rounding remainder just before the window's end
            end = max(t + (window.end_s - second), math.nextafter(t, math.inf))
            if window.per_hour > 0:
                gap = self._expo(window.per_hour / 3600)
                if t + gap < end:
                    return t + gap if t + gap < self._horizon else None
            t = end
        return None


class Visit:
    """A customer during a run: what was drawn at arrival and what happened since."""

    __slots__ = (
        "first_call",
        "first_s",
        "issued",
        "klass",
        "leg",
        "no_show",
        "outcome",
        "second_code",
        "second_s",
        "service",
        "ticket",
    )

    def __init__(self, issued: float, service: str, klass: PriorityClass) -> None:
        self.issued = issued
        self.service = service
        self.klass = klass
        self.first_s = 0.0
        self.second_s = 0.0
        self.second_code: str | None = None
        self.no_show = False
        self.first_call: float | None = None
        self.outcome: str | None = None
        self.leg = 1
        self.ticket: Ticket | None = None


class CustomerSource:
    """One service's arrivals and the draws made for each of its customers."""

    def __init__(self, spec: ServiceSpec, scenario: Scenario, index: int) -> None:
        seed = scenario.seed
        rng = stream(seed, index, f"customers:{spec.code}")
        self.code = spec.code
        self.clock = ArrivalClock(
            spec.arrivals,
            scenario.start_s,
            scenario.horizon_s,
            stream(seed, index, f"arrivals:{spec.code}"),
        )
        self.random = rng.random
        self.classes = [k for k, _ in spec.classes]
        # The class of every customer when the service has one (no draw is made then).
        self.only: PriorityClass | None = self.classes[0] if len(self.classes) == 1 else None
        self.cumulative = list(itertools.accumulate(s for _, s in spec.classes))
        self.draw_service = sampler(spec.service_time, rng)
        self.no_show_share = spec.no_show_share
        self.transfer_share = spec.transfer_share
        self.transfer_to = spec.transfer_to
        self.draw_second = (
            sampler(scenario.service(spec.transfer_to).service_time, rng)
            if spec.transfer_to
            else None
        )
        self.patience = sampler(spec.patience, rng) if spec.patience else None

    def klass(self) -> PriorityClass:
        """A customer's first draw: their class (no draw when the service has one class)."""
        klass = self.classes[0]
        if len(self.classes) > 1:
            u = self.random() * self.cumulative[-1]
            for k, edge in zip(self.classes, self.cumulative, strict=True):
                klass = k
                if u < edge:
                    break
        return klass

    def customer(self, t: float) -> Visit:
        visit = Visit(t, self.code, self.klass())
        visit.first_s = self.draw_service()
        if self.no_show_share and self.random() < self.no_show_share:
            visit.no_show = True
        elif self.transfer_share and self.random() < self.transfer_share:
            assert self.draw_second is not None
            visit.second_code = self.transfer_to
            visit.second_s = self.draw_second()
        return visit
