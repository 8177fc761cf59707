"""A unit's figures over a period, from summed roll-up rows (pure): `Totals` holds the sums
and the merged wait histogram, and computes every ratio the cockpit shows; `Period` is a checked
span of local days. Measures no outlet-day had stay None (not zero)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from manyi.cockpit.domain import histogram, targets
from manyi.errors import InvalidInput

MAX_DAYS = 800  # a period of at most two years and a bit
SUMMED = (
    "issued", "served", "no_shows", "cancellations", "transfers", "wait_sum_s", "wait_n",
    "wait_within", "service_sum_s", "service_n", "complaints", "counter_open_s", "busy_s",
    "appointments_booked", "appointments_kept", "bundles_finished", "bundle_transactions",
    "forms_saved", "fields_saved", "pins_saved", "authorisations_saved",
    "ratings_n", "ratings_sum", "ratings_top", "survey_n", "survey_sum", "survey_top",
    "guided", "diverted", "taught", "wait_avoided_s", "diverted_self_service", "diverted_mobile",
    "diverted_online", "diverted_other_outlet", "diverted_appointment",
)  # fmt: skip
# Lobby guidance's diversions by channel, as columns (the order of guidance.facts.CHANNELS).
GUIDANCE_CHANNELS = (
    "diverted_self_service", "diverted_mobile", "diverted_online", "diverted_other_outlet",
    "diverted_appointment",
)  # fmt: skip
SORTABLE = (
    "wait_mean_s", "wait_p90_s", "service_level", "abandonment", "satisfaction",
    "complaints_per_outlet", "complaint_rate", "served", "forms_saved", "utilisation",
    "diversion_rate",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Period:
    first: dt.date
    last: dt.date  # included

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise InvalidInput("the period ends ({last}) before it starts", last=str(self.last))
        if (self.last - self.first).days >= MAX_DAYS:
            raise InvalidInput("a period is at most {n} days", n=MAX_DAYS)

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]


@dataclass(slots=True)
class Totals:
    """Sums over outlet-days; a sum is None when no outlet-day had that measure."""

    sums: dict[str, int | None] = field(default_factory=dict)
    waits: list[int] = field(default_factory=lambda: [0] * histogram.BUCKETS)
    outlets: int = 0  # outlets counted (with rows, or in the unit for per-outlet figures)

    def get(self, name: str) -> int | None:
        return self.sums.get(name)

    def _ratio(self, part: str, whole: str, scale: float = 1.0) -> float | None:
        a, b = self.get(part), self.get(whole)
        return None if a is None or not b else a * scale / b

    @property
    def wait_mean_s(self) -> float | None:
        return self._ratio("wait_sum_s", "wait_n")

    @property
    def wait_p90_s(self) -> float | None:
        return histogram.percentile(self.waits, 0.9)

    @property
    def service_level(self) -> float | None:
        return self._ratio("wait_within", "wait_n")

    @property
    def abandonment(self) -> float | None:
        issued = self.get("issued")
        if not issued:
            return None
        return ((self.get("no_shows") or 0) + (self.get("cancellations") or 0)) / issued

    @property
    def service_mean_s(self) -> float | None:
        return self._ratio("service_sum_s", "service_n")

    @property
    def utilisation(self) -> float | None:
        return self._ratio("busy_s", "counter_open_s")

    @property
    def complaint_rate(self) -> float | None:
        return self._ratio("complaints", "served", 10_000)

    @property
    def complaints_per_outlet(self) -> float | None:
        n = self.get("complaints")
        return None if n is None or not self.outlets else n / self.outlets

    @property
    def satisfaction(self) -> float | None:
        """The share satisfied of the survey CSAT answers (4–5) and the rating pad's (very
        satisfied, satisfied) together, as quality counts it."""
        n = (self.get("survey_n") or 0) + (self.get("ratings_n") or 0)
        top = (self.get("survey_top") or 0) + (self.get("ratings_top") or 0)
        return top / n if n else None

    @property
    def diversion_rate(self) -> float | None:
        """The share of customers met at the door sent to another channel (lobby guidance)."""
        return self._ratio("diverted", "guided")

    @property
    def forms_saved(self) -> int | None:
        return self.get("forms_saved")

    @property
    def served(self) -> int | None:
        return self.get("served")

    def figures(self) -> targets.Figures:
        return targets.Figures(self.wait_mean_s, self.service_level, self.abandonment)

    def add(self, other: Totals) -> None:
        for name, value in other.sums.items():
            if value is not None:
                self.sums[name] = (self.sums.get(name) or 0) + value
        self.waits = histogram.merge([self.waits, other.waits])
